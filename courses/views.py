"""The catalog, course pages, the lesson player, course files, and the admin course pages."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from courses import outline
from courses import queries as catalog
from courses import services as courses
from courses import storage
from courses.forms import PackageUploadForm, TimeReportForm
from courses.packages import PackageError, printable, read_zip, write_zip
from courses.signals import lesson_done_next
from learning import clock
from learning.accounts.services import require_admin
from learning.db import db
from learning.errors import DomainError, NotFound
from learning.forms import ActionForm, upload_limit

bp = Blueprint("courses", __name__)


@bp.route("/courses")
@login_required
def catalog_page():
    """List the courses, with search (diacritics and case ignored) and filters."""
    query = request.args.get("q", "").strip()
    language = request.args.get("language", "")
    topic = request.args.get("topic", "")
    entries = catalog.search(current_user, query=query, language=language, topic=topic)
    return render_template("courses/catalog.html", entries=entries, query=query,
                           language=language, topic=topic, topics=catalog.all_topics(),
                           languages=catalog.LANGUAGE_LABELS,
                           version_labels=catalog.VERSION_LABELS)


@bp.route("/courses/<slug>")
@login_required
def detail(slug: str):
    """Show a course: what completing it takes, its modules, lessons and quizzes (with their
    locks), and the official's progress and next step (`course_progress`, a template helper
    from the progress layer, which loads the outline and the official's records once)."""
    course, enrolment, versions = catalog.course_page(current_user, slug)
    return render_template("courses/detail.html", course=course, enrolment=enrolment,
                           versions=versions, form=ActionForm())


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@login_required
def enrol(slug: str):
    """Enrol oneself, then go to the first lesson."""
    course = courses.get_course(slug)
    ActionForm().validate_on_submit() or abort(400)
    try:
        courses.enrol(current_user, current_user, course, now=clock.now())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("courses.detail", slug=slug))
    db.session.commit()
    return redirect(url_for("courses.resume", slug=slug))


@bp.route("/courses/<slug>/continue")
@login_required
def resume(slug: str):
    """Go to the next unfinished lesson of the course."""
    course = courses.get_course(slug)
    if courses.get_enrolment(current_user, course) is None:
        return redirect(url_for("courses.detail", slug=slug))
    lesson = courses.next_lesson(current_user, course)
    if lesson is None:
        return redirect(url_for("courses.detail", slug=slug))
    return redirect(url_for("courses.lesson", slug=slug, lesson_slug=lesson.slug))


