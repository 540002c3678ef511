"""The next step is always named (issue 9.1): the dashboard, /learn and the course page name the
same next thing to do, first that applies: an attempt in progress (with its time left), the
next lesson, a module quiz, the final test, a quiz failed with no attempt left (said so, with
what to do), "download your certificate", then the next course. Marking a module's last
lesson done leads to that module's quiz."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from courses.models import Course, Enrolment
from learning import clock
from learning.db import db
from quizzes.models import QuizAttempt
from tests import factories
from tests.conftest import location_path, translated, translated_plural, visible_text
from tests.courses import steps as course_steps
from tests.progress import pages
from tests.quizzes import steps

SLUG = "khoa-lo-trinh"
FIRST_QUIZ, SECOND_QUIZ, FINAL = "kiem-tra-mot", "kiem-tra-hai", "cuoi-khoa"


def make_course(tmp_path, slug: str = SLUG, *, final_attempts: int = 1, first_attempts: int = 2,
                rule: str = "all_lessons_and_quizzes", **first_settings):
    """Module "co-ban" (lessons a, b) and module "them" (lesson c), each with a quiz, and a
    final test that requires every lesson and both module quizzes. Two true/false questions
    each, pass mark 50 %."""
    return steps.quiz_course(
        tmp_path, slug, rule=rule,
        module_quiz=steps.true_false_quiz(FIRST_QUIZ, 2, pass_mark=50,
                                          max_attempts=first_attempts, **first_settings),
        final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=50, max_attempts=final_attempts,
                                         requires=["lessons", "quiz:co-ban", "quiz:them"]),
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C"),
               "02-them/quiz.toml": steps.true_false_quiz(SECOND_QUIZ, 2, pass_mark=50,
                                                          requires=["lessons"])})


def take(client, quiz: str, right: int, slug: str = SLUG) -> int:
    attempt_id = steps.start(client, slug, quiz)
    layout = steps.get_attempt(attempt_id).layout
    steps.submit(client, attempt_id, steps.answer_fields(layout, right=right))
    return attempt_id


def finish_lessons(client, slug: str = SLUG, lessons=("a", "b", "c")):
    for lesson in lessons:
        assert course_steps.mark_done(client, slug, lesson).status_code == 302


def learn(client) -> str:
    response = client.get("/learn")
    assert response.status_code == 302
    return location_path(response)


def everywhere(client, slug: str = SLUG) -> dict[str, tuple[str, str]]:
    """The next-step button on the dashboard and on the course page, and where /learn goes."""
    home = client.get("/").data.decode()
    course = client.get(f"/courses/{slug}").data.decode()
    return {"dashboard": pages.card_button(home), "course": pages.card_button(course),
            "learn": learn(client)}


def assert_everywhere(client, words: str, target: str, slug: str = SLUG) -> None:
    found = everywhere(client, slug)
    assert found == {"dashboard": (words, target), "course": (words, target),
                     "learn": target}, found


def quiz_page(quiz: str, slug: str = SLUG) -> str:
    return steps.quiz_url(slug, quiz)


@pytest.fixture
def learner(client, login_as, db, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    return user


# --- the order of the steps ------------------------------------------------------------------

def test_a_new_enrolment_starts_with_the_first_lesson_everywhere(client, learner):
    assert_everywhere(client, translated("vi", "Start the first lesson"),
                      f"/courses/{SLUG}/lessons/a")


def test_then_the_next_lesson_in_course_order(client, learner):
    course_steps.mark_done(client, SLUG, "a")
    assert_everywhere(client, translated("vi", "Continue learning"),
                      f"/courses/{SLUG}/lessons/b")
    home = client.get("/").data.decode()
    assert "Bài B" in pages.text_of(pages.card(home))
    assert "Kỹ năng số cho cán bộ" in pages.text_of(pages.card(home))  # the course is named


def test_after_the_last_lesson_the_module_quizzes_then_the_final_test(client, learner):
    finish_lessons(client)
    # every lesson done: today's "75 % and no next step" becomes the first module quiz
    assert_everywhere(client, translated("vi", "Take the quiz"), quiz_page(FIRST_QUIZ))
    take(client, FIRST_QUIZ, right=2)
    assert_everywhere(client, translated("vi", "Take the quiz"), quiz_page(SECOND_QUIZ))
    take(client, SECOND_QUIZ, right=2)
    assert_everywhere(client, translated("vi", "Take the quiz"), quiz_page(FINAL))
    home = client.get("/").data.decode()
    assert translated("vi", "Final test") in pages.text_of(pages.card(home))


def test_a_failed_module_quiz_with_attempts_left_is_tried_again(client, learner):
    finish_lessons(client)
    take(client, FIRST_QUIZ, right=0)
    assert_everywhere(client, translated("vi", "Try again"), quiz_page(FIRST_QUIZ))
    card = pages.text_of(pages.card(client.get("/").data.decode()))
    assert translated_plural("vi", "%(num)s attempt left.", "%(num)s attempts left.", 1) in card


def test_a_locked_final_test_is_never_the_next_step(client, learner):
    finish_lessons(client)
    take(client, FIRST_QUIZ, right=2)
    # the second module quiz is not passed: the final test (locked) is not offered
    found = everywhere(client)
    assert found["learn"] == quiz_page(SECOND_QUIZ)
    assert all(target != quiz_page(FINAL) for _, target in (found["dashboard"], found["course"]))


def test_an_attempt_in_progress_comes_first_with_its_time_left(client, login_as, db, tmp_path):
    make_course(tmp_path, time_limit_minutes=20)
    login_as("learner")
    course_steps.enrol(client, SLUG)
    attempt_id = steps.start(client, SLUG, FIRST_QUIZ)  # before any lesson
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(
        deadline_at=clock.now() + timedelta(minutes=12, seconds=30)))
    db.session.commit()
    assert_everywhere(client, translated("vi", "Resume your attempt"), f"/attempts/{attempt_id}")
    for page in ("/", f"/courses/{SLUG}"):
        card = pages.text_of(pages.card(client.get(page).data.decode()))
        assert translated("vi", "Time left: %(time)s.", time=course_steps.duration(12 * 60)) \
            in card, card

    # its time is up (not graded yet: a page that only reads never grades): see the result
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(
        deadline_at=clock.now() - timedelta(minutes=1)))
    db.session.commit()
    assert_everywhere(client, translated("vi", "See your result"), f"/attempts/{attempt_id}")
    assert steps.get_attempt(attempt_id).state == "in_progress"


def test_a_failed_quiz_with_no_attempt_left_says_so_and_what_to_do(client, learner):
    finish_lessons(client)
    take(client, FIRST_QUIZ, right=2)
    take(client, SECOND_QUIZ, right=2)
    take(client, FINAL, right=0)  # its only attempt
    home, course = client.get("/").data.decode(), client.get(f"/courses/{SLUG}").data.decode()
    for html in (home, course):
        assert pages.card_kind(html) == "blocked"
        text = pages.text_of(pages.card(html))
        assert translated("vi", "You have no attempt left at this quiz (%(num)s used) and have "
                                "not passed it, so the course cannot be completed for now.",
                          num=1) in text
        assert translated("vi", "Review its lessons, and ask your HR department or an "
                                "administrator about another attempt.") in text
        assert pages.card_button(html) == (translated("vi", "See your results"),
                                           quiz_page(FINAL))
    assert learn(client) == quiz_page(FINAL)
    quiz = visible_text(client.get(quiz_page(FINAL)))
    assert translated("vi", "Passing this quiz is needed to complete the course.") in quiz
    assert translated("vi", "Review its lessons, and ask your HR department or an "
                            "administrator about another attempt.") in quiz


def test_learn_prefers_a_course_with_something_to_do_to_a_blocked_one(client, learner,
                                                                      tmp_path):
    finish_lessons(client)
    take(client, FIRST_QUIZ, right=2)
    take(client, SECOND_QUIZ, right=2)
    take(client, FINAL, right=0)
    factories.make_course(tmp_path, "khoa-khac", lessons=("x", "y"))
    course_steps.enrol(client, "khoa-khac")  # enrolled last, never opened
    assert learn(client) == "/courses/khoa-khac/lessons/x"
    assert pages.card_button(client.get("/").data.decode())[1] == "/courses/khoa-khac/lessons/x"


def test_a_completed_course_offers_its_certificate_then_the_next_course(client, learner,
                                                                        tmp_path):
    factories.make_course(tmp_path, "khoa-moi", title="Khóa học mới", lessons=("x",))
    finish_lessons(client)
    take(client, FIRST_QUIZ, right=2)
    take(client, SECOND_QUIZ, right=2)
    take(client, FINAL, right=2)
    course = client.get(f"/courses/{SLUG}").data.decode()
    assert pages.card_button(course) == (translated("vi", "Download your certificate"),
                                         f"/courses/{SLUG}/certificate")
    suggestion = re.search(r'<p class="next-course">(.*?)</p>', course, re.S).group(1)
    assert translated("vi", "Suggested next course:") in pages.text_of(suggestion)
    assert 'href="/courses/khoa-moi"' in suggestion

    # the download goes to the certificate's own PDF
    response = client.get(f"/courses/{SLUG}/certificate")
    assert response.status_code == 302
    pdf = client.get(location_path(response))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    # nothing left anywhere: the dashboard says so and suggests the next course; /learn goes
    # to the completed course's page (its certificate and the suggestion)
    home = client.get("/").data.decode()
    assert pages.card_button(home) == (translated("vi", "Download your certificate"),
                                       f"/courses/{SLUG}/certificate")
    done = re.search(r'<div class="all-done">(.*?)</div>', home, re.S).group(1)
    assert translated("vi", "Nothing is left to do in your courses.") in pages.text_of(done)
    assert 'href="/courses/khoa-moi"' in done
    assert learn(client) == f"/courses/{SLUG}"
    completed = re.search(r"<h3>{}</h3>(.*?)</ul>".format(
        re.escape(translated("vi", "Completed courses"))), home, re.S).group(1)
    assert f'href="/courses/{SLUG}/certificate"' in completed

    # once enrolled in it, the next course is that one, by name
    course_steps.enrol(client, "khoa-moi")
    course = client.get(f"/courses/{SLUG}").data.decode()
    line = re.search(r'<p class="next-course">(.*?)</p>', course, re.S).group(1)
    assert translated("vi", "Next course:") in pages.text_of(line)
    assert "Khóa học mới" in pages.text_of(line)
    assert learn(client) == "/courses/khoa-moi/lessons/x"


def test_the_certificate_link_before_completion_explains_and_goes_back(client, learner):
    response = client.get(f"/courses/{SLUG}/certificate")
    assert location_path(response) == f"/courses/{SLUG}"
    assert translated("vi", "There is no certificate for this course yet: it is issued when "
                            "you complete the course.") in visible_text(
        client.get(f"/courses/{SLUG}"))


def test_a_course_without_quizzes_goes_from_the_last_lesson_to_the_certificate(
        client, login_as, db, tmp_path):
    factories.make_course(tmp_path, "chi-bai-hoc", lessons=("a", "b"))
    login_as("learner")
    course_steps.enrol(client, "chi-bai-hoc")
    finish_lessons(client, "chi-bai-hoc", ("a", "b"))
    html = client.get("/courses/chi-bai-hoc").data.decode()
    assert pages.card_button(html) == (translated("vi", "Download your certificate"),
                                       "/courses/chi-bai-hoc/certificate")


def test_under_all_lessons_the_quizzes_are_optional_and_never_block(client, login_as, db,
                                                                    tmp_path):
    make_course(tmp_path, rule="all_lessons")
    login_as("learner")
    course_steps.enrol(client, SLUG)
    finish_lessons(client, lessons=("a", "b"))
    # the lessons come first, the quizzes are not steps
    assert everywhere(client)["learn"] == f"/courses/{SLUG}/lessons/c"
    finish_lessons(client, lessons=("c",))
    html = client.get(f"/courses/{SLUG}").data.decode()
    assert pages.card_kind(html) == "certificate"
    assert pages.counts(html) == pages.lessons_count(3, 3)  # no quiz count: they do not count


def test_an_unpublished_course_is_no_longer_offered(client, learner, tmp_path):
    factories.make_course(tmp_path, "khoa-khac", lessons=("x",))
    course_steps.enrol(client, "khoa-khac")
    course_steps.open_lesson(client, SLUG, "a")  # the withdrawn course was worked on last
    db.session.execute(update(Course).where(Course.slug == SLUG).values(is_published=False))
    db.session.commit()
    assert learn(client) == "/courses/khoa-khac/lessons/x"
    home = client.get("/").data.decode()
    assert translated("vi", "This course is no longer available.") in pages.text_of(home)
    assert f'href="/courses/{SLUG}"' not in home  # its page is gone: no link to it


def test_a_course_without_lessons_says_so(client, login_as, db):
    user = login_as("learner")
    course = Course(slug="khoa-rong", title="Khóa học rỗng", language="vi", version="1")
    db.session.add(course)
    db.session.flush()
    db.session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=clock.now()))
    db.session.commit()
    home = client.get("/").data.decode()
    assert translated("vi", "This course has no lessons yet.") in pages.text_of(home)
    page = client.get("/courses/khoa-rong").data.decode()
    assert translated("vi", "This course has no lessons yet.") in pages.text_of(pages.card(page))
    assert learn(client) == "/courses/khoa-rong"  # nothing to do: its page says why


def test_removed_lessons_are_neither_next_nor_counted(client, learner, tmp_path):
    course_steps.mark_done(client, SLUG, "a")
    course_steps.open_lesson(client, SLUG, "b")
    # version 2: lesson b is gone
    root = steps.quiz_course(
        tmp_path / "v2", SLUG, import_it=False, version="2",
        module_quiz=steps.true_false_quiz(FIRST_QUIZ, 2, pass_mark=50, max_attempts=2),
        final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=50, max_attempts=1,
                                         requires=["lessons", "quiz:co-ban", "quiz:them"]),
        lessons=("a",),
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C"),
               "02-them/quiz.toml": steps.true_false_quiz(SECOND_QUIZ, 2, pass_mark=50,
                                                          requires=["lessons"])})
    factories.import_course(root)
    assert_everywhere(client, translated("vi", "Continue learning"),
                      f"/courses/{SLUG}/lessons/c")
    html = client.get(f"/courses/{SLUG}").data.decode()
    assert pages.counts(html).startswith(pages.lessons_count(1, 2))


# --- marking a lesson done -------------------------------------------------------------------

def test_marking_a_modules_last_lesson_done_leads_to_its_quiz(client, learner):
    assert location_path(course_steps.mark_done(client, SLUG, "a")) == \
        f"/courses/{SLUG}/lessons/b"
    assert location_path(course_steps.mark_done(client, SLUG, "b")) == quiz_page(FIRST_QUIZ)
    assert location_path(course_steps.mark_done(client, SLUG, "c")) == quiz_page(SECOND_QUIZ)


def test_a_passed_or_exhausted_module_quiz_is_not_offered_again(client, learner):
    course_steps.mark_done(client, SLUG, "a")
    course_steps.mark_done(client, SLUG, "b")
    take(client, FIRST_QUIZ, right=2)  # passed
    # marking the module's last lesson again goes on with the course
    assert location_path(course_steps.mark_done(client, SLUG, "b")) == \
        f"/courses/{SLUG}/lessons/c"


def test_the_module_quiz_follows_even_when_a_lesson_was_skipped(client, learner):
    # a skipped: the quiz page says what is missing
    assert location_path(course_steps.mark_done(client, SLUG, "b")) == quiz_page(FIRST_QUIZ)


def test_completing_the_course_by_a_lesson_still_congratulates(client, login_as, db, tmp_path):
    make_course(tmp_path, rule="all_lessons")
    login_as("learner")
    course_steps.enrol(client, SLUG)
    finish_lessons(client, lessons=("a", "b"))
    response = course_steps.mark_done(client, SLUG, "c")  # completes the course
    assert location_path(response) == f"/courses/{SLUG}"


# --- the quiz result page ----------------------------------------------------------------------

def test_the_result_page_names_the_same_next_step(client, learner):
    finish_lessons(client)
    attempt_id = take(client, FIRST_QUIZ, right=2)
    html = client.get(f"/attempts/{attempt_id}/result").data.decode()
    assert pages.card_button(html) == (translated("vi", "Take the quiz"), quiz_page(SECOND_QUIZ))
    take(client, SECOND_QUIZ, right=2)
    attempt_id = take(client, FINAL, right=2)
    html = client.get(f"/attempts/{attempt_id}/result").data.decode()
    assert pages.card_button(html) == (translated("vi", "Download your certificate"),
                                       f"/courses/{SLUG}/certificate")


def test_the_course_page_and_dashboard_load_a_fixed_number_of_queries(
        app, client, login_as, db, tmp_path, count_queries):
    """However many modules and quizzes a course has (no query per module or quiz)."""
    make_course(tmp_path)
    small = "khoa-nho"
    steps.quiz_course(tmp_path, small, module_quiz=steps.true_false_quiz(FIRST_QUIZ, 2))
    login_as("learner")
    for slug in (SLUG, small):
        course_steps.enrol(client, slug)
        course_steps.mark_done(client, slug, "a")
    take(client, FIRST_QUIZ, right=1, slug=SLUG)
    take(client, FIRST_QUIZ, right=1, slug=small)

    def queries(url: str) -> int:
        assert client.get(url).status_code == 200
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    assert queries(f"/courses/{SLUG}") == queries(f"/courses/{small}")
    enrolment = db.session.scalar(select(Enrolment).join(Course).where(Course.slug == small))
    before = queries("/")
    db.session.delete(enrolment)
    db.session.commit()
    assert queries("/") == before


def test_after_a_retake_the_path_starts_again_and_old_work_does_not_count(app, db, tmp_path):
    from tests.certificates import steps as certificate_steps

    certificate_steps.course(tmp_path, validity=24)  # lessons a, b; a required final test
    slug = certificate_steps.SLUG
    holder = certificate_steps.official()
    certificate_steps.complete(holder, right=certificate_steps.QUESTIONS,
                               now=certificate_steps.completed_so_it_expires_in(
                                   10, months=24, now=clock.now()))
    browser = course_steps.new_client(app, holder)
    assert pages.card_kind(browser.get(f"/courses/{slug}").data.decode()) == "certificate"
    assert browser.post(f"/courses/{slug}/retake", data={}).status_code == 302
    html = browser.get(f"/courses/{slug}").data.decode()
    assert pages.counts(html) == f"{pages.lessons_count(0, 2)} · {pages.quizzes_count(0, 1)}"
    assert pages.percent_shown(html) == 0
    assert pages.card_button(html)[1] == f"/courses/{slug}/lessons/a"
    assert learn(browser) == f"/courses/{slug}/lessons/a"
