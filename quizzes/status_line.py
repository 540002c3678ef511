"""A quiz's line on the course page and in the lesson player's outline, rendered once for each
distinct standing (learning.fragments): most officials share a few standings on each quiz (not
started, one attempt left, passed with 80 %...), so the line is rarely rendered twice."""

from __future__ import annotations

from flask import current_app, get_template_attribute, request
from markupsafe import Markup

from learning.fragments import stencil_cache
from learning.i18n import current_language
from quizzes.services import QuizStatus

TEMPLATE = "quizzes/_status_line.html"


def quiz_line(status: QuizStatus, course, enrolment, language: str) -> Markup:
    """Return the HTML of `quizzes/_status_line.html`'s `quiz_line` macro (a template global of
    the same name). The key holds everything the macro reads; keep the two in step."""
    missing = status.missing
    key = (status.quiz.id, status.quiz.slug, status.quiz.title, course.slug, course.language,
           enrolment is not None, status.is_passed, status.open_attempt is not None,
           status.is_locked, status.best_percent, status.attempts_left,
           len(missing.lessons) if missing else 0,
           tuple((quiz.slug, quiz.title) for quiz in missing.quizzes) if missing else (),
           language, current_language(), request.script_root)  # the words: the page's
    return stencil_cache(current_app, "quiz-lines", max_entries=8192).get_or_load(
        key, lambda: Markup(get_template_attribute(TEMPLATE, "quiz_line")(
            status, course, enrolment, language)))