@bp.route("/courses/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    """The lesson player: the lesson, the module sidebar, previous/next, mark as done.

    A read: the visit and reading time come back through the time report the page sends
    when it is left. The outline and the lesson's HTML come from the caches of the course's
    content version, so a view runs the course (with the enrolment), the lessons done and
    the quiz attempts (through the `course_progress` template helper), besides the session."""
    course, enrolment = courses.course_for(current_user, slug)
    contents = outline.outline_of(course)
    lesson = contents.lesson(lesson_slug)
    if lesson is None:
        raise NotFound(_("No such lesson."))
    if not courses.may_open_lessons(current_user, course, enrolment):  # its files follow too
        flash(_("Enrol in the course to open its lessons."), "info")
        return redirect(url_for("courses.detail", slug=slug))
    html = Markup(outline.lesson_body(course, lesson))  # sanitised when it was rendered
    previous, following = contents.neighbours(lesson.id)
    return render_template(
        "courses/lesson.html", course=course, lesson=lesson, html=html, previous=previous,
        following=following, enrolment=enrolment,
    )


@bp.route("/courses/<slug>/lessons/<lesson_slug>/done", methods=["POST"])
@login_required
def complete(slug: str, lesson_slug: str):
    """Mark a lesson as done (idempotent) and go on: to the module's quiz after its last lesson
    (a higher layer says so through `lesson_done_next`), else to the next lesson."""
    course = courses.get_course(slug)
    lesson = courses.get_lesson(course, lesson_slug)
    ActionForm().validate_on_submit() or abort(400)
    before = courses.get_enrolment(current_user, course)
    was_complete = before is not None and before.completed_at is not None
    courses.complete_lesson(current_user, lesson, now=clock.now())
    db.session.commit()
    enrolment = courses.get_enrolment(current_user, course)
    if enrolment.completed_at and not was_complete:
        flash(_("Congratulations! You have completed “%(title)s”.", title=course.title),
              "success")
        return redirect(url_for("courses.detail", slug=slug))
    for _receiver, target in lesson_done_next.send(lesson, user=current_user, now=clock.now()):
        if target is not None:  # e.g. the module's quiz, after its last lesson
            endpoint, values = target
            return redirect(url_for(endpoint, **values))
    _previous, following = courses.neighbours(lesson)
    if following is not None:
        return redirect(url_for("courses.lesson", slug=slug, lesson_slug=following.slug))
    nxt = courses.next_lesson(current_user, course)
    if nxt is not None:
        flash(_("Some lessons are still unfinished."), "info")
        return redirect(url_for("courses.lesson", slug=slug, lesson_slug=nxt.slug))
    return redirect(url_for("courses.detail", slug=slug))


@bp.route("/courses/<slug>/lessons/<lesson_slug>/time", methods=["POST"])
@login_required
def report_time(slug: str, lesson_slug: str):
    """Record the visit and the reading time the lesson page measured (sent on leaving)."""
    course = courses.get_course(slug)
    lesson = courses.get_lesson(course, lesson_slug)
    form = TimeReportForm()
    if not form.validate_on_submit():
        abort(400)
    courses.report_reading(current_user, lesson, form.seconds.data or 0,
                           visit=bool(form.visit.data), now=clock.now())
    db.session.commit()
    return "", 204


@bp.route("/courses/<slug>/files/<path:path>")
@login_required
def course_file(slug: str, path: str):
    """Serve an image, audio, video or caption file of the course (with range requests) to
    those who may open its lessons."""
    course = courses.get_course(slug, include_unpublished=current_user.has_role("admin"))
    record = courses.get_course_file(current_user, course, path)
    # the type without its charset: send_file adds "; charset=utf-8" to a text type itself
    response = send_file(storage.blob_path(record.digest),
                         mimetype=record.media_type.split(";", 1)[0],
                         conditional=True, etag=record.digest, max_age=3600,
                         download_name=path.rsplit("/", 1)[-1])
    # A package file is never allowed to run script, even an SVG opened on its own.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; " \
        "img-src 'self'; media-src 'self'; sandbox"
    return response


# --- admin -----------------------------------------------------------------------------------

@bp.route("/admin/courses", methods=["GET", "POST"])
@login_required
@upload_limit("MAX_CONTENT_LENGTH")  # a package (MAX_PACKAGE_MB is checked as it is read)
def admin_courses():
    """List the courses and import a zipped package."""
    require_admin(current_user)
    form = PackageUploadForm()
    problems = None
    status = 200
    if form.validate_on_submit():
        try:
            files = read_zip(form.package.data.read(),
                             current_app.config["MAX_PACKAGE_MB"] * 1024 * 1024)
            result = courses.import_package(current_user, files, now=clock.now())
        except PackageError as error:
            db.session.rollback()
            problems = error.problems
            status = 400
        else:
            db.session.commit()
            if not result.changed:
                flash(_("“%(title)s” is already up to date.", title=result.course.title), "info")
            elif result.created:
                flash(_("Course “%(title)s” imported.", title=result.course.title), "success")
            else:
                flash(_("Course “%(title)s” updated to version %(version)s: %(added)d lessons "
                        "added, %(removed)d removed, %(updated)d changed.",
                        title=result.course.title, version=result.course.version,
                        added=result.lessons_added, removed=result.lessons_removed,
                        updated=result.lessons_updated), "success")
            return redirect(url_for("courses.admin_courses"))
    elif request.method == "POST":
        status = 400
    return render_template("courses/admin_courses.html", form=form, problems=problems,
                           rows=catalog.admin_rows()), status


@bp.route("/admin/courses/<slug>/export.zip")
@login_required
def admin_export(slug: str):
    """Download the course package exactly as imported."""
    require_admin(current_user)
    course = courses.get_course(slug, include_unpublished=True)
    data = write_zip(courses.export_package(course), course.slug)
    # The version is free text ("1.0 – bản nháp"): send_file quotes the name for the header.
    # Imports refuse control characters; one stored before that must not break the header.
    name = printable(f"{course.slug}-{course.version}").replace("\\", "-")
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{name}.zip")
