"""Mentoring: groups of officials with their mentors and members, and the assignments a
mentor gives a group (a course, a module or a lesson, with a due date and a note).

Learner records stay in `courses` and `quizzes`: an assignment only points at learning, and its
state for each member is derived from those records (learning.mentoring.progress), never
stored. Removing a group or an assignment removes nothing an official has done.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Lesson, Module
from learning.accounts.models import Department, User
from learning.clock import now as utcnow
from learning.db import db


class MentoringGroup(db.Model):
    """A group of officials a mentor follows: a youth-union cell, a department's new staff."""

    __tablename__ = "mentoring_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The part of the ministry the group belongs to: whose HR may manage it, and where its
    # mentors may take members from. None: a group across the ministry (admins, ministry HR);
    # also what a group becomes when its (empty) department is deleted.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class GroupMentor(db.Model):
    """One mentor of one group (a group may have several)."""

    __tablename__ = "mentoring_group_mentors"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class GroupMember(db.Model):
    """One official in one group; an official may belong to several groups."""

    __tablename__ = "mentoring_group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Assignment(db.Model):
    """Learning a group (or chosen members of it) must do by a day: a course, one of its
    modules or one of its lessons.

    `target_key` names the target in one non-null column ("course:<id>", "module:<id>",
    "lesson:<id>"), so that "the same thing again" is one unique constraint on every backend
    (a unique constraint over nullable module and lesson columns would let duplicates in).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("group_id", "target_key"),
        CheckConstraint("module_id IS NULL OR lesson_id IS NULL", name="one_target"),
        Index("ix_assignments_course_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_groups.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_modules.id", ondelete="CASCADE"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(String(40))
    # The ministry's calendar day (BABEL_DEFAULT_TIMEZONE) by which it is due.
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # False: only the officials listed in assignment_members (who are members of the group).
    is_whole_group: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[MentoringGroup] = relationship()
    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
    assigned_by: Mapped[User | None] = relationship()

    @property
    def kind(self) -> str:
        """Return "course", "module" or "lesson"."""
        return "lesson" if self.lesson_id else "module" if self.module_id else "course"


class AssignmentMember(db.Model):
    """A chosen member of an assignment that is not for the whole group."""

    __tablename__ = "assignment_members"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


def target_key(course_id: int, module_id: int | None, lesson_id: int | None) -> str:
    """Return the one-column name of an assignment's target."""
    if lesson_id is not None:
        return f"lesson:{lesson_id}"
    if module_id is not None:
        return f"module:{module_id}"
    return f"course:{course_id}"


class ReminderSent(db.Model):
    """A reminder that went to one member about one assignment: a due-date reminder
    (`offset_days` before the due day is negative, after it positive) or a mentor's nudge
    (`offset_days` is the day it was sent, counted from the due day: one a day at most).

    The unique key is the guard: a reminder is recorded first and sent only by whoever
    recorded it, so two runs at once send it once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id", "kind", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    offset_days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
