"""Resume: /learn and /courses/<slug>/continue send a returning official to the lesson they
should take next."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import location_path, page_text, translated
from tests.courses import steps

SLUG = "ky-nang-so-thu"


@pytest.fixture
def course(db, tmp_path):
    return factories.make_course(tmp_path, SLUG, lessons=("a", "b", "c", "d"))


def learn(client) -> str:
    response = client.get("/learn")
    assert response.status_code == 302
    return location_path(response)


def continue_(client, slug: str = SLUG) -> str:
    response = client.get(f"/courses/{slug}/continue")
    assert response.status_code == 302
    return location_path(response)


def lesson(name: str, slug: str = SLUG) -> str:
    return f"/courses/{slug}/lessons/{name}"


def test_with_nothing_enrolled_learn_opens_the_catalog(client, login_as, course):
    login_as("learner")
    assert learn(client) == "/courses"
    assert translated("vi", "Choose a course to start learning.") in page_text(
        client.get("/courses"))


def test_a_new_enrolment_starts_at_the_first_lesson(client, login_as, course):
    login_as("learner")
    steps.enrol(client, SLUG)
    assert learn(client) == lesson("a") == continue_(client)


def test_the_lesson_last_opened_and_not_finished_comes_first(client, login_as, course):
    login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.open_lesson(client, SLUG, "c")
    assert learn(client) == lesson("c") == continue_(client)


def test_next_is_the_first_unfinished_after_the_last_opened(client, login_as, course):
    login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.mark_done(client, SLUG, "c")   # b skipped
    assert learn(client) == lesson("d") == continue_(client)


def test_with_nothing_left_after_the_last_opened_the_first_unfinished(client, login_as, course):
    login_as("learner")
    steps.enrol(client, SLUG)
    for name in ("a", "c", "d"):
        steps.mark_done(client, SLUG, name)
    assert learn(client) == lesson("b") == continue_(client)


def test_all_done_goes_to_the_course_page(client, login_as, course):
    login_as("learner")
    steps.enrol(client, SLUG)
    for name in ("a", "b", "c", "d"):
        steps.mark_done(client, SLUG, name)
    assert learn(client) == f"/courses/{SLUG}" == continue_(client)


def test_a_last_lesson_removed_by_a_new_version_falls_back_to_the_first_unfinished(
        client, login_as, course, tmp_path):
    login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.open_lesson(client, SLUG, "d")
    factories.import_course(factories.write_package(
        tmp_path / "v2", factories.course_package(SLUG, lessons=("a", "b", "c"), version="2")))
    assert learn(client) == lesson("b") == continue_(client)


def test_learn_prefers_an_unfinished_course_to_a_finished_one(client, login_as, course,
                                                              tmp_path):
    login_as("learner")
    other = factories.make_course(tmp_path, "ngan", lessons=("x",))
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.enrol(client, other.slug)
    steps.mark_done(client, other.slug, "x")   # finished, and the latest activity
    assert learn(client) == lesson("b")


def test_learn_takes_the_course_worked_on_last(client, login_as, course, tmp_path):
    login_as("learner")
    other = factories.make_course(tmp_path, "khac", lessons=("x", "y"))
    steps.enrol(client, other.slug)
    steps.enrol(client, SLUG)
    steps.open_lesson(client, other.slug, "y")
    assert learn(client) == lesson("y", other.slug)
    steps.open_lesson(client, SLUG, "c")
    assert learn(client) == lesson("c")
