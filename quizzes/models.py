"""Quizzes: settings, the question bank, attempts and their answers.

An attempt keeps a snapshot of the questions it drew (text, options, their display order), so
a later edit of the bank never changes an attempt in progress or a graded one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Module
from learning.clock import now as utcnow
from learning.db import db

GRADING_POLICIES = ("highest", "last")
REVIEW_POLICIES = ("score", "answers", "feedback")


class Quiz(db.Model):
    """A module quiz or a course's final test (module_id is NULL)."""

    __tablename__ = "quizzes"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark"),
        CheckConstraint("grading_policy IN ('highest', 'last')", name="grading_policy"),
        CheckConstraint("review_policy IN ('score', 'answers', 'feedback')", name="review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_modules.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    draw_count: Mapped[int | None] = mapped_column(Integer)
    grading_policy: Mapped[str] = mapped_column(String(10), default="highest")
    review_policy: Mapped[str] = mapped_column(String(10), default="feedback")
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    one_page: Mapped[bool] = mapped_column(Boolean, default=True)
    # What must be done before an attempt: "lessons" and/or "quiz:<module slug>" (package.py).
    requires: Mapped[list] = mapped_column(JSON, default=list)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    questions: Mapped[list[QuizQuestion]] = relationship(
        back_populates="quiz", order_by="QuizQuestion.position", cascade="all, delete-orphan")

    @property
    def is_final(self) -> bool:
        """Tell whether this is the course's final test."""
        return self.module_id is None


class QuizQuestion(db.Model):
    """A question of a quiz's bank, stored as the data of `quizzes.questions.Question`."""

    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))  # stable across re-imports
    position: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict] = mapped_column(JSON)
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class QuizAttempt(db.Model):
    """One attempt of one official at one quiz."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        # At most one unfinished attempt per official and quiz, even under concurrent starts.
        Index("uq_quiz_attempts_open", "quiz_id", "user_id", unique=True,
              sqlite_where=sql_text("state = 'in_progress'"),
              postgresql_where=sql_text("state = 'in_progress'")),
        CheckConstraint("state IN ('in_progress', 'submitted')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="in_progress")
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # The drawn questions: [{"question_id", "data", "choice_order", "right_order"}], in order.
    layout: Mapped[list] = mapped_column(JSON)
    score_points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    is_passed: Mapped[bool | None] = mapped_column(Boolean)
    has_ungraded: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_expired: Mapped[bool] = mapped_column(Boolean, default=False)

    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", order_by="AttemptAnswer.slot", cascade="all, delete-orphan")


class AttemptAnswer(db.Model):
    """The response to one slot of an attempt, saved page by page, graded at submission."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict | list | str | None] = mapped_column(JSON)
    saved_at: Mapped[datetime]
    fraction: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str | None] = mapped_column(String(20))
    feedback: Mapped[list | None] = mapped_column(JSON)
    essay_text: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
