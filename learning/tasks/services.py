"""Practical tasks: import them from packages, hand them in, and count the confirmed ones.

Reviewing (confirm / return) is the mentoring layer's (learning.mentoring.tasks): it needs to
know who mentors whom. This layer keeps the records and the figures the progress layer counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from courses.models import Course, Enrolment, Module
from courses.packages import CourseSpec, PackageError, Problem
from courses.services import get_enrolment, may_open_lessons, modules_by_folder
from learning.accounts.models import User
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.fragments import BoundedCache
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
    return _task_lists.get_or_load((course.id, course.content_version),
                                   lambda: _task_infos([course.id])[course.id])


def _task_infos(course_ids: list[int]) -> dict[int, tuple[TaskInfo, ...]]:
    found: dict[int, list[TaskInfo]] = {course_id: [] for course_id in course_ids}
    for t in db.session.scalars(
            select(PracticalTask).outerjoin(Module, Module.id == PracticalTask.module_id)
            .where(PracticalTask.course_id.in_(course_ids), PracticalTask.is_removed.is_(False))
            .order_by(PracticalTask.course_id, func.coalesce(Module.position, 100_000),
                      PracticalTask.position)):
        found[t.course_id].append(TaskInfo(t.id, t.module_id, t.slug, t.title, t.is_required))
    return {course_id: tuple(infos) for course_id, infos in found.items()}


def tasks_by_course(courses: list[Course]) -> dict[int, tuple[TaskInfo, ...]]:
    """Map each course id to its current tasks (as `current_tasks`): from the cache, the
    courses not cached yet loaded together in one query."""
    result = {course.id: _task_lists.get((course.id, course.content_version))
              for course in courses}
    missing = [course for course in courses if result[course.id] is None]
    if missing:
        loaded = _task_infos([course.id for course in missing])
        for course in missing:
            result[course.id] = _task_lists.get_or_load(
                (course.id, course.content_version), lambda course=course: loaded[course.id])
    return result


def course_page_rows(user_id: int, course: Course, standing: dict[int, str] | None = None
                     ) -> list[tuple[TaskInfo, str | None]]:
    """The course page's task lines: each current task with the official's state on it (one
    query, none for a course without tasks or when the page already read the `standing`)."""
    tasks = current_tasks(course)
    if not tasks:
        return []
    if standing is None:
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


def counts_in_cycle():
    """SQL condition (with the enrolment joined, see `with_enrolment`): a hand-in counts in
    the enrolment's current cycle. After a recertification restart (`cycle_started_at`) a
    confirmation or a return from before it no longer counts (it is kept); a hand-in still
    waiting does, and its review, which comes later, counts too."""
    return or_(Enrolment.cycle_started_at.is_(None), TaskSubmission.state == "waiting",
               TaskSubmission.reviewed_at >= Enrolment.cycle_started_at)


def with_enrolment(statement):
    """Outer-join a TaskSubmission query to the matching enrolment (none: no cycle)."""
    return statement.outerjoin(Enrolment, and_(Enrolment.user_id == TaskSubmission.user_id,
                                               Enrolment.course_id == TaskSubmission.course_id))


def states_by_course(user_id: int, course_ids: list[int]) -> dict[int, dict[int, str]]:
    """Map each of the courses to the official's standing on each of its tasks in the
    enrolment's current cycle: confirmed (any hand-in confirmed), else the state of the latest
    hand-in; tasks not handed in (in this cycle) are absent. One query."""
    result: dict[int, dict[int, str]] = {course_id: {} for course_id in course_ids}
    if not course_ids:
        return result
    for course_id, task_id, state in db.session.execute(
            with_enrolment(select(TaskSubmission.course_id, TaskSubmission.task_id,
                                  TaskSubmission.state))
            .where(TaskSubmission.user_id == user_id, TaskSubmission.course_id.in_(course_ids),
                   counts_in_cycle())
            .order_by(TaskSubmission.id)):
        standing = result[course_id]
        if standing.get(task_id) != "confirmed":
            standing[task_id] = state
    return result


def states(user_id: int, course_id: int) -> dict[int, str]:
    """Map each task of the course to the official's standing on it (see
    `states_by_course`). One query."""
    return states_by_course(user_id, [course_id])[course_id]


def required_tasks(course_id: int) -> list[PracticalTask]:
    """Return the course's current required tasks."""
    return [task for task in course_tasks(course_id) if task.is_required]


def confirmed_required(course_id: int, user_ids: list[int] | None = None) -> dict[int, int]:
    """Map each official to the number of the course's current required tasks confirmed in
    their enrolment's current cycle."""
    query = (with_enrolment(select(TaskSubmission.user_id,
                                   func.count(func.distinct(TaskSubmission.task_id))))
             .join(PracticalTask, PracticalTask.id == TaskSubmission.task_id)
             .where(TaskSubmission.course_id == course_id, TaskSubmission.state == "confirmed",
                    PracticalTask.is_required.is_(True), PracticalTask.is_removed.is_(False),
                    counts_in_cycle())
             .group_by(TaskSubmission.user_id))
    if user_ids is not None:
        query = query.where(TaskSubmission.user_id.in_(user_ids))
    return dict(db.session.execute(query).all())


def confirmed_titles(user_id: int, course_id: int) -> list[str]:
    """Return the titles of the official's confirmed tasks of the course (in the current
    cycle), in course order."""
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
