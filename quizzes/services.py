"""Quiz rules: the bank from packages and GIFT, attempts, server-side grading, results.

The browser only ever sees question texts and options in display order; the layout with the
right answers stays in the database until the attempt is submitted. Idempotency lives in the
database: one open attempt per official and quiz (a partial unique index), and submission is a
conditional UPDATE, so a double submit grades once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import defer
from sqlalchemy.exc import IntegrityError

from courses.models import Course, Enrolment, Lesson, LessonProgress, Module
from courses.packages import CourseSpec, PackageError, Problem
from courses.services import get_enrolment, modules_by_folder, new_content_version
from learning.accounts.models import User
from learning.accounts.services import audit, require_admin
from learning.db import db, insert_for
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.fragments import BoundedCache
from quizzes import gift, grading
from quizzes.models import AttemptAnswer, Quiz, QuizAttempt, QuizQuestion
from quizzes.package import (
    DEFAULT_TITLES,
    FINAL_TITLES,
    QuizSpec,
    parse_quizzes,
    question_key,
)
from quizzes.questions import Question
from quizzes.signals import attempt_graded

IN_PROGRESS, SUBMITTED = "in_progress", "submitted"
GRACE = timedelta(seconds=5)  # network slack for an answer sent just before the deadline


class TimeUp(RuleViolation):
    """The attempt's time limit has passed."""


# --- the bank --------------------------------------------------------------------------------

def check_package(files: dict[str, bytes], *, spec: CourseSpec | None, **_) -> list[Problem]:
    """Subscriber of `package_checking`: every problem of the package's quiz files."""
    specs, problems = parse_quizzes(files, language=spec.language if spec else "vi",
                                    module_titles=_module_titles(spec))
    if spec is not None:
        folders = {module.folder for module in spec.modules}
        quiz_folders = {quiz_spec.folder for quiz_spec in specs}
        folder_of = {module.slug: module.folder for module in spec.modules}
        for quiz_spec in specs:
            for item in quiz_spec.requires:
                if not item.startswith("quiz:"):
                    continue
                module_slug = item[len("quiz:"):]
                where = quiz_spec.source_path
                if module_slug not in folder_of:
                    problems.append(Problem(where, None, f"“requires”: no module “{module_slug}”"))
                elif folder_of[module_slug] not in quiz_folders:
                    problems.append(Problem(where, None, f"“requires”: module “{module_slug}” "
                                                         "has no quiz"))
                elif folder_of[module_slug] == quiz_spec.folder:
                    problems.append(Problem(where, None, "“requires”: a quiz cannot require "
                                                         "itself"))
        problems.extend(_requirement_cycles(specs, spec))
        for quiz_folder in {p.rsplit("/", 1)[0] for p in files if p.endswith(("/quiz.toml",
                                                                               "/quiz.gift"))}:
            if quiz_folder not in folders:
                problems.append(Problem(quiz_folder + "/", None, "a quiz outside any module"))
    return problems


def _requirement_cycles(specs: list[QuizSpec], spec: CourseSpec) -> list[Problem]:
    """Find module quizzes that require each other in a cycle (A needs B's quiz, B needs A's,
    or longer): none of them could ever be started. One problem per cycle, on the file of its
    first quiz in package order, naming the whole cycle."""
    slug_of = {module.folder: module.slug for module in spec.modules}
    quiz_of = {slug_of[s.folder]: s for s in specs if s.folder in slug_of}
    needs = {slug: [item[len("quiz:"):] for item in s.requires if item.startswith("quiz:")
                    and item[len("quiz:"):] in quiz_of and item[len("quiz:"):] != slug]
             for slug, s in quiz_of.items()}
    order = [slug_of[s.folder] for s in specs if s.folder in slug_of]
    problems, reported, finished = [], set(), set()

    def visit(slug: str, path: list[str]) -> None:
        if slug in finished:
            return
        if slug in path:
            cycle = path[path.index(slug):]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                first = min(cycle, key=order.index)
                start = cycle.index(first)
                ring = cycle[start:] + cycle[:start] + [first]
                problems.append(Problem(quiz_of[first].source_path, None,
                                        "“requires”: these quizzes require each other in a "
                                        "cycle, so none could be started: "
                                        + " → ".join(f"quiz:{s}" for s in ring)))
            return
        for needed in needs[slug]:
            visit(needed, [*path, slug])
        finished.add(slug)

    for slug in order:
        visit(slug, [])
    return problems


def _module_titles(spec: CourseSpec | None) -> dict[str, str]:
    return {module.folder: module.title for module in spec.modules} if spec else {}


