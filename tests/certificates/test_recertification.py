"""Validity and recertification: a course's [certificate] validity_months sets the expiry
(completion + N calendar months) that the PDF shows and after which the certificate is expired;
holders and HR in scope are reminded once before it; the course can be re-taken in that window
(not before) and completing it again issues a cycle-2 certificate linked to the first."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from certificates import services as certificates
from learning import clock
from learning.accounts.models import AuditEvent
from learning.db import db as _db
from learning.notifications import Notification
from tests import factories
from tests.certificates import steps
from tests.certificates.steps import NAMES, NOW, SLUG, TITLE
from tests.conftest import location_path, translated, visible_text
from tests.courses import steps as course_steps
from tests.courses.steps import new_client
from tests.parallel import all_at_once

REMIND_DAYS = 30  # the test configuration's HOCSO_CERT_REMIND_DAYS
PARALLEL = 6


def notifications(user=None) -> list[Notification]:
    _db.session.expire_all()
    statement = select(Notification).order_by(Notification.id)
    if user is not None:
        statement = statement.where(Notification.user_id == user.id)
    return list(_db.session.scalars(statement))


def test_validity_sets_the_expiry_shown_on_the_certificate(app, db, tmp_path):
    steps.course(tmp_path, validity=24)
    holder = steps.official()
    certificate = steps.complete(holder)
    assert certificate.expires_at == datetime(2027, 3, 3, 8, 0, tzinfo=timezone.utc)
    browser = new_client(app, holder)
    assert "ngày 03 tháng 3 năm 2027" in steps.pdf_text(steps.fetch_pdf(browser, certificate.id))
    assert "ngày 03 tháng 3 năm 2027" in visible_text(browser.get("/certificates"))


@pytest.mark.parametrize("completed, months, expires", [
    (datetime(2024, 2, 29, 10, 0, tzinfo=timezone.utc), 12,
     datetime(2025, 2, 28, 10, 0, tzinfo=timezone.utc)),
    (datetime(2025, 1, 31, 1, 0, tzinfo=timezone.utc), 1,
     datetime(2025, 2, 28, 1, 0, tzinfo=timezone.utc)),
    (datetime(2025, 11, 30, 1, 0, tzinfo=timezone.utc), 3,
     datetime(2026, 2, 28, 1, 0, tzinfo=timezone.utc)),
    (datetime(2023, 12, 31, 1, 0, tzinfo=timezone.utc), 2,
     datetime(2024, 2, 29, 1, 0, tzinfo=timezone.utc)),
])
def test_validity_counts_calendar_months(app, db, tmp_path, completed, months, expires):
    steps.course(tmp_path, validity=months)
    assert steps.complete(steps.official(), now=completed).expires_at == expires


def test_a_course_without_validity_never_expires(app, db, tmp_path):
    steps.course(tmp_path)
    certificate = steps.complete(steps.official())
    assert certificate.expires_at is None
    with app.test_request_context():
        later = certificates.public_view(certificate, now=NOW + timedelta(days=365 * 50))
    assert later["status"] == "valid" and later["expires_on"] is None


def test_the_status_turns_expired_at_the_expiry(app, db, tmp_path):
    steps.course(tmp_path, validity=24)
    certificate = steps.complete(steps.official())
    end = certificate.expires_at
    with app.test_request_context():
        assert certificates.public_view(certificate, now=end - timedelta(seconds=1))[
            "status"] == "valid"
        assert certificates.public_view(certificate, now=end)["status"] == "expired"
        certificates.revoke(None, certificate, "Thu hồi", now=end - timedelta(days=1))
        assert certificates.public_view(certificate, now=end + timedelta(days=1))[
            "status"] == "revoked"


@pytest.fixture
def units(app, db):
    consular = factories.DepartmentFactory(name="Cục Lãnh sự")
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu")
    _db.session.commit()
    return consular, crypto


def test_reminders_reach_the_holder_and_hr_in_scope_once(app, db, tmp_path, units):
    consular, crypto = units
    steps.course(tmp_path, validity=24)
    hr_in = steps.hr_official(consular, full_name="Phạm Thu Hà")
    hr_all = steps.hr_official(full_name="Ngô Bảo Châu")
    hr_out = steps.hr_official(crypto, full_name="Vũ Minh Khoa")
    holder = steps.official(NAMES[0], department=consular)
    due = steps.complete(holder)
    later = steps.complete(steps.official(NAMES[1], department=consular),
                           now=NOW + timedelta(days=60))
    revoked = steps.complete(steps.official(NAMES[2], department=consular))
    certificates.revoke(None, steps.reload(revoked), "Cấp nhầm", now=NOW)
    db.session.commit()

    moment = due.expires_at - timedelta(days=10)
    assert certificates.remind_expiring(now=moment, days=REMIND_DAYS) == 1
    db.session.commit()
    expected = {"course": TITLE, "serial": due.serial, "holder": NAMES[0],
                "expires": steps.local_date(due.expires_at)}
    [to_holder] = notifications(holder)
    assert (to_holder.kind, to_holder.subject_id, to_holder.params) == (
        "certificate_expiring", due.id, expected)
    for hr in (hr_in, hr_all):
        [to_hr] = notifications(hr)
        assert (to_hr.kind, to_hr.params) == ("certificate_expiring_hr", expected)
    assert notifications(hr_out) == []
    assert len(notifications()) == 3
    assert later.id not in {n.subject_id for n in notifications()}

    # a second run, the next day: nothing new
    assert certificates.remind_expiring(now=moment + timedelta(days=1), days=REMIND_DAYS) == 0
    db.session.commit()
    assert len(notifications()) == 3
    # nothing for a certificate already expired
    assert certificates.remind_expiring(now=later.expires_at + timedelta(days=1),
                                        days=REMIND_DAYS) == 0


def test_the_reminder_command_and_the_home_page(app, runner, db, tmp_path, units):
    consular, _crypto = units
    steps.course(tmp_path, validity=24)
    hr = steps.hr_official(consular)
    holder = steps.official(NAMES[0], department=consular)
    certificate = steps.complete(holder, now=steps.completed_so_it_expires_in(
        10, months=24, now=clock.now()))
    date = steps.shown_date(certificate.expires_at)

    result = steps.cli(runner, "remind-expiring")
    assert result.exit_code == 0 and "Reminded about 1 certificate(s)." in result.output
    result = steps.cli(runner, "remind-expiring")
    assert result.exit_code == 0 and "Reminded about 0 certificate(s)." in result.output

    browser = new_client(app, holder)
    home = visible_text(browser.get("/"))
    assert translated("vi", "Your certificate %(serial)s for “%(course)s” expires on %(date)s. "
                            "Re-take the course to renew it.", serial=certificate.serial,
                      course=TITLE, date=date) in home
    hr_browser = new_client(app, hr)
    assert translated("vi", "The certificate %(serial)s of %(holder)s for “%(course)s” expires "
                            "on %(date)s.", serial=certificate.serial, holder=NAMES[0],
                      course=TITLE, date=date) in visible_text(hr_browser.get("/"))

    # dismissing: someone else's notification is left alone, one's own goes away
    [mine] = notifications(holder)
    assert hr_browser.post(f"/notifications/{mine.id}/read", data={}).status_code == 302
    assert notifications(holder)[0].read_at is None
    response = browser.post(f"/notifications/{mine.id}/read", data={})
    assert response.status_code == 302 and location_path(response) == "/"
    assert notifications(holder)[0].read_at is not None
    assert certificate.serial not in visible_text(browser.get("/"))


def retake(browser):
    return browser.post(f"/courses/{SLUG}/retake", data={})


def test_a_retake_is_refused_before_the_renewal_window(app, db, tmp_path):
    steps.course(tmp_path, validity=24)
    holder = steps.official()
    certificate = steps.complete(holder, now=steps.completed_so_it_expires_in(
        REMIND_DAYS + 5, months=24, now=clock.now()))
    browser = new_client(app, holder)
    assert f'action="/courses/{SLUG}/retake"' not in browser.get(f"/courses/{SLUG}").data.decode()

    response = retake(browser)
    assert response.status_code == 302 and location_path(response) == f"/courses/{SLUG}"
    page = visible_text(browser.get(f"/courses/{SLUG}"))
    assert translated("vi", "This course can be re-taken when its certificate expires (or is "
                            "about to).") in page
    enrolment = course_steps.enrolment_of(holder, SLUG)
    assert (enrolment.cycle, enrolment.completed_at) == (1, certificate.completed_at)
    assert steps.certificates_of(holder) == [certificate]


def test_a_course_without_validity_or_not_completed_cannot_be_re_taken(app, db, tmp_path):
    steps.course(tmp_path)
    steps.course(tmp_path, "chua-xong", validity=12)
    holder = steps.official()
    steps.complete(holder, now=NOW)
    browser = new_client(app, holder)
    assert retake(browser).status_code == 302
    assert course_steps.enrolment_of(holder, SLUG).cycle == 1
    course_steps.enrol(browser, "chua-xong")
    assert browser.post("/courses/chua-xong/retake", data={}).status_code == 302
    assert course_steps.enrolment_of(holder, "chua-xong").cycle == 1


@pytest.mark.parametrize("days_left", [10, -10])
def test_a_retake_in_the_window_leads_to_a_linked_cycle_2_certificate(app, db, tmp_path,
                                                                    days_left):
    steps.course(tmp_path, validity=24)
    holder = steps.official()
    first = steps.complete(holder, right=steps.QUESTIONS, now=steps.completed_so_it_expires_in(
        days_left, months=24, now=clock.now()))
    assert first.score == 100
    browser = new_client(app, holder)
    assert f'action="/courses/{SLUG}/retake"' in browser.get(f"/courses/{SLUG}").data.decode()

    started = clock.now()
    assert retake(browser).status_code == 302
    enrolment = course_steps.enrolment_of(holder, SLUG)
    assert (enrolment.cycle, enrolment.completed_at, enrolment.percent_complete) == (2, None, 0)
    assert course_steps.done_slugs(holder, SLUG) == {"a", "b"}  # kept, but no longer counted
    assert retake(browser).status_code == 302  # not completed: no third cycle
    assert course_steps.enrolment_of(holder, SLUG).cycle == 2

    steps.complete_on_pages(browser, right=6)  # 75 %, below the first cycle's 100 %
    [old, new] = steps.certificates_of(holder)
    assert old.id == first.id and old.revoked_at is None
    assert (new.cycle, new.previous_id, new.reason) == (2, first.id, "recertification")
    assert new.completed_at >= started and new.score == 75
    assert new.expires_at == steps.add_months(new.completed_at, 24)
    assert new.serial != first.serial
    course_page = browser.get(f"/courses/{SLUG}").data.decode()
    assert f"/certificates/{new.id}" in course_page
    assert f'action="/courses/{SLUG}/retake"' not in course_page
    assert retake(browser).status_code == 302
    assert course_steps.enrolment_of(holder, SLUG).cycle == 2
    # each cycle's certificate is issued once, whatever runs afterwards
    assert certificates.issue_pending(now=clock.now()) == 0


def test_a_retake_sent_several_times_at_once_starts_one_cycle(app, db, tmp_path):
    steps.course(tmp_path, validity=24)
    holder = steps.official()
    steps.complete(holder, now=steps.completed_so_it_expires_in(10, months=24,
                                                                now=clock.now()))
    browsers = [new_client(app, holder) for _ in range(PARALLEL)]
    statuses = all_at_once(browsers, f"/courses/{SLUG}/retake", lambda: {})
    assert statuses == Counter({302: PARALLEL})
    assert course_steps.enrolment_of(holder, SLUG).cycle == 2
    retakes = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "course.retake")).all()
    assert len(retakes) == 1


def test_an_attempt_started_before_a_retake_does_not_score_the_next_certificate(app, db,
                                                                              tmp_path):
    """Which attempts belong to a cycle is decided by when they started, for passing and for
    the score alike: a test begun before the retake and handed in after it counts for
    neither."""
    from quizzes import services as quizzes

    steps.course(tmp_path, validity=24)
    holder = steps.official()
    steps.complete(holder, right=steps.QUESTIONS, now=steps.completed_so_it_expires_in(
        10, months=24, now=clock.now()))
    final = quizzes.course_quizzes(course_steps.course_by_slug(SLUG).id)[0]
    early = quizzes.start_attempt(holder, final, now=clock.now())
    db.session.commit()
    browser = new_client(app, holder)
    assert retake(browser).status_code == 302
    quizzes.submit(holder, early, {i: slot["data"]["answer"]
                                   for i, slot in enumerate(early.layout)}, now=clock.now())
    db.session.commit()
    assert course_steps.enrolment_of(holder, SLUG).completed_at is None  # not this cycle's

    steps.complete_on_pages(browser, right=6)  # 75 %
    new = steps.newest(holder)
    assert (new.cycle, new.score) == (2, 75)
