"""Deadline reminders of campaigns (`flask notifications send-due`, from cron).

A set number of days before the deadline (HOCSO_REMIND_BEFORE_DAYS), officials who have not
completed get `campaign_due_soon`; a set number of days after it (HOCSO_REMIND_AFTER_DAYS),
the overdue get `campaign_overdue`, and each of their mentors (mentors of a group they belong
to) and the head of their department get one `campaign_overdue_digest`: how many in their
charge are overdue, with up to ten names. In the app and by email (learning.notifications.
deliver), in each reader's language. Every reminder is recorded first (`campaign_reminders`,
unique per campaign, official, kind and offset): whoever records it sends it, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from learning.accounts.models import Department, User
from learning.campaigns.models import (
    IN_PROGRESS,
    NOT_STARTED,
    Campaign,
    CampaignMember,
    CampaignReminder,
)
from learning.clock import ministry_day
from learning.db import db, insert_for
from learning.mail import Outbox
from learning.mentoring.models import GroupMember, GroupMentor
from learning.notifications import deliver

DUE_SOON, OVERDUE, DIGEST = "campaign_due_soon", "campaign_overdue", "campaign_overdue_digest"
NAMES_IN_DIGEST = 10


@dataclass(frozen=True)
class CampaignRound:
    """One round to send: a campaign and how far from its deadline today is."""

    campaign: Campaign
    kind: str
    offset_days: int  # negative: days before the deadline; positive: after it


def due_rounds(*, now: datetime, before_days, after_days) -> list[CampaignRound]:
    """Return the rounds due today for the campaigns that are running (not archived)."""
    today = ministry_day(now)
    offsets = {today + timedelta(days=n): (DUE_SOON, -n) for n in before_days}
    offsets.update({today - timedelta(days=n): (OVERDUE, n) for n in after_days})
    if not offsets:
        return []
    campaigns = db.session.scalars(select(Campaign).where(
        Campaign.deadline.in_(sorted(offsets)), Campaign.archived_at.is_(None))
        .order_by(Campaign.deadline, Campaign.id))
    return [CampaignRound(c, *offsets[c.deadline]) for c in campaigns if c.course.is_published]


def _claim(rows: list[dict]) -> set[int]:
    """Record the reminders not recorded yet; return the users this call recorded."""
    if not rows:
        return set()
    statement = (insert_for(db.session, CampaignReminder).values(rows)
                 .on_conflict_do_nothing(
                     index_elements=["campaign_id", "user_id", "kind", "offset_days"])
                 .returning(CampaignReminder.user_id))
    return set(db.session.scalars(statement))


def _params(campaign: Campaign, **extra) -> dict:
    return {"title": campaign.title, "course_title": campaign.course.title,
            "course_slug": campaign.course.slug, "course_language": campaign.course.language,
            "campaign_id": campaign.id, "deadline": campaign.deadline.isoformat(), **extra}


def _users(ids) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(
        User.id.in_(sorted(ids)), User.is_active_account.is_(True))
        .order_by(User.sort_name, User.id)))


def send_round(reminder: CampaignRound, *, now: datetime) -> tuple[int, Outbox]:
    """Record and deliver one round; return how many were reminded and the emails to send
    once the caller has committed."""
    campaign = reminder.campaign
    behind = list(db.session.scalars(
        select(CampaignMember.user_id).join(User, User.id == CampaignMember.user_id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None),
               CampaignMember.state.in_((NOT_STARTED, IN_PROGRESS)),
               User.is_active_account.is_(True))))
    rows = [{"campaign_id": campaign.id, "user_id": user_id, "kind": reminder.kind,
             "offset_days": reminder.offset_days, "sent_at": now} for user_id in behind]
    won = _users(_claim(rows))
    days = abs(reminder.offset_days)
    outbox = deliver(won, reminder.kind, now=now, subject_id=campaign.id,
                     **_params(campaign, days=days))
    count = len(won)
    if reminder.kind == OVERDUE and behind:
        digest_count, digest_outbox = _send_digests(campaign, behind, reminder, now=now)
        count += digest_count
        outbox.messages.extend(digest_outbox.messages)
    return count, outbox


def _send_digests(campaign: Campaign, overdue: list[int], reminder: CampaignRound, *,
                  now: datetime) -> tuple[int, Outbox]:
    """Tell each mentor and department head how many in their charge are overdue."""
    charge: dict[int, set[int]] = {}
    for mentor_id, member_id in db.session.execute(
            select(GroupMentor.user_id, GroupMember.user_id)
            .join(GroupMember, GroupMember.group_id == GroupMentor.group_id)
            .where(GroupMember.user_id.in_(overdue))):
        if mentor_id != member_id:
            charge.setdefault(mentor_id, set()).add(member_id)
    for head_id, member_id in db.session.execute(
            select(Department.head_id, User.id)
            .join(User, User.department_id == Department.id)
            .where(User.id.in_(overdue), Department.head_id.is_not(None))):
        if head_id != member_id:
            charge.setdefault(head_id, set()).add(member_id)
    if not charge:
        return 0, Outbox()
    won = _claim([{"campaign_id": campaign.id, "user_id": user_id, "kind": DIGEST,
                   "offset_days": reminder.offset_days, "sent_at": now} for user_id in charge])
    people = {row.id: row for row in db.session.execute(
        select(User.id, User.full_name, User.sort_name).where(
            User.id.in_({m for members in charge.values() for m in members})))}
    names = {user_id: row.full_name for user_id, row in people.items()}
    outbox, sent = Outbox(), 0
    for recipient in _users(won):
        # In the Vietnamese order of names (ICU keys), as every list of people.
        members = sorted((m for m in charge[recipient.id] if m in people),
                         key=lambda m: (people[m].sort_name, m))
        outbox.messages.extend(deliver(
            [recipient], DIGEST, now=now, subject_id=campaign.id,
            **_params(campaign, days=abs(reminder.offset_days), count=len(members),
                      names=[names[m] for m in members[:NAMES_IN_DIGEST] if m in names]),
        ).messages)
        sent += 1
    return sent, outbox
