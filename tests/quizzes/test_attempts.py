"""Taking a quiz: start, answer page by page, leave and resume, submit once, attempt and time
limits, drawing and shuffling, and which attempt counts. Through the pages and the services."""

from __future__ import annotations

import logging
import random
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, update

from courses import services as course_services
from learning import clock
from learning.i18n import format_short_datetime
from learning.errors import PermissionDenied, RuleViolation
from quizzes import services as quizzes
from quizzes.models import QuizAttempt
from quizzes.signals import attempt_graded
from tests import factories
from tests.conftest import location_path, translated, visible_text
from tests.courses import steps as course_steps
from tests.progress import pages
from tests.quizzes import steps
from tests.quizzes.steps import EVERY_TYPE

SLUG = "khoa-kiem-tra"
QUIZ = "kiem-tra-nhanh"
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)


def make_quiz(tmp_path, count: int = 4, **settings):
    """A course whose module quiz has `count` true/false questions; returns the Quiz."""
    steps.quiz_course(tmp_path, SLUG, module_quiz=steps.true_false_quiz(QUIZ, count, **settings))
    return steps.get_quiz(SLUG, QUIZ)


@pytest.fixture
def official(client, login_as):
    """An official signed in on `client` and enrolled in the course (create the course first)."""
    def _official():
        user = login_as("learner")
        course_steps.enrol(client, SLUG)
        return user
    return _official


def enrolled(course_slug: str = SLUG):
    """An official enrolled through the service (for service-level tests)."""
    user = factories.UserFactory()
    course_services.enrol(user, user, course_steps.course_by_slug(course_slug), now=NOW)
    return user


def right(layout) -> dict[int, object]:
    """Display-terms responses answering every true/false slot right."""
    return {i: slot["data"]["answer"] for i, slot in enumerate(layout)}


@contextmanager
def gradings():
    """Record every attempt graded (from any thread)."""
    heard, lock = [], threading.Lock()

    def on_graded(attempt, **_):
        with lock:
            heard.append(attempt.id)

    attempt_graded.connect(on_graded, weak=False)
    try:
        yield heard
    finally:
        attempt_graded.disconnect(on_graded)


def together(workers, work) -> list:
    """Run `work(worker)` in one thread per worker, all released at once; return the results
    in worker order; re-raise the first failure."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    failures = []

    def run(index, worker):
        try:
            barrier.wait()
            results[index] = work(worker)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# --- start -------------------------------------------------------------------------------------

def test_start_opens_the_attempt_page(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200
    text = visible_text(page)
    for n in range(1, 5):
        assert f"Câu hỏi số {n}: phát biểu này đúng hay sai?" in text
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.id, attempt.number, attempt.state) == (attempt_id, 1, "in_progress")
    assert len(attempt.layout) == 4
    detail = visible_text(client.get(steps.quiz_url(SLUG, QUIZ)))
    assert translated("vi", "Resume your attempt") in detail
    # when it started, the Vietnamese way (20:30 05/11/2026), not Babel's "20:30 5/11/26"
    started = format_short_datetime(attempt.started_at)
    assert re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", started)
    assert translated("vi", "You started attempt %(n)s on %(started)s; your saved answers are "
                            "kept.", n=1, started=started) in detail


def test_an_official_not_enrolled_cannot_start(client, login_as, db, tmp_path):
    quiz = make_quiz(tmp_path)
    user = login_as("learner")
    response = client.post(steps.quiz_url(SLUG, QUIZ) + "/start", data={})
    assert location_path(response) == steps.quiz_url(SLUG, QUIZ)
    page = visible_text(client.get(location_path(response)))
    assert translated("vi", "Enrol in the course to take its quizzes.") in page
    assert steps.attempts(user, quiz) == []
    with pytest.raises(PermissionDenied):
        quizzes.start_attempt(user, quiz, now=NOW)


def test_starting_twice_gives_one_open_attempt(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path)
    user = official()
    first = steps.start(client, SLUG, QUIZ)
    assert steps.start(client, SLUG, QUIZ) == first
    assert [a.id for a in steps.attempts(user, quiz)] == [first]


def test_concurrent_starts_from_two_browsers_give_one_open_attempt(app, db, tmp_path, caplog):
    quiz = make_quiz(tmp_path)
    user = course_steps.official()
    browsers = [course_steps.new_client(app, user) for _ in range(4)]
    course_steps.enrol(browsers[0], SLUG)
    ids = together(browsers, lambda browser: steps.start(browser, SLUG, QUIZ))
    attempts = steps.attempts(user, quiz)
    assert len(attempts) == 1
    assert set(ids) == {attempts[0].id}
    assert errors_logged(caplog) == []


def test_concurrent_starts_after_a_graded_attempt_give_one_new_attempt(app, db, tmp_path,
                                                                        caplog):
    quiz = make_quiz(tmp_path)
    user = course_steps.official()
    browsers = [course_steps.new_client(app, user) for _ in range(4)]
    course_steps.enrol(browsers[0], SLUG)
    first = steps.start(browsers[0], SLUG, QUIZ)
    steps.submit(browsers[0], first)
    ids = together(browsers, lambda browser: steps.start(browser, SLUG, QUIZ))
    attempts = steps.attempts(user, quiz)
    assert [(a.number, a.state) for a in attempts] == [(1, "submitted"), (2, "in_progress")]
    assert set(ids) == {attempts[1].id}
    assert errors_logged(caplog) == []


def test_a_start_that_counted_before_another_browser_started_and_submitted_opens_no_extra(
        app, db, tmp_path, caplog):
    """One browser counts the attempts (none), then another starts and submits the only one
    allowed before the first goes on: the first must not open a second."""
    quiz = make_quiz(tmp_path, max_attempts=1)
    user = course_steps.official()
    slow, quick = (course_steps.new_client(app, user) for _ in range(2))
    course_steps.enrol(slow, SLUG)
    counted, quick_done, slow_thread, started = (threading.Event(), threading.Event(), [],
                                                 [])

    def hold_the_slow_start(conn, cursor, statement, *args):
        # after its count, before it numbers its attempt: the quick browser goes meanwhile
        if threading.get_ident() in slow_thread and "max(quiz_attempts.number)" in statement:
            counted.set()
            quick_done.wait(timeout=3)  # with the fix the quick one waits for the slow one

    def run_slow():
        slow_thread.append(threading.get_ident())
        started.append(steps.start(slow, SLUG, QUIZ))

    event.listen(db.engine, "before_cursor_execute", hold_the_slow_start)
    try:
        thread = threading.Thread(target=run_slow)
        thread.start()
        assert counted.wait(timeout=10)
        steps.submit(quick, steps.start(quick, SLUG, QUIZ))
        quick_done.set()
        thread.join(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_the_slow_start)
    assert [(a.number, a.state) for a in steps.attempts(user, quiz)] == [(1, "submitted")]
    assert started == [steps.attempts(user, quiz)[0].id]
    assert errors_logged(caplog) == []


# --- answering, leaving, resuming ---------------------------------------------------------------

def checked_value(html: str, name: str) -> str | None:
    """The value of the checked radio button `name` on a page."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_page_by_page_answers_are_saved_and_prefilled_after_leaving(app, client, official, db,
                                                                     tmp_path):
    quiz = make_quiz(tmp_path, 3, one_page=False, shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout

    first = client.get(f"/attempts/{attempt_id}")
    assert 'name="q0"' in first.data.decode() and 'name="q1"' not in first.data.decode()
    response = steps.send(client, attempt_id, steps.right_fields(0, layout[0]), "next", page=0)
    assert location_path(response) == f"/attempts/{attempt_id}?page=1"
    response = steps.send(client, attempt_id, steps.wrong_fields(1, layout[1]), "save", page=1)
    assert location_path(response) == f"/attempts/{attempt_id}?page=1"
    assert steps.saved_answers(attempt_id) == {0: True, 1: True}  # answers: true, false, true

    # The browser is closed; later the official signs in again elsewhere.
    later = course_steps.new_client(app, user)
    detail = later.get(steps.quiz_url(SLUG, QUIZ)).data.decode()
    assert f'href="/attempts/{attempt_id}"' in detail
    page0 = later.get(f"/attempts/{attempt_id}?page=0").data.decode()
    assert checked_value(page0, "q0") == "true"
    page1 = later.get(f"/attempts/{attempt_id}?page=1").data.decode()
    assert checked_value(page1, "q1") == "true"
    page2 = later.get(f"/attempts/{attempt_id}?page=2").data.decode()
    assert checked_value(page2, "q2") is None

    # Changing an answer replaces it; the last page is submitted with its own answer.
    steps.send(later, attempt_id, steps.right_fields(1, layout[1]), "prev", page=1)
    response = steps.submit(later, attempt_id, steps.right_fields(2, layout[2]), page=2)
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent, attempt.is_passed) == ("submitted", 100.0, True)
    assert steps.saved_answers(attempt_id) == {0: True, 1: False, 2: True}


