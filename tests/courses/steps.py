"""What an official does in the browser, as test-client calls, and the figures to check after."""

from __future__ import annotations

from sqlalchemy import select

from courses.models import Course, Enrolment, Lesson, LessonProgress
from learning.db import db
from tests import factories
from tests.conftest import DEMO_PASSWORD, Client, sign_in


def new_client(app, user=None) -> Client:
    """Return another browser (its own cookies), signed in as `user` when given."""
    app.test_client_class = Client
    other = app.test_client()
    if user is not None:
        assert sign_in(other, user.username).status_code == 302
    return other


def official(**fields):
    """Create an official with the test password and commit."""
    user = factories.UserFactory(password=DEMO_PASSWORD, **fields)
    db.session.commit()
    return user


def enrol(client, slug: str):
    response = client.post(f"/courses/{slug}/enrol", data={})
    assert response.status_code == 302, response.status_code
    return response


def open_lesson(client, slug: str, lesson: str):
    """Open a lesson as the browser does: the page (a read), then the visit report its script
    sends when the page is left (the deferred write of the visit). Returns the page."""
    page = client.get(f"/courses/{slug}/lessons/{lesson}")
    if page.status_code == 200:
        report = client.post(f"/courses/{slug}/lessons/{lesson}/time",
                             data={"seconds": "0", "visit": "1"})
        assert report.status_code == 204, report.status_code
    return page


def mark_done(client, slug: str, lesson: str):
    return client.post(f"/courses/{slug}/lessons/{lesson}/done", data={})


def course_by_slug(slug: str) -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def enrolment_of(user, slug: str) -> Enrolment | None:
    """The official's enrolment as committed (read afresh)."""
    db.session.expire_all()
    return db.session.scalar(select(Enrolment).join(Course).where(
        Enrolment.user_id == user.id, Course.slug == slug))


def progress_by_lesson(user, slug: str) -> dict[str, LessonProgress]:
    """The official's lesson records on the course by lesson slug (removed lessons included)."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Lesson.slug, LessonProgress).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(LessonProgress.user_id == user.id, Course.slug == slug)).all()
    return {lesson_slug: record for lesson_slug, record in rows}


def done_slugs(user, slug: str) -> set[str]:
    return {lesson for lesson, record in progress_by_lesson(user, slug).items()
            if record.completed_at}


def long_date(moment, locale: str = "vi") -> str:
    """Return a date as a page shows it with `| longdate` (ministry time zone): "ngày 05 tháng
    11 năm 2026" in Vietnamese, the CLDR long form otherwise."""
    from flask import current_app
    from flask_babel import force_locale, format_date, to_user_timezone

    with current_app.test_request_context(), force_locale(locale):
        if locale == "vi":
            day = to_user_timezone(moment)
            return "ngày {:02d} tháng {} năm {}".format(  # Decree 30: months 1-2 padded
                day.day, f"{day.month:02d}" if day.month < 3 else day.month, day.year)
        return format_date(moment, "long")


def duration(seconds: int, locale: str = "vi") -> str:
    """Return a time span as a page shows it with `| duration`."""
    from flask import current_app
    from flask_babel import force_locale

    from learning.i18n import format_duration

    with current_app.test_request_context(), force_locale(locale):
        return format_duration(seconds)


def fetch(client, url: str, **kwargs):
    """GET a streamed response (a course file), read it whole and close it, as a server does."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def lesson_item_class(html: str, slug: str, lesson: str) -> str:
    """The class of the list item that links to a lesson (an outline or the player sidebar)."""
    import re

    match = re.search(rf'<li class="([^"]*)">\s*<a href="/courses/{slug}/lessons/{lesson}"',
                      html)
    assert match, f"no list item links to {lesson}"
    return match.group(1)
