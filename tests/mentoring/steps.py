"""A mentoring scene: a two-module course with a module quiz and a final test, officials in
departments, a mentor and a group; and what officials do, through the real services."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from courses import services as courses
from courses.models import Course
from learning.accounts.models import Department
from learning.db import db
from learning.mentoring import services as mentoring
from quizzes import services as quizzes
from quizzes.models import Quiz
from tests import factories
from tests.conftest import DEMO_PASSWORD
from tests.quizzes.steps import true_false_quiz

SLUG = "kem-cap-so"
MODULES = {"co-ban": ("a", "b"), "nang-cao": ("c", "d")}
UTC = timezone.utc


def at(text: str) -> datetime:
    """A UTC moment from "2026-03-10 16:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def course(tmp_path, slug: str = SLUG, *, rule: str = "all_lessons_and_quizzes",
           title: str = "Kèm cặp số") -> Course:
    """Import a course: module co-ban (lessons a, b, quiz kiem-tra-co-ban), module nang-cao
    (lessons c, d), and a final test kiem-tra-cuoi."""
    package = {
        "course": {"slug": slug, "title": title, "language": "vi", "version": "1.0.0",
                   "completion": {"rule": rule}},
        "modules": [{"slug": module, "title": f"Phần {module}",
                     "lessons": [{"slug": lesson, "title": f"Bài {lesson.upper()}"}
                                 for lesson in lessons]}
                    for module, lessons in MODULES.items()],
    }
    root = factories.write_package(tmp_path / slug, package, files={
        "01-co-ban/quiz.toml": true_false_quiz("kiem-tra-co-ban"),
        "quiz.toml": true_false_quiz("kiem-tra-cuoi")})
    return factories.import_course(root).course


def department(name: str, parent: Department | None = None) -> Department:
    return factories.DepartmentFactory(name=name, parent=parent)


def official(name: str = "Nguyễn Thị Hương", *, department=None, roles=("learner",),
             **fields):
    user = factories.UserFactory(full_name=name, roles=set(roles), password=DEMO_PASSWORD,
                                 **({"department": department} if department else {}),
                                 **fields)
    db.session.flush()
    return user


def group_with(mentor, members, *, name: str = "Chi đoàn thử nghiệm", now=None):
    """A group created by the system with `mentor` as its mentor and `members` in it."""
    now = now or at("2026-03-01 02:00")
    group = mentoring.create_group(None, name, [mentor.username], now=now)
    if members:
        mentoring.add_members(None, group, [m.username for m in members], now=now)
    db.session.commit()
    return group


def lesson(course_slug: str, slug: str):
    return courses.get_lesson(courses.get_course(course_slug), slug)


def open_lesson(user, slug: str, *, now: datetime, course_slug: str = SLUG) -> None:
    courses.report_reading(user, lesson(course_slug, slug), 30, visit=True, now=now)
    db.session.commit()


def complete(user, *slugs: str, now: datetime, course_slug: str = SLUG) -> None:
    for index, slug in enumerate(slugs):
        courses.complete_lesson(user, lesson(course_slug, slug),
                                now=now + timedelta(seconds=index))
    db.session.commit()


def take_quiz(user, quiz_slug: str, *, now: datetime, right: float = 1.0,
              course_slug: str = SLUG) -> None:
    """Start and submit an attempt answering the first `right` share correctly."""
    course_row = courses.get_course(course_slug)
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course_row.id,
                                                Quiz.slug == quiz_slug))
    attempt = quizzes.start_attempt(user, quiz, now=now, rng=random.Random(1))
    good = round(right * len(attempt.layout))
    responses = {i: quizzes.model_answer(slot) for i, slot in enumerate(attempt.layout)
                 if i < good}
    quizzes.submit(user, attempt, responses, now=now + timedelta(minutes=5))
    db.session.commit()


def state(user, assignment, *, now: datetime) -> str:
    """The member's state on the assignment, as the mentor's grid computes it."""
    return cell(user, assignment, now=now).state


def cell(user, assignment, *, now: datetime):
    db.session.expire_all()
    group = db.session.get(type(assignment.group), assignment.group_id)
    progress = mentoring.group_progress(None, group, now=now)
    row = next(row for row in progress.rows if row.user.id == user.id)
    return row.cells[assignment.id]


def due(text: str) -> date:
    return date.fromisoformat(text)