def form_values(html: str) -> dict:
    """What a browser would send from the attempt form as the page shows it (answers only)."""
    from html.parser import HTMLParser

    values: dict = {}

    def add(name, value):
        if name in values:
            values[name] = [*([values[name]] if isinstance(values[name], str)
                              else values[name]), value]
        else:
            values[name] = value

    class Reader(HTMLParser):
        select = textarea = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name", "")
            if tag == "input" and re.fullmatch(r"q\d+", name):
                if attrs.get("type") in ("radio", "checkbox"):
                    if "checked" in attrs:
                        add(name, attrs["value"])
                elif attrs.get("value"):
                    add(name, attrs["value"])
            elif tag == "select" and re.match(r"q\d+-", name):
                self.select = name
            elif tag == "option" and self.select and "selected" in attrs:
                add(self.select, attrs["value"])
            elif tag == "textarea":
                self.textarea = name

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea and data.strip():
                add(self.textarea, data)

    Reader().feed(html)
    return values


def test_saved_answers_of_every_type_are_prefilled_when_coming_back(app, client, official, db,
                                                                    tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE)
    user = official()
    attempt_id = steps.start(client, SLUG, "moi-loai-cau-hoi")
    layout = steps.get_attempt(attempt_id).layout
    fields = steps.answer_fields(layout)
    fields["q2"] = fields["q2"][:1]  # multiple choice: one of the two right options
    steps.send(client, attempt_id, fields)
    later = course_steps.new_client(app, user)
    shown = form_values(later.get(f"/attempts/{attempt_id}").data.decode())
    expected = {name: value[0] if isinstance(value, list) and len(value) == 1 else value
                for name, value in fields.items()}
    assert shown == expected
    assert {slot["data"]["type"] for slot in layout} >= {"multiple", "short", "numeric",
                                                         "matching", "ordering", "essay"}


def test_every_question_type_answered_right_through_the_form_scores_full_marks(
        client, official, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE)
    quiz = steps.get_quiz(SLUG, "moi-loai-cau-hoi")
    user = official()
    attempt_id = steps.start(client, SLUG, quiz.slug)
    layout = steps.get_attempt(attempt_id).layout
    response = steps.submit(client, attempt_id, steps.answer_fields(layout))
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    # single 2 points, six more graded questions 1 point each; the essay counts for nothing
    assert (attempt.score_points, attempt.max_points, attempt.percent) == (8.0, 8.0, 100.0)
    assert attempt.is_passed and attempt.has_ungraded
    states = {slot["data"]["type"]: answer.state
              for slot, answer in zip(layout, attempt.answers)}
    assert states == {"description": "ungraded", "essay": "ungraded", "single": "correct",
                      "multiple": "correct", "truefalse": "correct", "short": "correct",
                      "numeric": "correct", "matching": "correct", "ordering": "correct"}
    result = visible_text(client.get(f"/attempts/{attempt_id}/result"))
    assert translated("vi", "Score: %(score)s", score=steps.percent(100)) in result


