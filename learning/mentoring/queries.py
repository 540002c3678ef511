"""Reads for the mentoring pages, the learner's dashboard and (later) the JSON API: a group's
grid of members by assignments, one member's assigned learning, an official's assignments.

Every read checks the reader's rights (learning.mentoring.access) and shows a mentor only the
learning assigned through their groups. Set-based: a fixed number of queries per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer, joinedload

from certificates.models import Certificate
from courses.models import Course, Enrolment, Lesson, LessonProgress, Module
from learning.accounts.models import User
from learning.db import db
from learning.errors import PermissionDenied
from learning.mentoring import access
from learning.mentoring.models import Assignment, AssignmentMember, GroupMember, MentoringGroup
from learning.tasks import services as task_services
from learning.tasks.models import PracticalTask, TaskSubmission
from learning.mentoring.progress import (
    FINISHED,
    OVERDUE,
    STATES,
    URGENCY,
    Cell,
    compute_cells,
    ministry_day,
)
from quizzes.models import Quiz, QuizAttempt

SORTS = ("name", "state", "percent")


def _with_target(query):
    return query.options(joinedload(Assignment.course), joinedload(Assignment.module),
                         joinedload(Assignment.lesson), joinedload(Assignment.assigned_by))


def target_title(assignment: Assignment) -> str:
    """Return what an assignment names: the course, "course › module" or "course › lesson"."""
    if assignment.lesson is not None:
        return f"{assignment.course.title} › {assignment.lesson.title}"
    if assignment.module is not None:
        return f"{assignment.course.title} › {assignment.module.title}"
    return assignment.course.title


def is_target_removed(assignment: Assignment) -> bool:
    """Tell whether the assigned module or lesson is no longer in the course."""
    return bool((assignment.lesson is not None and assignment.lesson.is_removed)
                or (assignment.module is not None and assignment.module.is_removed))


def group_assignments(group: MentoringGroup) -> list[Assignment]:
    """Return the group's assignments, soonest due first, with their targets loaded."""
    return list(db.session.scalars(_with_target(
        select(Assignment).where(Assignment.group_id == group.id))
        .order_by(Assignment.due_on, Assignment.id)).unique())


def _applies(assignments: list[Assignment], member_ids: list[int]) -> dict[int, list[int]]:
    """Map each assignment id to the member ids it applies to (one query for the chosen)."""
    chosen: dict[int, set[int]] = {}
    partial = [a.id for a in assignments if not a.is_whole_group]
    if partial:
        for assignment_id, user_id in db.session.execute(
                select(AssignmentMember.assignment_id, AssignmentMember.user_id)
                .where(AssignmentMember.assignment_id.in_(partial))):
            chosen.setdefault(assignment_id, set()).add(user_id)
    return {a.id: (list(member_ids) if a.is_whole_group
                   else [m for m in member_ids if m in chosen.get(a.id, set())])
            for a in assignments}


@dataclass
class MemberRow:
    """One member in a group's grid, with a cell per assignment that applies to them."""

    user: User
    cells: dict[int, Cell]

    @property
    def worst_state(self) -> str | None:
        """Return the most urgent state over the member's assignments."""
        states = [cell.state for cell in self.cells.values()]
        return min(states, key=URGENCY.__getitem__) if states else None

    @property
    def average_percent(self) -> int | None:
        """Return the mean progress over the member's assignments."""
        cells = list(self.cells.values())
        return sum(cell.percent for cell in cells) // len(cells) if cells else None


@dataclass
class GroupProgress:
    """A group's members (those the reader may see) by its assignments."""

    group: MentoringGroup
    assignments: list[Assignment]
    rows: list[MemberRow]
    today: date

    def counts(self, assignment_id: int) -> dict[str, int]:
        """Return how many members are in each state on one assignment."""
        result = dict.fromkeys(STATES, 0)
        for row in self.rows:
            cell = row.cells.get(assignment_id)
            if cell is not None:
                result[cell.state] += 1
        return result


