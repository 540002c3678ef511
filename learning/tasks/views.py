"""The learner's page of a practical task: what to do, what counts as evidence, the hand-ins
so far with the reviewers' comments, and the form to hand it in (again)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses import services as courses
from learning import clock
from learning.db import db
from learning.errors import DomainError
from learning.forms import attach_error, upload_limit
from learning.markdown import render
from learning.tasks import services as tasks
from learning.tasks.forms import SubmitTaskForm

bp = Blueprint("tasks", __name__)


@bp.route("/courses/<slug>/tasks/<task_slug>", methods=["GET", "POST"])
@login_required
@upload_limit("TASK_IMAGE_MAX_BYTES")
def task(slug: str, task_slug: str):
    """Show a task and hand it in."""
    course = courses.get_course(slug)
    task = tasks.get_task(course, task_slug)
    if not tasks.can_submit(current_user, task):
        flash(_("Enrol in the course to open its lessons."), "info")
        return redirect(url_for("courses.detail", slug=slug))
    form = SubmitTaskForm()
    if form.validate_on_submit():
        upload = form.image.data
        image = upload.read() if upload and getattr(upload, "filename", "") else None
        try:
            tasks.submit(current_user, task, tasks.Evidence(note=form.note.data or "",
                                                            image=image or None),
                         now=clock.now(),
                         max_image_bytes=current_app.config["TASK_IMAGE_MAX_BYTES"])
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Handed in: a mentor or HR will review it."), "success")
            return redirect(url_for("tasks.task", slug=slug, task_slug=task_slug))
    submissions = tasks.history(current_user.id, task.id)
    standing = tasks.states(current_user.id, course.id).get(task.id)
    return render_template(
        "tasks/task.html", course=course, task=task, form=form, submissions=submissions,
        standing=standing, instructions=render(task.instructions), evidence=render(task.evidence),
        can_hand_in=standing not in ("waiting", "confirmed"),
        max_kb=current_app.config["TASK_IMAGE_MAX_BYTES"] // 1024)
