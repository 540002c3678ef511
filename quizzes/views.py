"""Quiz pages: the quiz's page, taking an attempt page by page, and the result."""

from __future__ import annotations

import posixpath

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from courses import services as courses
from learning import clock
from learning.db import db
from learning.errors import DomainError
from learning.forms import ActionForm
from learning.markdown import is_remote, render, sanitize_html
from learning.params import db_int
from quizzes import services as quizzes
from quizzes.forms import SubmitAttemptForm, read_page
from quizzes.questions import Question

bp = Blueprint("quizzes", __name__)


def render_text(text: str, text_format: str, course_slug: str, folder: str) -> Markup:
    """Render a question, option or feedback text safely in its format."""
    if not text:
        return Markup("")

    def resolve(tag, attribute, value):
        if is_remote(value) or value.startswith(("#", "/")):
            return value if not value.startswith("/") else None
        return url_for("courses.course_file", slug=course_slug,
                       path=posixpath.normpath(posixpath.join(folder, value)))

    if text_format == "html":
        return Markup(sanitize_html(text, resolve))
    if text_format == "plain":
        return Markup("<p>") + escape(text).replace("\n", Markup("<br>")) + Markup("</p>")
    return render(text, resolve)


def _renderer(quiz):
    folder = posixpath.dirname(quiz.source_path) if quiz.source_path else ""
    return lambda text, fmt="markdown": render_text(text, fmt, quiz.course.slug, folder)


def _pages(attempt) -> list[list[int]]:
    slots = list(range(len(attempt.layout)))
    if attempt.quiz.one_page:
        return [slots] if slots else [[]]
    return [[i] for i in slots] or [[]]


@bp.route("/courses/<slug>/quizzes/<quiz_slug>")
@login_required
def detail(slug: str, quiz_slug: str):
    """Show a quiz: its rules, the official's attempts and score, start or resume."""
    course = courses.get_course(slug)
    quiz = quizzes.get_quiz(course, quiz_slug)
    enrolment = courses.get_enrolment(current_user, course)
    now = clock.now()
    status = quizzes.quiz_status(current_user, quiz, now=now, close_overdue=True)
    if status.graded_overdue:  # only then: a commit expires what the page shows next
        db.session.commit()
    question_count = quiz.draw_count or len([1 for _, q in quizzes.bank(quiz)
                                             if q.type != "description"])
    open_attempt = status.open_attempt
    remaining = quizzes.seconds_left(open_attempt, now) if open_attempt is not None else None
    return render_template("quizzes/detail.html", course=course, quiz=quiz, status=status,
                           enrolment=enrolment, attempts=quizzes.attempts_of(current_user, quiz),
                           question_count=question_count, form=ActionForm(),
                           remaining=remaining)


@bp.route("/courses/<slug>/quizzes/<quiz_slug>/start", methods=["POST"])
@login_required
def start(slug: str, quiz_slug: str):
    """Start an attempt (or resume the unfinished one)."""
    course = courses.get_course(slug)
    quiz = quizzes.get_quiz(course, quiz_slug)
    ActionForm().validate_on_submit() or abort(400)
    try:
        attempt = quizzes.start_attempt(current_user, quiz, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quizzes.detail", slug=slug, quiz_slug=quiz_slug))
    db.session.commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    """Take an attempt: show a page of questions, save answers, move, submit."""
    attempt = quizzes.get_attempt(current_user, attempt_id)
    now = clock.now()
    if attempt.state == quizzes.SUBMITTED:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    pages = _pages(attempt)
    page = min(max(request.values.get("page", 0, type=db_int), 0), len(pages) - 1)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        responses = read_page(attempt.layout, pages[page], request.form)
        action = request.form.get("action", "save")
        try:
            # "submit" only saves: grading waits for the confirmation on the review page.
            quizzes.save_responses(current_user, attempt, responses, now=now)
        except quizzes.TimeUp as error:
            quizzes.submit(current_user, attempt, None, now=now)
            db.session.commit()
            flash(error.message, "error")
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
        db.session.commit()
        if action == "submit":
            return redirect(url_for("quizzes.review", attempt_id=attempt.id))
        target = {"next": page + 1, "prev": page - 1}.get(action, page)
        if action == "save":
            flash(_("Your answers have been saved."), "success")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id,
                                page=min(max(target, 0), len(pages) - 1)))
    if attempt.deadline_at and now > attempt.deadline_at + quizzes.GRACE:
        quizzes.submit(current_user, attempt, None, now=now)
        db.session.commit()
        flash(_("The time limit has passed; your answers were saved until then."), "info")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    saved = {answer.slot: answer.response for answer in attempt.answers}
    remaining = quizzes.seconds_left(attempt, now)
    return render_template(
        "quizzes/attempt.html", attempt=attempt, quiz=attempt.quiz, course=attempt.quiz.course,
        slots=[(i, attempt.layout[i], Question.from_dict(attempt.layout[i]["data"]))
               for i in pages[page]],
        page=page, page_count=len(pages), saved=saved, remaining=remaining, form=form,
        text=_renderer(attempt.quiz), numbers=_question_numbers(attempt.layout),
        truth_labels=_truth_labels(attempt.quiz.course),
    )


