"""Assignment states, derived from the learner records (never stored), set-based.

A member's state on an assignment is one of:
- `done`: the target is complete and was completed on or before the due day;
- `done_late`: complete, but completed after the due day;
- `overdue`: not complete and the due day has passed;
- `in_progress`: not complete, not overdue, something started;
- `not_started`: nothing started yet.
Days are the ministry's calendar days (BABEL_DEFAULT_TIMEZONE): a lesson finished at 23:30 in
Hà Nội on the due day is on time, although it is already the next day in UTC.

Complete means: for a course, the enrolment's completion (learning.progress decides it); for a
module, every current lesson done in the enrolment's current cycle and, when the course's
completion rule counts quizzes, the module's required quizzes passed; for a lesson, the
lesson done in the current cycle.

The figures of a whole group come from a fixed number of queries, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import defer

from courses.models import Course, Enrolment, Lesson, LessonProgress
from learning.clock import ministry_day, ministry_zone
from learning.db import db
from quizzes.models import Quiz, QuizAttempt
from quizzes.services import counted_attempt

NOT_STARTED, IN_PROGRESS, DONE, DONE_LATE, OVERDUE = (
    "not_started", "in_progress", "done", "done_late", "overdue")
STATES = (NOT_STARTED, IN_PROGRESS, DONE, DONE_LATE, OVERDUE)
# Most urgent first: how the grid sorts by state and which state sums a member up.
URGENCY = {OVERDUE: 0, NOT_STARTED: 1, IN_PROGRESS: 2, DONE_LATE: 3, DONE: 4}
FINISHED = (DONE, DONE_LATE)
STATE_LABELS = {
    NOT_STARTED: _l("Not started"), IN_PROGRESS: _l("In progress"), DONE: _l("Done"),
    DONE_LATE: _l("Done late"), OVERDUE: _l("Overdue"),
}


def derive_state(*, done_at: datetime | None, started: bool, due_on: date, today: date,
                 zone: ZoneInfo) -> str:
    """Return the state of one member on one assignment (see the module docstring)."""
    if done_at is not None:
        return DONE if ministry_day(done_at, zone) <= due_on else DONE_LATE
    if today > due_on:
        return OVERDUE
    return IN_PROGRESS if started else NOT_STARTED


@dataclass(frozen=True)
class Cell:
    """One member's standing on one assignment."""

    state: str
    percent: int
    quiz_percent: float | None = None  # best score on the target's quiz, this cycle
    done_at: datetime | None = None

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED


@dataclass
class _Facts:
    """What the queries found, by official."""

    enrolments: dict[tuple[int, int], Enrolment] = field(default_factory=dict)
    lessons_by_module: dict[int, list[int]] = field(default_factory=dict)
    # (user, lesson) -> (completed_at in the current cycle or None, opened in this cycle)
    lesson_records: dict[tuple[int, int], tuple[datetime | None, bool]] = field(
        default_factory=dict)
    quizzes: list[Quiz] = field(default_factory=list)
    attempts: dict[tuple[int, int], list[QuizAttempt]] = field(default_factory=dict)


def _gather(assignments, users) -> _Facts:
    """Read every record the cells of `assignments` × `users` need, in at most six queries.

    `users` is anything `.in_()` takes: a list of ids or a subquery of them."""
    facts = _Facts()
    course_ids = sorted({a.course_id for a in assignments})
    module_ids = sorted({a.module_id for a in assignments if a.module_id})
    lesson_ids = {a.lesson_id for a in assignments if a.lesson_id}
    if not course_ids:
        return facts
    for enrolment in db.session.scalars(select(Enrolment).where(
            Enrolment.user_id.in_(users), Enrolment.course_id.in_(course_ids))):
        facts.enrolments[(enrolment.user_id, enrolment.course_id)] = enrolment
    if module_ids:
        for lesson_id, module_id in db.session.execute(
                select(Lesson.id, Lesson.module_id).where(
                    Lesson.module_id.in_(module_ids), Lesson.is_removed.is_(False))
                .order_by(Lesson.position)):
            facts.lessons_by_module.setdefault(module_id, []).append(lesson_id)
    wanted = lesson_ids | {i for ids in facts.lessons_by_module.values() for i in ids}
    if wanted:
        for row in db.session.execute(
                select(LessonProgress.user_id, LessonProgress.lesson_id,
                       LessonProgress.course_id, LessonProgress.completed_at,
                       LessonProgress.last_opened_at)
                .where(LessonProgress.user_id.in_(users),
                       LessonProgress.lesson_id.in_(sorted(wanted)))):
            enrolment = facts.enrolments.get((row.user_id, row.course_id))
            since = enrolment.cycle_started_at if enrolment is not None else None
            done = row.completed_at if row.completed_at and (
                since is None or row.completed_at >= since) else None
            opened = since is None or row.last_opened_at >= since
            facts.lesson_records[(row.user_id, row.lesson_id)] = (done, opened or bool(done))
    # The quizzes that matter: a module target's quizzes, a course target's final test.
    course_targets = {a.course_id for a in assignments if a.kind == "course"}
    facts.quizzes = [quiz for quiz in db.session.scalars(select(Quiz).where(
        Quiz.course_id.in_(course_ids), Quiz.is_removed.is_(False)).order_by(Quiz.position))
        if (quiz.module_id is None and quiz.course_id in course_targets)
        or (quiz.module_id is not None and quiz.module_id in module_ids)]
    if facts.quizzes:
        for attempt in db.session.scalars(
                select(QuizAttempt).where(QuizAttempt.user_id.in_(users),
                                          QuizAttempt.quiz_id.in_([q.id for q in facts.quizzes]))
                .options(defer(QuizAttempt.layout))):
            facts.attempts.setdefault((attempt.user_id, attempt.quiz_id), []).append(attempt)
    return facts


