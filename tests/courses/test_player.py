"""The lesson player: previous and next, the module sidebar, "mark as done", course completion,
visits and reading time."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from courses.models import LessonProgress
from tests import factories
from tests.conftest import location_path, page_text, translated
from tests.courses import steps

SLUG = "ky-nang-so-thu"


@pytest.fixture
def course(db, tmp_path):
    """Two modules: co-ban (a, b) and nang-cao (c)."""
    package = factories.course_package(SLUG, title="Kỹ năng số cho cán bộ")
    package["modules"] = [
        {"slug": "co-ban", "title": "Cơ bản", "lessons": [
            {"slug": "a", "title": "Bài A"}, {"slug": "b", "title": "Bài B"}]},
        {"slug": "nang-cao", "title": "Nâng cao", "lessons": [{"slug": "c", "title": "Bài C"}]},
    ]
    return factories.import_course(factories.write_package(tmp_path / "p", package)).course


@pytest.fixture
def learner(client, login_as, course):
    user = login_as("learner")
    steps.enrol(client, SLUG)
    return user


def nav_links(html: str) -> dict[str, str]:
    """The previous/next links of a lesson page: rel -> lesson slug."""
    return {rel: href.rsplit("/", 1)[-1]
            for rel, href in re.findall(r'<a rel="(prev|next)" href="([^"]+)"', html)}


@pytest.mark.parametrize("lesson, expected", [
    ("a", {"next": "b"}),
    ("b", {"prev": "a", "next": "c"}),       # across modules
    ("c", {"prev": "b"}),
])
def test_previous_and_next_links(client, learner, lesson, expected):
    response = steps.open_lesson(client, SLUG, lesson)
    assert response.status_code == 200
    assert nav_links(response.data.decode()) == expected


def test_the_sidebar_lists_the_modules_and_marks_done_lessons(client, learner):
    steps.mark_done(client, SLUG, "a")
    html = steps.open_lesson(client, SLUG, "b").data.decode()
    sidebar = re.search(r'<nav class="player-sidebar".*?</nav>', html, re.S).group(0)
    assert "Cơ bản" in sidebar and "Nâng cao" in sidebar
    assert "is-done" in steps.lesson_item_class(sidebar, SLUG, "a")
    assert "is-done" not in steps.lesson_item_class(sidebar, SLUG, "b")
    assert "is-done" not in steps.lesson_item_class(sidebar, SLUG, "c")
    assert re.search(rf'<a href="/courses/{SLUG}/lessons/b"\s+aria-current="page"', sidebar)
    assert 'value="33"' in sidebar


def test_mark_as_done_goes_on_to_the_next_lesson(client, learner):
    response = steps.mark_done(client, SLUG, "a")
    assert response.status_code == 302
    assert location_path(response) == f"/courses/{SLUG}/lessons/b"
    page = steps.open_lesson(client, SLUG, "a")
    assert translated("vi", "You completed this lesson.") in page_text(page)
    assert f'action="/courses/{SLUG}/lessons/a/done"' not in page.data.decode()


def test_the_last_lesson_completes_the_course_with_a_message(client, learner):
    steps.mark_done(client, SLUG, "a")
    steps.mark_done(client, SLUG, "b")
    response = steps.mark_done(client, SLUG, "c")
    assert location_path(response) == f"/courses/{SLUG}"
    page = client.get(f"/courses/{SLUG}")
    assert translated("vi", "Congratulations! You have completed “%(title)s”.",
                      title="Kỹ năng số cho cán bộ") in page_text(page)
    enrolment = steps.enrolment_of(learner, SLUG)
    assert enrolment.completed_at is not None
    assert (enrolment.lessons_done, enrolment.percent_complete) == (3, 100)
    assert translated("vi", "Completed on %(date)s", date=steps.long_date(enrolment.completed_at)) \
        in page_text(page)


def test_the_last_lesson_with_others_unfinished_sends_to_the_first_unfinished(client, learner):
    steps.mark_done(client, SLUG, "a")
    response = steps.mark_done(client, SLUG, "c")
    assert location_path(response) == f"/courses/{SLUG}/lessons/b"
    assert translated("vi", "Some lessons are still unfinished.") in page_text(
        client.get(location_path(response)))
    assert steps.enrolment_of(learner, SLUG).completed_at is None


def test_a_double_post_counts_once(client, learner, db):
    steps.mark_done(client, SLUG, "a")
    first = steps.progress_by_lesson(learner, SLUG)["a"].completed_at
    again = steps.mark_done(client, SLUG, "a")
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    assert steps.progress_by_lesson(learner, SLUG)["a"].completed_at == first
    enrolment = steps.enrolment_of(learner, SLUG)
    assert (enrolment.lessons_done, enrolment.percent_complete) == (1, 33)


def test_a_double_post_on_the_last_lesson_keeps_the_completion_date(client, learner):
    for lesson in ("a", "b", "c"):
        steps.mark_done(client, SLUG, lesson)
    completed_at = steps.enrolment_of(learner, SLUG).completed_at
    response = steps.mark_done(client, SLUG, "c")
    assert location_path(response) == f"/courses/{SLUG}"
    enrolment = steps.enrolment_of(learner, SLUG)
    assert enrolment.completed_at == completed_at
    assert (enrolment.lessons_done, enrolment.percent_complete) == (3, 100)


def test_each_visit_is_counted(client, learner):
    steps.open_lesson(client, SLUG, "a")
    first = steps.progress_by_lesson(learner, SLUG)["a"]
    opened_at = first.first_opened_at
    steps.open_lesson(client, SLUG, "a")
    steps.open_lesson(client, SLUG, "a")
    record = steps.progress_by_lesson(learner, SLUG)["a"]
    assert record.visits == 3
    assert record.first_opened_at == opened_at
    assert record.last_opened_at >= opened_at
    assert record.completed_at is None  # opening is not finishing
    enrolment = steps.enrolment_of(learner, SLUG)
    assert enrolment.started_at is not None
    assert enrolment.lessons_done == 0


def report_time(client, lesson: str, seconds, **kwargs):
    return client.post(f"/courses/{SLUG}/lessons/{lesson}/time", data={"seconds": seconds},
                       **kwargs)


def times(user, lesson: str = "a") -> tuple[int, int]:
    return (steps.progress_by_lesson(user, SLUG)[lesson].time_spent_seconds,
            steps.enrolment_of(user, SLUG).time_spent_seconds)


def test_reading_time_is_added(client, learner):
    steps.open_lesson(client, SLUG, "a")
    assert report_time(client, "a", "90").status_code == 204
    assert report_time(client, "a", "30").status_code == 204
    assert times(learner) == (120, 120)


def test_one_report_adds_at_most_half_an_hour(client, learner):
    steps.open_lesson(client, SLUG, "a")
    assert report_time(client, "a", "5000").status_code == 204
    assert times(learner) == (1800, 1800)


@pytest.mark.parametrize("seconds", ["-5", "abc", "1.5", "999999"])
def test_bad_reading_times_are_refused(client, learner, seconds):
    steps.open_lesson(client, SLUG, "a")
    assert report_time(client, "a", seconds).status_code == 400
    assert times(learner) == (0, 0)


def test_a_time_report_needs_the_form_token(client, learner):
    steps.open_lesson(client, SLUG, "a")
    assert report_time(client, "a", "60", csrf=False).status_code == 400
    assert times(learner) == (0, 0)


def test_the_lesson_page_gives_the_browser_the_time_url(client, learner):
    html = steps.open_lesson(client, SLUG, "a").data.decode()
    assert f'data-time-url="/courses/{SLUG}/lessons/a/time"' in html
    assert re.search(r'data-csrf="[^"]+"', html)


def test_time_on_the_course_page(client, learner):
    steps.open_lesson(client, SLUG, "a")
    report_time(client, "a", "1500")
    report_time(client, "a", "1500")
    text = page_text(client.get(f"/courses/{SLUG}"))
    assert translated("vi", "time spent: %(time)s", time=steps.duration(3000)) in text