def _visible_members(actor: User | None, group: MentoringGroup):
    return (select(User.id).join(GroupMember, GroupMember.user_id == User.id)
            .where(GroupMember.group_id == group.id, access.members_condition(actor, group)))


def visible_members(actor: User | None, group: MentoringGroup) -> list[User]:
    """Return the group's members the actor may see, in Vietnamese name order."""
    if not access.can_open_group(actor, group):
        raise PermissionDenied(_l("You may not see this group."))
    return list(db.session.scalars(select(User).where(
        User.id.in_(_visible_members(actor, group))).order_by(User.sort_name, User.id)))


def group_progress(actor: User | None, group: MentoringGroup, *, now: datetime) -> GroupProgress:
    """Return every visible member's state and percent on each of the group's assignments."""
    if not access.can_open_group(actor, group):
        raise PermissionDenied(_l("You may not see this group."))
    visible = _visible_members(actor, group)
    members = list(db.session.scalars(
        select(User).where(User.id.in_(visible)).order_by(User.sort_name, User.id)))
    assignments = group_assignments(group)
    pairs = _applies(assignments, [user.id for user in members])
    cells = compute_cells(pairs, assignments, visible, now=now)
    rows = [MemberRow(user, {a.id: cells[(user.id, a.id)] for a in assignments
                             if (user.id, a.id) in cells}) for user in members]
    return GroupProgress(group, assignments, rows, ministry_day(now))


