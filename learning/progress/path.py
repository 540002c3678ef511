"""The learner's path: how far an official is in a course, and the one thing to do next.

Pure functions over data a page has already loaded (the course's current modules, lessons,
quizzes and practical tasks, the lessons done in this cycle, the official's attempts and
hand-ins, the enrolment): no queries
here, so pages feed them from a few set-based reads (`learning.progress.queries`) and every
page names the same next step. Whether a course is complete is decided by
`learning.progress.services` (the enrolment's `completed_at`); the percentage shown is the one
it stores, computed by `percent_of` from the same figures.

The next step, first that applies:
1. an attempt in progress (with the time left when the quiz is timed);
2. the next unfinished lesson, in course order (after the one last opened);
3. a module quiz the course needs, not passed, unlocked, with attempts left;
4. the final test, on the same terms;
5. a needed quiz failed with no attempt left: the course cannot be completed (BLOCKED);
6. when the course requires its practical tasks (`[completion] tasks = "required"`), a
   required task to hand in: one returned with a comment first, then one not handed in, in
   course order (TASK); else one waiting for a reviewer (REVIEW, nothing to do but wait);
7. "download your certificate" once the course is complete.
"Needed" quizzes are those completion requires (the required quizzes under
`all_lessons_and_quizzes`, none under `all_lessons`) and the quizzes they require in turn.
Under `tasks = "required"` the counts, the percentage and the next step count the required
tasks confirmed in this cycle as parts, as `learning.progress.services` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from courses.models import Course, Enrolment, Lesson, Module
from courses.services import pick_next_lesson
from quizzes.models import Quiz, QuizAttempt
from learning.tasks.services import TaskInfo
from quizzes.services import QuizStatus, missing_from, seconds_left, standing

ATTEMPT, LESSON, QUIZ, BLOCKED, CERTIFICATE = "attempt", "lesson", "quiz", "blocked", \
    "certificate"
ENROL, EMPTY, UNAVAILABLE, NOTHING = "enrol", "empty", "unavailable", "nothing"
TASK, REVIEW = "task", "review"  # a practical task to hand in (again); one waiting for review
ACTIONABLE = (ATTEMPT, LESSON, QUIZ, TASK)
CONFIRMED, WAITING, RETURNED = "confirmed", "waiting", "returned"
WITH_QUIZZES = "all_lessons_and_quizzes"


def percent_of(done: int, total: int, passed: int, required: int, *, complete: bool) -> int:
    """Return the percentage shown for a course: lessons done and the other parts completion
    requires (required quizzes passed, required tasks confirmed: `passed` of `required`) as
    equal parts (floored), 100 only once the course is complete."""
    if complete:
        return 100
    parts = total + required
    return min(99, 100 * (done + passed) // parts) if parts else 0


@dataclass(frozen=True)
class Step:
    """The next thing to do in a course, and where it is."""

    kind: str
    course: Course
    lesson: Lesson | None = None
    quiz: Quiz | None = None
    status: QuizStatus | None = None
    seconds_left: int | None = None  # an attempt in progress on a timed quiz
    is_first: bool = False  # the course's first lesson, nothing started yet
    task: TaskInfo | None = None  # TASK, REVIEW: the practical task
    task_state: str | None = None  # TASK: None (not handed in) or "returned"; REVIEW: waiting

    @property
    def endpoint(self) -> str | None:
        """Return the endpoint of the page the step is done on (None: nowhere to go)."""
        return {ATTEMPT: "quizzes.attempt", LESSON: "courses.lesson", QUIZ: "quizzes.detail",
                BLOCKED: "quizzes.detail", CERTIFICATE: "certificates.course_certificate",
                TASK: "tasks.task", REVIEW: "tasks.task",
                UNAVAILABLE: None}.get(self.kind, "courses.detail")

    @property
    def values(self) -> dict:
        """Return the endpoint's URL values."""
        if self.kind == ATTEMPT:
            return {"attempt_id": self.status.open_attempt.id}
        if self.kind == LESSON:
            return {"slug": self.course.slug, "lesson_slug": self.lesson.slug}
        if self.kind in (QUIZ, BLOCKED):
            return {"slug": self.course.slug, "quiz_slug": self.quiz.slug}
        if self.kind in (TASK, REVIEW):
            return {"slug": self.course.slug, "task_slug": self.task.slug}
        return {"slug": self.course.slug}