def _store_questions(quiz: Quiz, questions: list[tuple[str, Question]], *,
                     replace: bool) -> None:
    existing = {q.key: q for q in quiz.questions}
    wanted = set()
    base = len(existing) if not replace else 0
    for position, (key, question) in enumerate(questions, start=base):
        record = existing.get(key)
        if record is None:
            record = QuizQuestion(key=key)
            quiz.questions.append(record)
        record.position = position
        record.type = question.type
        record.data = question.to_dict()
        record.is_removed = False
        wanted.add(key)
    if replace:
        for key, record in existing.items():
            if key not in wanted:
                record.is_removed = True


def _apply_spec(quiz: Quiz, spec: QuizSpec) -> None:
    for attribute in ("title", "pass_mark", "max_attempts", "time_limit_seconds",
                      "shuffle_questions", "shuffle_options", "draw_count", "grading_policy",
                      "review_policy", "is_required", "one_page", "source_path", "requires"):
        setattr(quiz, attribute, getattr(spec, attribute))


def apply_package(course: Course, *, now: datetime, spec: CourseSpec, **_) -> None:
    """Subscriber of `course_content_changed`: make the course's quizzes match its package."""
    specs, problems = parse_quizzes(spec.files, language=spec.language,
                                    module_titles=_module_titles(spec))
    if problems:  # checked before; a problem here means the package changed under us
        raise PackageError(problems)
    module_by_folder = modules_by_folder(course, spec)
    existing = {q.slug: q for q in db.session.scalars(
        select(Quiz).where(Quiz.course_id == course.id))}
    seen = set()
    for position, quiz_spec in enumerate(specs):
        quiz = existing.get(quiz_spec.slug)
        if quiz is None:
            quiz = Quiz(course_id=course.id, slug=quiz_spec.slug)
            db.session.add(quiz)
        module = module_by_folder.get(quiz_spec.folder)
        quiz.module_id = module.id if module is not None else None
        quiz.position = position if quiz_spec.folder else 10_000
        quiz.is_removed = False
        quiz.updated_at = now
        _apply_spec(quiz, quiz_spec)
        _store_questions(quiz, quiz_spec.questions, replace=True)
        seen.add(quiz.slug)
    for slug, quiz in existing.items():
        if slug not in seen:
            quiz.is_removed = True
    db.session.flush()


def get_quiz(course: Course, slug: str) -> Quiz:
    """Return a current quiz of the course or raise NotFound."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == slug,
                                                Quiz.is_removed.is_(False)))
    if quiz is None:
        raise NotFound(_l("No such quiz."))
    return quiz


def course_quizzes(course_id: int) -> list[Quiz]:
    """Return the course's current quizzes: module quizzes in module order, then the final."""
    return list(db.session.scalars(
        select(Quiz).outerjoin(Module, Module.id == Quiz.module_id)
        .where(Quiz.course_id == course_id, Quiz.is_removed.is_(False))
        .order_by(func.coalesce(Module.position, 100_000), Quiz.position)))


def quizzes_by_course(course_ids: list[int]) -> dict[int, list[Quiz]]:
    """Map each course id to its current quizzes in `course_quizzes` order, in one query."""
    result: dict[int, list[Quiz]] = {course_id: [] for course_id in course_ids}
    if course_ids:
        for quiz in db.session.scalars(
                select(Quiz).outerjoin(Module, Module.id == Quiz.module_id)
                .where(Quiz.course_id.in_(course_ids), Quiz.is_removed.is_(False))
                .order_by(Quiz.course_id, func.coalesce(Module.position, 100_000),
                          Quiz.position)):
            result[quiz.course_id].append(quiz)
    return result


def bank(quiz: Quiz) -> list[tuple[QuizQuestion, Question]]:
    """Return the quiz's current questions with their definitions."""
    return [(record, Question.from_dict(record.data)) for record in quiz.questions
            if not record.is_removed]


def quiz_for_gift(actor: User | None, course: Course, module: Module | None, *,
                  now: datetime) -> Quiz:
    """Return the quiz a GIFT file goes into: the module's quiz or the final test."""
    require_admin(actor)
    quiz = db.session.scalar(select(Quiz).where(
        Quiz.course_id == course.id,
        Quiz.module_id == module.id if module else Quiz.module_id.is_(None),
        Quiz.is_removed.is_(False)).order_by(Quiz.id))
    if quiz is None:
        title = (DEFAULT_TITLES.get(course.language, DEFAULT_TITLES["en"]).format(
            name=module.title) if module else FINAL_TITLES.get(course.language, "Final test"))
        quiz = Quiz(course_id=course.id, module_id=module.id if module else None,
                    slug=f"{module.slug}-quiz" if module else "final-test", title=title,
                    position=module.position if module else 10_000, updated_at=now)
        db.session.add(quiz)
        new_content_version(course)  # the cached quiz lists of the course pages
        db.session.flush()
    return quiz


