"""The department tree of an HR scope with its headcounts: per department, how many active
officials it has, its units included (the tree before any campaign or course is chosen).

Two statements (the departments, the officials counted per department), added up the tree in
Python, in the order and shape of `learning.reports.rollup.department_rollup` (the figures other
than `people` are 0). Must not write.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from learning.accounts.models import Department, User
from learning.accounts.scope import officials_in_scope_condition
from learning.accounts.services import short_department_path
from learning.db import db
from learning.reports.rollup import RollupRow, departments_in_scope


def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def officials_rollup(actor: User | None) -> list[RollupRow]:
    """Return one row per department within the actor's HR scope, in tree order, with the
    number of active officials in its subtree (PermissionDenied for non-HR)."""
    departments = departments_in_scope(actor)  # PermissionDenied for non-HR
    people = dict.fromkeys((d.id for d in departments), 0)
    counts = db.session.execute(
        select(User.department_id, func.count())
        .where(User.is_active_account.is_(True), User.department_id.is_not(None),
               officials_in_scope_condition(actor))
        .group_by(User.department_id)).all()
    by_id = {d.id: d for d in db.session.scalars(select(Department))}
    for department_id, count in counts:
        department = by_id.get(department_id)
        if department is None:
            continue
        for ancestor_id in _ids(department.path):
            if ancestor_id in people:
                people[ancestor_id] += count
    ministry = current_app.config["MINISTRY_NAME"]
    top_depth = min((d.depth for d in departments), default=0)
    return [RollupRow(department_id=d.id, name=d.name,
                      path=short_department_path(d, ministry, by_id),
                      depth=d.depth - top_depth, parent_id=d.parent_id, people=people[d.id],
                      completed=0, completed_late=0, in_progress=0, not_started=0, overdue=0,
                      completion_rate=0.0, on_time_rate=0.0, average_score=None)
            for d in departments]