@dataclass
class CourseData:
    """What a page loaded about one official in one course (see queries.py)."""

    course: Course
    enrolment: Enrolment | None
    modules: list[Module]  # the course's current modules, in order
    lessons: list[Lesson]  # its current lessons, in course order
    quizzes: list[Quiz]  # its current quizzes: module quizzes in module order, then final
    done_ids: set[int] = field(default_factory=set)  # lessons done in the enrolment's cycle
    attempts: dict[int, list[QuizAttempt]] = field(default_factory=dict)  # by quiz id
    # its current practical tasks in course order, and the official's standing on each in
    # this cycle (learning.tasks.services.states: absent = not handed in); None when not
    # loaded (a course that does not require its tasks: they do not count)
    tasks: list[TaskInfo] = field(default_factory=list)
    task_states: dict[int, str] | None = None


@dataclass
class CourseProgress:
    """One official's standing in one course, as every page shows it."""

    course: Course
    enrolment: Enrolment | None
    outline: list[tuple[Module, list[Lesson]]]  # modules with lessons, in order
    done_ids: set[int]
    statuses: dict[int | None, list[QuizStatus]]  # module id (None: final) → its quizzes
    lessons_total: int
    lessons_done: int
    quizzes_total: int  # the quizzes completion requires (0 under all_lessons)
    quizzes_passed: int
    pass_marks: list[int]  # of those quizzes, distinct, ascending
    optional_quizzes: int  # quizzes completion does not require
    percent: int
    step: Step
    tasks_total: int = 0  # the practical tasks completion requires (0 unless tasks = required)
    tasks_confirmed: int = 0  # of those, confirmed in this cycle
    task_states: dict[int, str] | None = None  # as loaded (CourseData.task_states)

    @property
    def is_complete(self) -> bool:
        """Tell whether the official has completed the course (in this cycle)."""
        return self.enrolment is not None and self.enrolment.completed_at is not None

    @property
    def is_started(self) -> bool:
        """Tell whether the official has done anything in the course yet."""
        return self.enrolment is not None and (
            self.enrolment.started_at is not None or bool(self.lessons_done)
            or any(s.attempts_used for group in self.statuses.values() for s in group)
            or bool(self.task_states))


def _needed(quizzes: list[Quiz], counted: list[Quiz], module_slugs: dict[int, str]
            ) -> list[Quiz]:
    """Return the counted quizzes and, transitively, the module quizzes they require."""
    by_slug: dict[str, list[Quiz]] = {}
    for quiz in quizzes:
        if quiz.module_id in module_slugs:
            by_slug.setdefault(module_slugs[quiz.module_id], []).append(quiz)
    needed = {quiz.id for quiz in counted}
    stack = list(counted)
    while stack:
        for item in stack.pop().requires or []:
            if item.startswith("quiz:"):
                for other in by_slug.get(item[len("quiz:"):], []):
                    if other.id not in needed:
                        needed.add(other.id)
                        stack.append(other)
    return [quiz for quiz in quizzes if quiz.id in needed]


def _task_step(course: Course, required: list[TaskInfo], states: dict[int, str]
               ) -> Step | None:
    """Return the step for the required tasks not confirmed yet: one returned with a comment,
    else one not handed in, else one waiting for review; None when all are confirmed."""
    for wanted in (RETURNED, None):
        for task in required:
            if states.get(task.id) == wanted:
                return Step(TASK, course, task=task, task_state=wanted)
    for task in required:
        if states.get(task.id) == WAITING:
            return Step(REVIEW, course, task=task, task_state=WAITING)
    return None