def import_gift(actor: User | None, quiz: Quiz, text: str, *, now: datetime,
                source: str = "") -> int:
    """Add the questions of a GIFT file to a quiz's bank; refuse the file on any problem."""
    require_admin(actor)
    result = gift.parse_gift(text, source=source)
    if result.problems:
        raise PackageError([Problem(source or "GIFT", p.line, p.message)
                            for p in result.problems])
    taken = {record.key for record in quiz.questions}
    new = [(question_key(q, taken), q) for q in result.questions]
    _store_questions(quiz, new, replace=False)
    quiz.updated_at = now
    db.session.flush()
    audit(actor, "quiz.import_gift", quiz, now=now, questions=len(new))
    return len(new)


def export_gift(quiz: Quiz) -> gift.GiftExport:
    """Return the quiz's bank in GIFT (and what GIFT cannot express)."""
    return gift.export_gift([question for _, question in bank(quiz)])


# --- attempts --------------------------------------------------------------------------------

@dataclass
class QuizStatus:
    """An official's standing on a quiz."""

    quiz: Quiz
    attempts_used: int
    attempts_left: int | None  # None: unlimited
    best_percent: float | None
    counted_percent: float | None
    is_passed: bool
    open_attempt: QuizAttempt | None
    missing: Missing | None = None  # set by quiz_status: what the quiz still requires
    graded_overdue: bool = False  # quiz_status graded an attempt past its time: commit

    @property
    def is_locked(self) -> bool:
        return self.missing is not None and not self.missing.is_empty

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and not self.is_locked and (
            self.attempts_left is None or self.attempts_left > 0)


@dataclass
class Missing:
    """What an official must still do before starting a quiz (its `requires`)."""

    lessons: list[Lesson]
    quizzes: list[Quiz]  # module quizzes not passed yet

    @property
    def is_empty(self) -> bool:
        return not self.lessons and not self.quizzes


def missing_requirements(user: User, quiz: Quiz, enrolment: Enrolment | None) -> Missing:
    """Return the lessons not completed and the module quizzes not passed that the quiz
    requires. "lessons" means the module's lessons for a module quiz, all the course's lessons
    for the final test; in a recertification cycle only this cycle's work counts (`enrolment`
    is the official's in the quiz's course, or None)."""
    missing = Missing(lessons=[], quizzes=[])
    requires = quiz.requires or []
    if not requires:
        return missing
    if "lessons" in requires:
        query = (select(Lesson).join(Module, Lesson.module_id == Module.id)
                 .where(Lesson.course_id == quiz.course_id, Lesson.is_removed.is_(False),
                        Module.is_removed.is_(False)).order_by(Lesson.position))
        if quiz.module_id is not None:
            query = query.where(Lesson.module_id == quiz.module_id)
        done = select(LessonProgress.lesson_id).where(
            LessonProgress.user_id == user.id, LessonProgress.course_id == quiz.course_id,
            LessonProgress.completed_at.is_not(None))
        if enrolment is not None and enrolment.cycle_started_at is not None:
            done = done.where(LessonProgress.completed_at >= enrolment.cycle_started_at)
        missing.lessons = list(db.session.scalars(query.where(Lesson.id.not_in(done))))
    slugs = [item[len("quiz:"):] for item in requires if item.startswith("quiz:")]
    if slugs:
        required = list(db.session.scalars(
            select(Quiz).join(Module, Quiz.module_id == Module.id)
            .where(Quiz.course_id == quiz.course_id, Quiz.is_removed.is_(False),
                   Module.slug.in_(slugs), Module.is_removed.is_(False), Quiz.id != quiz.id)
            .order_by(Module.position, Quiz.position)))
        attempts = attempts_by_quiz(user.id, required)
        missing.quizzes = [other for other in required
                           if not standing(other, attempts[other.id], enrolment).is_passed]
    return missing


def missing_from(quiz: Quiz, *, lessons: list[Lesson], done_ids: set[int],
                 quizzes: list[Quiz], module_slugs: dict[int, str],
                 passed_ids: set[int]) -> Missing:
    """Return what `missing_requirements` returns, from data a page has already loaded (no
    queries): the course's current lessons in order, the ids of those done in this cycle, its
    current quizzes in order, current module id → slug, and the ids of the quizzes passed."""
    missing = Missing(lessons=[], quizzes=[])
    requires = quiz.requires or []
    if "lessons" in requires:
        missing.lessons = [lesson for lesson in lessons if lesson.id not in done_ids and (
            quiz.module_id is None or lesson.module_id == quiz.module_id)]
    slugs = {item[len("quiz:"):] for item in requires if item.startswith("quiz:")}
    if slugs:
        missing.quizzes = [other for other in quizzes
                           if other.id != quiz.id and other.module_id in module_slugs
                           and module_slugs[other.module_id] in slugs
                           and other.id not in passed_ids]
    return missing


