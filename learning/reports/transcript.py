"""An official's transcript: every course they are enrolled in with its dates, progress, lessons,
time spent, quiz attempts and scores, practical tasks and certificates; and its signed PDF.

The read model is plain data (`Transcript`), loaded set-based: a fixed number of statements
whatever the number of courses, attempts or hand-ins. The page, the PDF and the JSON API all
show this one model. Who may read it: the official themself, HR within their scope and
administrators (`learning.accounts.scope`); mentors have their members' pages instead. This
module writes nothing but the audit record of a PDF export.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from certificates import services as certificates
from certificates.models import Certificate
from courses import queries as catalog
from courses.models import Module
from learning.accounts.models import Department, User
from learning.accounts.services import (
    audit,
    get_official,
    normalize_username,
    require_view_official,
    short_department_path,
)
from learning.db import db
from learning.i18n import current_language
from learning.tasks.models import PracticalTask, TaskSubmission
from quizzes import services as quizzes
from quizzes.models import AttemptAnswer, Quiz, QuizAttempt

NOT_HANDED_IN = "not_handed_in"  # a task's state before any hand-in
CERTIFICATE_STATES = ("valid", "expired", "revoked", "superseded")


def hours_and_minutes(seconds: int) -> tuple[int, int]:
    """Return a measured time as whole hours and the minutes left (minutes floored)."""
    return divmod(max(0, int(seconds or 0)) // 60, 60)


@dataclass(frozen=True)
class AttemptRow:
    """One attempt at a quiz: its score as a percentage and as questions right of those
    auto-graded; `percent` is None while it is in progress."""

    number: int
    started_at: datetime
    submitted_at: datetime | None
    is_submitted: bool
    percent: float | None
    correct: int
    questions: int
    is_passed: bool | None
    has_ungraded: bool  # essays wait for a reviewer: the score may still rise
    is_counted: bool  # the attempt whose score the quiz counts (highest or last)


@dataclass(frozen=True)
class QuizRow:
    """A quiz of the course with the official's attempts, oldest first."""

    title: str
    is_final: bool
    is_required: bool
    is_removed: bool
    pass_mark: int
    attempts: list[AttemptRow]
    counted_percent: float | None
    is_passed: bool


@dataclass(frozen=True)
class TaskRow:
    """A practical task with the official's standing on it: `state` is confirmed, waiting,
    returned or not_handed_in; the dates are those of the deciding hand-in."""

    title: str
    is_required: bool
    is_removed: bool
    state: str
    hand_ins: int
    submitted_at: datetime | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class CertificateRow:
    """A certificate of the official: `status` is valid, expired, revoked or superseded (by a
    corrected certificate or a recertification)."""

    id: int
    serial: str
    code: str
    course_title: str
    language: str  # the course's, which the certificate is written in
    issued_at: datetime
    completed_at: datetime
    expires_at: datetime | None
    score: float | None
    status: str


@dataclass(frozen=True)
class CourseRow:
    """One enrolment of the official and everything they did in the course."""

    slug: str
    title: str
    language: str
    version: str
    enrolled_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    percent: int
    lessons_done: int
    lessons_total: int
    time_spent_seconds: int
    quizzes: list[QuizRow]
    tasks: list[TaskRow]
    certificates: list[CertificateRow]

    @property
    def time_spent(self) -> tuple[int, int]:
        """Return the time spent as (hours, minutes)."""
        return hours_and_minutes(self.time_spent_seconds)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True)
