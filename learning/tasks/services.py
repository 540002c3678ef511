"""Practical tasks: import them from packages, hand them in, and count the confirmed ones.

Reviewing (confirm / return) is the mentoring layer's (learning.mentoring.tasks): it needs to
know who mentors whom. This layer keeps the records and the figures the progress layer counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from courses.outline import BoundedCache
from courses.models import Course, Module
from courses.packages import CourseSpec, PackageError, Problem
from courses.services import get_enrolment, may_open_lessons, modules_by_folder
from learning.accounts.models import User
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.tasks import images
from learning.tasks.models import PracticalTask, TaskSubmission
from learning.tasks.package import parse_tasks

MAX_NOTE = 5000


# --- packages --------------------------------------------------------------------------------

def check_package(files: dict[str, bytes], *, spec: CourseSpec | None, **_) -> list[Problem]:
    """Subscriber of `package_checking`: every problem of the package's task files."""
    specs, problems = parse_tasks(files)
    if spec is not None:
        folders = {module.folder for module in spec.modules}
        for folder in sorted({s.folder for s in specs} - folders):
            problems.append(Problem(f"{folder}/tasks.toml", None, "tasks outside any module"))
    if spec is not None and spec.extra.get("completion", {}).get("tasks") == "required" \
            and not any(s.is_required for s in specs):
        problems.append(Problem("course.toml", None, "completion.tasks = \"required\" but the "
                                                     "package declares no required task"))
    return problems


def apply_package(course: Course, *, now: datetime, spec: CourseSpec, **_) -> None:
    """Subscriber of `package_applied`: make the course's tasks match its package (tasks that
    disappeared are kept, marked removed, with their submissions)."""
    specs, problems = parse_tasks(spec.files)
    if problems:
        raise PackageError(problems)
    module_by_folder = modules_by_folder(course, spec)
    existing = {t.slug: t for t in db.session.scalars(
        select(PracticalTask).where(PracticalTask.course_id == course.id))}
    seen = set()
    for position, task_spec in enumerate(specs):
        task = existing.get(task_spec.slug)
        if task is None:
            task = PracticalTask(course_id=course.id, slug=task_spec.slug)
            db.session.add(task)
        module = module_by_folder.get(task_spec.folder)
        task.module_id = module.id if module is not None else None
        task.title = task_spec.title
        task.instructions = task_spec.instructions
        task.evidence = task_spec.evidence
        task.is_required = task_spec.is_required
        task.position = position
        task.is_removed = False
        task.updated_at = now
        seen.add(task_spec.slug)
    for slug, task in existing.items():
        if slug not in seen:
            task.is_removed = True
    db.session.flush()


# --- reading ---------------------------------------------------------------------------------

def course_tasks(course_id: int) -> list[PracticalTask]:
    """Return the course's current tasks in module order."""
    return list(db.session.scalars(
        select(PracticalTask).outerjoin(Module, Module.id == PracticalTask.module_id)
        .where(PracticalTask.course_id == course_id, PracticalTask.is_removed.is_(False))
        .order_by(func.coalesce(Module.position, 100_000), PracticalTask.position)))


@dataclass(frozen=True)
class TaskInfo:
    """What the course page shows of a task, as plain data it may cache."""

    id: int
    module_id: int | None
    slug: str
    title: str
    is_required: bool


_task_lists = BoundedCache(max_entries=512)


def current_tasks(course: Course) -> tuple[TaskInfo, ...]:
    """Return the course's current tasks in module order, cached under the course's content
    version (every package import replaces it; see courses.outline): no query once cached."""
    return _task_lists.get_or_load((course.id, course.content_version), lambda: tuple(
        TaskInfo(t.id, t.module_id, t.slug, t.title, t.is_required)
        for t in course_tasks(course.id)))


def course_page_rows(user_id: int, course: Course) -> list[tuple[TaskInfo, str | None]]:
    """The course page's task lines: each current task with the official's state on it (one
    query, and none for a course without tasks)."""
    tasks = current_tasks(course)
    if not tasks:
        return []
    standing = states(user_id, course.id)
    return [(task, standing.get(task.id)) for task in tasks]


def get_task(course: Course, slug: str) -> PracticalTask:
    """Return a current task of the course or raise NotFound."""
    task = db.session.scalar(select(PracticalTask).where(
        PracticalTask.course_id == course.id, PracticalTask.slug == slug,
        PracticalTask.is_removed.is_(False)))
    if task is None:
        raise NotFound(_l("No such task."))
    return task