def counted_attempt(quiz: Quiz, attempts: list[QuizAttempt]) -> QuizAttempt | None:
    """Return the attempt that counts: the highest score or the last one, per the quiz."""
    done = [a for a in attempts if a.state == SUBMITTED and a.percent is not None]
    if not done:
        return None
    if quiz.grading_policy == "last":
        return max(done, key=lambda a: (a.submitted_at, a.number))
    return max(done, key=lambda a: (a.percent, -a.number))


def quiz_status(user: User, quiz: Quiz, *, now: datetime,
                close_overdue: bool = False) -> QuizStatus:
    """Return attempts used and left, best and counted score, passed, open attempt.

    With `close_overdue` (callers that commit: the quiz page, starting an attempt) an
    unfinished attempt past its time limit is graded first; read-only pages only show it."""
    attempts = attempts_for_user(user.id, quiz)
    open_attempt = next((a for a in attempts if a.state == IN_PROGRESS), None)
    graded = bool(close_overdue and open_attempt is not None and open_attempt.deadline_at
                  and open_attempt.deadline_at + GRACE < now)
    if graded:
        submit(user, open_attempt, None, now=now)
    enrolment = get_enrolment(user, quiz.course)
    status = standing(quiz, attempts, enrolment)
    status.missing = missing_requirements(user, quiz, enrolment)
    status.graded_overdue = graded
    return status


def standing(quiz: Quiz, attempts: list[QuizAttempt], enrolment: Enrolment | None
             ) -> QuizStatus:
    """Compute an official's standing on a quiz from their attempts at it (no queries); its
    `missing` stays None (see `missing_from`)."""
    open_attempt = next((a for a in attempts if a.state == IN_PROGRESS), None)
    if enrolment is not None and enrolment.cycle_started_at is not None:
        # a recertification: only this cycle's attempts count (and are limited)
        attempts = [a for a in attempts if a.started_at >= enrolment.cycle_started_at]
    counted = counted_attempt(quiz, attempts)
    scores = [a.percent for a in attempts if a.percent is not None]
    used = len(attempts)
    return QuizStatus(
        quiz=quiz, attempts_used=used,
        attempts_left=None if quiz.max_attempts is None else max(0, quiz.max_attempts - used),
        best_percent=max(scores) if scores else None,
        counted_percent=counted.percent if counted else None,
        is_passed=bool(counted and counted.is_passed), open_attempt=open_attempt,
    )


def _layout(quiz: Quiz, rng: random.Random) -> list[dict]:
    """Draw, order and shuffle the questions of a new attempt (the snapshot it keeps)."""
    questions = bank(quiz)
    descriptions = [(r, q) for r, q in questions if q.type == "description"]
    graded = [(r, q) for r, q in questions if q.type != "description"]
    if quiz.draw_count and quiz.draw_count < len(graded):
        keep = {graded[i][0].id for i in rng.sample(range(len(graded)), quiz.draw_count)}
        graded = [(r, q) for r, q in graded if r.id in keep]
    if quiz.shuffle_questions or quiz.draw_count:
        rng.shuffle(graded)
        questions = descriptions + graded  # texts that introduce the quiz stay on top
    # else: neither drawn nor shuffled, the bank's own order (descriptions in place)
    layout = []
    for record, question in questions:
        slot = {"question_id": record.id, "data": question.to_dict()}
        if question.type in ("single", "multiple"):
            order = list(range(len(question.choices)))
            if quiz.shuffle_options:
                rng.shuffle(order)
            slot["choice_order"] = order
        elif question.type == "matching":
            rights = sorted({pair.right for pair in question.pairs}, key=str.casefold)
            rng.shuffle(rights)
            slot["rights"] = rights
        elif question.type == "ordering":
            order = list(range(len(question.order)))
            rng.shuffle(order)
            # From three items on, never show them already in the right order. Two items are
            # left to chance: always showing them swapped would give the answer away.
            while len(order) > 2 and order == sorted(order):
                rng.shuffle(order)
            slot["item_order"] = order
        layout.append(slot)
    return layout


