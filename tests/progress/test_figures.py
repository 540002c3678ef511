"""Progress that adds up (issue 9.2): lessons and quizzes are counted apart ("7/18 bài học ·
1/6 bài kiểm tra"), the one percentage shown agrees with what is left and with the figure the
progress layer stores, 100 % only once complete; the course page says what completion takes."""

from __future__ import annotations

import pytest

from courses import services as course_services
from learning import clock
from tests import factories
from tests.conftest import translated, translated_plural
from tests.courses import steps as course_steps
from tests.progress import pages
from tests.progress.test_next_step import (
    FINAL,
    FIRST_QUIZ,
    SECOND_QUIZ,
    SLUG,
    finish_lessons,
    make_course,
    take,
)
from tests.quizzes import steps


def figures(client, user, slug: str = SLUG) -> dict:
    """What the course page and the dashboard show, and what the database holds."""
    course = client.get(f"/courses/{slug}").data.decode()
    home = client.get("/").data.decode()
    enrolment = course_steps.enrolment_of(user, slug)
    return {"course counts": pages.counts(course), "course percent": pages.percent_shown(course),
            "home counts": pages.counts(home), "home percent": pages.percent_shown(home),
            "stored": enrolment.percent_complete, "complete": enrolment.completed_at is not None}


def expected(lessons_done: int, quizzes_passed: int, *, lessons=3, quizzes=3) -> dict:
    percent = (lessons_done + quizzes_passed) * 100 // (lessons + quizzes)
    text = f"{pages.lessons_count(lessons_done, lessons)} · " \
           f"{pages.quizzes_count(quizzes_passed, quizzes)}"
    return {"course counts": text, "course percent": percent, "home counts": text,
            "home percent": percent, "stored": percent, "complete": False}


def test_lessons_and_quizzes_are_counted_apart_and_the_percentage_agrees(client, login_as, db,
                                                                         tmp_path):
    make_course(tmp_path, final_attempts=2)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    assert figures(client, user) == expected(0, 0)
    course_steps.mark_done(client, SLUG, "a")
    assert figures(client, user) == expected(1, 0)
    assert pages.counts(client.get("/").data.decode()) == "1/3 bài học · 0/3 bài kiểm tra"
    finish_lessons(client, lessons=("b", "c"))
    assert figures(client, user) == expected(3, 0)  # 50 %, not "3/3 lessons" beside 50 %
    take(client, FIRST_QUIZ, right=0)  # failed: counts for nothing
    assert figures(client, user) == expected(3, 0)
    take(client, FIRST_QUIZ, right=2)
    take(client, SECOND_QUIZ, right=2)
    take(client, FINAL, right=0)
    assert figures(client, user) == expected(3, 2)  # 83 %: one quiz left
    take(client, FINAL, right=2)
    course = client.get(f"/courses/{SLUG}").data.decode()
    assert (pages.counts(course), pages.percent_shown(course)) == (
        f"{pages.lessons_count(3, 3)} · {pages.quizzes_count(3, 3)}", 100)
    enrolment = course_steps.enrolment_of(user, SLUG)
    assert enrolment.completed_at is not None and enrolment.percent_complete == 100


def test_never_100_percent_before_complete(client, login_as, db, tmp_path):
    """200 lessons with one left floor to 99 %, not round to 100 %."""
    factories.make_course(tmp_path, "dai", lessons=tuple(f"b{n}" for n in range(200)))
    user = login_as("learner")
    course_steps.enrol(client, "dai")
    *lessons, last = course_services.active_lessons(course_steps.course_by_slug("dai").id)
    for lesson in lessons:  # as the done button does
        course_services.complete_lesson(user, lesson, now=clock.now())
    db.session.commit()
    html = client.get("/courses/dai").data.decode()
    assert pages.percent_shown(html) == 99
    assert course_steps.enrolment_of(user, "dai").percent_complete == 99
    course_steps.mark_done(client, "dai", last.slug)
    assert pages.percent_shown(client.get("/courses/dai").data.decode()) == 100


def test_counts_read_in_english_with_plural_forms(client, login_as, db, tmp_path):
    steps.quiz_course(tmp_path, "mot-bai", lessons=("a",),
                      final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=50))
    login_as("learner", preferred_language="en")
    course_steps.enrol(client, "mot-bai")
    html = client.get("/courses/mot-bai").data.decode()
    assert pages.counts(html) == "0/1 lesson · 0/1 quiz"
    make_course(tmp_path)
    course_steps.enrol(client, SLUG)
    assert pages.counts(client.get(f"/courses/{SLUG}").data.decode()) == \
        "0/3 lessons · 0/3 quizzes"


@pytest.mark.parametrize("locale", ["vi", "en", "ko"])
def test_the_course_page_says_what_completion_requires(client, login_as, db, tmp_path, locale):
    make_course(tmp_path)
    login_as("learner", preferred_language=locale)
    html = client.get(f"/courses/{SLUG}").data.decode()  # before enrolling too
    assert pages.completion_rule(html) == pages.rule_sentence(3, 3, 50, locale)
    if locale == "vi":
        assert pages.completion_rule(html) == \
            "Để hoàn thành: học hết 3 bài và đạt 3 bài kiểm tra (điểm đạt 50%)."
    if locale == "en":
        assert pages.completion_rule(html) == \
            "To complete the course: complete all 3 lessons and pass its 3 quizzes " \
            "(pass mark 50%)."


def test_the_rule_with_several_pass_marks_and_optional_quizzes(client, login_as, db,
                                                               tmp_path):
    steps.quiz_course(
        tmp_path, "nhieu-muc", lessons=("a", "b"),
        module_quiz=steps.true_false_quiz(FIRST_QUIZ, 2, pass_mark=60),
        final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=80),
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C"),
               "02-them/quiz.toml": steps.true_false_quiz(SECOND_QUIZ, 2, required=False)})
    login_as("learner")
    html = client.get("/courses/nhieu-muc").data.decode()
    optional = translated_plural("vi", "%(num)s other quiz is optional.",
                                 "%(num)s other quizzes are optional.", 1)
    assert pages.completion_rule(html) == pages.rule_sentence(3, 2, None) + " " + optional


def test_the_rule_under_all_lessons(client, login_as, db, tmp_path):
    make_course(tmp_path, rule="all_lessons")
    login_as("learner")
    html = client.get(f"/courses/{SLUG}").data.decode()
    optional = translated_plural("vi", "Its %(num)s quiz is optional.",
                                 "Its %(num)s quizzes are optional.", 3)
    assert pages.completion_rule(html) == pages.rule_sentence(3, 0, None) + " " + optional
    factories.make_course(tmp_path, "khong-kiem-tra", lessons=("a", "b"))
    html = client.get("/courses/khong-kiem-tra").data.decode()
    assert pages.completion_rule(html) == pages.rule_sentence(2, 0, None) == \
        translated("vi", "To complete the course: %(lessons)s.", lessons=translated_plural(
            "vi", "complete its %(num)s lesson", "complete all %(num)s lessons", 2))
