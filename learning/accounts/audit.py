"""The audit log: who did what to whom and when, and the administrators' reading of it.

Recording: `audit(...)` for every sensitive action, `audit_export(...)` for every export (with
its filters and row count), `role_change(...)` to describe a change of roles. Reading (admins
only): `list_events` (keyset pages, newest first) and `count_events` / `iter_events` (streamed
in batches) for the page and its CSV export. Every action recorded anywhere has a label in
ACTIONS (tests/accounts/test_audit_log.py reads the sources to check it).

Must not read `request` or `current_user`: callers pass the actor and the filters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import contains_eager

from learning import clock
from learning.accounts.models import AuditEvent, User
from learning.accounts.scope import require_admin
from learning.db import db, is_sqlite
from learning.text import fold

# Every action the platform records, with its label on the audit page (a filter's choices).
ACTIONS = {
    "user.create": _l("Account created"),
    "user.update": _l("Account details changed"),
    "user.roles": _l("Roles changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "users.import": _l("Officials imported"),
    "password.change": _l("Password changed by its owner"),
    "password.reset": _l("Password reset"),
    "sign_in.unlock": _l("Sign-in unlocked"),
    "sign_in.unlock_address": _l("Sign-in unlocked for an address"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "department.create": _l("Department created"),
    "department.update": _l("Department changed"),
    "department.delete": _l("Department deleted"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.reissue": _l("Certificate reissued"),
    "course.import": _l("Course imported"),
    "course.retake": _l("Course started again"),
    "quiz.import_gift": _l("Quiz questions imported"),
    "group.create": _l("Mentoring group created"),
    "group.update": _l("Mentoring group changed"),
    "group.delete": _l("Mentoring group deleted"),
    "group.add_members": _l("Members added to a group"),
    "group.remove_member": _l("Member removed from a group"),
    "assignment.create": _l("Assignment created"),
    "assignment.update": _l("Assignment changed"),
    "assignment.delete": _l("Assignment deleted"),
    "task.confirm": _l("Practical task confirmed"),
    "task.return": _l("Practical task returned"),
    "department.head": _l("Head of department changed"),
    "campaign.create": _l("Campaign created"),
    "campaign.update": _l("Campaign changed"),
    "campaign.archive": _l("Campaign archived"),
    "campaign.unarchive": _l("Campaign taken out of the archive"),
    "transcript.export": _l("Transcript downloaded"),
    "export": _l("Export"),
}

# What an event is about (`target_type`: a model's lower-case class name, or an export's kind).
TARGET_TYPES = {
    "user": _l("Account"),
    "department": _l("Department"),
    "import": _l("Import of officials"),
    "apitoken": _l("API token"),
    "address": _l("Network address"),
    "certificate": _l("Certificate"),
    "course": _l("Course"),
    "enrolment": _l("Enrolment"),
    "quiz": _l("Quiz"),
    "mentoringgroup": _l("Mentoring group"),
    "assignment": _l("Assignment"),
    "tasksubmission": _l("Practical task"),
    "campaign": _l("Campaign"),
    "certificates": _l("Certificates (export)"),
    "officials": _l("Officials (export)"),
    "people": _l("People list (export)"),
    "departments": _l("Department summary (export)"),
    "audit_log": _l("Audit log (export)"),
    "ranking": _l("Emulation ranking (export)"),
}

# The details' names as the page shows them (the CSV keeps the recorded names).
DETAIL_LABELS = {
    "username": _l("Username"), "full_name": _l("Full name"), "email": _l("Email"),
    "staff_number": _l("Staff number"), "job_title": _l("Job title"),
    "department": _l("Department"), "preferred_language": _l("Language"),
    "roles": _l("Roles"), "roles_added": _l("Roles added"),
    "roles_removed": _l("Roles removed"), "hr_scope": _l("HR scope"),
    "import": _l("By an import"), "name": _l("Name"), "user": _l("Account"),
    "expires_at": _l("Expires"), "serial": _l("Serial number"), "reason": _l("Reason"),
    "category": _l("Kind of reason"), "replacement": _l("New certificate"),
    "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged"),
    "departments_created": _l("New departments"), "slug": _l("Course"),
    "course": _l("Course"), "version": _l("Version"), "added": _l("Added"),
    "removed": _l("Removed"), "questions": _l("Questions"), "cycle": _l("Study cycle"),
    "mentors": _l("Mentors"), "group": _l("Group"), "target_key": _l("Assigned"),
    "due_on": _l("Due date"), "members": _l("Members"), "member": _l("Member"),
    "already": _l("Already members"), "official": _l("Official"), "task": _l("Task"),
    "comment": _l("Comment"), "rows": _l("Rows"), "action": _l("Action"),
    "actor": _l("Who"), "target": _l("About"), "from": _l("From"), "to": _l("To"),
    "text": _l("Details contain"), "title": _l("Title"), "deadline": _l("Deadline"),
    "departments": _l("Departments"), "job_titles": _l("Job titles"),
    "before": _l("Before"), "after": _l("After"), "head": _l("Head of department"),
    "format": _l("File format"), "q": _l("Search"), "course_id": _l("Course"),
    "campaign": _l("Campaign"), "status": _l("Status"), "ip": _l("Network address"),
    "failures": _l("Failed sign-ins forgotten"),
}
PAGE_SIZE = 50
EXPORT_BATCH = 2000
NOBODY = "—"  # a side of a role change without the role


def audit(actor: User | None, action: str, target, /, *, now: datetime, **details) -> None:
    """Record an administrative action (any detail name may be used: the others are
    positional)."""
    db.session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=target if isinstance(target, str) else type(target).__name__.lower(),
            target_id=None if isinstance(target, str) else getattr(target, "id", None),
            details=json.dumps(details, ensure_ascii=False, default=str) if details else "",
        )
    )


def audit_export(actor: User | None, kind: str, /, *, now: datetime, rows: int,
                 **filters) -> None:
    """Record an export of `kind` (e.g. "certificates"): who, when, its filters, how many rows.

    Filters left empty (None, "", []) are not recorded."""
    audit(actor, "export", kind, now=now, rows=rows,
          **{key: value for key, value in filters.items() if value not in (None, "", [], ())})


def role_change(old: dict[str, int | None], new: dict[str, int | None],
                path_of: Callable[[int | None], str]) -> dict | None:
    """Describe a change of an official's grants ({role: HR scope department id}): the roles
    added and removed, all roles old → new and the HR scope old → new; None when unchanged.

    `path_of(department_id)` names a scope (None: the whole ministry)."""
    if old == new:
        return None
    details: dict = {"roles": f"{', '.join(sorted(old)) or NOBODY} → "
                              f"{', '.join(sorted(new)) or NOBODY}"}
    if added := sorted(set(new) - set(old)):
        details["roles_added"] = added
    if removed := sorted(set(old) - set(new)):
        details["roles_removed"] = removed

    def scope(grants):
        return path_of(grants["hr"]) if "hr" in grants else NOBODY

    if scope(old) != scope(new):
        details["hr_scope"] = f"{scope(old)} → {scope(new)}"
    return details


def whole_ministry_path(department_path: Callable[[int], str]) -> Callable[[int | None], str]:
    """Return a `path_of` for `role_change`: a department's path, the ministry's name for None."""
    return lambda department_id: (current_app.config["MINISTRY_NAME"] if department_id is None
                                  else department_path(department_id))


# --- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    """What the administrator looks for; empty values do not filter."""

    action: str = ""
    actor: str = ""  # words of the actor's name, username, email or staff number
    target_type: str = ""
    date_from: date | None = None  # the ministry's calendar days, both included
    date_to: date | None = None
    text: str = ""  # free text in the details

    def as_params(self) -> dict[str, str]:
        """Return the filters as the page's query arguments (empty ones left out)."""
        values = {"action": self.action, "actor": self.actor, "target": self.target_type,
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else "", "q": self.text}
        return {key: value for key, value in values.items() if value}

    def as_details(self) -> dict[str, str]:
        """Return the filters as an export's audit details."""
        return {"action": self.action, "actor": self.actor, "target": self.target_type,
                "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else "", "text": self.text}


@dataclass
class AuditPage:
    """One page of events, newest first, and the cursors to the pages around it."""

    events: list[AuditEvent]
    newer: int | None  # `after=` for the newer page, if any
    older: int | None  # `before=` for the older page, if any
    is_first: bool


class UnknownCursor(LookupError):
    """A page link names an event that does not exist."""


def _conditions(filters: AuditFilters) -> list:
    conditions = []
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.target_type:
        conditions.append(AuditEvent.target_type == filters.target_type)
    zone = clock.ministry_zone()
    if filters.date_from:
        conditions.append(AuditEvent.at >= clock.day_start(filters.date_from, zone))
    if filters.date_to:
        conditions.append(AuditEvent.at < clock.day_end(filters.date_to, zone))
    words = fold(filters.actor).split()
    if words:  # the matching officials first, then their events through (actor_id, at)
        conditions.append(AuditEvent.actor_id.in_(
            select(User.id).where(*(User.search_text.contains(word, autoescape=True)
                                    for word in words))))
    if filters.text.strip():  # a scan of the details (newest first, until a page is full)
        if is_sqlite(db.session.get_bind()):  # its LIKE ignores ASCII case; lower() costs 2x
            conditions.append(AuditEvent.details.contains(filters.text.strip(), autoescape=True))
        else:
            conditions.append(AuditEvent.details.icontains(filters.text.strip(),
                                                           autoescape=True))
    return conditions


def _newest_first(statement: Select) -> Select:
    return statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _position(event_id: int) -> tuple[datetime, int]:
    """Return where an event sits in the order (at, id); a plain tuple, so that the comparison
    binds each value with its column's type."""
    row = db.session.execute(
        select(AuditEvent.at, AuditEvent.id).where(AuditEvent.id == event_id)).first()
    if row is None:
        raise UnknownCursor(event_id)
    return (row.at, row.id)


def list_events(actor: User | None, filters: AuditFilters, *, before: int | None = None,
                after: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    """Return a page of events matching `filters`, newest first (admins only).

    `before` (older than that event) or `after` (newer than it) name the page; neither: the
    newest. Raises UnknownCursor when they name no event."""
    require_admin(actor)
    conditions = _conditions(filters)
    statement = (select(AuditEvent).outerjoin(AuditEvent.actor)
                 .options(contains_eager(AuditEvent.actor).lazyload(User.grants)))
    key = tuple_(AuditEvent.at, AuditEvent.id)
    if after is not None:
        rows = db.session.scalars(
            statement.where(*conditions, key > _position(after))
            .order_by(AuditEvent.at, AuditEvent.id).limit(limit + 1)).all()
        if len(rows) > limit:  # more newer events: this page sits between two others
            events = list(reversed(rows[:limit]))
            return AuditPage(events, newer=events[0].id, older=events[-1].id, is_first=False)
        before = None  # the newest events fill the page: show the first page whole
    elif before is not None:
        conditions.append(key < _position(before))
    rows = db.session.scalars(_newest_first(statement.where(*conditions)).limit(limit + 1)).all()
    events = list(rows[:limit])
    first = before is None
    return AuditPage(events, newer=events[0].id if events and not first else None,
                     older=events[-1].id if len(rows) > limit else None, is_first=first)


def target_users(events: list[AuditEvent]) -> dict[int, User]:
    """Return the accounts the events are about, by id (one query)."""
    ids = {event.target_id for event in events
           if event.target_type == "user" and event.target_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


def latest_event_id() -> int:
    """Return the id of the newest event (0 when there is none): an export's upper bound."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def count_events(actor: User | None, filters: AuditFilters, *, up_to: int) -> int:
    """Return how many events match `filters` among those with id <= `up_to` (admins only)."""
    require_admin(actor)
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        *_conditions(filters), AuditEvent.id <= up_to)) or 0


def iter_events(actor: User | None, filters: AuditFilters, *, up_to: int,
                batch: int = EXPORT_BATCH) -> Iterator:
    """Return the matching events with id <= `up_to`, newest first, as rows (at, action,
    actor's username and name, target type and id, details), fetched `batch` at a time as
    they are read. The actor's rights are checked now, not when the rows are read: a
    streamed download reads them after its view has returned, when the signed-in account
    is no longer bound to a database session."""
    require_admin(actor)
    statement = _newest_first(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, User.username, User.full_name,
               AuditEvent.target_type, AuditEvent.target_id, AuditEvent.details)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*_conditions(filters), AuditEvent.id <= up_to)
    ).execution_options(yield_per=batch)
    return _rows(statement)


def _rows(statement) -> Iterator:
    yield from db.session.execute(statement)


def details_of(event_details: str) -> list[tuple[str, str]]:
    """Return an event's details as (key, readable value) pairs, in their recorded order."""
    if not event_details:
        return []
    try:
        values = json.loads(event_details)
    except ValueError:
        return [("", event_details)]
    if not isinstance(values, dict):
        return [("", str(values))]
    return [(str(key), readable(value)) for key, value in values.items()]


def readable(value) -> str:
    """Return a detail's value as text: lists joined with commas, nothing as a dash."""
    if value is None or value == "":
        return NOBODY
    if isinstance(value, list | tuple):
        return ", ".join(readable(item) for item in value) or NOBODY
    if isinstance(value, dict):
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items())
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)
