"""HR's people list (/hr/people) and its exports (/hr/people.csv, /hr/people.xlsx), and the
department summary export (/hr/departments.csv|.xlsx?campaign=ID or ?course=ID).

The filters come from the query string with the names the dashboard's drill-down links use
(campaign, course, department, status, q, from, to, cursor, sort). A bad value is an error
under its field, and the list is shown without that filter. The exports take the same filters,
are recorded in the audit log, and stream (never a list of every row).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from learning import clock
from learning.accounts.scope import can_use_hr_pages
from learning.campaigns.models import (
    COMPLETED,
    COMPLETED_LATE,
    IN_PROGRESS,
    NOT_STARTED,
    OVERDUE,
)
from learning.downloads import download_response, record_export
from learning.errors import NotFound, RuleViolation
from learning.params import db_int
from learning.reports import exports, people
from learning.reports.forms import ALL, PeopleFilterForm
from learning.reports.people import STATUS_LABELS, BadCursor, PeopleFilter

bp = Blueprint("people", __name__)

STATUS_BADGES = {COMPLETED: "badge-ok", COMPLETED_LATE: "badge-muted", IN_PROGRESS: "badge-muted",
                 NOT_STARTED: "badge-muted", OVERDUE: "badge-bad"}
SORT_LABELS = {
    "name": _l("Name"),
    "department": _l("Department"),
    "status": _l("Status"),
    "completed": _l("Completion date (newest first)"),
    "score": _l("Score (highest first)"),
}
PARAMETERS = ("campaign", "course", "department", "status", "q", "from", "to", "sort")
MAX_CURSOR = 2048


def _require_hr() -> None:
    # Before any look-up: no probing for ids.
    if not can_use_hr_pages(current_user):
        abort(403)


def _short_path(path: str) -> str:
    """The path without the ministry's own name, as tables show it (exports keep it)."""
    ministry = current_app.config["MINISTRY_NAME"].casefold()
    head, _sep, rest = path.partition("/")
    return rest if rest and head.casefold() == ministry else path


def _form() -> tuple[PeopleFilterForm, list]:
    """The filter form, read from the query string and validated, and the departments."""
    campaigns, courses, departments = people.filter_choices(current_user)
    form = PeopleFilterForm(formdata=request.args)
    form.campaign.choices = [(ALL, _("All campaigns"))] + [(c.id, c.title) for c in campaigns]
    form.course.choices = [(ALL, _("All courses"))] + [  # each title marked in its language
        (c.id, c.title, {"lang": c.language}) for c in courses]
    form.department.choices = [(ALL, _("All departments"))] + [
        (d.id, _short_path(path)) for d, path in departments]
    form.status.choices = [("", _("All statuses"))] + [
        (name, str(label)) for name, label in STATUS_LABELS.items()]
    form.sort.choices = [(name, str(label)) for name, label in SORT_LABELS.items()]
    form.validate()
    return form, courses


def _filters(form: PeopleFilterForm) -> PeopleFilter:
    """The filters of the fields without an error."""

    def ok(field):
        return field.data if not field.errors else None

    return PeopleFilter(
        campaign_id=ok(form.campaign) or None, course_id=ok(form.course) or None,
        department_id=ok(form.department) or None, status=ok(form.status) or None,
        date_from=ok(form.date_from), date_to=ok(form.date_to),
        q=(ok(form.q) or "").strip(), sort=ok(form.sort) or "name")


def _show_error(form: PeopleFilterForm, error: RuleViolation) -> None:
    field = form.field_for(error.field or "")
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _today():
    return clock.ministry_day(clock.now())


def _args(**changes) -> dict:
    """The current filters as query parameters (empty ones left out), with `changes`."""
    args = {name: request.args.get(name, "") for name in PARAMETERS}
    args.update(changes)
    return {name: value for name, value in args.items() if value not in ("", None)}


@bp.route("/hr/people", endpoint="list")
@login_required
def people_list():
    """The officials behind HR's figures, filtered, in Vietnamese name order, 50 a page."""
    _require_hr()
    form, courses = _form()
    filters = _filters(form)
    cursor = request.args.get("cursor", "")[:MAX_CURSOR] or None
    page = None
    for _attempt in range(len(PARAMETERS) + 2):
        try:
            page = people.list_people(current_user, filters, today=_today(), cursor=cursor)
            break
        except BadCursor as error:
            form.form_errors.append(error.message)
            cursor = None
        except RuleViolation as error:
            _show_error(form, error)
            filters = people.without(filters, error.field or "")
    if page is None:
        abort(400)
    has_errors = bool(form.errors or form.form_errors)
    return render_template(
        "people/list.html", form=form, page=page, filters=filters,
        status_labels=STATUS_LABELS, status_badges=STATUS_BADGES, short_path=_short_path,
        has_errors=has_errors,
        course_languages={c.id: c.language for c in courses},
        next_url=url_for("people.list", **_args(cursor=page.next_cursor))
        if page.next_cursor else None,
        first_url=url_for("people.list", **_args()) if cursor else None,
        csv_url=url_for("people.export", fmt="csv", **_args()),
        xlsx_url=url_for("people.export", fmt="xlsx", **_args()),
    ), 200


@bp.route("/hr/people.csv", defaults={"fmt": "csv"}, endpoint="export")
@bp.route("/hr/people.xlsx", defaults={"fmt": "xlsx"}, endpoint="export")
@login_required
def export(fmt: str):
    """Download the people list with the page's filters (recorded in the audit log)."""
    _require_hr()
    form, _courses = _form()
    if form.errors:  # the page shows what is wrong; an export never widens what was asked
        return redirect(url_for("people.list", **_args()))
    filters = _filters(form)
    now = clock.now()
    try:
        _total, rows = people.export_people(current_user, filters, today=_today(), now=now,
                                            fmt=fmt)
    except RuleViolation:
        return redirect(url_for("people.list", **_args()))
    record_export()
    stem = f"people-{clock.ministry_day(now).isoformat()}"
    return download_response(people.export_columns(), rows, fmt, stem)


@bp.route("/hr/departments.csv", defaults={"fmt": "csv"}, endpoint="departments_export")
@bp.route("/hr/departments.xlsx", defaults={"fmt": "xlsx"}, endpoint="departments_export")
@login_required
def departments_export(fmt: str):
    """Download a campaign's (?campaign=ID) or a course's (?course=ID) figures per department
    of the reader's scope, each including its units (recorded in the audit log)."""
    _require_hr()
    campaign_id = request.args.get("campaign", type=db_int)
    course_id = request.args.get("course", type=db_int)
    now = clock.now()
    try:
        _count, name, rows = exports.export_departments(
            current_user, campaign_id=campaign_id, course_id=course_id, today=_today(),
            now=now, fmt=fmt)
    except NotFound:
        abort(404)
    except RuleViolation:
        abort(400)
    record_export()
    stem = f"departments-{name}-{clock.ministry_day(now).isoformat()}"
    return download_response(exports.department_columns(), rows, fmt, stem)
