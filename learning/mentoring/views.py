"""The mentoring pages: my groups, a group's grid of members by assignments, its members (add
by name, from a department, from a CSV of staff numbers), its assignments, one member's page.

Officials without mentoring rights get 403 before any look-up; a group or member the reader may
not see is 404, whatever the id (learning.mentoring.access decides, in the services).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from courses import outline
from courses.models import Course
from learning import clock
from learning.accounts import importer
from learning.accounts.services import department_tree, short_department_path
from learning.db import db
from learning.errors import DomainError, PermissionDenied
from learning.forms import ActionForm, attach_error, upload_limit
from learning.mentoring import services as mentoring
from learning.mentoring.forms import (
    NO_DEPARTMENT,
    AddMembersForm,
    AssignmentForm,
    DepartmentMembersForm,
    GroupForm,
    ImportMembersForm,
    NudgeForm,
)
from learning.params import db_int, page_number

bp = Blueprint("mentoring", __name__)
PAGE_SIZE = 50
STATE_LABELS = mentoring.STATE_LABELS


def _require_mentoring() -> None:
    """403 for officials with no mentoring rights, before any look-up (no probing for ids)."""
    if not mentoring.can_use_mentoring(current_user):
        raise PermissionDenied(_("Only mentors, HR and administrators use these pages."))


def _group(group_id: int):
    _require_mentoring()
    return mentoring.get_group(current_user, group_id)


def _path_of(department_id: int | None) -> str:
    """A department's path without the ministry's name, from the tree read once per request:
    these pages name the departments of many officials and groups."""
    if department_id is None:
        return ""
    tree = g.get("department_tree")
    if tree is None:
        tree = g.department_tree = department_tree()
    node = tree.get(department_id)
    return short_department_path(node, current_app.config["MINISTRY_NAME"], tree) if node else ""


# --- groups ----------------------------------------------------------------------------------

@bp.route("/mentoring")
@login_required
def home():
    """List the groups the official mentors (or manages, for HR and administrators)."""
    _require_mentoring()
    return render_template("mentoring/home.html", rows=mentoring.list_groups(current_user),
                           can_create=mentoring.can_create_groups(current_user),
                           path_of=_path_of)


def _group_form(group=None) -> GroupForm:
    form = GroupForm(obj=group) if group is not None else GroupForm()
    departments = mentoring.departments_for(current_user, None)
    choices = [(NO_DEPARTMENT, _("— none —"))] + [(d.id, _path_of(d.id)) for d in departments]
    if group is not None and group.department is not None and all(
            d.id != group.department_id for d in departments):
        choices.append((group.department_id, _path_of(group.department_id)))  # keep it shown
    form.department_id.choices = choices
    if request.method == "GET":
        if group is not None:
            form.department_id.data = group.department_id or NO_DEPARTMENT
            form.mentors.data = ", ".join(
                user.username for user in mentoring.mentors_of([group.id])[group.id])
        elif current_user.has_role("mentor"):
            form.mentors.data = current_user.username
    return form


def _group_form_page(form, group, status):
    query = request.args.get("mentor_q", "").strip()[:200]
    found = mentoring.search_mentors(current_user, query) if query else []
    return render_template("mentoring/group_form.html", form=form, group=group,
                           action_form=ActionForm(), mentor_query=query, mentors_found=found,
                           path_of=_path_of, may_delete=group is not None
                           and mentoring.can_govern_group(current_user, group)), status


@bp.route("/mentoring/groups/new", methods=["GET", "POST"])
@login_required
def group_new():
    """Create a group and name its mentors."""
    _require_mentoring()
    if not mentoring.can_create_groups(current_user):
        abort(403)
    form = _group_form()
    if form.validate_on_submit():
        try:
            group = mentoring.create_group(
                current_user, form.name.data, form.mentors.data or "",
                description=form.description.data or "",
                department_id=form.department_id.data or None, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Group “%(name)s” created. Now add its members.", name=group.name),
                  "success")
            return redirect(url_for("mentoring.members", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return _group_form_page(form, None, status)


@bp.route("/mentoring/groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def group_edit(group_id: int):
    """Change a group's name, description, department and mentors."""
    group = _group(group_id)
    form = _group_form(group)
    if form.validate_on_submit():
        try:
            mentoring.update_group(
                current_user, group, name=form.name.data,
                description=form.description.data or "",
                department_id=form.department_id.data or None,
                mentor_usernames=form.mentors.data or "", now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The group has been saved."), "success")
            if not mentoring.can_open_group(current_user, group):  # handed over
                return redirect(url_for("mentoring.home"))
            return redirect(url_for("mentoring.group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return _group_form_page(form, group, status)


@bp.route("/mentoring/groups/<int:group_id>/delete", methods=["POST"])
@login_required
def group_delete(group_id: int):
    """Delete a group and its assignments (its members' records stay)."""
    group = _group(group_id)
    ActionForm().validate_on_submit() or abort(400)
    name = group.name
    mentoring.delete_group(current_user, group, now=clock.now())
    db.session.commit()
    flash(_("Group “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("mentoring.home"))


@bp.route("/mentoring/groups/<int:group_id>")
@login_required
def group(group_id: int):
    """The group's grid: members by assignments, with state, progress and quiz score;
    filtered by state, sorted by name, state or progress, a page at a time."""
    group = _group(group_id)
    progress = mentoring.group_progress(current_user, group, now=clock.now())
    grid = mentoring.grid(
        progress, state=request.args.get("state", ""), sort=request.args.get("sort", "name"),
        column=request.args.get("column", type=db_int),
        page=page_number(request.args, PAGE_SIZE), page_size=PAGE_SIZE)
    return render_template(
        "mentoring/group.html", group=group, grid=grid, progress=progress,
        mentors=mentoring.mentors_of([group.id])[group.id], path_of=_path_of,
        state_labels=STATE_LABELS, target_title=mentoring.target_title,
        is_removed=mentoring.is_target_removed, nudge_form=NudgeForm(formdata=None),
        behind=mentoring.BEHIND)


@bp.route("/mentoring/groups/<int:group_id>/nudge", methods=["POST"])
@login_required
def nudge(group_id: int):
    """Remind the members behind on an assignment, or one member, in the app and by email
    (at most once a day each)."""
    group = _group(group_id)
    form = NudgeForm()
    if not form.validate_on_submit() or (form.assignment_id.data is None) == (
            form.user_id.data is None):
        abort(400)
    result = mentoring.nudge(current_user, group, now=clock.now(),
                             assignment_id=form.assignment_id.data,
                             user_id=form.user_id.data)
    db.session.commit()
    result.outbox.send()  # after the commit: a failing email never takes a reminder back
    if result.sent:
        flash(ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", result.sent),
              "success")
    if result.already:
        flash(ngettext("%(num)d was already reminded today.", "%(num)d were already "
                       "reminded today.", result.already), "info")
    if not result.sent and not result.already:
        flash(_("Nobody to remind: nobody is behind."), "info")
    return redirect(url_for("mentoring.group", group_id=group.id))


# --- members ---------------------------------------------------------------------------------

def _members_page(group, *, add_form=None, department_form=None, import_form=None,
                  report=None, status=200):
    query = request.args.get("q", "").strip()[:200]
    found = mentoring.search_candidates(current_user, group, query) if query else []
    add_form = add_form or AddMembersForm(formdata=None)
    department_form = department_form or DepartmentMembersForm(formdata=None)
    department_form.department_id.choices = [
        (d.id, _path_of(d.id)) for d in mentoring.departments_for(current_user, group)]
    import_form = import_form or ImportMembersForm(formdata=None)
    return render_template(
        "mentoring/members.html", group=group,
        members=mentoring.visible_members(current_user, group),
        query=query, found=found, add_form=add_form, department_form=department_form,
        import_form=import_form, report=report, action_form=ActionForm(),
        path_of=_path_of), status


@bp.route("/mentoring/groups/<int:group_id>/members")
@login_required
def members(group_id: int):
    """The group's members, with search, a department and a CSV file to add more."""
    return _members_page(_group(group_id))


@bp.route("/mentoring/groups/<int:group_id>/members/add", methods=["POST"])
@login_required
def members_add(group_id: int):
    """Add officials ticked in the search results or typed by username."""
    group = _group(group_id)
    form = AddMembersForm()
    if not form.validate_on_submit():
        return _members_page(group, add_form=form, status=400)
    try:
        if form.user_ids.data:
            result = mentoring.add_member_ids(current_user, group, form.user_ids.data,
                                              now=clock.now())
        else:
            result = mentoring.add_members(current_user, group, form.usernames.data or "",
                                           now=clock.now())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error, "usernames")
        return _members_page(group, add_form=form, status=400)
    db.session.commit()
    _flash_added(len(result.added), len(result.already))
    return redirect(url_for("mentoring.members", group_id=group.id))


def _flash_added(added: int, already: int) -> None:
    flash(_("%(added)d added to the group, %(already)d already in it.", added=added,
            already=already), "success")


@bp.route("/mentoring/groups/<int:group_id>/members/department", methods=["POST"])
@login_required
def members_department(group_id: int):
    """Add every active official of a department (with its units, if asked)."""
    group = _group(group_id)
    form = DepartmentMembersForm()
    form.department_id.choices = [
        (d.id, _path_of(d.id)) for d in mentoring.departments_for(current_user, group)]
    if not form.validate_on_submit():
        return _members_page(group, department_form=form, status=400)
    try:
        result = mentoring.add_department(current_user, group, form.department_id.data,
                                          include_subunits=form.include_subunits.data,
                                          now=clock.now())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error, "department_id")
        return _members_page(group, department_form=form, status=400)
    db.session.commit()
    _flash_added(len(result.added), len(result.already))
    return redirect(url_for("mentoring.members", group_id=group.id))


@bp.route("/mentoring/groups/<int:group_id>/members/import", methods=["POST"])
@login_required
@upload_limit("MEMBERS_FILE_MAX_BYTES")
def members_import(group_id: int):
    """Add the officials a CSV or Excel file lists by staff number: every bad row is shown
    with its line number, and then nobody is added."""
    group = _group(group_id)
    form = ImportMembersForm()
    if not form.validate_on_submit():
        return _members_page(group, import_form=form, status=400)
    try:
        records = importer.read_upload_or_rows(form.file.data, form.rows.data)
        report = mentoring.import_members(current_user, group, records, now=clock.now())
    except importer.ImportFileError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _members_page(group, import_form=form, status=400)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _members_page(group, import_form=form, status=400)
    if not report.ok:
        db.session.rollback()
        form.rows.data = importer.records_to_csv(records)
        return _members_page(group, import_form=form, report=report, status=400)
    db.session.commit()
    _flash_added(report.added, report.already)
    return redirect(url_for("mentoring.members", group_id=group.id))


@bp.route("/mentoring/groups/<int:group_id>/members/<int:user_id>/remove", methods=["POST"])
@login_required
def member_remove(group_id: int, user_id: int):
    """Take an official out of the group."""
    group = _group(group_id)
    ActionForm().validate_on_submit() or abort(400)
    mentoring.remove_member(current_user, group, user_id, now=clock.now())
    db.session.commit()
    flash(_("The official has been taken out of the group; their records stay."), "success")
    return redirect(url_for("mentoring.members", group_id=group.id))


@bp.route("/mentoring/groups/<int:group_id>/members/<int:user_id>")
@login_required
def member(group_id: int, user_id: int):
    """A member's page: what they did of the learning the group assigns them."""
    group = _group(group_id)
    detail = mentoring.member_detail(current_user, group, user_id, now=clock.now())
    return render_template("mentoring/member.html", group=group, detail=detail,
                           state_labels=STATE_LABELS, target_title=mentoring.target_title,
                           path_of=_path_of, now=clock.now())


# --- assignments -----------------------------------------------------------------------------

def _published_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).where(Course.is_published.is_(True))
                                   .order_by(Course.title, Course.id)))


