"""The department summary export: a campaign's (or a course's) figures per department of the
actor's scope, each including its units, as HR hands them on (CSV or XLSX).

Read from `learning.reports.rollup.department_rollup` (the pages' figures, so the file agrees
with the dashboard); a few hundred rows at most, one per department. Records the export in the
audit log; the caller commits, then streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from courses.models import Course
from learning.accounts.audit import audit
from learning.accounts.departments import department_path
from learning.accounts.models import Department, User
from learning.accounts.scope import hr_scope
from learning.campaigns import services as campaigns
from learning.campaigns.models import Campaign
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.reports.rollup import department_rollup
from learning.spreadsheet import Column


def department_columns() -> list[Column]:
    """Return the columns of the department summary export."""
    return [
        Column("department_path", _l("Department"), width=48),
        Column("people", _l("People counted"), kind="int"),
        Column("completed", _l("Completed"), kind="int"),
        Column("completed_late", _l("Completed late"), kind="int"),
        Column("in_progress", _l("In progress"), kind="int"),
        Column("not_started", _l("Not started"), kind="int"),
        Column("overdue", _l("Overdue"), kind="int"),
        Column("completion_rate", _l("Completion rate"), kind="percent"),
        Column("average_score", _l("Average score"), kind="decimal"),
    ]


def _subject(actor: User | None, campaign_id: int | None,
             course_id: int | None) -> tuple[Campaign | None, Course | None]:
    if hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may see these lists."))
    if bool(campaign_id) == bool(course_id):
        raise RuleViolation(_l("Choose a campaign or a course."), field="campaign")
    if campaign_id:
        return campaigns.get_campaign(actor, campaign_id), None  # NotFound outside the scope
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_l("No such course."))
    return None, course


def export_departments(actor: User | None, *, campaign_id: int | None = None,
                       course_id: int | None = None, today: date, now: datetime,
                       fmt: str) -> tuple[int, str, Iterator[tuple]]:
    """Record the export of a campaign's or course's figures per department and return the
    row count, a name for the file and the rows (full department paths, rates as fractions)."""
    campaign, course = _subject(actor, campaign_id, course_id)
    rows = department_rollup(actor, campaign=campaign, course=course, today=today,
                             only_counted=True)
    by_id = {d.id: d for d in db.session.scalars(select(Department))}
    audit(actor, "export", "departments", now=now, rows=len(rows), format=fmt,
          **({"campaign": campaign.id} if campaign else {"course": course.id}))

    def values():
        for row in rows:
            department = by_id.get(row.department_id)
            yield (department_path(department, by_id) if department else row.path, row.people,
                   row.completed, row.completed_late, row.in_progress, row.not_started,
                   row.overdue, row.completion_rate, row.average_score)

    name = f"campaign-{campaign.id}" if campaign else f"course-{course.id}"
    return len(rows), name, values()
