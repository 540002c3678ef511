"""The learner's path on the demo course (5 modules, 18 lessons, a quiz per module and a timed
2-attempt final test that requires them all): the figures the issue quotes, and a new official
who goes from sign-in to certificate by following only what the pages name as the next step."""

from __future__ import annotations

import re

from sqlalchemy import select

from courses import services as course_services
from learning.accounts.models import User
from quizzes import services as quiz_services
from tests.conftest import location_path, sign_in, translated, translated_plural
from tests.courses import steps as course_steps
from tests.progress import pages
from tests.quizzes import steps

COURSE = "ky-nang-so"
FINAL = "kiem-tra-cuoi-khoa"


def load_demo(runner) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


def test_the_demo_learner_sees_figures_that_add_up_and_her_next_step(app, runner, db):
    load_demo(runner)
    client = course_steps.new_client(app)
    assert sign_in(client, "learner", "hocso-demo").status_code == 302
    home = client.get("/").data.decode()
    # 7 of 18 lessons done, no quiz passed yet: 7 / (18 + 6) = 29 %, said as two counts
    assert pages.counts(home) == "7/18 bài học · 0/6 bài kiểm tra"
    assert pages.percent_shown(home) == 29
    # her unfinished attempt at the first module's quiz comes first, everywhere
    words, target = pages.card_button(home)
    assert words == translated("vi", "Resume your attempt")
    assert re.fullmatch(r"/attempts/\d+", target)
    assert location_path(client.get("/learn")) == target
    course = client.get(f"/courses/{COURSE}").data.decode()
    assert pages.card_button(course) == (words, target)
    assert pages.completion_rule(course) == pages.rule_sentence(18, 6, None)  # 70 % and 75 %
    # the 2-attempt final test is locked at 29 %, and says what it waits for
    final = steps.quiz_url(COURSE, FINAL)
    missing = re.search(rf'<a href="{final}"[^>]*>[^<]*</a>.*?</p>\s*<p class="quiz-missing"[^>]*>(.*?)</p>',
                        course, re.S)
    module_quizzes = [quiz for quiz in quiz_services.course_quizzes(
        course_steps.course_by_slug(COURSE).id) if not quiz.is_final]
    assert missing and pages.text_of(missing.group(1)).replace(" ,", ",").replace(" .", ".") \
        == translated_plural("vi", "To unlock it: complete %(num)s more lesson and pass "
                             "%(quizzes)s.", "To unlock it: complete %(num)s more lessons and "
                             "pass %(quizzes)s.", 11,
                             quizzes=", ".join(quiz.title for quiz in module_quizzes))
    assert client.post(final + "/start", data={}).status_code == 302
    learner = db.session.scalar(select(User).where(User.username == "learner"))
    assert steps.attempts(learner, steps.get_quiz(COURSE, FINAL)) == []


def test_a_new_official_goes_from_sign_in_to_certificate_by_the_next_step_alone(app, runner,
                                                                                db):
    """Done when (issue 9): "A new official goes from sign-in to certificate without ever
    wondering what to do next." Only /learn, the catalog's enrol button, the done button on
    lessons, the start and submit buttons on quizzes and the next-step buttons are used."""
    load_demo(runner)
    official = course_steps.official()
    client = course_steps.new_client(app, official)
    assert location_path(client.get("/learn")) == "/courses"  # nothing yet: choose a course
    course_steps.enrol(client, COURSE)

    url, visited = location_path(client.get("/learn")), []
    for _ in range(80):
        visited.append(url)
        if url == f"/courses/{COURSE}/certificate":
            break
        lesson = re.fullmatch(rf"/courses/{COURSE}/lessons/([\w-]+)", url)
        quiz = re.fullmatch(rf"/courses/{COURSE}/quizzes/([\w-]+)", url)
        if lesson:
            page = client.get(url)
            assert page.status_code == 200
            url = location_path(client.post(url + "/done", data={}))
        elif quiz:
            attempt_id = steps.start(client, COURSE, quiz.group(1))
            layout = steps.get_attempt(attempt_id).layout
            steps.submit(client, attempt_id, steps.answer_fields(layout))
            result = client.get(f"/attempts/{attempt_id}/result").data.decode()
            assert steps.verdict(result) == translated("vi", "Passed")
            url = pages.card_button(result)[1]
        else:  # any other page names the next step on its card
            url = pages.card_button(client.get(url).data.decode())[1]
    else:
        raise AssertionError(f"no certificate after {len(visited)} steps: {visited[-5:]}")

    course = course_steps.course_by_slug(COURSE)
    lessons = course_services.active_lessons(course.id)
    assert [u for u in visited if "/lessons/" in u] == [
        f"/courses/{COURSE}/lessons/{lesson.slug}" for lesson in lessons]  # each once, in order
    # each module's quiz right after the module's last lesson, the final test last
    expected = []
    for quiz in quiz_services.course_quizzes(course.id):
        if not quiz.is_final:
            last = [lesson for lesson in lessons if lesson.module_id == quiz.module_id][-1]
            expected.append(f"/courses/{COURSE}/lessons/{last.slug}")
        expected.append(steps.quiz_url(COURSE, quiz.slug))
    assert [u for i, u in enumerate(visited) if "/quizzes/" in u or (
        i + 1 < len(visited) and "/quizzes/" in visited[i + 1])] == expected
    enrolment = course_steps.enrolment_of(official, COURSE)
    assert enrolment.completed_at is not None and enrolment.percent_complete == 100
    pdf = client.get(location_path(client.get(url)))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
