"""What an official should do next, assignments first: the learner's path (learning.progress)
knows each course's next step; mentoring knows what was assigned and by when. The site, above
both, puts them together for the dashboard and /learn.
"""

from __future__ import annotations

from dataclasses import replace

from learning.mentoring.queries import AssignedItem
from learning.progress import path
from learning.progress.queries import Dashboard
from learning.progress.path import CourseProgress, Step


def _assigned_step(row: CourseProgress, item: AssignedItem) -> Step:
    """The step for an assignment in a course: its lesson, else the first lesson left in its
    module, while those are not done; otherwise the course's own next step (its quizzes, the
    attempt in progress...)."""
    if row.step.kind == path.ATTEMPT:  # an unfinished attempt comes first, as everywhere
        return row.step
    for module, lessons in row.outline:
        for lesson in lessons:
            if lesson.id in row.done_ids:
                continue
            if (item.lesson_slug and lesson.slug == item.lesson_slug) or (
                    not item.lesson_slug and item.module_slug and module.slug == item.module_slug):
                return Step(path.LESSON, row.course, lesson=lesson,
                            is_first=row.enrolment is not None
                            and row.enrolment.started_at is None and not row.done_ids)
    return row.step


def assignment_focus(dashboard: Dashboard, assigned: list[AssignedItem]) -> CourseProgress | None:
    """Return the course row to continue when an unfinished assignment points at something to
    do now (the most urgent first: overdue, then by due date), with the step that assignment
    asks for; None when no assignment does (the learner's path then chooses)."""
    rows = {row.course.slug: row for row in dashboard.rows}
    for item in assigned:  # already ordered: overdue first, then by due date
        row = rows.get(item.course_slug)
        if item.is_finished or row is None or path.current([row]) is None:
            continue
        return replace(row, step=_assigned_step(row, item))
    return None
