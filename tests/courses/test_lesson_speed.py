"""The lesson page is a read near the cost of a static page: a handful of statements, no
write, the outline and the lesson HTML cached under the course's content version, and the
visit recorded by the report the page sends when it is left."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from courses.models import Course, Lesson
from learning.db import db
from tests import factories
from tests.conftest import page_text
from tests.courses import steps
from tests.quizzes import steps as quiz_steps

SLUG = "khoa-toc-do"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|COMMIT)\b", re.I)


def make_course(tmp_path, title="Bài A", body="Nội dung đầu tiên.\n"):
    return quiz_steps.quiz_course(
        tmp_path / title.replace(" ", "-"), SLUG,
        module_quiz=quiz_steps.true_false_quiz("kiem-tra-mot", 2),
        final_quiz=quiz_steps.true_false_quiz("cuoi-khoa", 2, requires=["lessons"]),
        lessons=({"slug": "a", "title": title, "body": body}, "b"))


def test_a_lesson_view_runs_four_statements_and_writes_nothing(
        client, login_as, tmp_path, count_queries, app):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    steps.open_lesson(client, SLUG, "a")  # fills the caches of this version
    with count_queries() as statements:
        response = client.get(f"/courses/{SLUG}/lessons/a")
    assert response.status_code == 200
    assert "Nội dung đầu tiên." in page_text(response)
    assert "Kiểm tra kiem-tra-mot" in page_text(response)  # the sidebar's quizzes
    # the session with its account, the course with the enrolment, the lessons done, the
    # quiz attempts
    assert len(statements) <= 4, "\n".join(statements)
    assert not [s for s in statements if WRITES.match(s)]


def test_opening_a_lesson_does_not_record_a_visit_until_the_page_reports_it(
        client, login_as, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    steps.enrol(client, SLUG)
    assert client.get(f"/courses/{SLUG}/lessons/b").status_code == 200
    assert "b" not in steps.progress_by_lesson(user, SLUG)
    assert steps.enrolment_of(user, SLUG).started_at is None
    report = client.post(f"/courses/{SLUG}/lessons/b/time", data={"seconds": "12", "visit": "1"})
    assert report.status_code == 204
    record = steps.progress_by_lesson(user, SLUG)["b"]
    assert (record.visits, record.time_spent_seconds) == (1, 12)
    enrolment = steps.enrolment_of(user, SLUG)
    assert enrolment.started_at is not None
    assert enrolment.last_lesson_id == record.lesson_id  # where "continue" goes
    # later reports of the same view add time, not visits
    client.post(f"/courses/{SLUG}/lessons/b/time", data={"seconds": "8"})
    record = steps.progress_by_lesson(user, SLUG)["b"]
    assert (record.visits, record.time_spent_seconds) == (1, 20)


def test_a_visit_report_is_refused_outside_its_range(client, login_as, tmp_path):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    response = client.post(f"/courses/{SLUG}/lessons/a/time", data={"seconds": "1", "visit": "2"})
    assert response.status_code == 400


def test_a_new_version_is_shown_at_once_though_the_old_one_was_cached(
        client, login_as, tmp_path):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    assert "Nội dung đầu tiên." in page_text(steps.open_lesson(client, SLUG, "a"))
    make_course(tmp_path, title="Bài A mới", body="Nội dung đã sửa.\n")  # a re-import
    text = page_text(client.get(f"/courses/{SLUG}/lessons/a"))
    assert "Nội dung đã sửa." in text and "Bài A mới" in text
    assert "Nội dung đầu tiên." not in text


def test_a_gift_import_that_adds_a_quiz_shows_it_on_the_lesson_page(
        client, login_as, tmp_path, app):
    factories.make_course(tmp_path, SLUG, lessons=("a",))
    login_as("learner")
    steps.enrol(client, SLUG)
    assert "Kiểm tra" not in page_text(steps.open_lesson(client, SLUG, "a"))
    gift = tmp_path / "final.gift"
    gift.write_text("::q1:: Chữ ký số có giá trị pháp lý {T}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["quizzes", "import-gift", str(gift), "--course", SLUG])
    assert result.exit_code == 0, result.output
    html = client.get(f"/courses/{SLUG}/lessons/a").data.decode()
    assert f'href="/courses/{SLUG}/quizzes/final-test"' in html


def test_html_of_an_older_renderer_is_rendered_in_memory_and_stored_by_the_command(
        client, login_as, tmp_path, app):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    course = db.session.scalar(select(Course).where(Course.slug == SLUG))
    db.session.execute(update(Lesson).where(Lesson.course_id == course.id)
                       .values(body_html="<p>cũ</p>", html_version=0))
    course.content_version = "an-older-deployment"
    db.session.commit()
    text = page_text(client.get(f"/courses/{SLUG}/lessons/a"))
    assert "Nội dung đầu tiên." in text and "cũ" not in text
    stored = db.session.scalar(select(Lesson.html_version).where(
        Lesson.course_id == course.id, Lesson.slug == "a"))
    assert stored == 0  # the page wrote nothing
    result = app.test_cli_runner().invoke(args=["courses", "rerender"])
    assert result.exit_code == 0 and "2" in result.output
    db.session.expire_all()
    body = db.session.scalar(select(Lesson.body_html).where(
        Lesson.course_id == course.id, Lesson.slug == "a"))
    assert "Nội dung đầu tiên." in body


def test_a_course_page_view_runs_four_statements_and_writes_nothing(
        client, login_as, tmp_path, count_queries):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    client.get(f"/courses/{SLUG}")  # fills the caches of this version
    with count_queries() as statements:
        response = client.get(f"/courses/{SLUG}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Kiểm tra kiem-tra-mot" in text and "Kiểm tra cuoi-khoa" in text
    # the session with its account, the course with the enrolment and its other versions,
    # the lessons done, the quiz attempts
    assert len(statements) <= 4, "\n".join(statements)
    assert not [s for s in statements if WRITES.match(s)]


def test_the_lesson_sidebar_shows_a_locked_quiz_and_what_it_waits_for(
        client, login_as, tmp_path):
    make_course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    html = client.get(f"/courses/{SLUG}/lessons/a").data.decode()
    sidebar = re.search(r'<nav class="player-sidebar".*?</nav>', html, re.S).group(0)
    assert "quiz-lock" in sidebar and "quiz-missing" in sidebar  # the final test needs lessons
