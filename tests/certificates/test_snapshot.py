"""An issued certificate is a snapshot: renaming the official, moving them to another
department, or a new version of the course (title, version) changes nothing it shows — not the
record, the PDF rendered afterwards, the verification page, nor the signed credential."""

from __future__ import annotations

import json

from certificates import services as certificates
from learning import clock
from learning.accounts import services as accounts
from learning.accounts.services import UserData
from tests import factories
from tests.certificates import steps
from tests.certificates.steps import NAMES, TITLE
from tests.courses import steps as course_steps
from tests.courses.steps import new_client

NEW_NAME = "Đặng Quốc Bảo Long"
NEW_TITLE = "Chuyển đổi số trong cơ quan nhà nước"


def test_later_changes_do_not_reach_an_issued_certificate(app, client, db, tmp_path):
    consular = factories.DepartmentFactory(name="Cục Lãnh sự")
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu")
    steps.course(tmp_path)
    holder = steps.official(NAMES[1], department=consular)
    certificate = steps.complete(holder, now=clock.now())
    issued_jws = certificate.credential_jws
    snapshot = certificates.snapshot_of(certificate)

    # the official is renamed and moved; the course gets a new title and version
    accounts.update_user(None, holder, UserData(
        username=holder.username, full_name=NEW_NAME, email=holder.email,
        staff_number=holder.staff_number, job_title=holder.job_title,
        department_id=crypto.id, roles={"learner"}), now=clock.now())
    db.session.commit()
    steps.course(tmp_path, title=NEW_TITLE, version="2.0.0")
    assert course_steps.course_by_slug(steps.SLUG).title == NEW_TITLE

    after = steps.reload(certificate)
    assert certificates.snapshot_of(after) == snapshot
    assert after.credential_jws == issued_jws
    assert (after.holder_name, after.department, after.course_title, after.course_version) == (
        NAMES[1], "Cục Lãnh sự", TITLE, "1.0.0")

    browser = new_client(app, holder)
    detail = steps.main_text(browser.get(f"/certificates/{certificate.id}"))
    pdf = steps.fetch_pdf(browser, certificate.id)  # rendered for the first time now
    text = steps.pdf_text(pdf)
    page = steps.main_text(client.get(f"/verify/{certificate.code}"))
    view = client.get(f"/verify/{certificate.code}.json").get_json()
    credential = browser.get(f"/certificates/{certificate.id}/credential.json").get_json()
    for shown in (detail, text, page):
        assert NAMES[1] in shown and TITLE in shown
        assert NEW_NAME not in shown and NEW_TITLE not in shown and "2.0.0" not in shown
    assert "1.0.0" in text and "1.0.0" in view["course_version"]
    # Version numbers are for HR and administrators, not on the pages an official reads.
    assert "1.0.0" not in detail and "1.0.0" not in page
    for shown in (detail, text):
        assert "Cục Lãnh sự" in shown and "Cục Cơ yếu" not in shown
    assert (view["holder"], view["course"], view["course_version"]) == (NAMES[1], TITLE, "1.0.0")
    payload = json.dumps(credential, ensure_ascii=False)
    assert NAMES[1] in payload and TITLE in payload
    assert NEW_NAME not in payload and NEW_TITLE not in payload
    assert steps.embedded_file(pdf, "credential.jwt").decode() == issued_jws
    # and the PDF still checks as genuine
    check = certificates.check_pdf(pdf, max_bytes=app.config["VERIFY_MAX_BYTES"],
                                   now=clock.now(), lookup=certificates.find_by_code)
    assert (check.outcome, check.differences) == ("genuine", [])
