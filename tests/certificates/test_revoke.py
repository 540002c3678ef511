"""Revocation and re-issue: HR within scope (and administrators, and the command line) revoke
with a reason, which the verification page, its JSON and `flask certificates verify` then
report and the audit log records; a re-issue after a name correction makes a new serial linked
to the old, which is revoked as replaced."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from certificates import services as certificates
from learning import clock
from learning.accounts import services as accounts
from learning.accounts.models import AuditEvent
from learning.accounts.services import UserData
from learning.errors import PermissionDenied, RuleViolation
from tests import factories
from tests.certificates import steps
from tests.certificates.steps import NAMES, TITLE
from tests.conftest import field_error, location_path, translated, visible_text
from tests.courses.steps import new_client

REASON = "Gian lận trong bài kiểm tra cuối khóa"


@pytest.fixture
def setting(app, db, tmp_path):
    """Cục Lãnh sự > Phòng Hộ chiếu, and Cục Cơ yếu; a certificate of an official of Phòng
    Hộ chiếu, issued now, its PDF already downloaded; HR for Cục Lãnh sự and for Cục Cơ yếu."""
    consular = factories.DepartmentFactory(name="Cục Lãnh sự")
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu")
    db.session.commit()
    steps.course(tmp_path)
    holder = steps.official(NAMES[2], department=passports)
    certificate = steps.complete(holder, now=clock.now())
    pdf = tmp_path / "chung-chi.pdf"
    pdf.write_bytes(steps.fetch_pdf(new_client(app, holder), certificate.id))
    return {"holder": holder, "certificate": certificate, "pdf": pdf,
            "hr": steps.hr_official(consular, full_name="Phạm Thu Hà"),
            "hr_elsewhere": steps.hr_official(crypto, full_name="Vũ Minh Khoa")}


def audit_events(action: str) -> list[AuditEvent]:
    from learning.db import db

    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def revoke(browser, certificate, reason: str):
    return browser.post(f"/certificates/{certificate.id}/revoke", data={"reason": reason})


def test_hr_within_scope_revokes_with_a_reason(app, client, runner, setting):
    certificate, hr = setting["certificate"], setting["hr"]
    before = clock.now()
    response = revoke(new_client(app, hr), certificate, f"  {REASON}\n")
    assert response.status_code == 302
    assert location_path(response) == f"/certificates/{certificate.id}"

    revoked = steps.reload(certificate)
    assert revoked.revoked_at >= before and revoked.revoked_reason == REASON
    assert revoked.revoked_by_id == hr.id
    [event] = audit_events("certificate.revoke")
    assert (event.actor_id, event.target_type, event.target_id, event.at) == (
        hr.id, "certificate", certificate.id, revoked.revoked_at)
    assert json.loads(event.details) == {"serial": certificate.serial, "reason": REASON,
                                         "category": "withdrawn"}

    # The public learns the date and the category; HR's words stay with HR.
    day = steps.local_date(revoked.revoked_at)
    response = client.get(f"/verify/{certificate.code}")
    page = visible_text(response)
    assert translated("vi", "This certificate has been revoked") in page
    assert f"{steps.shown_date(revoked.revoked_at)}: {translated('vi', 'Withdrawn')}" in page
    assert REASON not in response.data.decode()
    response = client.get(f"/verify/{certificate.code}.json")
    view = response.get_json()
    assert (view["status"], view["revoked_on"], view["revocation_category"]) == (
        "revoked", day, "withdrawn")
    assert REASON not in response.data.decode()
    result = steps.cli(runner, "verify", setting["pdf"])
    assert result.exit_code == certificates.EXIT_CODES["revoked"] == 9
    assert f"revoked on {day} (withdrawn)" in result.output and REASON not in result.output
    # HR sees the reason on the certificate's page; the holder sees only the category.
    assert REASON in visible_text(new_client(app, hr).get(f"/certificates/{certificate.id}"))
    holder_page = new_client(app, setting["holder"]).get(f"/certificates/{certificate.id}")
    assert REASON not in holder_page.data.decode()
    assert translated("vi", "Withdrawn") in visible_text(holder_page)
    # the holder sees it revoked in their list
    mine = visible_text(new_client(app, setting["holder"]).get("/certificates"))
    assert translated("vi", "Revoked") in mine


def test_hr_outside_scope_cannot_revoke(app, setting):
    certificate = setting["certificate"]
    browser = new_client(app, setting["hr_elsewhere"])
    assert revoke(browser, certificate, REASON).status_code == 404
    assert steps.reload(certificate).revoked_at is None
    assert audit_events("certificate.revoke") == []
    with pytest.raises(PermissionDenied):
        certificates.revoke(setting["hr_elsewhere"], steps.reload(certificate), REASON,
                            now=clock.now())


def test_the_holder_cannot_revoke_their_own(app, setting):
    certificate = setting["certificate"]
    assert revoke(new_client(app, setting["holder"]), certificate, REASON).status_code == 403
    assert steps.reload(certificate).revoked_at is None


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_a_revocation_needs_a_reason(app, setting, reason):
    certificate = setting["certificate"]
    response = revoke(new_client(app, setting["hr"]), certificate, reason)
    assert response.status_code == 400
    assert field_error(response, "reason") == translated("vi", "This field is required.")
    assert steps.reload(certificate).revoked_at is None
    with pytest.raises(RuleViolation) as refused:
        certificates.revoke(setting["hr"], steps.reload(certificate), reason, now=clock.now())
    assert refused.value.field == "reason"


def test_a_revoked_certificate_cannot_be_revoked_again_or_re_issued(app, db, setting):
    certificate = setting["certificate"]
    browser = new_client(app, setting["hr"])
    assert revoke(browser, certificate, REASON).status_code == 302
    first = steps.reload(certificate).revoked_at
    response = revoke(browser, certificate, "Lý do khác")
    assert response.status_code == 400
    assert translated("vi", "This certificate is already revoked.") in visible_text(response)
    response = browser.post(f"/certificates/{certificate.id}/reissue",
                            data={"reason": "Sửa tên"})
    assert response.status_code == 400
    assert translated("vi", "A revoked certificate cannot be re-issued.") in \
        visible_text(response)
    again = steps.reload(certificate)
    assert (again.revoked_at, again.revoked_reason) == (first, REASON)
    assert steps.count_certificates() == 1


def test_administrators_and_the_command_line_revoke(app, runner, db, tmp_path, setting):
    admin = steps.official("Quản Trị Viên", roles={"admin", "learner"})
    certificate = setting["certificate"]
    assert revoke(new_client(app, admin), certificate, REASON).status_code == 302
    assert steps.reload(certificate).revoked_by_id == admin.id

    other = steps.complete(steps.official(NAMES[0]), now=clock.now())
    result = steps.cli(runner, "revoke", other.serial.lower(), "--reason", "Cấp trùng")
    assert result.exit_code == 0, result.output
    revoked = steps.reload(other)
    assert (revoked.revoked_reason, revoked.revoked_by_id) == ("Cấp trùng", None)
    assert audit_events("certificate.revoke")[-1].actor_id is None
    assert steps.cli(runner, "revoke", other.serial, "--reason", "x").exit_code != 0
    assert steps.cli(runner, "revoke", "HS-2020-999999", "--reason", "x").exit_code != 0


def test_a_name_correction_is_re_issued_under_a_new_serial(app, client, db, setting):
    holder, old, hr = setting["holder"], setting["certificate"], setting["hr"]
    # the official's name was recorded without diacritics; HR corrects it, then re-issues
    assert old.holder_name == NAMES[2]
    accounts.update_user(None, holder, UserData(
        username=holder.username, full_name="Trương Ngọc Anh", email=holder.email,
        staff_number=holder.staff_number, job_title=holder.job_title,
        department_id=holder.department_id, roles={"learner"}), now=clock.now())
    db.session.commit()

    browser = new_client(app, hr)
    response = browser.post(f"/certificates/{old.id}/reissue",
                            data={"reason": "Sửa tên theo căn cước công dân"})
    assert response.status_code == 302
    [first, new] = steps.certificates_of(holder)
    assert first.id == old.id
    assert location_path(response) == f"/certificates/{new.id}"
    assert new.serial != old.serial and steps.SERIAL.fullmatch(new.serial)
    assert (new.previous_id, new.reason, new.cycle) == (old.id, "correction", 1)
    assert new.holder_name == "Trương Ngọc Anh" and new.code != old.code
    assert (new.course_title, new.completed_at, new.score) == (TITLE, old.completed_at,
                                                               old.score)
    assert first.revoked_at is not None and first.revoked_by_id == hr.id
    assert first.revoked_reason == "Sửa tên theo căn cước công dân"
    [event] = audit_events("certificate.reissue")
    assert event.actor_id == hr.id
    assert json.loads(event.details)["replacement"] == new.serial

    old_view = client.get(f"/verify/{old.code}.json").get_json()
    assert (old_view["status"], old_view["replaced_by"], old_view["holder"]) == (
        "revoked", new.serial, NAMES[2])
    old_page = steps.main_text(client.get(f"/verify/{old.code}"))
    assert f"{translated('vi', 'Replaced by')} {new.serial}" in old_page
    new_view = client.get(f"/verify/{new.code}.json").get_json()
    assert (new_view["status"], new_view["holder"]) == ("valid", "Trương Ngọc Anh")
    assert "replaced_by" not in new_view
    text = steps.pdf_text(steps.fetch_pdf(new_client(app, holder), new.id))
    assert "Trương Ngọc Anh" in text and NAMES[2] not in text and new.serial in text
    detail = visible_text(browser.get(f"/certificates/{new.id}"))
    assert old.serial in detail  # "replaces"
    # the course page and the certificate list lead to the new one
    mine = visible_text(new_client(app, holder).get("/certificates"))
    assert new.serial in mine and old.serial in mine
    course_page = new_client(app, holder).get(f"/courses/{steps.SLUG}").data.decode()
    assert f"/certificates/{new.id}" in course_page


def test_a_re_issue_needs_a_reason_and_the_scope(app, setting):
    certificate = setting["certificate"]
    response = new_client(app, setting["hr"]).post(f"/certificates/{certificate.id}/reissue",
                                                   data={"reason": " "})
    assert response.status_code == 400
    assert field_error(response, "reason") == translated("vi", "This field is required.")
    response = new_client(app, setting["hr_elsewhere"]).post(
        f"/certificates/{certificate.id}/reissue", data={"reason": "Sửa tên"})
    assert response.status_code == 404
    assert steps.count_certificates() == 1
    assert steps.reload(certificate).revoked_at is None
