"""Enrolment: a POST enrols (once, however often it is sent); reading never enrols; lessons of
a course the official has not enrolled in stay closed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courses.models import Enrolment, LessonProgress
from tests import factories
from tests.conftest import location_path, page_text, translated
from tests.courses import steps


@pytest.fixture
def course(db, tmp_path):
    return factories.make_course(tmp_path)


def enrolments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def lesson_records(db) -> int:
    return db.session.scalar(select(func.count()).select_from(LessonProgress))


def test_enrolling_twice_makes_one_enrolment(client, login_as, db, course):
    learner = login_as("learner")
    first = steps.enrol(client, course.slug)
    assert location_path(first) == f"/courses/{course.slug}/continue"
    enrolled_at = steps.enrolment_of(learner, course.slug).enrolled_at
    steps.enrol(client, course.slug)
    assert enrolments(db) == 1
    enrolment = steps.enrolment_of(learner, course.slug)
    assert enrolment.enrolled_at == enrolled_at
    assert (enrolment.source, enrolment.lessons_done, enrolment.percent_complete) == ("self", 0, 0)
    assert enrolment.started_at is None  # enrolled, not started


def test_after_enrolling_the_official_lands_on_the_first_lesson(client, login_as, course):
    login_as("learner")
    response = client.get(location_path(steps.enrol(client, course.slug)))
    assert location_path(response) == f"/courses/{course.slug}/lessons/a"


def test_reading_never_enrols(client, login_as, db, course):
    login_as("learner")
    for url in ("/courses", f"/courses/{course.slug}", f"/courses/{course.slug}/continue",
                f"/courses/{course.slug}/lessons/a", "/learn", "/"):
        assert client.get(url).status_code in (200, 302)
    assert client.get(f"/courses/{course.slug}/enrol").status_code == 405
    assert enrolments(db) == 0 and lesson_records(db) == 0


def test_lessons_of_a_course_not_enrolled_in_send_to_the_course_page(client, login_as, db,
                                                                     course):
    login_as("learner")
    response = steps.open_lesson(client, course.slug, "b")
    assert response.status_code == 302
    assert location_path(response) == f"/courses/{course.slug}"
    page = client.get(location_path(response))
    assert translated("vi", "Enrol in the course to open its lessons.") in page_text(page)
    continued = client.get(f"/courses/{course.slug}/continue")
    assert location_path(continued) == f"/courses/{course.slug}"
    assert lesson_records(db) == 0


def test_marking_a_lesson_of_a_course_not_enrolled_in_is_refused(client, login_as, db, course):
    login_as("learner")
    assert steps.mark_done(client, course.slug, "a").status_code == 403
    time = client.post(f"/courses/{course.slug}/lessons/a/time", data={"seconds": "60"})
    assert time.status_code == 403
    assert enrolments(db) == 0 and lesson_records(db) == 0


def test_enrolling_needs_the_form_token(client, login_as, db, course):
    login_as("learner")
    assert client.post(f"/courses/{course.slug}/enrol", data={}, csrf=False).status_code == 400
    assert enrolments(db) == 0


def test_enrolling_in_an_unknown_course_is_not_found(client, login_as, db, course):
    login_as("learner")
    assert client.post("/courses/khong-co/enrol", data={}).status_code == 404
    assert enrolments(db) == 0


def test_each_official_has_their_own_enrolment(app, client, login_as, db, course):
    first = login_as("learner")
    steps.enrol(client, course.slug)
    second = steps.official()
    steps.enrol(steps.new_client(app, second), course.slug)
    assert enrolments(db) == 2
    assert steps.enrolment_of(first, course.slug).id != steps.enrolment_of(second, course.slug).id