def history(user_id: int, task_id: int) -> list[TaskSubmission]:
    """Return an official's hand-ins of a task, newest first."""
    return list(db.session.scalars(
        select(TaskSubmission).where(TaskSubmission.user_id == user_id,
                                     TaskSubmission.task_id == task_id)
        .order_by(TaskSubmission.id.desc())))


def states(user_id: int, course_id: int) -> dict[int, str]:
    """Map each task of the course to the official's standing on it: confirmed (any hand-in
    confirmed), else the state of the latest hand-in; tasks not handed in are absent."""
    result: dict[int, str] = {}
    for task_id, state in db.session.execute(
            select(TaskSubmission.task_id, TaskSubmission.state)
            .where(TaskSubmission.user_id == user_id, TaskSubmission.course_id == course_id)
            .order_by(TaskSubmission.id)):
        if result.get(task_id) != "confirmed":
            result[task_id] = state
    return result


def required_tasks(course_id: int) -> list[PracticalTask]:
    """Return the course's current required tasks."""
    return [task for task in course_tasks(course_id) if task.is_required]


def confirmed_required(course_id: int, user_ids: list[int] | None = None) -> dict[int, int]:
    """Map each official to the number of the course's current required tasks confirmed."""
    query = (select(TaskSubmission.user_id, func.count(func.distinct(TaskSubmission.task_id)))
             .join(PracticalTask, PracticalTask.id == TaskSubmission.task_id)
             .where(TaskSubmission.course_id == course_id, TaskSubmission.state == "confirmed",
                    PracticalTask.is_required.is_(True), PracticalTask.is_removed.is_(False))
             .group_by(TaskSubmission.user_id))
    if user_ids is not None:
        query = query.where(TaskSubmission.user_id.in_(user_ids))
    return dict(db.session.execute(query).all())


def confirmed_titles(user_id: int, course_id: int) -> list[str]:
    """Return the titles of the official's confirmed tasks of the course, in course order."""
    confirmed = {task_id for task_id, state in states(user_id, course_id).items()
                 if state == "confirmed"}
    return [task.title for task in course_tasks(course_id) if task.id in confirmed]


# --- handing in ------------------------------------------------------------------------------

@dataclass
class Evidence:
    """What the official hands in: a note and/or a screenshot's bytes."""

    note: str = ""
    image: bytes | None = None


def can_submit(actor: User, task: PracticalTask) -> bool:
    """Tell whether the official may hand the task in: they may open the course's lessons."""
    course = task.course
    return may_open_lessons(actor, course, get_enrolment(actor, course))


def submit(actor: User, task: PracticalTask, evidence: Evidence, *, now: datetime,
           max_image_bytes: int) -> TaskSubmission:
    """Hand a task in for review (again, after it was returned)."""
    if not can_submit(actor, task):
        raise PermissionDenied(_l("Enrol in the course to hand in its tasks."))
    note = (evidence.note or "").strip()
    image = evidence.image or None
    if not note and image is None:
        raise RuleViolation(_l("Write a note or attach a screenshot."), field="note")
    if len(note) > MAX_NOTE:
        raise RuleViolation(_l("The note is too long."), field="note")
    media_type = None
    if image is not None:
        if len(image) > max_image_bytes:
            raise RuleViolation(_l("The screenshot is too large (at most %(kb)s KB).",
                                   kb=max_image_bytes // 1024), field="image")
        media_type = images.image_type(image)
        if media_type is None:
            raise RuleViolation(_l("The screenshot must be a PNG, JPEG or WebP image."),
                                field="image")
    standing = states(actor.id, task.course_id).get(task.id)
    if standing == "confirmed":
        raise RuleViolation(_l("This task is already confirmed."))
    if standing == "waiting":
        raise RuleViolation(_l("This task is already waiting for review."))
    submission = TaskSubmission(task_id=task.id, user_id=actor.id, course_id=task.course_id,
                                state="waiting", note=note, image_type=media_type,
                                image_size=len(image) if image else None, image_data=image,
                                submitted_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(submission)
            db.session.flush()
    except IntegrityError as error:  # handed in at the same moment from another tab
        raise RuleViolation(_l("This task is already waiting for review.")) from error
    return submission