def start_attempt(user: User, quiz: Quiz, *, now: datetime,
                  rng: random.Random | None = None) -> QuizAttempt:
    """Start an attempt, or return the unfinished one (a second click resumes, never doubles)."""
    enrolment = get_enrolment(user, quiz.course)
    if enrolment is None:
        raise PermissionDenied(_l("Enrol in the course to take its quizzes."))
    # Lock the official's enrolment before counting the attempts, as grading does
    # (progress.recompute): a start and submit in another browser cannot slip between the
    # count and the INSERT below and leave room for one attempt more than allowed.
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id)
                       .values(id=Enrolment.id))
    status = quiz_status(user, quiz, now=now, close_overdue=True)
    if status.open_attempt is not None:
        return status.open_attempt
    if status.is_locked:
        raise RuleViolation(_l("This quiz is locked: finish what it requires first."))
    if status.attempts_left == 0:
        raise RuleViolation(_l("You have used all the attempts allowed for this quiz."))
    attempt = QuizAttempt(
        quiz_id=quiz.id, user_id=user.id, state=IN_PROGRESS,
        number=(db.session.scalar(select(func.max(QuizAttempt.number)).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)) or 0) + 1,
        started_at=now, layout=_layout(quiz, rng or random.SystemRandom()),
        deadline_at=now + timedelta(seconds=quiz.time_limit_seconds)
        if quiz.time_limit_seconds else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a concurrent request started it first: use that one
        existing = db.session.scalar(select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id,
            QuizAttempt.state == IN_PROGRESS))
        if existing is None:
            raise RuleViolation(_l("Please try again.")) from None
        return existing
    return attempt


def get_attempt(user: User, attempt_id: int) -> QuizAttempt:
    """Return the official's own attempt, or raise NotFound (others' attempts do not exist)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_l("No such attempt."))
    return attempt


def save_responses(user: User, attempt: QuizAttempt, responses: dict[int, object], *,
                   now: datetime) -> None:
    """Save answers page by page; refused once the attempt is submitted or time is up."""
    if attempt.user_id != user.id:
        raise NotFound(_l("No such attempt."))
    if attempt.state != IN_PROGRESS:
        raise RuleViolation(_l("This attempt has already been submitted."))
    if attempt.deadline_at and now > attempt.deadline_at + GRACE:
        raise TimeUp(_l("The time limit has passed; your answers were saved until then."))
    # Lock the attempt row and check again that it is open: a submit running at the same time
    # must never have its graded answers replaced afterwards.
    if db.session.execute(update(QuizAttempt).where(
            QuizAttempt.id == attempt.id, QuizAttempt.state == IN_PROGRESS)
            .values(state=IN_PROGRESS)).rowcount != 1:
        raise RuleViolation(_l("This attempt has already been submitted."))
    _write_responses(attempt, responses, now)


def _write_responses(attempt: QuizAttempt, responses: dict[int, object], now: datetime) -> None:
    for slot, response in responses.items():
        if not 0 <= slot < len(attempt.layout):
            continue
        statement = insert_for(db.session, AttemptAnswer).values(
            attempt_id=attempt.id, slot=slot, response=response, saved_at=now)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["attempt_id", "slot"],
            set_={"response": response, "saved_at": now}))


def grading_response(slot: dict, response):
    """Turn a stored response (in display terms) into the grader's terms."""
    kind = slot["data"]["type"]
    if response is None:
        return None
    if kind == "single":
        order = slot["choice_order"]
        return order[response] if isinstance(response, int) and 0 <= response < len(order) \
            else None
    if kind == "multiple":
        order = slot["choice_order"]
        return [order[i] for i in response if isinstance(i, int) and 0 <= i < len(order)]
    if kind == "matching":
        rights = slot["rights"]
        return {str(k): rights[v] for k, v in (response or {}).items()
                if isinstance(v, int) and 0 <= v < len(rights)}
    if kind == "ordering":
        order = slot["item_order"]
        positions = {int(k): v for k, v in (response or {}).items()}
        shown = sorted(range(len(order)), key=lambda k: (positions.get(k, 10_000), k))
        return [order[k] for k in shown]
    return response


def submit(user: User, attempt: QuizAttempt, responses: dict[int, object] | None, *,
           now: datetime) -> bool:
    """Submit and grade an attempt once; return True when this call graded it.

    Answers sent after the deadline are ignored: the attempt is graded as it stood then."""
    if attempt.user_id != user.id:
        raise NotFound(_l("No such attempt."))
    late = bool(attempt.deadline_at and now > attempt.deadline_at + GRACE)
    submitted_at = min(now, attempt.deadline_at) if late else now
    # Claim the attempt first (this locks its row), then write the last page's answers: a
    # concurrent submit or save waits for the claim and then finds the attempt submitted.
    graded_now = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.state == IN_PROGRESS)
        .values(state=SUBMITTED, submitted_at=submitted_at, time_limit_expired=late)
    ).rowcount == 1
    if graded_now and responses and not late:
        _write_responses(attempt, responses, now)
    db.session.refresh(attempt)
    if not graded_now:
        return False
    _grade(attempt)
    attempt_graded.send(attempt, now=now)
    return True