def _target_choices(course: Course) -> list[tuple[str, str]]:
    """The course, each current module and each current lesson, from the cached outline."""
    choices = [("", _("The whole course"))]
    for module in outline.outline_of(course).modules:
        choices.append((f"module:{module.slug}", _("Module: %(title)s", title=module.title)))
        choices += [(f"lesson:{lesson.slug}", "\u2003" + _("Lesson: %(title)s",
                                                          title=lesson.title))
                    for lesson in module.lessons]
    return choices


def _member_choices(group) -> list[tuple[int, str]]:
    return [(user.id, f"{user.full_name} ({user.username})")
            for user in mentoring.visible_members(current_user, group)]


def _split_target(value: str | None) -> tuple[str | None, str | None]:
    kind, _sep, slug = (value or "").partition(":")
    if kind == "module" and slug:
        return slug, None
    if kind == "lesson" and slug:
        return None, slug
    return None, None


def _assignment_page(group, form, course, assignment=None, status=200):
    return render_template(
        "mentoring/assignment_form.html", group=group, form=form, course=course,
        assignment=assignment, courses=_published_courses(), action_form=ActionForm(),
        target_title=mentoring.target_title), status


@bp.route("/mentoring/groups/<int:group_id>/assignments/new", methods=["GET", "POST"])
@login_required
def assignment_new(group_id: int):
    """Assign a course, module or lesson: first the course, then what of it and by when."""
    group = _group(group_id)
    if not mentoring.can_manage_group(current_user, group):
        abort(403)
    slug = (request.form.get("course") if request.method == "POST"
            else request.args.get("course")) or ""
    course = next((c for c in _published_courses() if c.slug == slug), None)
    form = AssignmentForm()
    form.members.choices = _member_choices(group)
    if course is None:
        if request.method == "POST":
            form.form_errors.append(_("Choose a published course."))
            return _assignment_page(group, form, None, status=400)
        return _assignment_page(group, form, None)
    form.target.choices = _target_choices(course)
    if form.validate_on_submit():
        module_slug, lesson_slug = _split_target(form.target.data)
        chosen = form.members.data if form.audience.data == "chosen" else None
        try:
            assignment, created = mentoring.assign(
                current_user, group, course.slug, module_slug, lesson_slug, form.due_on.data,
                form.note.data or "", chosen if chosen is None else list(chosen),
                now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error, "target")
        else:
            db.session.commit()
            flash(_("Assigned: %(title)s.", title=mentoring.target_title(assignment))
                  if created else _("The assignment already existed and has been updated: "
                                    "%(title)s.", title=mentoring.target_title(assignment)),
                  "success")
            return redirect(url_for("mentoring.group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return _assignment_page(group, form, course, status=status)


@bp.route("/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>",
          methods=["GET", "POST"])
@login_required
def assignment_edit(group_id: int, assignment_id: int):
    """Change an assignment's due date, note and members."""
    group = _group(group_id)
    assignment = mentoring.get_assignment(current_user, group, assignment_id)
    form = AssignmentForm(obj=assignment if request.method == "GET" else None)
    form.members.choices = _member_choices(group)
    form.target.choices = [("", "")]
    if request.method == "GET":
        form.audience.data = "all" if assignment.is_whole_group else "chosen"
        form.members.data = mentoring.chosen_member_ids(assignment)
    if form.validate_on_submit():
        course_slug, module_slug, lesson_slug = mentoring.target_slugs(assignment)
        chosen = form.members.data if form.audience.data == "chosen" else None
        try:
            mentoring.assign(current_user, group, course_slug, module_slug, lesson_slug,
                             form.due_on.data, form.note.data or "",
                             chosen if chosen is None else list(chosen), now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error, "due_on")
        else:
            db.session.commit()
            flash(_("The assignment has been saved."), "success")
            return redirect(url_for("mentoring.group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return _assignment_page(group, form, assignment.course, assignment, status=status)


@bp.route("/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>/delete",
          methods=["POST"])
@login_required
def assignment_delete(group_id: int, assignment_id: int):
    """Withdraw an assignment (enrolments and records stay)."""
    group = _group(group_id)
    assignment = mentoring.get_assignment(current_user, group, assignment_id)
    ActionForm().validate_on_submit() or abort(400)
    title = mentoring.target_title(assignment)
    mentoring.remove_assignment(current_user, group, assignment, now=clock.now())
    db.session.commit()
    flash(_("Assignment withdrawn: %(title)s.", title=title), "success")
    return redirect(url_for("mentoring.group", group_id=group.id))
