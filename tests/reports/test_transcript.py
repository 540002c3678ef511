"""An official's transcript: the page (HR's and the official's own), who may see it, the signed
PDF read back with pypdf and its signature validated, its audit record, and the read model's
fixed number of statements."""

from __future__ import annotations

import pytest
from pyhanko.sign.validation.status import SignatureCoverageLevel
from sqlalchemy import select

from certificates import services as certificates
from courses import services as courses
from learning import clock
from learning.accounts.models import AuditEvent
from learning.db import db
from learning.errors import PermissionDenied
from learning.reports import transcript as transcripts
from tests import factories
from tests.certificates import steps as certificate_steps
from tests.conftest import location_path, translated, visible_text
from tests.courses.steps import new_client
from tests.reports import steps
from tests.reports.steps import (
    CERTIFIED_TITLE,
    NOW,
    OPTIONAL_TASK,
    PRACTICAL_TITLE,
    TASK,
)


@pytest.fixture
def record(app, db, tmp_path, monkeypatch):
    """The official's record; the pages' clock reads NOW."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return steps.record(tmp_path)


def audit_events(action: str = "transcript.export") -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the read model --------------------------------------------------------------------------

def test_the_transcript_holds_every_course_attempt_task_and_certificate(app, record):
    found = transcripts.get_transcript(None, record.official, now=NOW)
    assert (found.full_name, found.staff_number, found.job_title) == (
        "Nguyễn Thị Hương", "NG-0042", "Chuyên viên chính")
    assert found.department == "Cục Lãnh sự/Phòng Hộ chiếu"  # without the ministry
    certified, practical = found.courses  # in the order of enrolment
    assert (certified.title, practical.title) == (CERTIFIED_TITLE, PRACTICAL_TITLE)
    assert certified.completed_at is not None and certified.percent == 100
    assert (certified.lessons_done, certified.lessons_total) == (2, 2)
    assert certified.time_spent == (4, 30)
    [final] = certified.quizzes
    assert [(a.number, a.percent, a.correct, a.questions, a.is_passed, a.is_counted)
            for a in final.attempts] == [(1, 37.5, 3, 8, False, False),
                                         (2, 87.5, 7, 8, True, True)]
    assert final.is_passed and final.counted_percent == 87.5
    [certificate] = certified.certificates
    assert certificate.serial == record.certificate.serial and certificate.status == "valid"
    assert certificate.score == 87.5

    assert practical.completed_at is not None  # its one lesson and its required task
    assert [(t.title, t.state, t.is_required) for t in practical.tasks] == [
        (TASK, "confirmed", True), (OPTIONAL_TASK, "not_handed_in", False)]
    assert practical.tasks[0].submitted_at is not None
    assert found.completed == 2 and found.time_spent == (4, 30)


def test_a_replaced_certificate_reads_superseded(app, record):
    replacement = certificates.reissue(None, record.certificate, "Sửa tên", now=NOW)
    db.session.commit()
    found = transcripts.get_transcript(None, record.official, now=NOW)
    assert [(c.serial, c.status) for c in found.courses[0].certificates] == [
        (record.certificate.serial, "superseded"), (replacement.serial, "valid")]


def test_who_may_read_a_transcript(app, record):
    official = record.official
    other = factories.UserFactory(department=record.passports)
    mentor = factories.UserFactory(roles={"mentor", "learner"}, department=record.passports)
    inside = steps.hr(record.consular)
    outside = steps.hr(record.personnel)
    for actor in (official, inside, steps.hr(), factories.UserFactory(roles={"admin"}), None):
        assert transcripts.get_transcript(actor, official, now=NOW).user_id == official.id
    for actor in (other, mentor, outside):
        with pytest.raises(PermissionDenied):
            transcripts.get_transcript(actor, official, now=NOW)


def test_a_fixed_number_of_statements_whatever_the_courses(app, record, tmp_path,
                                                           count_queries):
    official = db.session.get(type(record.official), record.official.id)
    with count_queries() as few:
        transcripts.get_transcript(None, official, now=NOW)
    for n in range(3):
        course = factories.make_course(tmp_path, f"them-{n}", lessons=("a", "b"))
        courses.enrol(official, official, course, now=NOW)
        courses.complete_lesson(official, courses.active_lessons(course.id)[0], now=NOW)
    steps.practical_course(tmp_path / "again")  # nothing changes: the same version
    db.session.commit()
    db.session.expire_all()
    official = db.session.get(type(record.official), record.official.id)
    with count_queries() as many:
        found = transcripts.get_transcript(None, official, now=NOW)
    assert len(found.courses) == 5
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 12, "\n".join(many)


# --- the pages -------------------------------------------------------------------------------

def test_hr_sees_the_transcript_from_the_official_page(app, record):
    hr = steps.hr(record.consular)
    client = new_client(app, hr)
    official_page = client.get(f"/hr/officials/{record.official.id}")
    url = f"/hr/officials/{record.official.id}/transcript"
    assert f'href="{url}"' in official_page.data.decode()

    response = client.get(url)
    assert response.status_code == 200
    text = visible_text(response)
    for shown in ("Nguyễn Thị Hương", "NG-0042", "Cục Lãnh sự/Phòng Hộ chiếu",
                  "Chuyên viên chính", CERTIFIED_TITLE, PRACTICAL_TITLE, TASK, OPTIONAL_TASK,
                  "4 giờ 30 phút", "02/11/2026", "05/11/2026", "87,5%", "37,5%", "7/8", "3/8",
                  record.certificate.serial, translated("vi", "Confirmed"),
                  translated("vi", "Not handed in"), translated("vi", "Valid"),
                  translated("vi", "Passed"), translated("vi", "Transcript")):
        assert shown in text, f"{shown!r} not on the page"
    assert "Bộ Ngoại giao/" not in text
    assert f'href="{url}.pdf"' in response.data.decode()
    assert audit_events() == []  # a page view writes nothing


def test_the_official_reads_their_own_transcript_from_their_account(app, record):
    client = new_client(app, record.official)
    assert 'href="/me/transcript"' in client.get("/account").data.decode()
    response = client.get("/me/transcript")
    assert response.status_code == 200
    text = visible_text(response)
    assert CERTIFIED_TITLE in text and "4 giờ 30 phút" in text
    assert 'href="/me/transcript.pdf"' in response.data.decode()


def test_the_page_speaks_the_viewers_language(app, record):
    hr = steps.hr(preferred_language="en")
    text = visible_text(new_client(app, hr).get(
        f"/hr/officials/{record.official.id}/transcript"))
    for shown in ("Transcript", "4 h 30 min", "87.5%", "Confirmed", "Quiz attempts"):
        assert shown in text, f"{shown!r} not on the page"


def test_scope_on_the_pages_and_the_pdf(app, record):
    official = record.official
    outside = steps.hr(record.personnel)
    other = factories.UserFactory(department=record.passports, password=steps.DEMO_PASSWORD)
    mentor = factories.UserFactory(roles={"mentor", "learner"}, department=record.passports,
                                   password=steps.DEMO_PASSWORD)
    db.session.commit()
    for path in (f"/hr/officials/{official.id}/transcript",
                 f"/hr/officials/{official.id}/transcript.pdf"):
        # HR outside the scope finds nobody (as for an unknown id); without HR rights, refused
        assert new_client(app, outside).get(path).status_code == 404, path
        for user in (other, mentor):
            assert new_client(app, user).get(path).status_code == 403, (user, path)
        anonymous = new_client(app).get(path)
        assert anonymous.status_code == 302 and location_path(anonymous).startswith("/login")
    # an official's own transcript is theirs only: B sees B's, never A's
    text = visible_text(new_client(app, other).get("/me/transcript"))
    assert other.full_name in text and CERTIFIED_TITLE not in text
    assert new_client(app, steps.hr()).get("/hr/officials/999999/transcript").status_code \
        == 404
    assert audit_events() == []


# --- the PDF ---------------------------------------------------------------------------------

def test_the_pdf_reads_back_signed_and_is_audited(app, record):
    hr = steps.hr(record.consular)
    response = new_client(app, hr).get(f"/hr/officials/{record.official.id}/transcript.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "transcript-huong.nt-" in response.headers["Content-Disposition"]
    data = response.data

    text = steps.pdf_text(data)
    for shown in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                  "BỘ NGOẠI GIAO", "Nguyễn Thị Hương", "NG-0042", "Cục Lãnh sự/Phòng Hộ chiếu",
                  "Chuyên viên chính", CERTIFIED_TITLE, PRACTICAL_TITLE, TASK,
                  "4 giờ 30 phút", "05/11/2026", "87,5%", "7/8", "3/8",
                  record.certificate.serial, "ngày 05 tháng 11 năm 2026",
                  translated("vi", "Transcript").upper(), translated("vi", "Page") + " 1/"):
        assert shown in text, f"{shown!r} not in the PDF:\n{text}"

    reader = certificate_steps.reader(data)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert reader.trailer["/Root"]["/Lang"] == "vi"
    status = steps.signature_status(data)
    assert status.intact and status.valid
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE

    [event] = audit_events()
    assert (event.actor_id, event.target_type, event.target_id) == (
        hr.id, "user", record.official.id)


def test_the_pdfs_file_name_is_safe_whatever_the_username(app, record):
    # Usernames are any text without spaces: quotes, a semicolon, Vietnamese letters.
    record.official.username = 'hương"nt;x=1'
    db.session.commit()
    hr = steps.hr(record.consular)
    response = new_client(app, hr).get(f"/hr/officials/{record.official.id}/transcript.pdf")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")  # what a WSGI server can send at all
    assert header == ("attachment; filename=\"transcript-huong_nt_x_1-20261105.pdf\"; "
                      "filename*=UTF-8''transcript-h%C6%B0%C6%A1ng%22nt%3Bx%3D1-20261105.pdf")


def test_a_long_transcript_repeats_its_table_headers_on_every_page(app, record, tmp_path):
    official = record.official
    for n in range(40):
        course = factories.make_course(tmp_path, f"dai-{n}", title=f"Khoá học dài số {n}",
                                       lessons=("a",))
        courses.enrol(official, official, course, now=NOW)
    db.session.commit()
    data = new_client(app, official).get("/me/transcript.pdf").data
    pages = certificate_steps.reader(data).pages
    assert len(pages) >= 2
    header = translated("vi", "Lessons done")
    for number, page in enumerate(pages[:2], start=1):
        page_text = " ".join(page.extract_text().split())
        assert header in page_text, number
        assert f"{translated('vi', 'Page')} {number}/{len(pages)}" in page_text
    assert steps.signature_status(data).valid


def test_an_english_viewer_gets_an_english_pdf(app, record):
    hr = steps.hr(preferred_language="en")
    data = new_client(app, hr).get(f"/hr/officials/{record.official.id}/transcript.pdf").data
    text = steps.pdf_text(data)
    for shown in ("TRANSCRIPT", "4 h 30 min", "87.5%", "Quiz attempts", "Page 1/"):
        assert shown in text, f"{shown!r} not in the PDF:\n{text}"
    for absent in ("CỘNG HÒA", "Độc lập", "SOCIALIST REPUBLIC", "giờ"):
        assert absent not in text
    assert certificate_steps.reader(data).trailer["/Root"]["/Lang"] == "en"


def test_the_officials_own_pdf_is_audited_as_theirs(app, record):
    response = new_client(app, record.official).get("/me/transcript.pdf")
    assert response.status_code == 200
    [event] = audit_events()
    assert event.actor_id == event.target_id == record.official.id


def test_a_korean_viewer_gets_korean_labels_in_a_korean_font(app, record):
    hr = steps.hr(preferred_language="ko")
    data = new_client(app, hr).get(f"/hr/officials/{record.official.id}/transcript.pdf").data
    text = steps.pdf_text(data)
    for shown in (translated("ko", "Transcript"), translated("ko", "Quiz attempts"),
                  "4시간 30분", "Nguyễn Thị Hương", CERTIFIED_TITLE):
        assert shown in text, f"{shown!r} not in the PDF:\n{text}"
    fonts = {name.split("+", 1)[-1] for name, _files in certificate_steps.page_fonts(data)}
    assert any(name.startswith("Noto-Sans-KR") for name in fonts), fonts
    assert certificate_steps.reader(data).trailer["/Root"]["/Lang"] == "ko"


def test_pdfs_rendered_on_demand_are_limited_per_user(app, record, monkeypatch):
    """Each transcript or ranking PDF costs a core a few hundred milliseconds: a user gets
    PDF_LIMIT per window (a HEAD counts too), then a 429 page saying when to come back."""
    monkeypatch.setitem(app.config, "PDF_LIMIT", 2)
    hr = steps.hr(record.consular)
    browser = new_client(app, hr)
    url = f"/hr/officials/{record.official.id}/transcript.pdf"
    assert browser.head(url).status_code == 200
    assert browser.get(url).status_code == 200
    response = browser.get(url)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "600"  # the window, all at the same moment
    assert translated("vi", "Please wait a few minutes and try again.") in visible_text(response)
    assert len(audit_events()) == 1  # the GET that sent a file
    # Another user, here the official with their own transcript, has their own budget.
    assert new_client(app, record.official).get("/me/transcript.pdf").status_code == 200