def _grade(attempt: QuizAttempt) -> None:
    saved = {a.slot: a for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id))}
    earned = available = 0.0
    ungraded = False
    for slot_index, slot in enumerate(attempt.layout):
        question = Question.from_dict(slot["data"])
        answer = saved.get(slot_index)
        if answer is None:
            answer = AttemptAnswer(attempt_id=attempt.id, slot=slot_index, response=None,
                                   saved_at=attempt.submitted_at)
            db.session.add(answer)
        result = grading.grade(question, grading_response(slot, answer.response))
        answer.fraction = result.fraction
        answer.points = result.points(question)
        answer.state = result.state
        answer.feedback = result.feedback
        if question.type == "essay":
            ungraded = True
        if question.is_graded:
            available += question.points
            earned += answer.points
    quiz = db.session.get(Quiz, attempt.quiz_id)
    attempt.score_points = round(earned, 4)
    attempt.max_points = round(available, 4)
    attempt.percent = round(100 * earned / available, 2) if available else 0.0
    attempt.is_passed = attempt.percent >= quiz.pass_mark
    attempt.has_ungraded = ungraded
    db.session.flush()


def close_overdue(*, now: datetime) -> int:
    """Grade every unfinished attempt whose time limit has passed; return how many."""
    overdue = db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.state == IN_PROGRESS, QuizAttempt.deadline_at.is_not(None),
        QuizAttempt.deadline_at < now - GRACE)).all()
    count = 0
    for attempt in overdue:
        user = db.session.get(User, attempt.user_id)
        count += submit(user, attempt, None, now=now)
    return count


def attempts_of(user: User, quiz: Quiz) -> list[QuizAttempt]:
    """Return the official's attempts at a quiz, newest first."""
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id
    ).order_by(QuizAttempt.number.desc())))


# --- completion ------------------------------------------------------------------------------

def required_quizzes(course_id: int) -> list[Quiz]:
    """Return the quizzes a course's completion requires."""
    return [q for q in course_quizzes(course_id) if q.is_required]


def passed_required(course_id: int, user_ids: list[int] | None = None) -> dict[int, int]:
    """Map official id to the number of required quizzes of the course they have passed."""
    quizzes = {q.id: q for q in required_quizzes(course_id)}
    if not quizzes:
        return {}
    query = select(QuizAttempt).join(Enrolment, and_(
        Enrolment.user_id == QuizAttempt.user_id, Enrolment.course_id == course_id)).where(
        QuizAttempt.quiz_id.in_(list(quizzes)), QuizAttempt.state == SUBMITTED,
        or_(Enrolment.cycle_started_at.is_(None),
            QuizAttempt.started_at >= Enrolment.cycle_started_at))
    if user_ids is not None:
        query = query.where(QuizAttempt.user_id.in_(user_ids))
    by_pair: dict[tuple[int, int], list[QuizAttempt]] = {}
    for attempt in db.session.scalars(query):
        by_pair.setdefault((attempt.user_id, attempt.quiz_id), []).append(attempt)
    passed: dict[int, int] = {}
    for (user_id, quiz_id), attempts in by_pair.items():
        counted = counted_attempt(quizzes[quiz_id], attempts)
        if counted is not None and counted.is_passed:
            passed[user_id] = passed.get(user_id, 0) + 1
    return passed


# --- review ----------------------------------------------------------------------------------

def truth_label(value: bool, language: str | None = None) -> str:
    """Return "True" or "False" in `language`, the question's (its course's) language.

    The labels belong to the question, like its text: a Vietnamese statement is answered
    Đúng/Sai whatever language the reader's pages are in.
    """
    label = _l("True") if value else _l("False")
    if language is None:
        return str(label)
    with force_locale(language):
        return str(label)


ANSWERED, PARTLY_ANSWERED, NOT_ANSWERED = "answered", "partly_answered", "not_answered"


def _empty(response) -> bool:
    return response is None or response == "" or response == [] or response == {}