@dataclass
class Grid:
    """One page of a group's grid, filtered and sorted."""

    progress: GroupProgress
    rows: list[MemberRow]
    total: int
    page: int
    page_size: int
    state: str
    sort: str
    column: int | None  # the assignment the filter and sorting look at (None: all)

    @property
    def pages(self) -> int:
        return max(1, (self.total + self.page_size - 1) // self.page_size)


def grid(progress: GroupProgress, *, state: str = "", sort: str = "name",
         column: int | None = None, page: int = 1, page_size: int = 50) -> Grid:
    """Filter the grid's members by a state (on one assignment or any), sort them by name
    (Vietnamese order), state (most urgent first) or percent (least first), and cut a page."""
    state = state if state in STATES else ""
    sort = sort if sort in SORTS else "name"
    if column not in {a.id for a in progress.assignments}:
        column = None

    def cells_of(row: MemberRow) -> list[Cell]:
        if column is None:
            return list(row.cells.values())
        return [row.cells[column]] if column in row.cells else []

    rows = progress.rows  # already in Vietnamese name order
    if state:
        rows = [row for row in rows if any(cell.state == state for cell in cells_of(row))]
    if sort == "state":
        rows = sorted(rows, key=lambda row: min(
            (URGENCY[cell.state] for cell in cells_of(row)), default=len(URGENCY)))
    elif sort == "percent":
        def percent(row: MemberRow) -> int:
            cells = cells_of(row)
            return sum(c.percent for c in cells) // len(cells) if cells else 101
        rows = sorted(rows, key=percent)
    total = len(rows)
    pages = max(1, (total + page_size - 1) // page_size)
    page = min(max(page, 1), pages)
    start = (page - 1) * page_size
    return Grid(progress, rows[start:start + page_size], total, page, page_size, state, sort,
                column)


# --- one member --------------------------------------------------------------------------------

@dataclass
class LessonLine:
    """A lesson of an assigned target, and when the member did it (this cycle)."""

    title: str
    module_title: str
    done_at: datetime | None


@dataclass
class AttemptLine:
    """A quiz attempt at a quiz of an assigned target."""

    quiz_title: str
    number: int
    state: str
    submitted_at: datetime | None
    percent: float | None
    is_passed: bool | None
    pass_mark: int


@dataclass
class TaskLine:
    """A practical task of an assigned target, and the member's standing on it (this cycle)."""

    title: str
    is_required: bool
    state: str | None  # None: not handed in
    submission_id: int | None  # the hand-in that gives the state (to review it)


@dataclass
class AssignedLearning:
    """One assignment as it concerns one member: the cell and its details."""

    assignment: Assignment
    cell: Cell
    lessons: list[LessonLine] = field(default_factory=list)
    attempts: list[AttemptLine] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    tasks: list[TaskLine] = field(default_factory=list)

    @property
    def open_tasks(self) -> list[TaskLine]:
        """Return the tasks not confirmed yet."""
        return [line for line in self.tasks if line.state != "confirmed"]


@dataclass
class MemberDetail:
    """A member's page: only the learning the group assigns them."""

    group: MentoringGroup
    member: User
    items: list[AssignedLearning]


def _task_lines(member: User, assignments: list[Assignment], course_ids: list[int]
                ) -> dict[int, list[TaskLine]]:
    """Map each course or module assignment to its practical tasks with the member's standing
    on each in this cycle (two queries; none when the courses have no task)."""
    tasks = list(db.session.scalars(
        select(PracticalTask).outerjoin(Module, Module.id == PracticalTask.module_id)
        .where(PracticalTask.course_id.in_(course_ids), PracticalTask.is_removed.is_(False))
        .order_by(PracticalTask.course_id, func.coalesce(Module.position, 100_000),
                  PracticalTask.position)))
    if not tasks:
        return {}
    standing: dict[int, tuple[str, int]] = {}
    for submission_id, task_id, state in db.session.execute(
            task_services.with_enrolment(select(TaskSubmission.id, TaskSubmission.task_id,
                                                TaskSubmission.state))
            .where(TaskSubmission.user_id == member.id,
                   TaskSubmission.course_id.in_(course_ids), task_services.counts_in_cycle())
            .order_by(TaskSubmission.id)):
        if standing.get(task_id, ("",))[0] != "confirmed":  # as tasks.states decides
            standing[task_id] = (state, submission_id)
    lines: dict[int, list[TaskLine]] = {}
    for a in assignments:
        if a.kind == "lesson":
            continue
        lines[a.id] = [TaskLine(task.title, task.is_required,
                                *standing.get(task.id, (None, None)))
                       for task in tasks if task.course_id == a.course_id
                       and (a.kind == "course" or task.module_id == a.module_id)]
    return lines


def member_detail(actor: User | None, group: MentoringGroup, user_id: int, *,
                  now: datetime) -> MemberDetail:
    """Return what a member did of the learning the group assigns them: lessons done, quiz
    attempts, practical tasks and certificates of those courses, nothing else."""
    member = access.get_member(actor, group, user_id)
    assignments = group_assignments(group)
    pairs = {aid: ids for aid, ids in _applies(assignments, [member.id]).items() if ids}
    assignments = [a for a in assignments if a.id in pairs]
    cells = compute_cells(pairs, assignments, [member.id], now=now)
    items = [AssignedLearning(a, cells[(member.id, a.id)]) for a in assignments]
    if not items:
        return MemberDetail(group, member, [])
    course_ids = sorted({a.course_id for a in assignments})
    enrolments = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.user_id == member.id, Enrolment.course_id.in_(course_ids)))}

    lessons = db.session.execute(
        select(Lesson, Module.title).join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id.in_(course_ids), Lesson.is_removed.is_(False))
        .order_by(Lesson.course_id, Lesson.position)).all()
    done: dict[int, datetime] = {}
    for lesson_id, course_id, completed_at in db.session.execute(
            select(LessonProgress.lesson_id, LessonProgress.course_id,
                   LessonProgress.completed_at)
            .where(LessonProgress.user_id == member.id,
                   LessonProgress.course_id.in_(course_ids),
                   LessonProgress.completed_at.is_not(None))):
        since = enrolments[course_id].cycle_started_at if course_id in enrolments else None
        if since is None or completed_at >= since:
            done[lesson_id] = completed_at
    # Lessons that left the course but are themselves assigned still show.
    assigned_lessons = {a.lesson_id: a.lesson for a in assignments if a.lesson is not None}

    quizzes = list(db.session.scalars(select(Quiz).where(
        Quiz.course_id.in_(course_ids), Quiz.is_removed.is_(False))
        .order_by(Quiz.course_id, Quiz.position)))
    attempts: dict[int, list[QuizAttempt]] = {}
    if quizzes:
        for attempt in db.session.scalars(
                select(QuizAttempt).where(QuizAttempt.user_id == member.id,
                                          QuizAttempt.quiz_id.in_([q.id for q in quizzes]))
                .options(defer(QuizAttempt.layout)).order_by(QuizAttempt.number)):
            attempts.setdefault(attempt.quiz_id, []).append(attempt)
    certificates: dict[int, list[Certificate]] = {}
    if any(a.kind == "course" for a in assignments):
        for certificate in db.session.scalars(select(Certificate).where(
                Certificate.user_id == member.id,
                Certificate.course_id.in_([a.course_id for a in assignments
                                           if a.kind == "course"]))
                .order_by(Certificate.issued_at.desc(), Certificate.id.desc())):
            certificates.setdefault(certificate.course_id, []).append(certificate)

    task_lines = _task_lines(member, assignments, course_ids)
    for item in items:
        a = item.assignment
        item.tasks = task_lines.get(a.id, [])
        if a.kind == "lesson":
            lesson = assigned_lessons[a.lesson_id]
            item.lessons = [LessonLine(lesson.title, "", done.get(lesson.id))]
            continue
        item.lessons = [LessonLine(lesson.title, module_title, done.get(lesson.id))
                        for lesson, module_title in lessons
                        if lesson.course_id == a.course_id
                        and (a.kind == "course" or lesson.module_id == a.module_id)]
        for quiz in quizzes:
            if quiz.course_id != a.course_id or (a.kind == "module"
                                                  and quiz.module_id != a.module_id):
                continue
            item.attempts += [AttemptLine(quiz.title, attempt.number, attempt.state,
                                          attempt.submitted_at, attempt.percent,
                                          attempt.is_passed, quiz.pass_mark)
                              for attempt in attempts.get(quiz.id, [])]
        if a.kind == "course":
            item.certificates = certificates.get(a.course_id, [])
    return MemberDetail(group, member, items)


