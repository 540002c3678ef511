"""The department rollup HR reads: per department of the actor's scope, how many officials of
a campaign (or a course) are in each status, each figure including the department's units.

Read from the department summaries (`learning.campaigns.summaries` keeps them current), never
from raw progress rows: two statements (the departments in scope, the summary cells of the
campaign or course), added up the tree in Python. Must not write.

Statuses are exclusive, one per official: completed, completed_late, in_progress, not_started,
overdue. "Overdue" is not stored: once the ministry's calendar day `today` is after a
campaign's deadline, everyone not completed is overdue (and then counts neither as in progress
nor as not started). A course has no deadline: nothing is late or overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from courses.models import Course
from learning.accounts.departments import PATH_SEPARATOR, clean_name
from learning.accounts.models import Department, User, path_ids
from learning.accounts.scope import hr_scope, officials_in_scope_condition
from learning.campaigns import services as campaigns
from learning.campaigns.models import Campaign, DepartmentSummary
from learning.db import db
from learning.errors import PermissionDenied

FIGURES = ("people", "completed", "completed_late", "in_progress", "not_started", "overdue",
           "score_sum", "score_count")


@dataclass(frozen=True)
class RollupRow:
    """One department's figures, its whole subtree included.

    `depth` counts from the top of the actor's scope (0: the scope's department, or a root of
    the tree for ministry-wide HR); `parent_id` is the department's real parent (it may lie
    outside the rows for the top row). `path` is the readable path without the ministry's name.
    Rates are 0..1; `average_score` is the mean final score (0..100) of those who completed.
    """

    department_id: int | None
    name: str
    path: str
    depth: int
    parent_id: int | None
    people: int
    completed: int
    completed_late: int
    in_progress: int
    not_started: int
    overdue: int
    completion_rate: float
    on_time_rate: float
    average_score: float | None
    score_sum: float = 0.0
    score_count: int = 0


def _row(department: Department | None, name: str, path: str, depth: int,
         figures: dict[str, float]) -> RollupRow:
    people = int(figures["people"])
    done = int(figures["completed"]) + int(figures["completed_late"])
    return RollupRow(
        department_id=department.id if department is not None else None,
        name=name, path=path, depth=depth,
        parent_id=department.parent_id if department is not None else None,
        people=people, completed=int(figures["completed"]),
        completed_late=int(figures["completed_late"]),
        in_progress=int(figures["in_progress"]), not_started=int(figures["not_started"]),
        overdue=int(figures["overdue"]),
        completion_rate=done / people if people else 0.0,
        on_time_rate=int(figures["completed"]) / people if people else 0.0,
        average_score=(figures["score_sum"] / figures["score_count"]
                       if figures["score_count"] else None),
        score_sum=float(figures["score_sum"]), score_count=int(figures["score_count"]))


def _scope(actor: User | None) -> Department | None:
    """Return the actor's HR scope (None: the whole ministry); PermissionDenied for non-HR."""
    scope = hr_scope(actor)
    if scope is False:
        raise PermissionDenied(_l("Only HR and administrators may see these figures."))
    return scope


def _scope_rows(scope: Department | None) -> tuple[list, dict[int, object], dict[int, list]]:
    """Return the departments of an HR scope as plain rows (id, name, parent_id, path) in
    tree order (siblings by name), every loaded row by id (the scope's ancestors too), and
    each row's path as ids. Rows, not entities: a national tree has thousands of departments,
    and the rollup only reads these fields."""
    query = select(Department.id, Department.name, Department.parent_id, Department.path)
    if scope is not None:
        query = query.where(or_(Department.path.startswith(scope.path),
                                Department.id.in_(path_ids(scope.path))))
    loaded = db.session.execute(query).all()
    by_id = {row.id: row for row in loaded}
    ids_of = {row.id: path_ids(row.path) for row in loaded}
    names = {row.id: row.name.casefold() for row in loaded}
    rows = [row for row in loaded if scope is None or row.path.startswith(scope.path)]
    rows.sort(key=lambda row: [(names.get(i, ""), i) for i in ids_of[row.id]])
    return rows, by_id, ids_of


def _short_paths(rows, by_id: dict[int, object], ids_of: dict[int, list],
                 ministry: str) -> dict[int, str]:
    """Return each row's readable path without the ministry's own name (as
    short_department_path gives it), from the loaded rows' id paths."""
    root = clean_name(ministry).casefold()
    paths = {}
    for row in rows:
        names = [by_id[i].name for i in ids_of[row.id] if i in by_id]
        if len(names) > 1 and names[0].casefold() == root:
            names = names[1:]
        paths[row.id] = PATH_SEPARATOR.join(names)
    return paths