def seconds_left(attempt: QuizAttempt, now: datetime) -> int | None:
    """Return the whole seconds an attempt has left (0 once over), or None without a limit."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def answer_progress(attempt: QuizAttempt) -> dict[int, str]:
    """Map each question's slot (texts between questions left out) to whether its saved
    answer is complete, partial (a matching or ordering question with parts left) or missing:
    the summary shown before submitting."""
    saved = {a.slot: a.response for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id))}
    progress = {}
    for index, slot in enumerate(attempt.layout):
        data = slot["data"]
        if data["type"] == "description":
            continue
        response = saved.get(index)
        if _empty(response):
            progress[index] = NOT_ANSWERED
        elif data["type"] == "matching" and isinstance(response, dict) and len(response) < len(
                [pair for pair in data["pairs"] if pair["left"]]):
            progress[index] = PARTLY_ANSWERED
        elif data["type"] == "ordering" and isinstance(response, dict) and len(response) < len(
                slot["item_order"]):
            progress[index] = PARTLY_ANSWERED
        else:
            progress[index] = ANSWERED
    return progress


def correct_count(attempt: QuizAttempt) -> tuple[int, int]:
    """Return (questions answered fully right, auto-graded questions) of a graded attempt.

    A question with partial credit counts as right only when it earned all its points; essays
    and texts between questions are not counted."""
    return correct_count_of(attempt.layout, {a.slot: a.state for a in attempt.answers})


def correct_count_of(layout: list[dict], states: dict[int, str | None]) -> tuple[int, int]:
    """Return what `correct_count` returns from an attempt's layout and its answers' states by
    slot, already loaded (reports read the answers of many attempts in one query)."""
    graded = [index for index, slot in enumerate(layout or [])
              if Question.from_dict(slot["data"]).is_graded]
    return sum(states.get(index) == grading.CORRECT for index in graded), len(graded)


@dataclass
class ReviewLine:
    """One line of a graded answer in the review: an option or a part of the official's answer,
    `mark` "right", "wrong", "partial" or None (nothing to say), `is_rich` when `text` is in
    the question's text format."""

    text: str
    chosen: bool
    mark: str | None
    is_rich: bool = False


def review_lines(slot: dict, question: Question, response, *,
                 reveal: bool, language: str | None = None) -> list[ReviewLine]:
    """Return the lines of a graded answer, one per option (choice and true/false questions) or
    per part of the answer; with `reveal` the right options not chosen are marked too."""
    kind = question.type
    if kind in ("single", "multiple"):
        if kind == "single":
            chosen_positions = {response} if isinstance(response, int) else set()
        else:
            chosen_positions = {i for i in response or [] if isinstance(i, int)}
        lines = []
        for position, choice_index in enumerate(slot["choice_order"]):
            choice = question.choices[choice_index]
            chosen = position in chosen_positions
            right = choice.weight > 0
            mark = ("right" if right and (chosen or reveal) else
                    "wrong" if chosen else None)
            lines.append(ReviewLine(choice.text, chosen, mark, is_rich=True))
        return lines
    if kind == "truefalse":
        return [ReviewLine(truth_label(value, language), response is value,
                           ("right" if value == question.answer and (response is value or reveal)
                            else "wrong" if response is value else None))
                for value in (True, False)]
    graded = grading.grade(question, grading_response(slot, response))
    shown = shown_response(slot, question, response, language)
    if kind in ("matching", "ordering"):
        if kind == "matching":
            given = grading_response(slot, response) or {}
            if not given:
                return []
            prompts = [pair.left for pair in question.pairs if pair.left]
            return [ReviewLine(f"{prompt} → {given[str(i)]}" if str(i) in given
                               else f"{prompt} → —", str(i) in given,
                               ("right" if graded.right[i] else "wrong")
                               if str(i) in given else None)
                    for i, prompt in enumerate(prompts)]
        order = grading_response(slot, response) or []
        return [ReviewLine(f"{position}. {question.order[item]}", True,
                           "right" if item == position - 1 else "wrong")
                for position, item in enumerate(order, start=1)] if shown else []
    if not shown:
        return []
    mark = {grading.CORRECT: "right", grading.PARTIAL: "partial",
            grading.INCORRECT: "wrong"}.get(graded.state)
    return [ReviewLine(text, True, mark) for text in shown]


def shown_response(slot: dict, question: Question, response,
                   language: str | None = None) -> list[str]:
    """Return the official's answer as texts (for the result page), labels in `language`."""
    graded = grading_response(slot, response)
    if graded is None or graded == [] or graded == {}:
        return []
    kind = question.type
    if kind == "single":
        return [question.choices[graded].text]
    if kind == "multiple":
        return [question.choices[i].text for i in graded]
    if kind == "truefalse":
        return [truth_label(bool(graded), language)]
    if kind == "matching":
        prompts = [pair.left for pair in question.pairs if pair.left]
        return [f"{prompts[int(k)]} → {v}" for k, v in sorted(graded.items(), key=lambda kv:
                                                              int(kv[0]))]
    if kind == "ordering":
        return [question.order[i] for i in graded]
    return [str(graded)]


