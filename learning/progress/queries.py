"""Read models for the learner's dashboard ("My learning")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from courses.models import Course, Enrolment, Lesson, LessonProgress
from courses.services import counts_as_done, pick_next_lesson, with_enrolment
from learning.accounts.models import User
from learning.db import db


@dataclass
class CourseRow:
    """One course on the dashboard."""

    enrolment: Enrolment
    course: Course
    next_lesson: Lesson | None
    lessons_total: int


@dataclass
class Dashboard:
    """Everything the "My learning" page shows."""

    in_progress: list[CourseRow]
    not_started: list[CourseRow]
    completed: list[CourseRow]
    time_spent_seconds: int
    lessons_done: int

    @property
    def continue_with(self) -> CourseRow | None:
        """Return the course the official worked on last and has not finished."""
        return self.in_progress[0] if self.in_progress else (
            self.not_started[0] if self.not_started else None)


def my_learning(user: User) -> Dashboard:
    """Return the official's dashboard in four queries, whatever the number of courses."""
    pairs = db.session.execute(
        select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc())
    ).all()
    course_ids = [course.id for _, course in pairs]
    lessons_by_course: dict[int, list[Lesson]] = {cid: [] for cid in course_ids}
    if course_ids:
        for lesson in db.session.scalars(
            select(Lesson).where(Lesson.course_id.in_(course_ids), Lesson.is_removed.is_(False))
            .order_by(Lesson.course_id, Lesson.position)
        ):
            lessons_by_course[lesson.course_id].append(lesson)
        done = set(db.session.scalars(with_enrolment(select(LessonProgress.lesson_id)).where(
            LessonProgress.user_id == user.id, LessonProgress.course_id.in_(course_ids),
            counts_as_done())))
    else:
        done = set()
    dashboard = Dashboard([], [], [], 0, 0)
    for enrolment, course in pairs:
        lessons = lessons_by_course[course.id]
        row = CourseRow(enrolment, course,
                        pick_next_lesson(lessons, done, enrolment.last_lesson_id), len(lessons))
        dashboard.time_spent_seconds += enrolment.time_spent_seconds
        dashboard.lessons_done += enrolment.lessons_done
        if enrolment.completed_at:
            dashboard.completed.append(row)
        elif enrolment.started_at:
            dashboard.in_progress.append(row)
        else:
            dashboard.not_started.append(row)
    return dashboard