# --- the learner's side ------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignedItem:
    """One assignment on an official's dashboard, as plain data."""

    assignment_id: int
    group_name: str
    course_slug: str
    course_title: str
    course_language: str
    module_slug: str | None
    module_title: str | None
    lesson_slug: str | None
    lesson_title: str | None
    due_on: date
    state: str
    percent: int
    assigned_by: str
    note: str

    @property
    def is_overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED


def assigned_to(user: User, *, now: datetime) -> list[AssignedItem]:
    """Return the official's assignments from every group they belong to: overdue first, then
    the other unfinished ones, then the finished ones, each by due date."""
    chosen = select(AssignmentMember.assignment_id).where(AssignmentMember.user_id == user.id)
    assignments = list(db.session.scalars(_with_target(
        select(Assignment).join(GroupMember, and_(GroupMember.group_id == Assignment.group_id,
                                                  GroupMember.user_id == user.id))
        .join(Course, Course.id == Assignment.course_id)
        .where(Course.is_published.is_(True),
               or_(Assignment.is_whole_group.is_(True), Assignment.id.in_(chosen))))
        .options(joinedload(Assignment.group))).unique())
    if not assignments:
        return []
    cells = compute_cells({a.id: [user.id] for a in assignments}, assignments, [user.id],
                          now=now)
    items = []
    for a in assignments:
        cell = cells[(user.id, a.id)]
        items.append(AssignedItem(
            assignment_id=a.id, group_name=a.group.name, course_slug=a.course.slug,
            course_title=a.course.title, course_language=a.course.language,
            module_slug=a.module.slug if a.module else None,
            module_title=a.module.title if a.module else None,
            lesson_slug=a.lesson.slug if a.lesson and not a.lesson.is_removed else None,
            lesson_title=a.lesson.title if a.lesson else None,
            due_on=a.due_on, state=cell.state, percent=cell.percent,
            assigned_by=a.assigned_by.full_name if a.assigned_by else "", note=a.note))
    rank = {OVERDUE: 0}
    return sorted(items, key=lambda item: (
        rank.get(item.state, 2 if item.is_finished else 1), item.due_on, item.assignment_id))