def right_answers(question: Question, language: str | None = None) -> list[str]:
    """Return the right answer(s) as texts (for a review), True/False labels in `language`."""
    kind = question.type
    if kind in ("single", "multiple"):
        return [c.text for c in question.choices if c.weight > 0]
    if kind == "truefalse":
        return [truth_label(bool(question.answer), language)]
    if kind == "short":
        full = [a.text for a in question.short_answers if a.weight >= 100]
        return [t for t in full if "*" not in t][:1] or full[:1] or [
            a.text for a in question.short_answers[:1]]
    if kind == "numeric":
        shown = []
        for a in question.numeric_answers:
            if a.weight < 100:
                continue
            if a.low is not None and a.high is not None:
                shown.append(f"{a.low:g} – {a.high:g}")
            elif a.tolerance:
                shown.append(f"{a.value:g} ± {a.tolerance:g}")
            else:
                shown.append(f"{a.value:g}")
        return shown
    if kind == "matching":
        return [f"{p.left} → {p.right}" for p in question.pairs if p.left]
    if kind == "ordering":
        return list(question.order)
    return []


@dataclass(frozen=True)
class QuizInfo:
    """What the course and lesson pages need of a quiz, as plain data they may cache."""

    id: int
    course_id: int
    module_id: int | None
    slug: str
    title: str
    pass_mark: int
    max_attempts: int | None
    time_limit_seconds: int | None
    grading_policy: str
    is_required: bool
    requires: tuple[str, ...]
    position: int

    @property
    def is_final(self) -> bool:
        """Tell whether this is the course's final test."""
        return self.module_id is None


_quiz_lists = BoundedCache(max_entries=512)


def current_quizzes(course: Course) -> tuple[QuizInfo, ...]:
    """Return the course's current quizzes in course order, cached under the course's content
    version (no query once cached; see courses.outline)."""
    def load() -> tuple[QuizInfo, ...]:
        return tuple(QuizInfo(q.id, q.course_id, q.module_id, q.slug, q.title, q.pass_mark,
                              q.max_attempts, q.time_limit_seconds, q.grading_policy,
                              q.is_required, tuple(q.requires or ()), q.position)
                     for q in course_quizzes(course.id))
    return _quiz_lists.get_or_load((course.id, course.content_version), load)


def model_answer(slot: dict):
    """Return the response (in display terms) that earns full marks on a slot; None for essays
    and descriptions. Used to seed demo data."""
    question = Question.from_dict(slot["data"])
    kind = question.type
    if kind == "single":
        best = max(range(len(question.choices)), key=lambda i: question.choices[i].weight)
        return slot["choice_order"].index(best)
    if kind == "multiple":
        return sorted(slot["choice_order"].index(i) for i, c in enumerate(question.choices)
                      if c.weight > 0)
    if kind == "truefalse":
        return question.answer
    if kind == "short":
        best = max(question.short_answers, key=lambda a: a.weight)
        return best.text.replace("*", "")
    if kind == "numeric":
        best = max(question.numeric_answers, key=lambda a: a.weight)
        return str(best.value if best.value is not None else best.low)
    if kind == "matching":
        prompts = [pair for pair in question.pairs if pair.left]
        return {str(i): slot["rights"].index(pair.right) for i, pair in enumerate(prompts)}
    if kind == "ordering":
        return {str(k): slot["item_order"][k] + 1 for k in range(len(slot["item_order"]))}
    return None


_ATTEMPTS = (select(QuizAttempt).where(
    QuizAttempt.user_id == bindparam("user_id"),
    QuizAttempt.quiz_id.in_(bindparam("quiz_ids", expanding=True)))
    .options(defer(QuizAttempt.layout)))  # the questions: not needed for a standing


def attempts_by_quiz(user_id: int, quizzes) -> dict[int, list[QuizAttempt]]:
    """Map each quiz's id to one official's attempts at it, in one query (built once: the
    course and lesson pages run it on every view)."""
    attempts: dict[int, list[QuizAttempt]] = {quiz.id: [] for quiz in quizzes}
    if quizzes:
        for attempt in db.session.scalars(_ATTEMPTS, {"user_id": user_id,
                                                      "quiz_ids": list(attempts)}):
            attempts[attempt.quiz_id].append(attempt)
    return attempts


def attempts_for_user(user_id: int, quiz: Quiz) -> list[QuizAttempt]:
    """Return every attempt of one official at a quiz."""
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id)))