def department_choices(actor: User | None) -> list[tuple[int, str]]:
    """Return (id, readable path) of every department of the actor's HR scope, in tree
    order: what a form offers to choose from."""
    departments, by_id, ids_of = _scope_rows(_scope(actor))
    paths = _short_paths(departments, by_id, ids_of, current_app.config["MINISTRY_NAME"])
    return [(d.id, paths[d.id]) for d in departments]


def _rolled_up(scope: Department | None, cells, *, only_counted: bool) -> list[RollupRow]:
    """Add `cells` ((department id, figures) of the officials directly in a department) up the
    tree of the scope; return one row per department in tree order, its subtree included."""
    departments, by_id, ids_of = _scope_rows(scope)
    sums: dict[int, dict[str, float]] = {d.id: dict.fromkeys(FIGURES, 0) for d in departments}
    for department_id, figures in cells:
        if department_id not in sums:  # outside the scope, or 0 (no department)
            continue
        for ancestor_id in ids_of[department_id]:
            bucket = sums.get(ancestor_id)
            if bucket is None:  # above the scope
                continue
            for name, value in figures.items():
                bucket[name] += value

    paths = _short_paths(departments, by_id, ids_of, current_app.config["MINISTRY_NAME"])
    depths = {d.id: max(len(ids_of[d.id]) - 1, 0) for d in departments}  # Department.depth
    top_depth = min(depths.values(), default=0)
    rows = []
    for department in departments:
        figures = sums[department.id]
        if only_counted and not figures["people"]:
            continue
        rows.append(_row(department, department.name, paths[department.id],
                         depths[department.id] - top_depth, figures))
    return rows


def department_rollup(actor: User | None, *, campaign: Campaign | None = None,
                      course: Course | None = None, today: date,
                      only_counted: bool = False) -> list[RollupRow]:
    """Return one row per department within the actor's scope, in tree order, each row's
    figures including its subtree, for a campaign or a course (exactly one of them).

    `today` is the ministry's calendar day (learning.clock.ministry_day(now)); with
    `only_counted`, departments nobody in the campaign or course belongs to (in their
    subtree) are left out.
    """
    if (campaign is None) == (course is None):
        raise ValueError("department_rollup needs a campaign or a course")
    scope = _scope(actor)
    if campaign is not None:
        campaign = campaigns.get_campaign(actor, campaign.id)  # NotFound outside the scope
    kind, ref_id = ("campaign", campaign.id) if campaign is not None else ("course", course.id)
    overdue = campaign is not None and today > campaign.deadline

    cells = db.session.execute(
        select(DepartmentSummary.department_id, DepartmentSummary.people,
               DepartmentSummary.completed, DepartmentSummary.completed_late,
               DepartmentSummary.in_progress, DepartmentSummary.not_started,
               DepartmentSummary.score_sum, DepartmentSummary.score_count)
        .where(DepartmentSummary.kind == kind, DepartmentSummary.ref_id == ref_id,
               DepartmentSummary.people != 0)).all()

    def figures(cell) -> dict[str, float]:
        # Past the deadline, everyone not completed is overdue (and nothing else).
        waiting = cell.in_progress + cell.not_started
        return {"people": cell.people, "completed": cell.completed,
                "completed_late": cell.completed_late,
                "in_progress": 0 if overdue else cell.in_progress,
                "not_started": 0 if overdue else cell.not_started,
                "overdue": waiting if overdue else 0,
                "score_sum": cell.score_sum, "score_count": cell.score_count}

    return _rolled_up(scope, ((cell.department_id, figures(cell)) for cell in cells),
                      only_counted=only_counted)


def officials_rollup(actor: User | None) -> list[RollupRow]:
    """Return one row per department within the actor's HR scope, in tree order, with the
    number of active officials in its subtree as `people` (the other figures are 0): the tree
    before any campaign or course is chosen."""
    scope = _scope(actor)
    counts = db.session.execute(
        select(User.department_id, func.count())
        .where(User.is_active_account.is_(True), User.department_id.is_not(None),
               officials_in_scope_condition(actor))
        .group_by(User.department_id)).all()
    return _rolled_up(scope, ((department_id, {"people": count})
                              for department_id, count in counts), only_counted=False)


def totals(rows: list[RollupRow]) -> RollupRow:
    """Return the figures of the whole scope: the sum of the top rows (those whose parent is
    not among the rows), since every row already includes its subtree."""
    ids = {row.department_id for row in rows}
    figures = dict.fromkeys(FIGURES, 0)
    for row in rows:
        if row.parent_id in ids:
            continue
        for name in FIGURES:
            figures[name] += getattr(row, name)
    return _row(None, "", "", 0, figures)
