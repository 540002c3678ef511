"""Courses: the catalog, packages (their files), modules, lessons, enrolments, lesson progress.

Learner records (enrolments, lesson progress) are never deleted by a content update: a lesson
that disappears from a new package version is marked removed and stops counting.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.clock import now as utcnow
from learning.db import db

COMPLETION_RULES = ("all_lessons", "all_lessons_and_quizzes")
ENROLMENT_SOURCES = ("self", "mentor", "hr", "admin")


class Course(db.Model):
    """A course as last imported from its package."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("language IN ('vi', 'en', 'ko')", name="language"),
        CheckConstraint(
            "completion_rule IN ('all_lessons', 'all_lessons_and_quizzes')", name="completion_rule"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5))
    version: Mapped[str] = mapped_column(String(40))
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[str] = mapped_column(Text, default="")  # one topic per line
    family: Mapped[str | None] = mapped_column(String(80), index=True)
    completion_rule: Mapped[str] = mapped_column(String(40), default="all_lessons")
    search_text: Mapped[str] = mapped_column(Text, default="")
    certificate_validity_months: Mapped[int | None] = mapped_column(Integer)
    # [completion] tasks = "required": every required practical task must be confirmed too.
    requires_tasks: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    certificate_template: Mapped[str | None] = mapped_column(String(500))  # a package file
    package_digest: Mapped[str] = mapped_column(String(64), default="")
    # Replaced whenever modules, lessons or quizzes change: the key of the outline caches.
    content_version: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    files: Mapped[list[CourseFile]] = relationship(
        back_populates="course", order_by="CourseFile.path", cascade="all, delete-orphan"
    )

    @property
    def topic_list(self) -> list[str]:
        """Return the course's topics."""
        return [t for t in self.topics.splitlines() if t]


class Module(db.Model):
    """An ordered part of a course; removed modules stay for the records, unlisted."""

    __tablename__ = "course_modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position"
    )


class Lesson(db.Model):
    """A Markdown lesson with its cached, sanitised HTML."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        Index("ix_lessons_course_id_position", "course_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id", ondelete="CASCADE"),
                                           index=True)
    slug: Mapped[str] = mapped_column(String(80))
    # Order within the whole course (modules first, then lessons), so "next" is one query.
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=5)
    source_path: Mapped[str] = mapped_column(String(500))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    html_version: Mapped[int] = mapped_column(Integer, default=0)
    content_digest: Mapped[str] = mapped_column(String(64), default="")
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()


class CourseFile(db.Model):
    """A file of the course package as imported, byte for byte (stored by digest on disk)."""

    __tablename__ = "course_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))

    course: Mapped[Course] = relationship(back_populates="files")


class Enrolment(db.Model):
    """An official's enrolment in a course and their progress on it."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent"),
        CheckConstraint("source IN ('self', 'mentor', 'hr', 'admin')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    source: Mapped[str] = mapped_column(String(20), default="self")
    # A recertification starts a new cycle: only work done since cycle_started_at counts.
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    cycle_started_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    percent_complete: Mapped[int] = mapped_column(Integer, default=0)
    lessons_done: Mapped[int] = mapped_column(Integer, default=0)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0)
    last_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL")
    )

    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    """One official's record on one lesson."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        Index("ix_lesson_progress_user_id_course_id", "user_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    first_opened_at: Mapped[datetime]
    last_opened_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