def _next_step(data: CourseData, lessons: list[Lesson], done: set[int],
               statuses: list[QuizStatus], needed: list[Quiz], counted: list[Quiz],
               required_tasks: list[TaskInfo], now: datetime) -> Step:
    course, enrolment = data.course, data.enrolment
    if not course.is_published:  # withdrawn: only an earned certificate is left to fetch
        complete = enrolment is not None and enrolment.completed_at is not None
        return Step(CERTIFICATE if complete else UNAVAILABLE, course)
    if enrolment is None:
        return Step(ENROL, course)
    for status in statuses:
        if status.open_attempt is not None:
            return Step(ATTEMPT, course, quiz=status.quiz, status=status,
                        seconds_left=seconds_left(status.open_attempt, now))
    lesson = pick_next_lesson(lessons, done, enrolment.last_lesson_id)
    if lesson is not None:
        return Step(LESSON, course, lesson=lesson,
                    is_first=enrolment.started_at is None and not done)
    complete = enrolment.completed_at is not None
    by_id = {status.quiz.id: status for status in statuses}
    if not complete:
        waiting = [by_id[quiz.id] for quiz in needed if not by_id[quiz.id].is_passed]
        for status in waiting:  # module quizzes in module order, the final test last
            if status.can_start:
                return Step(QUIZ, course, quiz=status.quiz, status=status)
        for status in waiting:
            if status.attempts_left == 0:
                return Step(BLOCKED, course, quiz=status.quiz, status=status)
        if not waiting:
            step = _task_step(course, required_tasks, data.task_states or {})
            if step is not None:
                return step
        if not lessons and not counted:
            return Step(EMPTY, course)
        return Step(NOTHING, course)
    return Step(CERTIFICATE, course)


def course_progress(data: CourseData, *, now: datetime) -> CourseProgress:
    """Return the official's standing in the course and the next step, from loaded data."""
    course, enrolment = data.course, data.enrolment
    module_slugs = {module.id: module.slug for module in data.modules}
    lessons = [lesson for lesson in data.lessons if lesson.module_id in module_slugs]
    done = {lesson.id for lesson in lessons if lesson.id in data.done_ids}
    quizzes = [quiz for quiz in data.quizzes
               if quiz.module_id is None or quiz.module_id in module_slugs]
    statuses = [standing(quiz, data.attempts.get(quiz.id, []), enrolment) for quiz in quizzes]
    passed = {status.quiz.id for status in statuses if status.is_passed}
    by_module: dict[int | None, list[QuizStatus]] = {}
    for status in statuses:
        status.missing = missing_from(status.quiz, lessons=lessons, done_ids=done,
                                      quizzes=quizzes, module_slugs=module_slugs,
                                      passed_ids=passed)
        by_module.setdefault(status.quiz.module_id, []).append(status)
    counted = ([quiz for quiz in quizzes if quiz.is_required]
               if course.completion_rule == WITH_QUIZZES else [])
    quizzes_passed = sum(quiz.id in passed for quiz in counted)
    complete = enrolment is not None and enrolment.completed_at is not None
    lessons_of: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        lessons_of.setdefault(lesson.module_id, []).append(lesson)
    required_tasks = ([task for task in data.tasks if task.is_required]
                      if course.requires_tasks else [])
    task_states = data.task_states or {}
    tasks_confirmed = sum(task_states.get(task.id) == CONFIRMED for task in required_tasks)
    step = _next_step(data, lessons, done, statuses,
                      _needed(quizzes, counted, module_slugs), counted, required_tasks, now)
    return CourseProgress(
        course=course, enrolment=enrolment,
        outline=[(module, lessons_of[module.id]) for module in data.modules
                 if module.id in lessons_of],
        done_ids=done, statuses=by_module, lessons_total=len(lessons), lessons_done=len(done),
        quizzes_total=len(counted), quizzes_passed=quizzes_passed,
        pass_marks=sorted({quiz.pass_mark for quiz in counted}),
        optional_quizzes=len(quizzes) - len(counted),
        percent=percent_of(len(done), len(lessons), quizzes_passed + tasks_confirmed,
                           len(counted) + len(required_tasks), complete=complete),
        step=step, tasks_total=len(required_tasks), tasks_confirmed=tasks_confirmed,
        task_states=data.task_states,
    )


def current(rows: list[CourseProgress]) -> CourseProgress | None:
    """Return the course to continue: of the rows (most recently active first), the first with
    something to do now, else the first blocked one; None when nothing is left to do."""
    for kinds in (ACTIONABLE, (BLOCKED,)):
        for row in rows:
            if row.step.kind in kinds:
                return row
    return None
