"""A new version of a course keeps every official's progress on the lessons that still exist."""

from __future__ import annotations

from sqlalchemy import select

from courses.models import Lesson
from tests import factories
from tests.conftest import page_text, translated
from tests.courses import steps
from tests.progress import pages

SLUG = "ky-nang-so-thu"


def version(tmp_path, number: str, lessons) -> None:
    """Import version `number` of the course, holding `lessons`, from a fresh folder."""
    root = factories.write_package(tmp_path / f"v{number}",
                                   factories.course_package(SLUG, lessons=lessons, version=number))
    factories.import_course(root)


def test_new_version_keeps_progress_by_slug_and_recomputes_the_figures(
        app, client, login_as, db, tmp_path):
    version(tmp_path, "1", ("a", "b", "c"))
    learner = login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.mark_done(client, SLUG, "b")
    other = steps.official()
    browser = steps.new_client(app, other)
    steps.enrol(browser, SLUG)
    steps.mark_done(browser, SLUG, "c")

    first = steps.enrolment_of(learner, SLUG)
    assert (first.lessons_done, first.percent_complete) == (2, 66)
    done_a_at = steps.progress_by_lesson(learner, SLUG)["a"].completed_at

    # Version 2: B removed, D added, A's text edited.
    version(tmp_path, "2", ({"slug": "a", "title": "Bài A", "body": "Nội dung đã sửa.\n"},
                            "c", "d"))

    enrolment = steps.enrolment_of(learner, SLUG)
    assert (enrolment.lessons_done, enrolment.percent_complete) == (1, 33)
    assert enrolment.completed_at is None
    records = steps.progress_by_lesson(learner, SLUG)
    assert records["a"].completed_at == done_a_at      # A still done, from the same moment
    assert records["b"].completed_at is not None       # B's record is kept ...
    assert "d" not in records                          # ... and D is not done
    assert steps.done_slugs(learner, SLUG) == {"a", "b"}
    removed = db.session.scalar(select(Lesson).where(Lesson.slug == "b"))
    assert removed.is_removed                          # ... but B no longer counts
    assert (steps.enrolment_of(other, SLUG).lessons_done,
            steps.enrolment_of(other, SLUG).percent_complete) == (1, 33)

    page = client.get(f"/courses/{SLUG}")
    text = page_text(page)
    assert pages.counts(page.data.decode()) == pages.lessons_count(1, 3)
    assert pages.percent_shown(page.data.decode()) == 33
    assert "Bài B" not in text and "Bài D" in text
    assert steps.open_lesson(client, SLUG, "b").status_code == 404
    assert "Nội dung đã sửa." in steps.open_lesson(client, SLUG, "a").data.decode()


def test_new_version_that_leaves_only_done_lessons_completes_the_course(
        app, client, login_as, db, tmp_path):
    version(tmp_path, "1", ("a", "b", "c"))
    learner = login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    steps.mark_done(client, SLUG, "b")
    other = steps.official()
    browser = steps.new_client(app, other)
    steps.enrol(browser, SLUG)
    steps.mark_done(browser, SLUG, "c")

    version(tmp_path, "2", ("a", "b"))

    enrolment = steps.enrolment_of(learner, SLUG)
    assert enrolment.completed_at is not None
    assert (enrolment.lessons_done, enrolment.percent_complete) == (2, 100)
    unfinished = steps.enrolment_of(other, SLUG)
    assert unfinished.completed_at is None
    assert (unfinished.lessons_done, unfinished.percent_complete) == (0, 0)
    assert steps.progress_by_lesson(other, SLUG)["c"].completed_at is not None  # kept

    assert translated("vi", "Completed on %(date)s",
                      date=steps.long_date(enrolment.completed_at)) \
        in page_text(client.get(f"/courses/{SLUG}"))


def test_identical_reimport_does_not_touch_anyone_s_figures(client, login_as, db, tmp_path):
    version(tmp_path, "1", ("a", "b", "c"))
    learner = login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    before = steps.enrolment_of(learner, SLUG)
    figures = (before.lessons_done, before.percent_complete, before.last_activity_at)
    factories.import_course(tmp_path / "v1")
    after = steps.enrolment_of(learner, SLUG)
    assert (after.lessons_done, after.percent_complete, after.last_activity_at) == figures
