"""Practical tasks in the learner's path (learning/progress/path.py, pure: no database): under
`[completion] tasks = "required"` the counts and the percentage count the required tasks
confirmed as parts, as learning.progress.services does, and once the lessons and quizzes are
done the next step names a task to hand in (one returned with a comment first), else says one
is waiting for review."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from learning.progress import path
from learning.progress.path import CourseData, percent_of
from learning.tasks.services import TaskInfo

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
MODULE = SimpleNamespace(id=1, slug="co-ban", title="Cơ bản")
LESSONS = [SimpleNamespace(id=10 + n, module_id=1, position=n, slug=f"bai-{n}",
                           title=f"Bài {n}") for n in range(3)]
TASKS = [TaskInfo(100, 1, "dang-ky", "Đăng ký văn bản đến", True),
         TaskInfo(101, 1, "ky-so", "Ký số văn bản đi", True),
         TaskInfo(102, 1, "lgsp", "Đề nghị khai thác dữ liệu", False)]


def course(*, requires_tasks: bool = True):
    return SimpleNamespace(id=5, slug="thuc-hanh", is_published=True, requires_tasks=requires_tasks,
                           completion_rule="all_lessons", language="vi")


def enrolment(*, complete: bool = False):
    return SimpleNamespace(completed_at=NOW if complete else None, started_at=NOW,
                           last_lesson_id=None, cycle=1, cycle_started_at=None)


def progress(states, *, done=3, requires_tasks=True, complete=False, tasks=TASKS):
    return path.course_progress(CourseData(
        course=course(requires_tasks=requires_tasks), enrolment=enrolment(complete=complete),
        modules=[MODULE], lessons=LESSONS, quizzes=[],
        done_ids={lesson.id for lesson in LESSONS[:done]}, tasks=list(tasks),
        task_states=states), now=NOW)


def test_required_tasks_are_counted_and_the_percentage_agrees_with_the_stored_one():
    row = progress({100: "confirmed", 101: "waiting", 102: "confirmed"}, done=1)
    # the optional task (102) counts for nothing
    assert (row.lessons_done, row.lessons_total, row.tasks_confirmed, row.tasks_total) == \
        (1, 3, 1, 2)
    assert row.percent == percent_of(1, 3, 1, 2, complete=False) == 40
    assert row.step.kind == path.LESSON  # lessons before tasks


def test_with_lessons_done_a_returned_task_comes_first_then_one_not_handed_in():
    row = progress({100: "waiting", 101: "returned"})
    assert (row.step.kind, row.step.task.slug, row.step.task_state) == \
        (path.TASK, "ky-so", "returned")
    assert row.step.endpoint == "tasks.task"
    assert row.step.values == {"slug": "thuc-hanh", "task_slug": "ky-so"}
    row = progress({101: "waiting"})
    assert (row.step.kind, row.step.task.slug, row.step.task_state) == \
        (path.TASK, "dang-ky", None)
    assert path.current([row]) is row  # something to do now


def test_tasks_waiting_for_review_are_said_so_and_are_not_something_to_do_now():
    row = progress({100: "confirmed", 101: "waiting"})
    assert (row.step.kind, row.step.task.slug) == (path.REVIEW, "ky-so")
    assert row.percent == percent_of(3, 3, 1, 2, complete=False) == 80
    assert path.current([row]) is None


def test_all_confirmed_and_complete_offers_the_certificate():
    row = progress({100: "confirmed", 101: "confirmed"}, complete=True)
    assert (row.step.kind, row.percent, row.tasks_confirmed) == (path.CERTIFICATE, 100, 2)


@pytest.mark.parametrize("states", [None, {100: "returned"}])
def test_a_course_that_does_not_require_its_tasks_leaves_them_out(states):
    row = progress(states, requires_tasks=False)
    assert (row.tasks_total, row.tasks_confirmed) == (0, 0)
    assert row.step.kind == path.NOTHING  # lessons done, not complete yet: nothing to do
    assert row.percent == 99  # all lessons: complete when the progress layer says so


def test_only_optional_tasks_do_not_count():
    row = progress({}, tasks=[TASKS[2]])
    assert row.tasks_total == 0 and row.step.kind == path.NOTHING