def test_questions_are_numbered_from_one_after_an_introduction(client, official, db,
                                                               tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE)
    official()
    attempt_id = steps.start(client, SLUG, "moi-loai-cau-hoi")
    html = client.get(f"/attempts/{attempt_id}").data.decode()
    numbers = re.findall(r'<span class="question-number">([^<]*)</span>', html)
    assert numbers == [""] + [translated("vi", "Question %(n)s", n=n) for n in range(1, 9)]


def test_a_blank_submission_scores_zero(client, official, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE)
    quiz = steps.get_quiz(SLUG, "moi-loai-cau-hoi")
    user = official()
    attempt_id = steps.start(client, SLUG, quiz.slug)
    steps.submit(client, attempt_id)
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.score_points, attempt.percent, attempt.is_passed) == (0.0, 0.0, False)
    assert {a.state for a in attempt.answers} == {"unanswered", "ungraded"}


def test_malformed_form_values_are_no_answer_not_an_error(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 2)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    response = steps.submit(client, attempt_id, {"q0": "perhaps", "q1": "99", "q7": "true"})
    assert response.status_code == 302
    [attempt] = steps.attempts(user, quiz)
    assert attempt.percent == 0.0


# --- submit ------------------------------------------------------------------------------------

def test_submit_grades_and_shows_the_result(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 4, pass_mark=75)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    with gradings() as heard:
        response = steps.submit(client, attempt_id, steps.answer_fields(layout, right=3))
    assert heard == [attempt_id]
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.score_points, attempt.max_points, attempt.percent, attempt.is_passed) == (
        3.0, 4.0, 75.0, True)
    assert attempt.submitted_at is not None and not attempt.time_limit_expired
    result = visible_text(client.get(location_path(response)))
    assert translated("vi", "Score: %(score)s", score=steps.percent(75)) in result
    assert translated("vi", "Passed") in result
    # the attempt page of a submitted attempt leads to its result
    again = client.get(f"/attempts/{attempt_id}")
    assert location_path(again) == f"/attempts/{attempt_id}/result"


def test_submitting_twice_grades_once(client, official, db, tmp_path, caplog):
    quiz = make_quiz(tmp_path, 4)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    with gradings() as heard:
        first = steps.submit(client, attempt_id, steps.answer_fields(layout, right=2))
        graded = steps.get_attempt(attempt_id)
        score, submitted_at = graded.percent, graded.submitted_at
        second = steps.submit(client, attempt_id, steps.answer_fields(layout))
    assert first.status_code == second.status_code == 302
    assert location_path(second) == f"/attempts/{attempt_id}/result"
    assert heard == [attempt_id]
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.percent, attempt.submitted_at) == (score, submitted_at) == (50.0,
                                                                                submitted_at)
    # the answers graded are the first submission's: two right, two wrong
    assert steps.saved_answers(attempt_id) == {
        i: slot["data"]["answer"] if i < 2 else not slot["data"]["answer"]
        for i, slot in enumerate(layout)}
    assert errors_logged(caplog) == []


def test_concurrent_submits_grade_once(app, db, tmp_path, caplog):
    quiz = make_quiz(tmp_path, 4)
    user = course_steps.official()
    browsers = [course_steps.new_client(app, user) for _ in range(4)]
    course_steps.enrol(browsers[0], SLUG)
    attempt_id = steps.start(browsers[0], SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    fields = steps.answer_fields(layout, right=3)
    with gradings() as heard:
        responses = together(browsers, lambda b: steps.submit(b, attempt_id, fields))
    assert [r.status_code for r in responses] == [302] * 4
    assert {location_path(r) for r in responses} == {f"/attempts/{attempt_id}/result"}
    assert heard == [attempt_id]
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent) == ("submitted", 75.0)
    assert errors_logged(caplog) == []