def _truth_labels(course) -> dict[bool, str]:
    """True/False as the course's questions are written, not in the reader's language."""
    return {value: quizzes.truth_label(value, course.language) for value in (True, False)}


def _question_numbers(layout: list[dict]) -> dict[int, int]:
    """Number the questions of an attempt 1, 2, ...; texts between them get no number."""
    slots = [i for i, slot in enumerate(layout) if slot["data"]["type"] != "description"]
    return {slot: n for n, slot in enumerate(slots, start=1)}


@bp.route("/attempts/<int:attempt_id>/review", methods=["GET", "POST"])
@login_required
def review(attempt_id: int):
    """Before grading: which questions are answered, the time left, and the confirmation that
    submits (only its POST, with confirm=1, grades the attempt)."""
    attempt = quizzes.get_attempt(current_user, attempt_id)
    now = clock.now()
    if attempt.state == quizzes.SUBMITTED:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    form = SubmitAttemptForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            quizzes.submit(current_user, attempt, None, now=now)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
        db.session.commit()
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if attempt.deadline_at and now >= attempt.deadline_at:
        # Nothing can be answered any more: grade it as it stands (late: as at the deadline).
        quizzes.submit(current_user, attempt, None, now=now)
        db.session.commit()
        flash(_("The time limit has passed; your answers were saved until then."), "info")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    progress = quizzes.answer_progress(attempt)
    numbers = _question_numbers(attempt.layout)
    pages = _pages(attempt)
    page_of = {slot: n for n, page in enumerate(pages) for slot in page}

    def link(slot: int) -> str:
        where = {"page": page_of.get(slot, 0)} if len(pages) > 1 else {}
        return url_for("quizzes.attempt", attempt_id=attempt.id, _anchor=f"question-{slot}",
                       **where)

    groups = {state: [(numbers[slot], link(slot)) for slot, s in progress.items() if s == state]
              for state in (quizzes.NOT_ANSWERED, quizzes.PARTLY_ANSWERED, quizzes.ANSWERED)}
    status = quizzes.quiz_status(current_user, attempt.quiz, now=now)
    return render_template(
        "quizzes/review.html", attempt=attempt, quiz=attempt.quiz, course=attempt.quiz.course,
        groups=groups, total=len(progress), form=form, status=status,
        remaining=quizzes.seconds_left(attempt, now),
    )


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    """Show a submitted attempt's score and, as the quiz allows, answers and feedback."""
    attempt = quizzes.get_attempt(current_user, attempt_id)
    if attempt.state != quizzes.SUBMITTED:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    answers = {answer.slot: answer for answer in attempt.answers}
    quiz, course = attempt.quiz, attempt.quiz.course
    status = quizzes.quiz_status(current_user, quiz, now=clock.now())
    right, graded = quizzes.correct_count(attempt)
    # the next step itself comes from the progress layer (template helper `course_progress`)
    return render_template(
        "quizzes/result.html", attempt=attempt, quiz=quiz, course=course,
        slots=[(i, slot, Question.from_dict(slot["data"]), answers.get(i))
               for i, slot in enumerate(attempt.layout)],
        status=status, right_count=right, graded_count=graded,
        retry=not status.is_passed and status.can_start,
        enrolment=courses.get_enrolment(current_user, course),
        text=_renderer(quiz),
        shown=lambda slot, question, response: quizzes.shown_response(
            slot, question, response, language=course.language),
        right_answers=lambda question: quizzes.right_answers(
            question, language=course.language),
        lines=lambda slot, question, response, **options: quizzes.review_lines(
            slot, question, response, language=course.language, **options),
        numbers=_question_numbers(attempt.layout),
    )
