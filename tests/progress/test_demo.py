"""The demo: `flask demo load` brings the demo course in Vietnamese and English and gives the
demo officials varied progress on it, once."""

from __future__ import annotations

from sqlalchemy import func, select

from courses import services as course_services
from courses.models import Course, Enrolment, LessonProgress
from learning.accounts.models import User


def snapshot(db) -> dict:
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "counts": {model.__name__: count(model)
                   for model in (Course, User, Enrolment, LessonProgress)},
        "enrolments": db.session.execute(select(
            Enrolment.user_id, Enrolment.course_id, Enrolment.lessons_done,
            Enrolment.percent_complete, Enrolment.completed_at, Enrolment.time_spent_seconds,
        ).order_by(Enrolment.id)).all(),
        "courses": db.session.execute(select(Course.slug, Course.package_digest,
                                             Course.updated_at).order_by(Course.slug)).all(),
    }


def test_demo_load_brings_the_course_in_two_languages_and_varied_progress_once(runner, db):
    # One test, so the (slow) demo load runs once: the second load must change nothing.
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so"))
    assert course is not None and course.language == "vi"
    assert len(course_services.active_modules(course)) >= 5
    lessons = course_services.active_lessons(course.id)
    assert len(lessons) >= 15
    english = db.session.scalars(select(Course).where(
        Course.family == course.family, Course.language == "en")).all()
    assert course.family and len(english) == 1

    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course.id)).all()
    completed = [e for e in enrolments if e.completed_at is not None]
    partial = [e for e in enrolments if e.completed_at is None and 0 < e.lessons_done]
    not_started = [e for e in enrolments if e.lessons_done == 0 and e.completed_at is None]
    assert completed and partial and not_started, (len(completed), len(partial),
                                                   len(not_started))
    assert all(e.percent_complete == 100 and e.lessons_done == len(lessons) for e in completed)
    assert all(0 < e.percent_complete < 100 for e in partial)
    # the figures agree with the lesson records
    for enrolment in enrolments:
        done = db.session.scalar(select(func.count()).select_from(LessonProgress).where(
            LessonProgress.user_id == enrolment.user_id,
            LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None)))
        assert done == enrolment.lessons_done

    before = snapshot(db)
    assert before["counts"]["Enrolment"] > 0 and before["counts"]["LessonProgress"] > 0
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    assert snapshot(db) == before