def test_concurrent_submits_of_different_answers_keep_answers_and_grades_together(
        app, db, tmp_path, caplog):
    """Two tabs submitting different answers at once: one is graded, and the answers kept are
    the ones that were graded (never a later tab's answers beside an earlier tab's grades)."""
    quiz = make_quiz(tmp_path, 4)
    user = course_steps.official()
    browsers = [course_steps.new_client(app, user) for _ in range(6)]
    course_steps.enrol(browsers[0], SLUG)
    attempt_id = steps.start(browsers[0], SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    forms = [steps.answer_fields(layout, right=4 if n % 2 else 0) for n in range(6)]
    with gradings() as heard:
        responses = together(list(zip(browsers, forms)),
                             lambda pair: steps.submit(pair[0], attempt_id, pair[1]))
    assert [r.status_code for r in responses] == [302] * 6
    assert heard == [attempt_id]
    [attempt] = steps.attempts(user, quiz)
    saved = steps.saved_answers(attempt_id)
    states = {a.slot: a.state for a in attempt.answers}
    right_count = sum(saved[i] == slot["data"]["answer"] for i, slot in enumerate(layout))
    assert attempt.percent == 25.0 * right_count
    assert states == {i: "correct" if saved[i] == slot["data"]["answer"] else "incorrect"
                      for i, slot in enumerate(layout)}
    assert right_count in (0, 4)  # one tab's answers, whole
    assert errors_logged(caplog) == []


def test_submit_service_returns_true_only_the_first_time(db, tmp_path):
    quiz = make_quiz(tmp_path, 2)
    user = enrolled()
    attempt = quizzes.start_attempt(user, quiz, now=NOW)
    assert quizzes.submit(user, attempt, right(attempt.layout), now=NOW + timedelta(minutes=1))
    assert not quizzes.submit(user, attempt, {0: not attempt.layout[0]["data"]["answer"]},
                              now=NOW + timedelta(minutes=2))
    assert (attempt.percent, attempt.submitted_at) == (100.0, NOW + timedelta(minutes=1))
    with pytest.raises(RuleViolation):
        quizzes.save_responses(user, attempt, {0: True}, now=NOW + timedelta(minutes=3))


# --- attempt limit -----------------------------------------------------------------------------

def test_after_the_last_attempt_starting_is_refused_with_a_message(client, official, db,
                                                                   tmp_path):
    quiz = make_quiz(tmp_path, 2, max_attempts=2)
    user = official()
    for _ in range(2):
        steps.submit(client, steps.start(client, SLUG, QUIZ))
    detail = visible_text(client.get(steps.quiz_url(SLUG, QUIZ)))
    assert translated("vi", "Start attempt %(n)s", n=3) not in detail
    response = client.post(steps.quiz_url(SLUG, QUIZ) + "/start", data={})
    assert location_path(response) == steps.quiz_url(SLUG, QUIZ)
    refused = translated("vi", "You have used all the attempts allowed for this quiz.")
    page = client.get(location_path(response)).data.decode()
    assert f'<p class="flash flash-error" role="alert">{refused}</p>' in page
    assert refused in visible_text(client.get(steps.quiz_url(SLUG, QUIZ)))  # the page says so
    assert len(steps.attempts(user, quiz)) == 2
    with pytest.raises(RuleViolation):
        quizzes.start_attempt(user, quiz, now=clock.now())


def test_unlimited_attempts_keep_counting(db, tmp_path):
    quiz = make_quiz(tmp_path, 1)
    user = enrolled()
    for n in range(1, 5):
        attempt = quizzes.start_attempt(user, quiz, now=NOW + timedelta(hours=n))
        assert attempt.number == n
        quizzes.submit(user, attempt, {}, now=NOW + timedelta(hours=n, minutes=1))
    status = quizzes.quiz_status(user, quiz, now=NOW + timedelta(days=1))
    assert (status.attempts_used, status.attempts_left, status.can_start) == (4, None, True)


# --- time limit --------------------------------------------------------------------------------

def test_a_late_submission_counts_only_what_was_saved_before_the_deadline(db, tmp_path):
    quiz = make_quiz(tmp_path, 4, time_limit_minutes=10, pass_mark=50)
    user = enrolled()
    attempt = quizzes.start_attempt(user, quiz, now=NOW)
    assert attempt.deadline_at == NOW + timedelta(minutes=10)
    answers = right(attempt.layout)
    quizzes.save_responses(user, attempt, {0: answers[0]}, now=NOW + timedelta(minutes=4))
    with pytest.raises(quizzes.TimeUp):
        quizzes.save_responses(user, attempt, {1: answers[1]}, now=NOW + timedelta(minutes=11))
    assert quizzes.submit(user, attempt, answers, now=NOW + timedelta(minutes=25))
    assert (attempt.percent, attempt.is_passed, attempt.time_limit_expired) == (25.0, False,
                                                                                 True)
    assert attempt.submitted_at == attempt.deadline_at
    assert steps.saved_answers(attempt.id) == {0: answers[0], 1: None, 2: None, 3: None}


def test_a_submission_within_the_time_limit_counts_everything(db, tmp_path):
    quiz = make_quiz(tmp_path, 4, time_limit_minutes=10)
    user = enrolled()
    attempt = quizzes.start_attempt(user, quiz, now=NOW)
    quizzes.submit(user, attempt, right(attempt.layout), now=NOW + timedelta(minutes=10))
    assert (attempt.percent, attempt.time_limit_expired) == (100.0, False)


def expire(attempt_id: int, db, minutes_ago: int = 2) -> None:
    """Move an attempt's deadline into the past, as if the official had taken too long."""
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(
        deadline_at=clock.now() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def test_web_submission_after_the_deadline_is_graded_as_saved(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 4, time_limit_minutes=10, one_page=False,
                     shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    page = visible_text(client.get(f"/attempts/{attempt_id}"))
    assert translated("vi", "Time left:") in page
    steps.send(client, attempt_id, steps.right_fields(0, layout[0]), "next", page=0)
    steps.send(client, attempt_id, steps.right_fields(1, layout[1]), "next", page=1)
    expire(attempt_id, db)
    response = steps.submit(client, attempt_id, steps.right_fields(2, layout[2]), page=2)
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent, attempt.time_limit_expired) == ("submitted", 50.0,
                                                                            True)
    assert attempt.submitted_at == attempt.deadline_at
    result = visible_text(client.get(f"/attempts/{attempt_id}/result"))
    assert translated("vi", "The time limit had passed: the attempt was graded as it stood at "
                            "the deadline.") in result


def test_saving_a_page_after_the_deadline_grades_the_attempt(client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=5)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    expire(attempt_id, db)
    response = steps.send(client, attempt_id, steps.answer_fields(layout), "save")
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent, attempt.time_limit_expired) == ("submitted", 0.0,
                                                                            True)
    page = visible_text(client.get(location_path(response)))
    assert translated("vi", "The time limit has passed; your answers were saved until "
                            "then.") in page


def test_an_overdue_attempt_is_graded_on_the_next_visit(app, client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=5, shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    steps.send(client, attempt_id, steps.right_fields(0, layout[0]))
    expire(attempt_id, db)
    # The official comes back another day, in a new browser, to the quiz page.
    later = course_steps.new_client(app, user)
    detail = visible_text(later.get(steps.quiz_url(SLUG, QUIZ)))
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent, attempt.time_limit_expired) == ("submitted", 50.0,
                                                                            True)
    assert translated("vi", "Resume your attempt") not in detail
    assert translated("vi", "Start attempt %(n)s", n=2) in detail


def test_opening_an_overdue_attempt_grades_it_and_shows_the_result(client, official, db,
                                                                   tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=5)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    expire(attempt_id, db)
    response = client.get(f"/attempts/{attempt_id}")
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.time_limit_expired) == ("submitted", True)


