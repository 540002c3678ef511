"""Read models for the learner's dashboard ("My learning")."""

from __future__ import annotations

from dataclasses import dataclass

from courses.models import Course, Enrolment, Lesson
from courses.queries import enrolled_courses
from learning.accounts.models import User


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
    """Return the official's dashboard in a fixed number of queries."""
    dashboard = Dashboard([], [], [], 0, 0)
    for entry in enrolled_courses(user):
        enrolment = entry.enrolment
        row = CourseRow(enrolment, entry.course, entry.next_lesson, len(entry.lessons))
        dashboard.time_spent_seconds += enrolment.time_spent_seconds
        dashboard.lessons_done += enrolment.lessons_done
        if enrolment.completed_at:
            dashboard.completed.append(row)
        elif enrolment.started_at:
            dashboard.in_progress.append(row)
        else:
            dashboard.not_started.append(row)
    return dashboard
