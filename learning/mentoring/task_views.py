"""The "Tasks to review" pages: the hand-ins of practical tasks a mentor (of the official's
groups), HR (in scope) or an administrator may confirm or return, and a hand-in's screenshot
(for its official and those reviewers only). Routes are on the mentoring blueprint."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning import clock
from learning.db import db
from learning.errors import DomainError, PermissionDenied
from learning.forms import ActionForm, attach_error
from learning.mentoring import services as mentoring
from learning.mentoring import tasks as review
from learning.mentoring.forms import ReturnTaskForm
from learning.mentoring.views import bp
from learning.tasks.images import EXTENSIONS
from learning.tasks.models import STATES


def _require_reviewer() -> None:
    if not mentoring.can_use_mentoring(current_user):
        raise PermissionDenied(_("Only mentors, HR and administrators use these pages."))


@bp.route("/mentoring/tasks")
@login_required
def tasks():
    """The hand-ins waiting for the reader's review (or confirmed / returned ones)."""
    _require_reviewer()
    state = request.args.get("state", "waiting")
    if state not in STATES:
        state = "waiting"
    return render_template("mentoring/tasks.html", state=state,
                           submissions=review.tasks_to_review(current_user, state))


def _page(submission, return_form=None):
    return render_template("mentoring/task.html", submission=submission,
                           action_form=ActionForm(),
                           return_form=return_form or ReturnTaskForm())


@bp.route("/mentoring/tasks/<int:submission_id>")
@login_required
def task(submission_id: int):
    """One hand-in, with its task, and the buttons to confirm or return it."""
    _require_reviewer()
    return _page(review.get_submission(current_user, submission_id, review=True))


@bp.route("/mentoring/tasks/<int:submission_id>/confirm", methods=["POST"])
@login_required
def task_confirm(submission_id: int):
    """Confirm a waiting hand-in."""
    _require_reviewer()
    submission = review.get_submission(current_user, submission_id, review=True)
    ActionForm().validate_on_submit() or abort(400)
    try:
        review.confirm(current_user, submission, clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("mentoring.task", submission_id=submission_id))
    db.session.commit()
    flash(_("Task confirmed."), "success")
    return redirect(url_for("mentoring.tasks"))


@bp.route("/mentoring/tasks/<int:submission_id>/return", methods=["POST"])
@login_required
def task_return(submission_id: int):
    """Return a waiting hand-in with a comment."""
    _require_reviewer()
    submission = review.get_submission(current_user, submission_id, review=True)
    form = ReturnTaskForm()
    if not form.validate_on_submit():
        return _page(submission, form), 400
    try:
        review.return_task(current_user, submission, form.comment.data, clock.now())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error, "comment")
        return _page(submission, form), 400
    db.session.commit()
    flash(_("Task returned to the official."), "success")
    return redirect(url_for("mentoring.tasks"))


@bp.route("/mentoring/tasks/<int:submission_id>/image")
@login_required
def task_image(submission_id: int):
    """A hand-in's screenshot, to its official and those who may review it."""
    submission = review.get_submission(current_user, submission_id)
    if not submission.image_type or submission.image_data is None:
        abort(404)
    name = f"task-{submission.id}.{EXTENSIONS.get(submission.image_type, 'bin')}"
    response = Response(submission.image_data, mimetype=submission.image_type)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