def test_close_overdue_grades_only_attempts_past_their_deadline(runner, db, tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=10)
    untimed = steps.get_quiz(SLUG, QUIZ)
    late, on_time = enrolled(), enrolled()
    late_attempt = quizzes.start_attempt(late, quiz, now=clock.now() - timedelta(minutes=30))
    quizzes.save_responses(late, late_attempt, {0: late_attempt.layout[0]["data"]["answer"]},
                           now=clock.now() - timedelta(minutes=25))
    running = quizzes.start_attempt(on_time, quiz, now=clock.now() - timedelta(minutes=1))
    late_id, running_id = late_attempt.id, running.id
    db.session.commit()
    assert untimed.time_limit_seconds == 600

    result = runner.invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "Graded 1 overdue attempt(s)." in result.output
    late_attempt, running = steps.get_attempt(late_id), steps.get_attempt(running_id)
    assert (late_attempt.state, late_attempt.percent, late_attempt.time_limit_expired) == (
        "submitted", 50.0, True)
    assert late_attempt.submitted_at == late_attempt.deadline_at
    assert running.state == "in_progress"
    again = runner.invoke(args=["quizzes", "close-overdue"])
    assert "Graded 0 overdue attempt(s)." in again.output


# --- drawing and shuffling ---------------------------------------------------------------------

def test_drawing_n_questions_gives_n_slots_from_the_bank(db, tmp_path):
    toml = steps.true_false_quiz(QUIZ, 8, draw=3).replace(
        "\n[[questions]]", '\n[[questions]]\ntype = "description"\ntext = "Giới thiệu"\n'
        "\n[[questions]]", 1)
    steps.quiz_course(tmp_path, SLUG, module_quiz=toml)
    quiz = steps.get_quiz(SLUG, QUIZ)
    user = enrolled()
    bank = {question.text for _, question in quizzes.bank(quiz)}
    drawn = []
    for seed in range(6):
        attempt = quizzes.start_attempt(user, quiz, now=NOW + timedelta(hours=seed),
                                        rng=random.Random(seed))
        texts = [slot["data"]["text"] for slot in attempt.layout]
        assert len(texts) == 4 and texts[0] == "Giới thiệu"  # the introduction stays on top
        assert len(set(texts[1:])) == 3 and set(texts) <= bank
        drawn.append(frozenset(texts[1:]))
        quizzes.submit(user, attempt, right(attempt.layout) | {0: None},
                       now=NOW + timedelta(hours=seed, minutes=5))
        assert (attempt.max_points, attempt.percent) == (3.0, 100.0)
    assert len(set(drawn)) > 1  # different attempts draw different questions


SHUFFLED = '''
slug = "tron-thu-tu"
title = "Trộn thứ tự"
shuffle_questions = {shuffle}
shuffle_options = {shuffle}
''' + "".join(f'''
[[questions]]
type = "single"
text = "Câu {n}"
choices = [{{ text = "Đúng {n}", correct = true }}, {{ text = "Sai {n}a" }}, {{ text = "Sai {n}b" }}, {{ text = "Sai {n}c" }}]
''' for n in range(1, 7)) + '''
[[questions]]
type = "ordering"
text = "Thứ tự"
items = ["một", "hai", "ba", "bốn"]

[[questions]]
type = "matching"
text = "Ghép"
pairs = [{ left = "A", right = "a" }, { left = "B", right = "b" }, { left = "C", right = "c" }]
'''


def display_orders(layout) -> tuple:
    return tuple((slot["data"]["text"], tuple(slot.get("choice_order", ())),
                  tuple(slot.get("item_order", ())), tuple(slot.get("rights", ())))
                 for slot in layout)


def right_display(layout) -> dict[int, object]:
    """Right responses in display terms, read from what the page shows."""
    answers = {}
    for i, slot in enumerate(layout):
        data = slot["data"]
        if data["type"] == "single":
            texts = [data["choices"][c]["text"] for c in slot["choice_order"]]
            answers[i] = next(k for k, t in enumerate(texts) if t.startswith("Đúng"))
        elif data["type"] == "ordering":
            shown = [data["order"][k] for k in slot["item_order"]]
            answers[i] = {str(k): ["một", "hai", "ba", "bốn"].index(t) + 1
                          for k, t in enumerate(shown)}
        elif data["type"] == "matching":
            answers[i] = {str(p): slot["rights"].index(r) for p, r in enumerate("abc")}
    return answers


TWO_ITEMS = '''
slug = "hai-muc"
title = "Hai mục"
max_attempts = 0

[[questions]]
type = "ordering"
text = "Việc nào trước?"
items = ["Ký số", "Phát hành"]
'''


def test_two_items_to_order_are_not_always_shown_swapped(db, tmp_path):
    """Never showing two items in the right order would show the answer: swapped, always."""
    steps.quiz_course(tmp_path, SLUG, module_quiz=TWO_ITEMS)
    quiz = steps.get_quiz(SLUG, "hai-muc")
    user = enrolled()
    shown = set()
    for seed in range(12):
        attempt = quizzes.start_attempt(user, quiz, now=NOW + timedelta(hours=seed),
                                        rng=random.Random(seed))
        shown.add(tuple(attempt.layout[0]["item_order"]))
        quizzes.submit(user, attempt, {}, now=NOW + timedelta(hours=seed, minutes=5))
    assert shown == {(0, 1), (1, 0)}


def test_shuffling_changes_the_orders_across_attempts_and_grading_stays_right(db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=SHUFFLED.replace("{shuffle}", "true"))
    quiz = steps.get_quiz(SLUG, "tron-thu-tu")
    user = enrolled()
    orders = set()
    for seed in (11, 12, 13):
        attempt = quizzes.start_attempt(user, quiz, now=NOW + timedelta(hours=seed),
                                        rng=random.Random(seed))
        orders.add(display_orders(attempt.layout))
        items = next(s for s in attempt.layout if s["data"]["type"] == "ordering")
        assert items["item_order"] != [0, 1, 2, 3]  # never shown in the right order
        quizzes.submit(user, attempt, right_display(attempt.layout),
                       now=NOW + timedelta(hours=seed, minutes=5))
        assert attempt.percent == 100.0
    assert len(orders) == 3
    question_orders = {tuple(slot[0] for slot in order) for order in orders}
    assert len(question_orders) == 3
    first_question_options = {slot[1] for order in orders for slot in order
                              if slot[0] == "Câu 1"}
    assert len(first_question_options) > 1
    rights = {slot[3] for order in orders for slot in order if slot[0] == "Ghép"}
    assert len(rights) > 1

    wrong = quizzes.start_attempt(user, quiz, now=NOW + timedelta(days=1),
                                  rng=random.Random(14))
    first_wrong = {i: next(k for k, c in enumerate(slot["choice_order"])
                           if slot["data"]["choices"][c]["text"].startswith("Sai"))
                   for i, slot in enumerate(wrong.layout) if slot["data"]["type"] == "single"}
    quizzes.submit(user, wrong, first_wrong, now=NOW + timedelta(days=1, minutes=5))
    assert wrong.percent == 0.0


