"""Course completion with quizzes: under "all_lessons_and_quizzes" a course is complete when
every lesson is done and every required quiz is passed (its counted attempt at or above the
pass mark), in any order; the course page shows each quiz's standing."""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import translated, visible_text
from tests.courses import steps as course_steps
from tests.quizzes import steps

SLUG = "khoa-hoan-thanh"
MODULE_QUIZ, OPTIONAL_QUIZ, FINAL = "kiem-tra-mot", "tuy-chon", "cuoi-khoa"


def make_course(tmp_path, rule: str = "all_lessons_and_quizzes", grading: str = "highest"):
    """Module 1 (lessons a, b) with a required quiz, module 2 (lesson c) with an optional one,
    and a required final test. Two true/false questions each; pass mark 50 %."""
    return steps.quiz_course(
        tmp_path, SLUG, rule=rule,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2, pass_mark=50, max_attempts=3,
                                          grading=grading),
        final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=50),
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C"),
               "02-them/quiz.toml": steps.true_false_quiz(OPTIONAL_QUIZ, 2, required=False)})


def take(client, quiz: str, right: int) -> int:
    """Start and submit an attempt with `right` of its 2 questions answered right."""
    attempt_id = steps.start(client, SLUG, quiz)
    layout = steps.get_attempt(attempt_id).layout
    steps.submit(client, attempt_id, steps.answer_fields(layout, right=right))
    return attempt_id


def standing(user) -> tuple[int, bool]:
    enrolment = course_steps.enrolment_of(user, SLUG)
    return enrolment.percent_complete, enrolment.completed_at is not None


def finish_lessons(client, lessons=("a", "b", "c")):
    for lesson in lessons:
        assert course_steps.mark_done(client, SLUG, lesson).status_code == 302


def test_complete_only_when_every_lesson_is_done_and_every_required_quiz_passed(
        client, login_as, db, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    finish_lessons(client)
    assert standing(user) == (60, False)  # 3 lessons + 2 required quizzes = 5 parts
    take(client, MODULE_QUIZ, right=2)
    assert standing(user) == (80, False)
    take(client, FINAL, right=0)  # failed: does not count
    assert standing(user) == (80, False)
    take(client, FINAL, right=1)  # 50 %: at the pass mark
    assert standing(user) == (100, True)
    # the optional quiz was never taken
    assert steps.attempts(user, steps.get_quiz(SLUG, OPTIONAL_QUIZ)) == []


def test_passing_the_quizzes_first_then_the_last_lesson_completes(client, login_as, db,
                                                                  tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    take(client, MODULE_QUIZ, right=2)
    take(client, FINAL, right=2)
    assert standing(user) == (40, False)
    finish_lessons(client, ("a", "c"))
    assert standing(user) == (80, False)
    finish_lessons(client, ("b",))
    assert standing(user) == (100, True)


def test_a_failed_required_quiz_keeps_the_course_incomplete(client, login_as, db, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    take(client, MODULE_QUIZ, right=0)
    take(client, FINAL, right=2)
    take(client, OPTIONAL_QUIZ, right=2)  # passing an optional quiz is no part
    finish_lessons(client)
    assert standing(user) == (80, False)
    take(client, MODULE_QUIZ, right=1)
    assert standing(user) == (100, True)


def test_under_grading_last_a_later_failed_attempt_undoes_the_pass(client, login_as, db,
                                                                   tmp_path):
    make_course(tmp_path, grading="last")
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    take(client, MODULE_QUIZ, right=2)
    take(client, MODULE_QUIZ, right=0)  # the last attempt counts: failed
    take(client, FINAL, right=2)
    finish_lessons(client)
    assert standing(user) == (80, False)


def test_under_all_lessons_the_quizzes_are_not_needed(client, login_as, db, tmp_path):
    make_course(tmp_path, rule="all_lessons")
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    take(client, MODULE_QUIZ, right=0)
    finish_lessons(client, ("a", "b"))
    assert standing(user) == (66, False)  # lessons only: 2 of 3
    finish_lessons(client, ("c",))
    assert standing(user) == (100, True)


def ngettext(locale: str, singular: str, plural: str, num: int) -> str:
    from flask_babel import force_locale
    from flask_babel import ngettext as babel_ngettext

    with force_locale(locale):
        return babel_ngettext(singular, plural, num)


def quiz_line(html: str, title: str) -> str:
    """The visible text of the quiz line that links to `title` on a course page."""
    import html as html_module

    for block in re.findall(r'<p class="quiz-line"[^>]*>.*?</p>', html, re.S):
        if title in block:
            return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", block).split()))
    raise AssertionError(f"no quiz line for {title}")


def test_the_course_page_shows_each_quizs_best_score_and_attempts_left(client, login_as, db,
                                                                       tmp_path):
    make_course(tmp_path)
    login_as("learner")
    course_steps.enrol(client, SLUG)
    take(client, MODULE_QUIZ, right=2)
    take(client, MODULE_QUIZ, right=1)
    take(client, FINAL, right=0)
    html = client.get(f"/courses/{SLUG}").data.decode()
    module_line = quiz_line(html, "Kiểm tra kiem-tra-mot")
    assert translated("vi", "best score %(score)s", score=steps.percent(100)) in module_line
    assert ngettext("vi", "%(num)s attempt left", "%(num)s attempts left", 1) in module_line
    assert translated("vi", "Passed") in module_line
    final_line = quiz_line(html, "Kiểm tra cuoi-khoa")
    assert translated("vi", "best score %(score)s", score=steps.percent(0)) in final_line
    assert translated("vi", "Passed") not in final_line
    left = re.escape(ngettext("vi", "%(num)s attempt left", "%(num)s attempts left", 7))
    assert not re.search(left.replace("7", r"\d+"), final_line)  # unlimited attempts
    optional_line = quiz_line(html, "Kiểm tra tuy-chon")
    assert translated("vi", "best score %(score)s", score=steps.percent(0)) not in optional_line
    # the final test is listed under its own heading
    assert translated("vi", "Final test") in visible_text(client.get(f"/courses/{SLUG}"))
