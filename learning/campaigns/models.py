"""Campaigns of mandatory training, and the summaries HR's figures are read from.

A campaign makes a course mandatory for department subtrees (optionally only some job
titles) by a deadline. Its members are the officials in scope; each member row carries the
member's standing (`state`), kept current by `learning.campaigns.summaries` in the same
transaction as every progress write, so HR's pages never aggregate raw progress rows.

Summaries (all rebuilt from the raw records by `flask reports rebuild-summaries`):
- `EnrolmentSummary`: one row per enrolment, its state, the department it is counted in and
  its final score;
- `CampaignMember`: one row per official in a campaign, with the state on the campaign's
  deadline (a completion after it is `completed_late`);
- `DepartmentSummary`: per (course or campaign) and department, how many officials are in
  each state, directly in that department (rollups to parents add the rows of a subtree);
- `CompletionDay`: per campaign, department and ministry calendar day, how many current
  members completed: the chart over time. Leaving takes a member's completion out and joining
  is not dated there, so the ranking's week-earlier figures read the member rows (joined_at,
  left_at, completed_at) instead.
Removing an official from a campaign's scope never deletes their learner records.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course
from learning.accounts.models import Department, User
from learning.clock import now as utcnow
from learning.db import db

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
COMPLETED_LATE = "completed_late"
OVERDUE = "overdue"  # derived at read time: not completed and the deadline has passed
STORED_STATES = (NOT_STARTED, IN_PROGRESS, COMPLETED, COMPLETED_LATE)
STATES = (COMPLETED, COMPLETED_LATE, IN_PROGRESS, NOT_STARTED, OVERDUE)
NO_DEPARTMENT = 0  # summaries count officials without a department under 0 (no FK)

_STATE_CHECK = "state IN ('not_started', 'in_progress', 'completed', 'completed_late')"


class Campaign(db.Model):
    """A course made mandatory for parts of the ministry by a deadline."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"),
                                           index=True)
    deadline: Mapped[date] = mapped_column(Date)
    # Job titles the campaign is limited to, one per line (folded); empty: every official.
    job_titles: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    scopes: Mapped[list[CampaignDepartment]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", lazy="selectin")

    @property
    def job_title_list(self) -> list[str]:
        """Return the folded job titles the campaign is limited to (empty: all)."""
        return [line for line in self.job_titles.splitlines() if line]


class CampaignDepartment(db.Model):
    """One department subtree a campaign covers."""

    __tablename__ = "campaign_departments"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # An (empty) department's deletion takes it out of the campaigns that named it.
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="scopes")
    department: Mapped[Department] = relationship(lazy="joined")


class CampaignMember(db.Model):
    """One official in a campaign and their standing on its deadline (a summary)."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id"),
        CheckConstraint(_STATE_CHECK, name="state"),
        # The people list: a campaign's current members in Vietnamese name order, in the
        # list's whole order (name, then id), so a page is read off the index without a sort.
        # Partial on "current": PostgreSQL does not take `left_at IS NULL` as an equality, so
        # an index with left_at before sort_name cannot give the order (it sorted 1 M rows).
        Index("ix_campaign_members_current", "campaign_id", "sort_name", "user_id",
              postgresql_where=text("left_at IS NULL"), sqlite_where=text("left_at IS NULL")),
        Index("ix_campaign_members_department", "campaign_id", "department_id", "state"),
        # The ranking's week earlier reads the rows changed since (learning.reports.ranking):
        # joined, left or completed after a day; the completions, the largest group, carry
        # what it counts (an index-only scan on PostgreSQL).
        Index("ix_campaign_members_joined", "campaign_id", "joined_at"),
        Index("ix_campaign_members_left", "campaign_id", "left_at"),
        Index("ix_campaign_members_completed", "campaign_id", "completed_at",
              postgresql_include=["department_id", "joined_at", "left_at"]),
        Index("ix_campaign_members_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(Integer, default=NO_DEPARTMENT)
    state: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    completed_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    # Copied from the account (ICU key): the people list pages in Vietnamese order on one index.
    sort_name: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    joined_at: Mapped[datetime]
    # Set when the official leaves the campaign's scope: the row (and every learner record)
    # stays, but no figure counts it.
    left_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    user: Mapped[User] = relationship()


class EnrolmentSummary(db.Model):
    """One enrolment's standing, counted in the official's department (a summary)."""

    __tablename__ = "enrolment_summaries"
    __table_args__ = (
        CheckConstraint("state IN ('not_started', 'in_progress', 'completed')", name="state"),
        Index("ix_enrolment_summaries_course", "course_id", "department_id", "state"),
        Index("ix_enrolment_summaries_user", "user_id", "course_id", unique=True),
    )

    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(Integer, default=NO_DEPARTMENT)
    state: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    completed_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)


class DepartmentSummary(db.Model):
    """How many officials of one department are in each state, for a course or a campaign.

    `kind` is "course" or "campaign" and `ref_id` that course's or campaign's id. Only the
    officials directly in the department are counted; rollups add a subtree's rows.
    """

    __tablename__ = "department_summaries"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "department_id"),
        CheckConstraint("kind IN ('course', 'campaign')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer, default=0)
    not_started: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    completed_late: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    score_count: Mapped[int] = mapped_column(Integer, default=0)


class CompletionDay(db.Model):
    """How many of a campaign's members in one department completed on one ministry day."""

    __tablename__ = "completion_days"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class CampaignReminder(db.Model):
    """One reminder sent about a campaign's deadline, recorded before it goes: its unique key
    makes `flask notifications send-due` send each reminder once, also when runs overlap.

    `kind` is campaign_due_soon or campaign_overdue (to the official) or
    campaign_overdue_digest (to a mentor or a department's head: who in their charge is
    overdue); `offset_days` is negative before the deadline, positive after it."""

    __tablename__ = "campaign_reminders"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "kind", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    offset_days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