def test_without_shuffling_the_order_is_the_authors(db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=SHUFFLED.replace("{shuffle}", "false"))
    quiz = steps.get_quiz(SLUG, "tron-thu-tu")
    user = enrolled()
    attempt = quizzes.start_attempt(user, quiz, now=NOW, rng=random.Random(3))
    assert [s["data"]["text"] for s in attempt.layout] == [f"Câu {n}" for n in range(1, 7)] + [
        "Thứ tự", "Ghép"]
    assert all(s["choice_order"] == [0, 1, 2, 3] for s in attempt.layout[:6])
    quizzes.submit(user, attempt, right_display(attempt.layout), now=NOW + timedelta(minutes=1))
    assert attempt.percent == 100.0


# --- which attempt counts ----------------------------------------------------------------------

@pytest.mark.parametrize("policy, counted, passed", [("highest", 100.0, True),
                                                     ("last", 25.0, False)])
def test_the_grading_policy_decides_the_counted_score(client, official, db, tmp_path, policy,
                                                      counted, passed):
    quiz = make_quiz(tmp_path, 4, grading=policy, pass_mark=75)
    user = official()
    for right_count in (4, 1):
        attempt_id = steps.start(client, SLUG, QUIZ)
        layout = steps.get_attempt(attempt_id).layout
        steps.submit(client, attempt_id, steps.answer_fields(layout, right=right_count))
    status = quizzes.quiz_status(user, steps.get_quiz(SLUG, QUIZ), now=clock.now())
    assert (status.best_percent, status.counted_percent, status.is_passed) == (100.0, counted,
                                                                               passed)
    detail = visible_text(client.get(steps.quiz_url(SLUG, QUIZ)))
    assert translated("vi", "Score: %(score)s", score=steps.percent(counted)) in detail
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 2


# --- submitting safely: the review step (issue #9, point 4) -------------------------------------

def forms_of(html: str) -> list[tuple[str, str]]:
    """(action, form HTML) of every form on a page."""
    return [(action, body) for action, body in
            re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S)]


def test_the_attempt_form_never_grades_its_submit_button_saves_and_asks_to_confirm(
        client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 4, one_page=False, shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    html = client.get(f"/attempts/{attempt_id}?page=3").data.decode()
    # The only form of the attempt page posts to the attempt page itself; none posts to review.
    assert [action for action, _ in forms_of(html) if "/attempts/" in action] == [
        f"/attempts/{attempt_id}?page=3"]
    assert translated("vi", "Review and submit") in visible_text(client.get(
        f"/attempts/{attempt_id}?page=3"))

    with gradings() as heard:
        steps.send(client, attempt_id, steps.right_fields(0, layout[0]), "next", page=0)
        # Enter on the submit button of the last page: answers saved, nothing graded.
        response = steps.send(client, attempt_id, steps.wrong_fields(3, layout[3]), "submit",
                              page=3)
        assert location_path(response) == f"/attempts/{attempt_id}/review"
        assert heard == []
        [attempt] = steps.attempts(user, quiz)
        assert attempt.state == "in_progress" and attempt.submitted_at is None
        assert steps.saved_answers(attempt_id) == {0: True, 3: True}

        # Pressing it again (a second Enter) still only comes back to the review.
        again = steps.send(client, attempt_id, {}, "submit", page=3)
        assert location_path(again) == f"/attempts/{attempt_id}/review"
        assert steps.saved_answers(attempt_id)[3] is None  # the page as sent: blank now
        steps.send(client, attempt_id, steps.wrong_fields(3, layout[3]), "save", page=3)

        # The confirmation needs its explicit field (and a CSRF token).
        assert client.post(steps.review_url(attempt_id), data={}).status_code == 400
        assert client.post(steps.review_url(attempt_id), data={"confirm": "yes"}
                           ).status_code == 400
        assert client.post(steps.review_url(attempt_id), data={"confirm": "1"},
                           csrf=False).status_code == 400
        assert steps.get_attempt(attempt_id).state == "in_progress" and heard == []

        done = steps.confirm(client, attempt_id)
        assert location_path(done) == f"/attempts/{attempt_id}/result"
        assert heard == [attempt_id]
        twice = steps.confirm(client, attempt_id)  # a second confirmation grades nothing
        assert location_path(twice) == f"/attempts/{attempt_id}/result"
    assert heard == [attempt_id]
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent) == ("submitted", 25.0)
    # once graded, the review page leads to the result
    assert location_path(client.get(steps.review_url(attempt_id))) == (
        f"/attempts/{attempt_id}/result")


