"""Reviewing practical tasks: a mentor of one of the official's groups, HR whose scope holds
the official, or an administrator confirms a hand-in or returns it with a comment.

- `tasks_to_review(actor, state)`: the hand-ins the actor may review, in that state.
- `confirm(actor, submission, now)` / `return_task(actor, submission, comment, now)`: one
  conditional UPDATE (`... WHERE state = 'waiting'`), so when two reviewers act at once exactly
  one decision is taken and the other is told it was already reviewed.
The official is notified both ways, and the decision is audited ("task.confirm", "task.return");
a confirmation recomputes their course (`task_confirmed`).
Nobody reviews their own hand-in.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, select, true, update
from sqlalchemy.orm import aliased

from learning.accounts.models import Department, User
from learning.accounts.services import SYSTEM, audit, hr_scope, is_admin
from learning.db import db
from learning.errors import NotFound, RuleViolation
from learning.mentoring.models import GroupMember, GroupMentor
from learning.notifications import notify
from learning.tasks.models import STATES, PracticalTask, TaskSubmission
from learning.tasks.signals import task_confirmed

MAX_COMMENT = 2000


def review_condition(actor: User | None):
    """Return a SQL condition (on TaskSubmission) selecting the hand-ins the actor may review."""
    if is_admin(actor):
        return true()
    if actor is None or actor is SYSTEM or not actor.is_authenticated:
        return false()
    not_own = TaskSubmission.user_id != actor.id
    condition = false()
    if actor.has_role("mentor"):
        mine = aliased(GroupMentor)
        member = aliased(GroupMember)
        condition = exists().where(mine.user_id == actor.id, member.group_id == mine.group_id,
                                   member.user_id == TaskSubmission.user_id)
    scope = hr_scope(actor)
    if scope is None:
        condition = true()
    elif scope is not False:
        condition = condition | TaskSubmission.user_id.in_(
            select(User.id).join(Department, Department.id == User.department_id)
            .where(Department.path.startswith(scope.path)))
    return not_own & condition


def can_review(actor: User | None, submission: TaskSubmission) -> bool:
    """Tell whether the actor may confirm or return the hand-in (and see its screenshot)."""
    return bool(db.session.scalar(select(exists().where(
        TaskSubmission.id == submission.id, review_condition(actor)))))


def can_view(actor: User | None, submission: TaskSubmission) -> bool:
    """Tell whether the actor may see the hand-in: its official, or one who may review it."""
    if actor is not None and actor is not SYSTEM and actor.is_authenticated \
            and actor.id == submission.user_id:
        return True
    return can_review(actor, submission)


def get_submission(actor: User | None, submission_id: int, *, review: bool = False
                   ) -> TaskSubmission:
    """Return a hand-in the actor may see (may review, with `review`), else NotFound."""
    submission = db.session.get(TaskSubmission, submission_id)
    if submission is None or not (can_review if review else can_view)(actor, submission):
        raise NotFound(_l("No such task."))
    return submission


def tasks_to_review(actor: User | None, state: str = "waiting", *, limit: int = 200
                    ) -> list[TaskSubmission]:
    """Return the hand-ins in `state` the actor may review: the oldest waiting first, the
    newest reviewed first."""
    if state not in STATES:
        raise RuleViolation(_l("Unknown state."), field="state")
    order = TaskSubmission.submitted_at.asc() if state == "waiting" \
        else TaskSubmission.reviewed_at.desc()
    return list(db.session.scalars(
        select(TaskSubmission).join(PracticalTask, PracticalTask.id == TaskSubmission.task_id)
        .where(TaskSubmission.state == state, review_condition(actor))
        .order_by(order, TaskSubmission.id).limit(limit)))


def _decide(actor: User, submission: TaskSubmission, state: str, comment: str,
            now: datetime) -> None:
    if not can_review(actor, submission):
        raise NotFound(_l("No such task."))
    result = db.session.execute(
        update(TaskSubmission)
        .where(TaskSubmission.id == submission.id, TaskSubmission.state == "waiting")
        .values(state=state, comment=comment, reviewed_at=now,
                reviewed_by_id=None if actor is SYSTEM else actor.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise RuleViolation(_l("This task has already been reviewed."))
    db.session.refresh(submission)
    task = submission.task
    audit(actor, "task.confirm" if state == "confirmed" else "task.return", submission, now=now,
          official=submission.user.username, course=task.course.slug, task=task.title,
          **({"comment": comment} if comment else {}))
    notify(submission.user_id, f"task_{state}", now=now, subject_id=submission.id,
           task=task.title, course_slug=task.course.slug, task_slug=task.slug,
           comment=comment)


def confirm(actor: User, submission: TaskSubmission, now: datetime) -> TaskSubmission:
    """Confirm a waiting hand-in; the official's course may complete by it."""
    _decide(actor, submission, "confirmed", "", now)
    task_confirmed.send(submission, now=now)
    return submission


def return_task(actor: User, submission: TaskSubmission, comment: str, now: datetime
                ) -> TaskSubmission:
    """Return a waiting hand-in with a comment saying what is missing."""
    comment = (comment or "").strip()
    if not comment:
        raise RuleViolation(_l("Say what is missing."), field="comment")
    if len(comment) > MAX_COMMENT:
        raise RuleViolation(_l("The comment is too long."), field="comment")
    _decide(actor, submission, "returned", comment, now)
    return submission
