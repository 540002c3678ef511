"""The demo quizzes after `flask demo load`: a quiz for every module and a final test in both
demo courses, enough questions in each language, and demo officials with passed, failed and
unfinished attempts, some of whom have completed the course.

Loading the demo is slow, so it is loaded once for this module (the tables are emptied after
the last test, as the `app` fixture does after each test)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courses import services as course_services
from courses.models import Course, Enrolment
from learning.accounts.models import User
from learning.db import db
from learning.site import demo
from quizzes import services as quizzes
from quizzes.models import AttemptAnswer, QuizAttempt
from tests.conftest import _truncate, sign_in

COURSES = {"ky-nang-so": "vi", "digital-skills": "en"}


@pytest.fixture(scope="module")
def demo_loaded(_app):
    """The demo ministry, loaded once through `flask demo load`."""
    with _app.app_context():
        result = _app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    yield _app
    _truncate(_app)


@pytest.fixture
def demo_db(demo_loaded):
    """An application context on the loaded demo (read only: nothing is committed)."""
    with demo_loaded.app_context():
        yield db
        db.session.rollback()
        db.session.remove()


def course(slug: str) -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


@pytest.mark.parametrize("slug", COURSES)
def test_every_module_has_a_quiz_and_the_course_a_final_test(demo_db, slug):
    found = course(slug)
    assert found is not None and found.completion_rule == "all_lessons_and_quizzes"
    modules = course_services.active_modules(found)
    assert len(modules) == 5
    by_module: dict = {}
    for quiz in quizzes.course_quizzes(found.id):
        by_module.setdefault(quiz.module_id, []).append(quiz)
    assert all(len(by_module.get(module.id, [])) == 1 for module in modules), [
        module.slug for module in modules if module.id not in by_module]
    [final] = by_module[None]
    assert final.is_required
    for quiz in quizzes.course_quizzes(found.id):
        graded = [q for _, q in quizzes.bank(quiz) if q.is_graded]
        assert graded, quiz.slug
        assert not quiz.draw_count or quiz.draw_count <= len(graded), quiz.slug


@pytest.mark.parametrize("slug, language", COURSES.items())
def test_each_language_has_at_least_forty_questions(demo_db, slug, language):
    found = course(slug)
    assert found.language == language
    questions = [q for quiz in quizzes.course_quizzes(found.id)
                 for _, q in quizzes.bank(quiz) if q.type != "description"]
    assert len(questions) >= 40
    assert len({q.type for q in questions}) >= 5  # a mix of types, not one kind


def test_demo_officials_have_passed_failed_and_unfinished_attempts(demo_db):
    attempts = list(db.session.scalars(select(QuizAttempt)))
    demo_users = set(db.session.scalars(select(User.id).where(
        User.staff_number.like("BNG-%"))))
    assert attempts and {a.user_id for a in attempts} <= demo_users
    passed = [a for a in attempts if a.state == "submitted" and a.is_passed]
    failed = [a for a in attempts if a.state == "submitted" and a.is_passed is False]
    unfinished = [a for a in attempts if a.state == "in_progress"]
    assert passed and failed and unfinished
    # an unfinished attempt has answers saved, waiting to be resumed
    assert any(db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.attempt_id == a.id)) for a in unfinished)
    assert all(a.percent is None for a in unfinished)
    assert all(0 <= a.percent <= 100 for a in passed + failed)


def test_some_demo_officials_have_completed_the_course_by_its_rule(demo_db):
    main = course("ky-nang-so")
    completed = list(db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == main.id, Enrolment.completed_at.is_not(None))))
    assert completed
    required = len(quizzes.required_quizzes(main.id))
    passed = quizzes.passed_required(main.id, [e.user_id for e in completed])
    assert all(passed.get(e.user_id) == required for e in completed)
    assert all(e.percent_complete == 100 for e in completed)
    unfinished = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.course_id == main.id, Enrolment.completed_at.is_(None)))
    assert unfinished  # and some have not


def test_the_demo_learner_sees_the_quiz_pages(demo_loaded, demo_db):
    client = demo_loaded.test_client()
    assert sign_in(client, "learner", demo.DEMO_PASSWORD).status_code == 302
    for slug in COURSES:
        for quiz in quizzes.course_quizzes(course(slug).id):
            response = client.get(f"/courses/{slug}/quizzes/{quiz.slug}")
            assert response.status_code == 200, (slug, quiz.slug)
            assert quiz.title.split(":")[0] in response.data.decode()