class Transcript:
    """An official's learning record, as of `generated_at`."""

    user_id: int
    username: str
    full_name: str
    staff_number: str
    department: str  # the path without the ministry's own root ("" without a department)
    job_title: str
    generated_at: datetime
    courses: list[CourseRow]
    # certificates of courses the official is no longer enrolled in (records are kept)
    other_certificates: list[CertificateRow] = field(default_factory=list)

    @property
    def time_spent_seconds(self) -> int:
        """Return the time spent in every course."""
        return sum(course.time_spent_seconds for course in self.courses)

    @property
    def time_spent(self) -> tuple[int, int]:
        """Return the time spent in every course as (hours, minutes)."""
        return hours_and_minutes(self.time_spent_seconds)

    @property
    def completed(self) -> int:
        """Return the number of courses completed."""
        return sum(course.is_complete for course in self.courses)

    @property
    def attempt_lines(self) -> list[tuple[CourseRow, QuizRow, AttemptRow]]:
        """Return every attempt with its course and quiz, course by course."""
        return [(course, quiz, attempt) for course in self.courses
                for quiz in course.quizzes for attempt in quiz.attempts]

    @property
    def task_lines(self) -> list[tuple[CourseRow, TaskRow]]:
        """Return every practical task with its course, course by course."""
        return [(course, task) for course in self.courses for task in course.tasks]

    @property
    def certificates(self) -> list[CertificateRow]:
        """Return every certificate of the official, course by course."""
        return [c for course in self.courses for c in course.certificates] + \
            self.other_certificates


# --- loading ---------------------------------------------------------------------------------

def _department_path(official: User) -> str:
    """The official's department path without the ministry's root, in one query."""
    department = official.department
    if department is None:
        return ""
    ids = [int(part) for part in department.path.strip("/").split("/") if part.isdigit()]
    by_id = {d.id: d for d in db.session.scalars(select(Department).where(
        Department.id.in_(ids or [department.id])))}
    by_id.setdefault(department.id, department)
    return short_department_path(department, current_app.config["MINISTRY_NAME"], by_id)


def _attempts(user_id: int, course_ids: list[int]):
    """Every attempt of the official at the courses' quizzes (removed quizzes too), with the
    quiz, and the states of their answers by attempt and slot: two statements."""
    rows = db.session.execute(
        select(QuizAttempt, Quiz).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.user_id == user_id, Quiz.course_id.in_(course_ids))
        .order_by(QuizAttempt.quiz_id, QuizAttempt.number)).all()
    states: dict[int, dict[int, str | None]] = defaultdict(dict)
    submitted = [attempt.id for attempt, _ in rows if attempt.state == quizzes.SUBMITTED]
    if submitted:
        for attempt_id, slot, state in db.session.execute(
                select(AttemptAnswer.attempt_id, AttemptAnswer.slot, AttemptAnswer.state)
                .where(AttemptAnswer.attempt_id.in_(submitted))):
            states[attempt_id][slot] = state
    return rows, states


def _quiz_rows(course_quizzes: list[Quiz], attempt_rows, states, enrolment) -> list[QuizRow]:
    """The course's current quizzes, then removed ones the official attempted."""
    by_quiz: dict[int, list[QuizAttempt]] = defaultdict(list)
    removed: dict[int, Quiz] = {}
    for attempt, quiz in attempt_rows:
        by_quiz[quiz.id].append(attempt)
        if quiz.is_removed:
            removed[quiz.id] = quiz
    result = []
    for quiz in [*course_quizzes, *removed.values()]:
        attempts = by_quiz.get(quiz.id, [])
        standing = quizzes.standing(quiz, attempts, enrolment)
        counted = quizzes.counted_attempt(quiz, [
            a for a in attempts if enrolment.cycle_started_at is None
            or a.started_at >= enrolment.cycle_started_at])
        rows = []
        for attempt in attempts:
            correct, total = (quizzes.correct_count_of(attempt.layout, states[attempt.id])
                              if attempt.state == quizzes.SUBMITTED else (0, 0))
            rows.append(AttemptRow(
                number=attempt.number, started_at=attempt.started_at,
                submitted_at=attempt.submitted_at,
                is_submitted=attempt.state == quizzes.SUBMITTED,
                percent=attempt.percent if attempt.state == quizzes.SUBMITTED else None,
                correct=correct, questions=total, is_passed=attempt.is_passed,
                has_ungraded=attempt.has_ungraded,
                is_counted=counted is not None and counted.id == attempt.id))
        result.append(QuizRow(title=quiz.title, is_final=quiz.module_id is None,
                              is_required=quiz.is_required, is_removed=quiz.is_removed,
                              pass_mark=quiz.pass_mark, attempts=rows,
                              counted_percent=standing.counted_percent,
                              is_passed=standing.is_passed))
    return result