def _this_cycle(attempts: list[QuizAttempt], enrolment: Enrolment | None) -> list[QuizAttempt]:
    since = enrolment.cycle_started_at if enrolment is not None else None
    return [a for a in attempts if since is None or a.started_at >= since]


def _best(attempts: list[QuizAttempt]) -> float | None:
    scores = [a.percent for a in attempts if a.percent is not None and a.state == "submitted"]
    return max(scores) if scores else None


def _passed_at(quiz: Quiz, attempts: list[QuizAttempt]) -> datetime | None:
    """Return when the quiz became passed (None if it is not): the first passing attempt under
    "highest", the counted one under "last"."""
    counted = counted_attempt(quiz, attempts)
    if counted is None or not counted.is_passed:
        return None
    if quiz.grading_policy == "last":
        return counted.submitted_at
    return min(a.submitted_at for a in attempts
               if a.state == "submitted" and a.is_passed and a.submitted_at)


def _cell(assignment, course: Course, user_id: int, facts: _Facts, *, today: date,
          zone: ZoneInfo) -> Cell:
    enrolment = facts.enrolments.get((user_id, assignment.course_id))
    kind = assignment.kind

    def quiz_attempts(quiz: Quiz) -> list[QuizAttempt]:
        return _this_cycle(facts.attempts.get((user_id, quiz.id), []), enrolment)

    if kind == "course":
        final = next((q for q in facts.quizzes
                      if q.course_id == assignment.course_id and q.module_id is None), None)
        if enrolment is None:
            done_at, started, percent = None, False, 0
        else:
            done_at = enrolment.completed_at
            percent = 100 if done_at else enrolment.percent_complete
            started = bool(enrolment.started_at or percent or done_at)
        quiz_percent = _best(quiz_attempts(final)) if final is not None else None
    elif kind == "module":
        lessons = facts.lessons_by_module.get(assignment.module_id, [])
        records = [facts.lesson_records.get((user_id, lesson_id)) for lesson_id in lessons]
        done_times = [record[0] for record in records if record and record[0]]
        module_quizzes = [q for q in facts.quizzes if q.module_id == assignment.module_id]
        required = ([q for q in module_quizzes if q.is_required]
                    if course.completion_rule == "all_lessons_and_quizzes" else [])
        pass_times = [moment for moment in (_passed_at(q, quiz_attempts(q)) for q in required)
                      if moment is not None]
        parts = len(lessons) + len(required)
        finished = len(done_times) + len(pass_times)
        percent = min(100, 100 * finished // parts) if parts else 0
        done_at = max(done_times + pass_times) if parts and finished >= parts else None
        started = bool(done_at) or any(record and record[1] for record in records) or any(
            quiz_attempts(q) for q in module_quizzes)
        scores = [s for s in (_best(quiz_attempts(q)) for q in module_quizzes) if s is not None]
        quiz_percent = max(scores) if scores else None
    else:
        record = facts.lesson_records.get((user_id, assignment.lesson_id))
        done_at = record[0] if record else None
        started = bool(record and record[1])
        percent = 100 if done_at else 0
        quiz_percent = None
    state = derive_state(done_at=done_at, started=started, due_on=assignment.due_on,
                         today=today, zone=zone)
    return Cell(state=state, percent=percent, quiz_percent=quiz_percent, done_at=done_at)


def compute_cells(pairs: dict[int, list[int]], assignments: list, users, *,
                  now: datetime) -> dict[tuple[int, int], Cell]:
    """Return the cell of every (user id, assignment id) in `pairs` (assignment id -> the
    user ids it applies to); `users` selects every such user for the queries (ids or a
    subquery). The assignments must have their course loaded."""
    zone = ministry_zone()
    today = ministry_day(now, zone)
    wanted = [a for a in assignments if pairs.get(a.id)]
    facts = _gather(wanted, users)
    return {(user_id, assignment.id): _cell(assignment, assignment.course, user_id, facts,
                                            today=today, zone=zone)
            for assignment in wanted for user_id in pairs[assignment.id]}
