"""Practical tasks: what a course package asks an official to do in a real system (register an
incoming document, sign an outgoing one, request a dataset through the LGSP), and what the
official handed in as evidence.

A task belongs to a module and is matched by slug when a new version of the package is
imported; a task that disappears is kept (`is_removed`) with its submissions. Every hand-in is
a row of its own (history is kept): waiting → confirmed, or waiting → returned (with the
reviewer's comment) and a new hand-in, waiting again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from courses.models import Course, Module
from learning.accounts.models import User
from learning.db import db

STATES = ("waiting", "confirmed", "returned")


class PracticalTask(db.Model):
    """A task of a course module, as last imported from its package."""

    __tablename__ = "practical_tasks"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_modules.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown
    evidence: Mapped[str] = mapped_column(Text, default="")  # Markdown: what counts as evidence
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()


class TaskSubmission(db.Model):
    """One hand-in of a task by an official, and its review."""

    __tablename__ = "task_submissions"
    __table_args__ = (
        CheckConstraint("state IN ('waiting', 'confirmed', 'returned')", name="state"),
        Index("ix_task_submissions_task_id_user_id", "task_id", "user_id"),
        Index("ix_task_submissions_state", "state"),
        # At most one hand-in waiting for review per official and task (the database keeps a
        # double click from handing in twice).
        Index("uq_task_submissions_waiting", "task_id", "user_id", unique=True,
              sqlite_where=text("state = 'waiting'"),
              postgresql_where=text("state = 'waiting'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("practical_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    note: Mapped[str] = mapped_column(Text, default="")
    image_type: Mapped[str | None] = mapped_column(String(40))  # image/png, image/jpeg, image/webp
    image_size: Mapped[int | None] = mapped_column(Integer)
    image_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    submitted_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[PracticalTask] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