def _tasks(user_id: int, course_ids: list[int]):
    """The courses' tasks in module order (removed ones too) and the official's hand-ins of
    them, oldest first: two statements."""
    tasks = db.session.scalars(
        select(PracticalTask).outerjoin(Module, Module.id == PracticalTask.module_id)
        .where(PracticalTask.course_id.in_(course_ids))
        .order_by(PracticalTask.course_id, PracticalTask.is_removed,
                  func.coalesce(Module.position, 100_000), PracticalTask.position)).all()
    hand_ins = db.session.execute(
        select(TaskSubmission.task_id, TaskSubmission.state, TaskSubmission.submitted_at,
               TaskSubmission.reviewed_at)
        .where(TaskSubmission.user_id == user_id, TaskSubmission.course_id.in_(course_ids))
        .order_by(TaskSubmission.id)).all()
    return tasks, hand_ins


def _task_rows(tasks: list[PracticalTask], hand_ins_by_task) -> list[TaskRow]:
    """Current tasks, and removed ones the official handed in."""
    rows = []
    for task in tasks:
        hand_ins = hand_ins_by_task.get(task.id, [])
        if task.is_removed and not hand_ins:
            continue
        # As the course page decides: confirmed once any hand-in is, else the latest.
        deciding = next((h for h in hand_ins if h.state == "confirmed"), None) or \
            (hand_ins[-1] if hand_ins else None)
        rows.append(TaskRow(title=task.title, is_required=task.is_required,
                            is_removed=task.is_removed,
                            state=deciding.state if deciding else NOT_HANDED_IN,
                            hand_ins=len(hand_ins),
                            submitted_at=deciding.submitted_at if deciding else None,
                            reviewed_at=deciding.reviewed_at if deciding else None))
    return rows


def _certificate_rows(user_id: int, *, now: datetime
                      ) -> tuple[list[CertificateRow], list[int]]:
    """Every certificate of the official, oldest first, with its status, and the course of
    each: one statement."""
    found = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user_id)
        .options(defer(Certificate.credential_jws))  # the signed credential: not shown
        .order_by(Certificate.issued_at, Certificate.id)).all()
    followed = {c.previous_id for c in found if c.previous_id is not None}
    rows = []
    for certificate in found:
        status = certificate.status(now)
        if certificate.revocation_category == "replaced" or (
                status != "revoked" and certificate.id in followed):
            status = "superseded"
        rows.append(CertificateRow(
            id=certificate.id, serial=certificate.serial or "", code=certificate.code,
            course_title=certificate.course_title, language=certificate.language,
            issued_at=certificate.issued_at,
            completed_at=certificate.completed_at, expires_at=certificate.expires_at,
            score=certificate.score, status=status))
    return rows, [c.course_id for c in found]


def find_official(actor: User | None, username: str) -> User:
    """Return the official named `username` whose records the actor may see. Someone without
    HR rights asking for another official is refused before any look-up (PermissionDenied: no
    probing for usernames); an unknown official, or one outside the actor's scope, is
    NotFound alike."""
    wanted = normalize_username(username)
    if actor is not None and wanted == actor.username.casefold():
        return actor
    return get_official(actor, username=wanted)  # HR's rule, as on HR's pages