def test_the_review_lists_answered_and_unanswered_questions_with_links_back(
        client, official, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE.replace(
        "one_page = true", "one_page = false"))
    official()
    attempt_id = steps.start(client, SLUG, "moi-loai-cau-hoi")
    layout = steps.get_attempt(attempt_id).layout
    by_type = {slot["data"]["type"]: index for index, slot in enumerate(layout)}
    fields = {**steps.right_fields(by_type["single"], layout[by_type["single"]]),
              **steps.right_fields(by_type["essay"], layout[by_type["essay"]])}
    matching = steps.right_fields(by_type["matching"], layout[by_type["matching"]])
    fields.update(dict(list(matching.items())[:1]))  # one prompt of three
    for page, index in enumerate(range(len(layout))):
        steps.send(client, attempt_id, {k: v for k, v in fields.items()
                                        if re.fullmatch(rf"q{index}(-.*)?", k)}, "save",
                   page=page)
    response = steps.send(client, attempt_id, {}, "submit", page=0)
    page = client.get(location_path(response))
    assert page.status_code == 200
    html, text = page.data.decode(), visible_text(page)
    # questions are numbered from 1 after the introduction: slot n is question n
    assert translated("vi", "%(answered)s of %(total)s questions answered",
                      answered=2, total=8) in text
    groups = dict(re.findall(r'<h3 id="group-(\w+)">.*?</h3>\s*<ul[^>]*>(.*?)</ul>', html,
                             re.S))
    links = {state: re.findall(r'<a href="([^"]*)">([^<]*)</a>', body)
             for state, body in groups.items()}

    def link(index):
        return (f"/attempts/{attempt_id}?page={index}#question-{index}",
                translated("vi", "Question %(n)s", n=index))

    answered = sorted([by_type["single"], by_type["essay"]])
    assert links["answered"] == [link(i) for i in answered]
    assert links["partly_answered"] == [link(by_type["matching"])]
    assert links["not_answered"] == [link(i) for i in range(1, 9)
                                     if i not in answered and i != by_type["matching"]]
    assert translated("vi", "Not answered") in text and translated("vi", "Answered") in text
    # each link leads to the page holding that question, where its anchor is
    target = client.get(links["not_answered"][0][0].split("#")[0]).data.decode()
    assert f'id="{links["not_answered"][0][0].split("#")[1]}"' in target
    # the confirmation form: its own token, an explicit confirm field, "Nộp bài"
    [(action, form)] = [f for f in forms_of(html) if f[0] == steps.review_url(attempt_id)]
    assert 'name="csrf_token"' in form
    assert re.search(r'<input[^>]*name="confirm"[^>]*value="1"', form)
    assert translated("vi", "Submit for grading") == "Nộp bài"
    assert f">{translated('vi', 'Submit for grading')}</button>" in form
    assert "Sau lần này, bạn còn lại 2 lượt làm bài." in text


def test_the_review_shows_the_time_left_and_grades_an_attempt_past_its_limit(
        client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=10, shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    steps.send(client, attempt_id, steps.right_fields(0, layout[0]), "submit")
    page = client.get(steps.review_url(attempt_id))
    text = visible_text(page)
    assert translated("vi", "Time left:") in text
    remaining = int(re.search(r'data-remaining="(\d+)"', page.data.decode()).group(1))
    assert 590 <= remaining <= 600
    assert steps.get_attempt(attempt_id).state == "in_progress"

    expire(attempt_id, db)
    response = client.get(steps.review_url(attempt_id))
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.state, attempt.percent, attempt.time_limit_expired) == ("submitted", 50.0,
                                                                            True)
    assert attempt.submitted_at == attempt.deadline_at


def test_confirming_after_the_deadline_grades_the_answers_saved_in_time(
        client, official, db, tmp_path):
    quiz = make_quiz(tmp_path, 2, time_limit_minutes=10, shuffle_questions=False)
    user = official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    steps.send(client, attempt_id, steps.answer_fields(layout), "submit")
    assert client.get(steps.review_url(attempt_id)).status_code == 200
    expire(attempt_id, db)  # the official left the review page open too long
    response = steps.confirm(client, attempt_id)
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    [attempt] = steps.attempts(user, quiz)
    assert (attempt.percent, attempt.time_limit_expired) == (100.0, True)


# --- the result page --------------------------------------------------------------------------

def result_of(client, attempt_id):
    response = client.get(f"/attempts/{attempt_id}/result")
    assert response.status_code == 200
    return response.data.decode(), visible_text(response)


def test_the_result_says_pass_or_fail_in_words_the_rounded_score_and_questions_right(
        client, official, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE)
    official()
    attempt_id = steps.start(client, SLUG, "moi-loai-cau-hoi")
    layout = steps.get_attempt(attempt_id).layout
    fields = steps.answer_fields(layout)
    multiple = next(i for i, slot in enumerate(layout) if slot["data"]["type"] == "multiple")
    fields[f"q{multiple}"] = fields[f"q{multiple}"][:1]  # half the credit: not "right"
    steps.submit(client, attempt_id, fields)
    attempt = steps.get_attempt(attempt_id)
    assert (attempt.score_points, attempt.max_points) == (7.5, 8.0)
    html, text = result_of(client, attempt_id)
    assert steps.verdict(html) == translated("vi", "Passed")
    assert 'class="result-summary is-passed"' in html
    assert translated("vi", "Score: %(score)s", score=steps.percent(93.75)) in text
    assert steps.percent(93.75) == "94%"
    # seven auto-graded questions (the essay does not count); the half-right one is not right
    assert translated("vi", "%(right)s/%(total)s questions right", right=6, total=7) in text
    assert "6/7 câu đúng" in text
    assert "7,5" not in text and "7.5" not in text  # no points with decimals


def test_a_failed_result_offers_a_retry_while_attempts_are_left(client, official, db,
                                                                 tmp_path):
    make_quiz(tmp_path, 3, max_attempts=2, pass_mark=70)
    official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    steps.submit(client, attempt_id, steps.answer_fields(layout, right=1))
    html, text = result_of(client, attempt_id)
    assert steps.verdict(html) == translated("vi", "Not passed")
    assert 'class="result-summary is-failed"' in html
    assert translated("vi", "Score: %(score)s", score=steps.percent(100 / 3)) in text
    assert "1/3 câu đúng" in text
    assert "Còn lại 1 lượt làm bài." in text
    # the course's next step is its first lesson (not read yet); the quiz can be tried again
    assert pages.card_button(html) == (translated("vi", "Start the first lesson"),
                                       f"/courses/{SLUG}/lessons/a")
    next_step = re.search(r'<p class="next-step">(.*?)</p>', html, re.S).group(1)
    assert f'href="{steps.quiz_url(SLUG, QUIZ)}">{translated("vi", "Try this quiz again")}' \
        in next_step

    # the last attempt fails too: no retry, the course goes on with the next lesson
    second = steps.start(client, SLUG, QUIZ)
    steps.submit(client, second, steps.answer_fields(steps.get_attempt(second).layout, 0))
    html, text = result_of(client, second)
    assert translated("vi", "No attempts left.") in text
    next_step = re.search(r'<p class="next-step">(.*?)</p>', html, re.S).group(1)
    assert translated("vi", "Try this quiz again") not in next_step
    assert pages.card_button(html)[1] == f"/courses/{SLUG}/lessons/a"
    assert f'href="/courses/{SLUG}"' in next_step


