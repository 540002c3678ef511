"""Course completion: the one place that decides when an official has completed a course.

A course is complete when its completion rule is met: every current lesson done, and for
`all_lessons_and_quizzes` every required quiz passed too (the counted attempt, highest or
last, at or above the pass mark); a course whose package says `tasks = "required"` also needs
every required practical task confirmed by a reviewer. Percent complete counts lessons and,
under those rules, required quizzes and required tasks as equal parts. Figures are recomputed from the
learner records (never incremented), so a recomputation is always safe to repeat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from courses.models import Course, Enrolment, Lesson, LessonProgress
from courses.services import counts_as_done, with_enrolment
from courses.signals import enrolment_changed
from learning.db import db
from learning.progress.path import percent_of
from learning.progress.signals import course_completed
from learning.tasks import services as tasks
from quizzes import services as quizzes
from quizzes.models import Quiz


def _done_counts(course_id: int, user_ids: list[int] | None = None) -> dict[int, int]:
    query = (
        with_enrolment(select(LessonProgress.user_id, func.count()))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.course_id == course_id, counts_as_done(),
               Lesson.is_removed.is_(False))
        .group_by(LessonProgress.user_id)
    )
    if user_ids is not None:
        query = query.where(LessonProgress.user_id.in_(user_ids))
    return dict(db.session.execute(query).all())


def _lesson_total(course_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Lesson).where(
        Lesson.course_id == course_id, Lesson.is_removed.is_(False))) or 0


def _quiz_figures(course: Course, user_ids: list[int] | None) -> tuple[dict[int, int], int]:
    """Return passed required quizzes per official and the number required (rule-aware)."""
    if course.completion_rule != "all_lessons_and_quizzes":
        return {}, 0
    return quizzes.passed_required(course.id, user_ids), len(quizzes.required_quizzes(course.id))


def _task_figures(course: Course, user_ids: list[int] | None) -> tuple[dict[int, int], int]:
    """Return confirmed required tasks per official and the number required (rule-aware)."""
    if not course.requires_tasks:
        return {}, 0
    return tasks.confirmed_required(course.id, user_ids), len(tasks.required_tasks(course.id))


def _figures(course: Course, user_ids: list[int] | None) -> tuple[dict[int, int], int]:
    """Return the required quizzes passed plus tasks confirmed per official, and the sum of
    the required quizzes and tasks: the parts besides lessons the rule asks for."""
    passed, required = _quiz_figures(course, user_ids)
    confirmed, tasks_required = _task_figures(course, user_ids)
    merged = {user_id: passed.get(user_id, 0) + confirmed.get(user_id, 0)
              for user_id in {*passed, *confirmed}}
    return merged, required + tasks_required


def _apply(enrolment: Enrolment, course: Course, done: int, total: int, passed: int,
           required: int, now: datetime) -> None:
    enrolment.lessons_done = done
    if enrolment.completed_at is None and total and done >= total and passed >= required:
        enrolment.completed_at = now
        enrolment.percent_complete = 100
        db.session.flush()
        course_completed.send(enrolment, now=now)
    enrolment.percent_complete = percent_of(done, total, passed, required,
                                            complete=enrolment.completed_at is not None)


def recompute(user_id: int, course_id: int, *, now: datetime) -> Enrolment | None:
    """Recompute one official's figures on one course and complete it if the rule is met."""
    # Lock the enrolment (and read it afresh) before counting: a quiz graded while the last
    # lesson is marked done must see the other's work once it is committed, or neither would
    # complete the course (PostgreSQL; SQLite runs writers one at a time anyway).
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id)
        .with_for_update().execution_options(populate_existing=True))
    if enrolment is None:
        return None
    course = db.session.get(Course, course_id)
    done = _done_counts(course_id, [user_id]).get(user_id, 0)
    passed, required = _figures(course, [user_id])
    _apply(enrolment, course, done, _lesson_total(course_id), passed.get(user_id, 0), required,
           now)
    db.session.flush()
    enrolment_changed.send(enrolment, now=now)
    return enrolment


def recompute_course(course: Course, *, now: datetime) -> None:
    """Recompute every enrolment of a course after its content changed (set-based)."""
    total = _lesson_total(course.id)
    counts = _done_counts(course.id)
    passed, required = _figures(course, None)
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))
    for enrolment in enrolments:
        _apply(enrolment, course, counts.get(enrolment.user_id, 0), total,
               passed.get(enrolment.user_id, 0), required, now)
    db.session.flush()


def on_lesson_completed(lesson, *, user_id: int, course_id: int, now: datetime, **_) -> None:
    """Subscriber: a lesson was completed for the first time."""
    recompute(user_id, course_id, now=now)


def on_attempt_graded(attempt, *, now: datetime, **_) -> None:
    """Subscriber: a quiz attempt was graded; its course may now be complete."""
    quiz = db.session.get(Quiz, attempt.quiz_id)
    recompute(attempt.user_id, quiz.course_id, now=now)


def on_course_content_changed(course, *, now: datetime, **_) -> None:
    """Subscriber: a new version of the course was imported."""
    recompute_course(course, now=now)


def on_task_confirmed(submission, *, now: datetime, **_) -> None:
    """Subscriber: a practical task was confirmed; its course may now be complete."""
    recompute(submission.user_id, submission.course_id, now=now)
