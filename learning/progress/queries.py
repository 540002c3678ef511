"""Reads for the learner's pages: the dashboard ("My learning"), a course's standing and next
step (course page, quiz result, /learn), and where marking a lesson done leads.

Each function loads the data once, set-based (no query per course, module or quiz), and hands
it to the pure rules in `learning.progress.path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from courses import outline
from courses import queries as catalog
from courses import services as courses
from courses.models import Course, Enrolment, Lesson
from learning.accounts.models import User
from learning.progress import path
from learning.progress.path import CourseData, CourseProgress
from learning.tasks import services as tasks
from quizzes import services as quizzes


@dataclass
class Dashboard:
    """Everything the "My learning" page shows."""

    rows: list[CourseProgress]  # every enrolment, most recently active first
    time_spent_seconds: int
    next_course: Course | None  # a catalog suggestion, when nothing enrolled is left to do
    # the row to continue chosen by a higher layer (the site: the most urgent assignment)
    focus: CourseProgress | None = None

    @property
    def in_progress(self) -> list[CourseProgress]:
        """Return the courses started and not completed."""
        return [row for row in self.rows if not row.is_complete and row.is_started]

    @property
    def not_started(self) -> list[CourseProgress]:
        """Return the courses enrolled in and not started."""
        return [row for row in self.rows if not row.is_complete and not row.is_started]

    @property
    def completed(self) -> list[CourseProgress]:
        """Return the completed courses, the one worked on last first."""
        return [row for row in self.rows if row.is_complete]

    @property
    def lessons_done(self) -> int:
        """Return the current lessons done in every course (this cycle's)."""
        return sum(row.lessons_done for row in self.rows)

    @property
    def continue_with(self) -> CourseProgress | None:
        """Return the course to continue (its step is the one to take), if any."""
        return self.focus if self.focus is not None else path.current(self.rows)


def _counts_tasks(course: Course, task_list) -> bool:
    """Tell whether the official's hand-ins matter to the course's figures and next step."""
    return course.requires_tasks and any(task.is_required for task in task_list)


def my_learning(user: User, *, now: datetime) -> Dashboard:
    """Return the official's dashboard in a fixed number of queries, whatever the number of
    courses (enrolments, lessons, lessons done, modules, quizzes, attempts; for courses that
    require their practical tasks, the tasks not cached yet and the hand-ins)."""
    entries = catalog.enrolled_courses(user)
    course_ids = [entry.course.id for entry in entries]
    modules = catalog.modules_by_course(course_ids)
    course_quizzes = quizzes.quizzes_by_course(course_ids)
    attempts = quizzes.attempts_by_quiz(
        user.id, [quiz for group in course_quizzes.values() for quiz in group])
    with_tasks = [entry.course for entry in entries if entry.course.requires_tasks]
    task_lists = tasks.tasks_by_course(with_tasks)
    task_states = tasks.states_by_course(
        user.id, [course.id for course in with_tasks
                  if _counts_tasks(course, task_lists[course.id])])
    rows = []
    for entry in entries:
        quiz_list = course_quizzes[entry.course.id]
        rows.append(path.course_progress(CourseData(
            course=entry.course, enrolment=entry.enrolment, modules=modules[entry.course.id],
            lessons=entry.lessons, quizzes=quiz_list, done_ids=entry.done_ids,
            attempts={quiz.id: attempts[quiz.id] for quiz in quiz_list},
            tasks=list(task_lists.get(entry.course.id, ())),
            task_states=task_states.get(entry.course.id)), now=now))
    dashboard = Dashboard(rows=rows, next_course=None,
                          time_spent_seconds=sum(e.enrolment.time_spent_seconds
                                                 for e in entries))
    if not any(not row.is_complete and row.step.kind != path.UNAVAILABLE for row in rows):
        dashboard.next_course = catalog.suggest_course(user)
    return dashboard


def course_progress(user: User, course: Course, enrolment: Enrolment | None, *,
                    now: datetime) -> CourseProgress:
    """Return the official's standing in one course and its next step (course, lesson and
    result pages): the outline, the quizzes and the practical tasks from the caches of the
    course's content version, then the lessons done and the attempts, one query each (none
    when not enrolled), and for a course that requires its tasks the hand-ins (one more)."""
    contents = outline.outline_of(course)
    quiz_list = list(quizzes.current_quizzes(course))
    task_list = list(tasks.current_tasks(course)) if course.requires_tasks else []
    done_ids, attempts, task_states = set(), {}, None
    if enrolment is not None:
        done_ids = courses.done_lesson_ids(user, course, enrolment)
        attempts = quizzes.attempts_by_quiz(user.id, quiz_list)
        if _counts_tasks(course, task_list):
            task_states = tasks.states(user.id, course.id)
    return path.course_progress(CourseData(
        course=course, enrolment=enrolment, modules=list(contents.modules),
        lessons=list(contents.lessons), quizzes=quiz_list, done_ids=done_ids,
        attempts=attempts, tasks=task_list, task_states=task_states), now=now)


def next_course(user: User, course: Course) -> tuple[Course, bool] | None:
    """Return the course to go on with after `course`: the enrolled one not completed that was
    worked on last (True), else a suggestion from the catalog (False); None when neither."""
    enrolled = catalog.next_enrolled_course(user, besides=course.id)
    if enrolled is not None:
        return enrolled, True
    suggestion = catalog.suggest_course(user)
    return (suggestion, False) if suggestion is not None else None


def learn_target(user: User, *, now: datetime, dashboard: Dashboard | None = None
                 ) -> tuple[str, dict] | None:
    """Return where /learn sends the official (endpoint, URL values): the next step of the
    course to continue; with nothing left to do, the page of the course completed last, which
    offers its certificate and the next course; None without any enrolment."""
    dashboard = dashboard if dashboard is not None else my_learning(user, now=now)
    row = dashboard.continue_with
    if row is not None:
        return row.step.endpoint, row.step.values
    for row in dashboard.rows:  # most recently active first
        if row.step.kind != path.UNAVAILABLE:
            return "courses.detail", {"slug": row.course.slug}
    return None


def after_lesson_done(lesson: Lesson, *, user: User, now: datetime, **_
                      ) -> tuple[str, dict] | None:
    """Subscriber of `lesson_done_next`: after the module's last lesson (or once all its
    lessons are done), go to the module's quiz, unless it is passed or out of attempts."""
    module_quizzes = [quiz for quiz in quizzes.course_quizzes(lesson.course_id)
                      if quiz.module_id == lesson.module_id]
    if not module_quizzes:
        return None
    module_lessons = [item for item in courses.active_lessons(lesson.course_id)
                      if item.module_id == lesson.module_id]
    done = courses.lesson_states(user, lesson.course)
    if not (module_lessons[-1].id == lesson.id or all(item.id in done
                                                      for item in module_lessons)):
        return None
    enrolment = courses.get_enrolment(user, lesson.course)
    attempts = quizzes.attempts_by_quiz(user.id, module_quizzes)
    for quiz in module_quizzes:
        status = quizzes.standing(quiz, attempts[quiz.id], enrolment)
        if not status.is_passed and (status.open_attempt is not None
                                     or status.attempts_left != 0):
            return "quizzes.detail", {"slug": lesson.course.slug, "quiz_slug": quiz.slug}
    return None
