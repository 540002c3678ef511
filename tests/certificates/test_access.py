"""Who sees which certificate: the holder, HR whose scope covers the holder's department, and
administrators; to anyone else another official's certificate does not exist (404)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.certificates import steps
from tests.certificates.steps import BASE_URL, NAMES
from tests.conftest import visible_text
from tests.courses.steps import new_client


@pytest.fixture
def units(app, db, tmp_path):
    """Bộ Ngoại giao > Cục Lãnh sự > Phòng Hộ chiếu, and Cục Cơ yếu; a certificate held by an
    official of Phòng Hộ chiếu and one by an official of Cục Cơ yếu."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu", parent=root)
    db.session.commit()
    steps.course(tmp_path)
    holder = steps.official(NAMES[0], department=passports)
    other = steps.official(NAMES[1], department=crypto)
    return {"root": root, "consular": consular, "crypto": crypto, "holder": holder,
            "other": other, "certificate": steps.complete(holder),
            "others_certificate": steps.complete(other)}


def urls(certificate_id: int) -> list[str]:
    return [f"/certificates/{certificate_id}", f"/certificates/{certificate_id}.pdf",
            f"/certificates/{certificate_id}/credential.json"]


def test_the_holder_sees_their_certificates(app, units):
    browser = new_client(app, units["holder"])
    for url in urls(units["certificate"].id):
        assert browser.get(url).status_code == 200, url
    page = browser.get(f"/certificates/{units['certificate'].id}").data.decode()
    assert "/revoke" not in page and "/reissue" not in page  # the holder cannot revoke
    # the address to share is the public one the QR code holds, whatever host served the page
    assert f"{BASE_URL}/verify/{units['certificate'].code}" in page
    assert "http://localhost/verify/" not in page
    mine = visible_text(browser.get("/certificates"))
    assert units["certificate"].serial in mine and units["others_certificate"].serial not in mine


@pytest.mark.parametrize("who", ["colleague", "hr_elsewhere", "mentor"])
def test_others_find_no_such_certificate(app, db, units, who):
    viewer = {
        "colleague": lambda: steps.official("Lê Văn Tò Mò", department=units["consular"]),
        "hr_elsewhere": lambda: steps.hr_official(units["crypto"]),
        "mentor": lambda: steps.official("Võ Hướng Dẫn", roles={"mentor", "learner"}),
    }[who]()
    browser = new_client(app, viewer)
    certificate = units["certificate"]
    for url in urls(certificate.id):
        assert browser.get(url).status_code == 404, url
    for action in ("revoke", "reissue"):
        response = browser.post(f"/certificates/{certificate.id}/{action}",
                                data={"reason": "Thử quyền"})
        assert response.status_code == 404
    assert steps.reload(certificate).revoked_at is None
    assert steps.count_certificates() == 2


@pytest.mark.parametrize("who", ["hr_of_the_unit_above", "hr_ministry", "admin"])
def test_hr_within_scope_and_admins_see_certificates(app, db, units, who):
    viewer = {
        "hr_of_the_unit_above": lambda: steps.hr_official(units["consular"]),
        "hr_ministry": lambda: steps.hr_official(),
        "admin": lambda: steps.official("Quản Trị Viên", roles={"admin", "learner"}),
    }[who]()
    browser = new_client(app, viewer)
    certificate = units["certificate"]
    for url in urls(certificate.id):
        assert browser.get(url).status_code == 200, url
    page = browser.get(f"/certificates/{certificate.id}").data.decode()
    assert f'formaction="/certificates/{certificate.id}/revoke"' in page
    assert f'formaction="/certificates/{certificate.id}/reissue"' in page


def test_the_hr_list_holds_the_scope_only(app, db, units):
    browser = new_client(app, steps.hr_official(units["consular"]))
    listing = visible_text(browser.get("/hr/certificates"))
    assert units["certificate"].serial in listing and NAMES[0] in listing
    # a table date: two-digit day and month, the day in Hà Nội
    day = steps.local_date(units["certificate"].completed_at)  # 2025-03-03
    assert "/".join(reversed(day.split("-"))) in listing
    assert units["others_certificate"].serial not in listing and NAMES[1] not in listing
    found = visible_text(browser.get("/hr/certificates", query_string={
        "q": units["certificate"].serial.lower()}))
    assert units["certificate"].serial in found
    for query in ("hương", "Nguyễn Thị Hương", "NGUYEN thi", units["holder"].staff_number):
        found = visible_text(browser.get("/hr/certificates", query_string={"q": query}))
        assert units["certificate"].serial in found, query
    for query in ("không có ai", "Hương Bảo"):
        found = visible_text(browser.get("/hr/certificates", query_string={"q": query}))
        assert units["certificate"].serial not in found, query

    everyone = visible_text(new_client(app, steps.hr_official()).get("/hr/certificates"))
    assert units["certificate"].serial in everyone and units["others_certificate"].serial in \
        everyone


def test_the_hr_list_is_for_hr(app, db, units):
    assert new_client(app, units["holder"]).get("/hr/certificates").status_code == 403


def test_hr_looks_up_serial_numbers_only_within_scope(app, db, units):
    browser = new_client(app, steps.hr_official(units["crypto"]))
    theirs = browser.post("/verify", data={"lookup-code": units["others_certificate"].serial})
    assert theirs.status_code == 302
    assert theirs.headers["Location"].endswith(f"/verify/{units['others_certificate'].code}")
    outside = browser.post("/verify", data={"lookup-code": units["certificate"].serial})
    assert outside.status_code == 400
    assert units["certificate"].code not in outside.data.decode()
