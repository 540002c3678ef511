"""The learner's path in a real browser: the next-step card takes the official where it says,
the done button after a module's last lesson opens its quiz, and the pages that name the next
step (dashboard, course page with its locked quizzes) pass axe at desktop and phone widths."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from courses import services as course_services
from learning import clock
from tests.browser.conftest import PHONE, visit
from tests.browser.audit import Audit
from tests.mentoring import steps as mentoring_steps
from tests.progress.test_next_step import FINAL, FIRST_QUIZ, SECOND_QUIZ, SLUG, make_course

pytestmark = pytest.mark.browser


@pytest.fixture
def path_course(ministry, db, tmp_path):
    """The ministry's administrator enrolled in a course whose final test is locked until every
    lesson is done and both module quizzes are passed."""
    course = make_course(tmp_path)
    course_services.enrol(ministry, ministry, course, now=clock.now())
    db.session.commit()
    return course


def path_of(page) -> str:
    return urlsplit(page.url).path


def test_the_next_step_card_and_the_done_button_lead_the_way(web, ministry, path_course):
    page = web.signed_in_page(ministry)
    card = page.locator(".next-step-card").first
    assert "Kỹ năng số cho cán bộ" in card.inner_text()
    with page.expect_navigation():
        card.locator("a.button").click()
    assert path_of(page) == f"/courses/{SLUG}/lessons/a"
    for lesson in ("a", "b"):
        assert path_of(page) == f"/courses/{SLUG}/lessons/{lesson}"
        with page.expect_navigation():
            page.locator("form[action$='/done'] button[type=submit]").click()
    # the module's last lesson done: its quiz, not the next module's first lesson
    assert path_of(page) == f"/courses/{SLUG}/quizzes/{FIRST_QUIZ}"
    visit(page, f"/courses/{SLUG}")
    lock = page.locator(".quiz-missing").last
    assert lock.is_visible()
    assert "Bài C" not in lock.inner_text()  # counted, not listed: "1 more lesson"
    assert f"/courses/{SLUG}/quizzes/{FINAL}" in page.locator(".quiz-line a").last \
        .get_attribute("href")


def test_the_pages_naming_the_next_step_pass_axe(web, ministry, path_course, db):
    course_services.complete_lesson(ministry, course_services.get_lesson(path_course, "a"),
                                    now=clock.now())  # locks with lessons and quizzes missing
    db.session.commit()
    audit = Audit()
    for viewport, label in ((None, ""), (PHONE, " at 360 px")):
        page = web.signed_in_page(ministry, viewport)
        for path in ("/", f"/courses/{SLUG}", f"/courses/{SLUG}/lessons/a"):
            visit(page, path)
            if "/lessons/" not in path:
                assert page.locator(".next-step-card").count() == 1
            audit.check(page, f"{path}{label}")
    audit.assert_clean()


def test_listed_and_short_links_are_44_px_targets(web, ministry, path_course, db):
    """The links a locked test lists (what it waits for), a one-word result link in the
    attempts table ("Đạt") are targets of 44 × 44 px, like every link that stands on its
    own."""
    audit = Audit()
    page = web.signed_in_page(ministry)
    visit(page, f"/courses/{SLUG}/quizzes/{FINAL}")
    assert page.locator(".quiz-locked li a").count() >= 3  # lessons and quizzes, as links
    audit.check(page, "the locked final test")
    now = clock.now()
    for lesson in ("a", "b", "c"):
        course_services.complete_lesson(ministry, course_services.get_lesson(path_course, lesson),
                                        now=now)
    db.session.commit()
    for quiz in (FIRST_QUIZ, SECOND_QUIZ, FINAL):
        mentoring_steps.take_quiz(ministry, quiz, now=now, course_slug=SLUG)
    visit(page, f"/courses/{SLUG}/quizzes/{FIRST_QUIZ}")
    assert page.locator("main td a").inner_text() == "Đạt"
    audit.check(page, "a passed quiz with its attempt")
    audit.assert_clean()