def get_transcript(actor: User | None, official: User, *, now: datetime) -> Transcript:
    """Return the official's transcript if the actor may see their records (the official,
    HR within scope, administrators), else raise PermissionDenied. A fixed number of
    statements, whatever the number of courses."""
    require_view_official(actor, official)
    entries = sorted(catalog.enrolled_courses(official),
                     key=lambda e: (e.enrolment.enrolled_at, e.enrolment.id))
    course_ids = [entry.course.id for entry in entries]
    course_quizzes = quizzes.quizzes_by_course(course_ids)
    attempt_rows, states, tasks, hand_ins = [], {}, [], []
    if course_ids:
        attempt_rows, states = _attempts(official.id, course_ids)
        tasks, hand_ins = _tasks(official.id, course_ids)
    attempts_by_course = defaultdict(list)
    for attempt, quiz in attempt_rows:
        attempts_by_course[quiz.course_id].append((attempt, quiz))
    tasks_by_course = defaultdict(list)
    for task in tasks:
        tasks_by_course[task.course_id].append(task)
    hand_ins_by_task = defaultdict(list)
    for hand_in in hand_ins:
        hand_ins_by_task[hand_in.task_id].append(hand_in)
    certificate_rows, certificate_courses = _certificate_rows(official.id, now=now)
    certificates_by_course = defaultdict(list)
    others = []
    for row, course_id in zip(certificate_rows, certificate_courses, strict=True):
        (certificates_by_course[course_id] if course_id in course_ids else others).append(row)

    courses = []
    for entry in entries:
        course, enrolment = entry.course, entry.enrolment
        courses.append(CourseRow(
            slug=course.slug, title=course.title, language=course.language,
            version=course.version, enrolled_at=enrolment.enrolled_at,
            started_at=enrolment.started_at, completed_at=enrolment.completed_at,
            percent=enrolment.percent_complete, lessons_done=len(entry.done_ids),
            lessons_total=len(entry.lessons),
            time_spent_seconds=enrolment.time_spent_seconds,
            quizzes=_quiz_rows(course_quizzes[course.id], attempts_by_course[course.id],
                               states, enrolment),
            tasks=_task_rows(tasks_by_course[course.id], hand_ins_by_task),
            certificates=certificates_by_course[course.id]))
    return Transcript(user_id=official.id, username=official.username,
                      full_name=official.full_name, staff_number=official.staff_number or "",
                      department=_department_path(official),
                      job_title=official.job_title or "", generated_at=now, courses=courses,
                      other_certificates=others)


# --- the signed PDF --------------------------------------------------------------------------

PDF_TEMPLATE = "reports/transcript_pdf.html"


def pdf_filename(transcript: Transcript) -> str:
    """Return the download's file name: the username and the day (a username may hold any
    character but spaces: send it with `learning.downloads.content_disposition`)."""
    day = transcript.generated_at.astimezone(certificates.zone()).strftime("%Y%m%d")
    return f"transcript-{transcript.username}-{day}.pdf"


def export_pdf(actor: User | None, official: User, *, now: datetime) -> tuple[Transcript, bytes]:
    """Return the official's transcript and its signed PDF (A4, labels in the current
    language), and record the export in the audit log; the caller commits."""
    transcript = get_transcript(actor, official, now=now)
    texts = [transcript.full_name, transcript.department, transcript.job_title,
             *[course.title for course in transcript.courses],
             *[quiz.title for course in transcript.courses for quiz in course.quizzes],
             *[task.title for course in transcript.courses for task in course.tasks],
             gettext("Transcript")]
    html = render_template(PDF_TEMPLATE, transcript=transcript,
                           needs_korean=certificates.needs_korean(texts),
                           national_form=current_language() == "vi",
                           ministry=current_app.config["MINISTRY_NAME"])
    reason = gettext("Transcript of %(name)s", name=transcript.full_name)
    data = certificates.sign_document(certificates.write_pdf(html), reason=reason,
                                      name=current_app.config["MINISTRY_NAME"], now=now)
    audit(actor, "transcript.export", official, now=now)
    return transcript, data