def test_a_passed_result_leads_to_the_next_lesson(client, official, db, tmp_path):
    make_quiz(tmp_path, 2)
    official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    steps.submit(client, attempt_id, steps.answer_fields(steps.get_attempt(attempt_id).layout))
    html, text = result_of(client, attempt_id)
    assert steps.verdict(html) == translated("vi", "Passed")
    assert translated("vi", "Attempts are unlimited.") in text
    next_step = re.search(r'<p class="next-step">(.*?)</p>', html, re.S).group(1)
    assert translated("vi", "Try this quiz again") not in next_step
    assert pages.card_button(html) == (translated("vi", "Start the first lesson"),
                                       f"/courses/{SLUG}/lessons/a")


def review_lines(html: str) -> list[list[tuple[str, str, bool]]]:
    """Per choice question of a result page: (mark read aloud, option text, chosen)."""
    questions = []
    for block in re.findall(r'<ul class="review-options">(.*?)</ul>', html, re.S):
        lines = []
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S):
            spoken = re.search(r'<span class="visually-hidden"[^>]*>([^<]*)</span>', item)
            option = re.search(r'<div class="option-text">(.*?)</div>', item, re.S).group(1)
            lines.append((spoken.group(1) if spoken else "",
                          " ".join(re.sub(r"<[^>]+>", " ", option).split()),
                          'class="chosen-label"' in item))
        questions.append(lines)
    return questions


@pytest.mark.parametrize("review", ["answers", "feedback"])
def test_the_review_marks_each_option_right_or_wrong_one_per_line(client, official, db,
                                                                  tmp_path, review):
    toml = '''
slug = "mot-cau"
title = "Một câu"
shuffle_options = false
review = "{review}"

[[questions]]
type = "multiple"
text = "Báo lỗi nên có những gì?"
choices = [
  {{ text = "Thời điểm xảy ra lỗi", correct = true }},
  {{ text = "Các bước đã làm", correct = true }},
  {{ text = "Mật khẩu của bạn" }},
]
'''.format(review=review)
    steps.quiz_course(tmp_path, SLUG, module_quiz=toml)
    official()
    attempt_id = steps.start(client, SLUG, "mot-cau")
    steps.submit(client, attempt_id, {"q0": ["0", "2"]})  # one right, one wrong
    html, text = result_of(client, attempt_id)
    right, wrong = translated("vi", "right:"), translated("vi", "wrong:")
    [lines] = review_lines(html)
    assert lines == [
        (right, "Thời điểm xảy ra lỗi", True),
        (right if review == "feedback" else "", "Các bước đã làm", False),  # not chosen
        (wrong, "Mật khẩu của bạn", True),
    ]
    assert html.count('<span class="mark mark-right" aria-hidden="true">✓</span>') == (
        2 if review == "feedback" else 1)
    assert html.count('<span class="mark mark-wrong" aria-hidden="true">✗</span>') == 1


def test_the_review_marks_true_false_and_matching_answers(client, official, db, tmp_path):
    toml = '''
slug = "hai-cau"
title = "Hai câu"
shuffle_questions = false
review = "answers"

[[questions]]
type = "truefalse"
text = "Đóng thẻ trình duyệt là đã đăng xuất."
answer = false

[[questions]]
type = "matching"
text = "Ghép"
pairs = [{ left = "LGSP", right = "cấp bộ" }, { left = "NDXP", right = "quốc gia" }]
'''
    steps.quiz_course(tmp_path, SLUG, module_quiz=toml)
    official()
    attempt_id = steps.start(client, SLUG, "hai-cau")
    layout = steps.get_attempt(attempt_id).layout
    rights = layout[1]["rights"]
    steps.submit(client, attempt_id, {"q0": "true", "q1-m0": str(rights.index("cấp bộ")),
                                      "q1-m1": str(rights.index("cấp bộ"))})
    html, _ = result_of(client, attempt_id)
    right, wrong = translated("vi", "right:"), translated("vi", "wrong:")
    true, false = translated("vi", "True"), translated("vi", "False")
    [truefalse, matching] = review_lines(html)
    assert truefalse == [(wrong, true, True), ("", false, False)]
    assert matching == [(right, "LGSP → cấp bộ", False), (wrong, "NDXP → cấp bộ", False)]

    # unanswered: "no answer", not a line per prompt
    second = steps.start(client, SLUG, "hai-cau")
    steps.submit(client, second, {})
    html, text = result_of(client, second)
    assert review_lines(html) == [[("", true, False), ("", false, False)]]
    assert text.count(translated("vi", "no answer")) == 1


# --- the quiz page with an attempt in progress ----------------------------------------------------

def test_the_quiz_page_shows_an_attempt_in_progress_with_the_time_left(client, official, db,
                                                                       tmp_path):
    make_quiz(tmp_path, 2, time_limit_minutes=20)
    official()
    attempt_id = steps.start(client, SLUG, QUIZ)
    response = client.get(steps.quiz_url(SLUG, QUIZ))
    text = visible_text(response)
    assert translated("vi", "No attempt yet.") not in text
    assert translated("vi", "Attempt %(n)s is in progress", n=1) in text
    assert re.search(r"Thời gian còn lại: (19|20) phút\.", text), text
    resume = translated("vi", "Resume your attempt")
    assert f'href="/attempts/{attempt_id}">{resume}</a>' in response.data.decode()
