"""Reminders about assignments: due-date reminders sent a set number of days before and after
the due day (`flask notifications send-due`, from cron), and a mentor's nudge to the members
who are behind. Both arrive as an in-app notification and an email (learning.notifications.
deliver), and both are recorded in `reminders_sent` first: whoever records a reminder sends
it, so it goes once even when two runs overlap or a mentor clicks twice.

Days are the ministry's calendar days. A due-date reminder goes to the members the assignment
applies to who have not finished it (before the due day: not started or in progress; after
it: overdue). A nudge goes at most once a day per member and assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from courses.models import Course
from learning.accounts.models import User
from learning.db import db
from learning.errors import NotFound
from learning.mail import Outbox
from learning.mentoring import access
from learning.mentoring.models import Assignment, GroupMember, MentoringGroup, ReminderSent
from learning.mentoring.progress import (
    FINISHED,
    NOT_STARTED,
    OVERDUE,
    compute_cells,
    ministry_day,
)
from learning.mentoring.queries import _applies, group_progress, target_title
from learning.notifications import deliver

DUE_SOON, PAST_DUE, NUDGE = "assignment_due_soon", "assignment_overdue", "assignment_nudge"
# Whom "Nudge those behind" reaches on an assignment.
BEHIND = (OVERDUE, NOT_STARTED)


@dataclass(frozen=True)
class DueReminder:
    """One round of reminders to send: an assignment, and how far from its due day today is."""

    assignment: Assignment
    kind: str
    offset_days: int  # negative: days before the due day; positive: after it


def _claim(rows: list[dict]) -> set[tuple[int, int]]:
    """Record the reminders not recorded yet; return the (assignment, user) pairs this call
    recorded: only those may be sent. One INSERT ... ON CONFLICT DO NOTHING ... RETURNING."""
    if not rows:
        return set()
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (insert(ReminderSent).values(rows)
                 .on_conflict_do_nothing(
                     index_elements=["assignment_id", "user_id", "kind", "offset_days"])
                 .returning(ReminderSent.assignment_id, ReminderSent.user_id))
    return {(row[0], row[1]) for row in db.session.execute(statement)}


def _params(assignment: Assignment, **extra) -> dict:
    """What the notification and the email show: plain JSON values."""
    lesson = assignment.lesson
    return {
        "title": target_title(assignment), "group": assignment.group.name,
        "course_slug": assignment.course.slug, "course_language": assignment.course.language,
        "lesson_slug": lesson.slug if lesson is not None and not lesson.is_removed else None,
        "due": assignment.due_on.isoformat(), **extra}


def due_reminders(*, now: datetime, before_days, after_days) -> list[DueReminder]:
    """Return the rounds due today: assignments of published courses whose due day is
    `before_days` ahead or `after_days` behind the ministry's today."""
    today = ministry_day(now)
    offsets = {today + timedelta(days=n): (DUE_SOON, -n) for n in before_days}
    offsets.update({today - timedelta(days=n): (PAST_DUE, n) for n in after_days})
    if not offsets:
        return []
    assignments = db.session.scalars(
        select(Assignment).join(Course, Course.id == Assignment.course_id)
        .where(Assignment.due_on.in_(sorted(offsets)), Course.is_published.is_(True))
        .options(joinedload(Assignment.course), joinedload(Assignment.module),
                 joinedload(Assignment.lesson), joinedload(Assignment.group))
        .order_by(Assignment.due_on, Assignment.id)).unique()
    return [DueReminder(a, *offsets[a.due_on]) for a in assignments]


def send_round(reminder: DueReminder, *, now: datetime) -> tuple[int, Outbox]:
    """Record and deliver one round to the members who have not finished; return how many
    were reminded and the emails to send after the commit."""
    assignment = reminder.assignment
    member_ids = list(db.session.scalars(
        select(GroupMember.user_id).join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id == assignment.group_id,
               User.is_active_account.is_(True))))
    pairs = _applies([assignment], member_ids)
    cells = compute_cells(pairs, [assignment], pairs[assignment.id], now=now)
    wanted = [user_id for user_id in pairs[assignment.id]
              if cells[(user_id, assignment.id)].state not in FINISHED]
    won = _claim([{"assignment_id": assignment.id, "user_id": user_id, "kind": reminder.kind,
                   "offset_days": reminder.offset_days, "sent_at": now}
                  for user_id in wanted])
    users = _users({user_id for _a, user_id in won})
    outbox = deliver(users, reminder.kind, now=now, subject_id=assignment.id,
                     **_params(assignment, days=abs(reminder.offset_days)))
    return len(users), outbox


def _users(ids: set[int]) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(sorted(ids)))
                                   .order_by(User.sort_name, User.id)))


@dataclass
class Nudged:
    """What a nudge did: how many reminders went, how many were already sent today."""

    sent: int
    already: int
    outbox: Outbox


def nudge(actor: User | None, group: MentoringGroup, *, now: datetime,
          assignment_id: int | None = None, user_id: int | None = None) -> Nudged:
    """Remind members who are behind, as the actor (a mentor of the group, HR in scope or an
    administrator): on one assignment, those overdue or not started; or one member (whom the
    actor may see), on each of their unfinished assignments. At most once a day each."""
    access.require_manage(actor, group)
    progress = group_progress(actor, group, now=now)
    assignments = {a.id: a for a in progress.assignments}
    if assignment_id is not None and assignment_id not in assignments:
        raise NotFound(_l("No such assignment."))
    rows = progress.rows
    if user_id is not None:
        rows = [row for row in rows if row.user.id == user_id]
        if not rows:
            raise NotFound(_l("No such member."))
    targets: list[tuple[Assignment, User]] = []
    for row in rows:
        if not row.user.is_active_account:  # a deactivated account gets no reminder
            continue
        for a_id, cell in row.cells.items():
            if assignment_id is not None and a_id != assignment_id:
                continue
            behind = cell.state in BEHIND if user_id is None else cell.state not in FINISHED
            if behind and assignments[a_id].course.is_published:
                targets.append((assignments[a_id], row.user))
    today = ministry_day(now)
    won = _claim([{"assignment_id": a.id, "user_id": user.id, "kind": NUDGE,
                   "offset_days": (today - a.due_on).days, "sent_at": now,
                   "sent_by_id": getattr(actor, "id", None)} for a, user in targets])
    outbox = Outbox()
    sent = 0
    for a, user in targets:
        if (a.id, user.id) in won:
            outbox.extend(deliver([user], NUDGE, now=now, subject_id=a.id,
                                  **_params(a, mentor=getattr(actor, "full_name", ""))))
            sent += 1
    return Nudged(sent=sent, already=len(targets) - sent, outbox=outbox)
