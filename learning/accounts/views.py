"""Sign-in, own account, language, and the admin and HR pages for officials and departments."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from learning import clock, i18n
from learning.accounts import audit as auditing
from learning.accounts import importer
from learning.accounts import services as accounts
from learning.accounts.forms import (
    ROLE_LABELS,
    ApiTokenForm,
    AuditFilterForm,
    ChangePasswordForm,
    DepartmentForm,
    ImportForm,
    LanguageForm,
    LoginForm,
    UserForm,
)
from learning.accounts.models import User
from learning.db import db
from learning.downloads import (
    download_response,
    export_format,
    local_day,
    local_time,
    record_export,
)
from learning.errors import DomainError, RuleViolation
from learning.forms import ActionForm, attach_error, upload_limit
from learning.mail import absolute_url
from learning.params import db_int, page_number
from learning.spreadsheet import Column, safe_row

bp = Blueprint("accounts", __name__)
PAGE_SIZE = 50
WHOLE_MINISTRY = 0  # select value for "no department" / "whole ministry"


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` if it is a local path on this site, else `fallback`."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):  # CR/LF cannot go in a header
        return fallback
    if "\\" in target:  # browsers read "/\\host" as "//host"
        return fallback
    return target


@bp.before_app_request
def force_password_change():
    """Send officials who must set a new password to the password page first."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        # An API token is a credential of its own, and a script cannot follow a redirect to a
        # form: the API answers as usual.
        and request.blueprint != "api"
        and request.endpoint not in {
            "accounts.change_password", "accounts.logout", "accounts.set_language", "static",
            "site.healthz",
        }
    ):
        return redirect(url_for("accounts.change_password"))
    return None


def _throttle_limits() -> accounts.Limits:
    """The sign-in throttle's limits from the configuration."""
    config = current_app.config
    return accounts.Limits(account=config["THROTTLE_USER_FAILURES"],
                           address=config["THROTTLE_IP_FAILURES"],
                           window=config["THROTTLE_WINDOW"])


# --- sign-in ---------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign an official in."""
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        # A browser this account signed in from before is judged by its own failures only.
        device = accounts.read_device_cookie(config["SECRET_KEY"],
                                             request.cookies.get(accounts.DEVICE_COOKIE))
        try:
            user = accounts.authenticate(
                form.username.data,
                form.password.data,
                ip=request.remote_addr or "-",
                now=clock.now(),
                device=device,
                limits=_throttle_limits(),
            )
        except accounts.Throttled as error:
            db.session.rollback()  # a refused try is not counted, and its locks are released
            form.form_errors.append(error.message)
            status = 429
        except DomainError as error:
            db.session.commit()  # keep the failed attempt: throttling counts it
            form.form_errors.append(error.message)
            status = 401
        else:
            accounts.start_session(user, now=clock.now(), ip=request.remote_addr or "",
                                   user_agent=request.user_agent.string)
            db.session.commit()
            session.clear()  # nothing from before sign-in carries over (session fixation)
            login_user(user)  # the cookie gets the new session's token, nothing else
            session.permanent = True
            session[i18n.SESSION_KEY] = user.preferred_language
            if user.must_change_password:
                flash(_("Welcome! Please choose your own password before you continue."), "info")
                response = redirect(url_for("accounts.change_password"))
            else:
                response = redirect(safe_next(form.next.data, url_for("site.index")))
            response.set_cookie(
                accounts.DEVICE_COOKIE,
                accounts.new_device_cookie(config["SECRET_KEY"], user.username, device),
                max_age=accounts.DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                secure=config["SESSION_COOKIE_SECURE"])
            return response
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign anyone out)."""
    ActionForm().validate_on_submit() or abort(400)
    language = i18n.select_locale()
    if current_user.is_authenticated:  # end it on the server: a copied cookie stops working
        accounts.end_session(current_user.session_token, now=clock.now())
        db.session.commit()
    logout_user()
    session.clear()
    session[i18n.SESSION_KEY] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account")
@login_required
def profile():
    """Show the signed-in official's own account."""
    return _profile_page(ApiTokenForm(formdata=None))


def _profile_page(token_form: ApiTokenForm, status: int = 200):
    return render_template("accounts/profile.html", user=current_user,
                           department_path=_department_path(current_user.department),
                           role_labels=ROLE_LABELS, token_form=token_form,
                           tokens=accounts.list_tokens(current_user), now=clock.now(),
                           action_form=ActionForm()), status


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_api_token():
    """Create a personal API token and show it, once."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _profile_page(form, 400)
    try:
        created = accounts.create_token(
            current_user, current_user, name=form.name.data,
            expires_days=form.expires_days.data or None, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _profile_page(form, 400)
    db.session.commit()
    # Shown in this answer only, never put in the (signed, not encrypted) session cookie.
    response = Response(render_template("accounts/token_created.html", token=created.token,
                                        secret=created.secret, api_url=absolute_url("api.me")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of one's own API tokens."""
    ActionForm().validate_on_submit() or abort(400)
    token = accounts.revoke_token(current_user, token_id, now=clock.now())
    db.session.commit()
    flash(_("The token %(name)s has been revoked: it no longer works.",
            name=token.name or token.hint), "success")
    return redirect(url_for("accounts.profile") + "#api-tokens")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let an official change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        # The object, not the proxy: Flask-Login keeps what login_user is given in `g`, and a
        # proxy to itself recurses without end.
        user = current_user._get_current_object()
        now = clock.now()
        config = current_app.config
        try:
            accounts.change_own_password(  # the proof is counted as a sign-in
                user, form.current_password.data, form.new_password.data,
                ip=request.remote_addr or "-", now=now,
                min_length=config["PASSWORD_MIN_LENGTH"], limits=_throttle_limits())
        except accounts.Throttled as error:
            db.session.rollback()  # a refused try is not counted, and its locks are released
            form.form_errors.append(error.message)
            return render_template("accounts/password.html", form=form), 429
        except accounts.InvalidCredentials as error:
            db.session.commit()  # keep the failed try: throttling counts it
            attach_error(form, error)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            # The change ended every session of the official, this one too; this browser
            # continues in a new one, so a copy of the old cookie is worth nothing.
            accounts.start_session(user, now=now, ip=request.remote_addr or "",
                                   user_agent=request.user_agent.string)
            db.session.commit()
            login_user(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("site.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language; kept in the profile of a signed-in official."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    language = form.language.data
    session[i18n.SESSION_KEY] = language
    if current_user.is_authenticated:
        accounts.set_language(current_user, language)
        db.session.commit()
    return redirect(safe_next(form.next.data, url_for("site.index")))


# --- admin: officials ------------------------------------------------------------------------

def _department_path(department) -> str:
    return accounts.department_path(department) if department is not None else ""


def _department_choices(blank_label, departments=None) -> list[tuple[int, str]]:
    departments = accounts.all_departments() if departments is None else departments
    by_id = {d.id: d for d in departments}
    return [(WHOLE_MINISTRY, str(blank_label))] + [
        (d.id, accounts.department_path(d, by_id)) for d in departments
    ]


def _user_form(user=None) -> UserForm:
    form = UserForm(obj=user) if user is not None else UserForm()
    form.department_id.choices = _department_choices(_("— none —"))
    form.hr_scope_department_id.choices = _department_choices(_("The whole ministry"))
    if user is not None and request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.department_id.data = user.department_id or WHOLE_MINISTRY
        grant = user.grant("hr")
        form.hr_scope_department_id.data = (
            grant.scope_department_id if grant and grant.scope_department_id else WHOLE_MINISTRY
        )
    return form


def _user_data(form: UserForm) -> accounts.UserData:
    return accounts.UserData(
        username=form.username.data or "",
        full_name=form.full_name.data or "",
        email=form.email.data,
        staff_number=form.staff_number.data,
        job_title=form.job_title.data or "",
        department_id=form.department_id.data or None,
        roles=set(form.roles.data or []),
        hr_scope_department_id=form.hr_scope_department_id.data or None,
        preferred_language=form.preferred_language.data,
    )


@bp.route("/admin/users")
@login_required
def admin_users():
    """List every account, with search and a department filter."""
    accounts.require_admin(current_user)
    return _officials_page("accounts/admin_users.html")


def _officials_page(template: str):
    query = request.args.get("q", "").strip()
    department_id = request.args.get("department", type=db_int) or None
    page = page_number(request.args, PAGE_SIZE)
    users, total = accounts.list_officials(
        current_user, query=query, department_id=department_id,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )
    departments = accounts.all_departments()
    by_id = {d.id: d for d in departments}
    return render_template(
        template, users=users, total=total, page=page, page_size=PAGE_SIZE, query=query,
        department_id=department_id, role_labels=ROLE_LABELS,
        departments=[(d.id, accounts.department_path(d, by_id)) for d in departments],
        # Tables leave out the ministry's name that every row would repeat.
        path_of=lambda d: accounts.short_department_path(
            d, current_app.config["MINISTRY_NAME"], by_id) if d else "",
        action_form=ActionForm(),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def admin_user_new():
    """Create an account."""
    accounts.require_admin(current_user)
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(current_user, _user_data(form),
                                        password=form.password.data or None, now=clock.now())
        except DomainError as error:
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("accounts.admin_user_edit", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/admin_user_form.html", form=form, user=None), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def admin_user_edit(user_id: int):
    """Edit an account's details and roles."""
    accounts.require_admin(current_user)
    user = accounts.get_user(user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            accounts.update_user(current_user, user, _user_data(form), now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The account has been saved."), "success")
            return redirect(url_for("accounts.admin_user_edit", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    lock = accounts.sign_in_lock(user, now=clock.now(), limits=_throttle_limits())
    return render_template("accounts/admin_user_form.html", form=form, user=user,
                           action_form=ActionForm(), lock=lock), status


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
def admin_reset_password(user_id: int):
    """Give an official a temporary password, shown once to the administrator."""
    ActionForm().validate_on_submit() or abort(400)
    user = accounts.get_user(user_id)
    temporary = accounts.reset_password(current_user, user, now=clock.now())
    db.session.commit()
    return render_template("accounts/admin_temporary_password.html", user=user,
                           temporary=temporary)


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@login_required
def admin_unlock_sign_in(user_id: int):
    """Forget the failed sign-ins that lock an official out, so they can sign in at once."""
    ActionForm().validate_on_submit() or abort(400)
    user = accounts.get_user(user_id)
    accounts.unlock_sign_in(current_user, user, now=clock.now())
    db.session.commit()
    flash(_("Sign-in is unlocked: %(name)s can sign in again from any browser.",
            name=user.full_name), "success")
    return redirect(url_for("accounts.admin_user_edit", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@login_required
def admin_set_active(user_id: int):
    """Deactivate or reactivate an account."""
    ActionForm().validate_on_submit() or abort(400)
    user = accounts.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(current_user, user, active, now=clock.now())
    except RuleViolation as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The account has been reactivated.") if active
              else _("The account has been deactivated; its records are kept."), "success")
    return redirect(url_for("accounts.admin_user_edit", user_id=user.id))


# --- admin: departments ----------------------------------------------------------------------

@bp.route("/admin/departments")
@login_required
def admin_departments():
    """Show the department tree."""
    accounts.require_admin(current_user)
    departments = accounts.all_departments()
    counts = accounts.count_officials_by_department()
    return render_template("accounts/admin_departments.html", departments=departments,
                           counts=counts, action_form=ActionForm())


def _department_form(department=None) -> DepartmentForm:
    form = DepartmentForm(obj=department)
    departments = accounts.all_departments()
    if department is not None:  # not itself nor one of its own units (no one's ancestors)
        departments = [d for d in departments if not d.is_within(department)]
    form.parent_id.choices = _department_choices(_("— top level —"), departments)
    if department is not None and request.method == "GET":
        form.parent_id.data = department.parent_id or WHOLE_MINISTRY
        head = db.session.get(User, department.head_id) if department.head_id else None
        form.head.data = head.username if head else ""
    return form


@bp.route("/admin/departments/new", methods=["GET", "POST"])
@login_required
def admin_department_new():
    """Create a department."""
    accounts.require_admin(current_user)
    form = _department_form()
    if request.method == "GET" and request.args.get("parent", type=db_int):
        form.parent_id.data = request.args.get("parent", type=db_int)
    if form.validate_on_submit():
        parent = accounts.get_department(form.parent_id.data) if form.parent_id.data else None
        try:
            accounts.create_department(current_user, form.name.data, parent, now=clock.now())
        except DomainError as error:
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Department created."), "success")
            return redirect(url_for("accounts.admin_departments"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/admin_department_form.html", form=form,
                           department=None), status


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@login_required
def admin_department_edit(department_id: int):
    """Rename or move a department."""
    accounts.require_admin(current_user)
    department = accounts.get_department(department_id)
    form = _department_form(department)
    if form.validate_on_submit():
        parent = accounts.get_department(form.parent_id.data) if form.parent_id.data else None
        try:
            accounts.update_department(current_user, department, name=form.name.data,
                                       parent=parent, head=form.head.data, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Department saved."), "success")
            return redirect(url_for("accounts.admin_departments"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/admin_department_form.html", form=form,
                           department=department, action_form=ActionForm()), status


@bp.route("/admin/departments/<int:department_id>/delete", methods=["POST"])
@login_required
def admin_department_delete(department_id: int):
    """Delete an empty department."""
    ActionForm().validate_on_submit() or abort(400)
    department = accounts.get_department(department_id)
    try:
        accounts.delete_department(current_user, department, now=clock.now())
    except RuleViolation as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.admin_department_edit", department_id=department.id))
    db.session.commit()
    flash(_("Department deleted."), "success")
    return redirect(url_for("accounts.admin_departments"))


# --- admin: import ---------------------------------------------------------------------------

@bp.route("/admin/import", methods=["GET", "POST"])
@login_required
@upload_limit("MAX_CONTENT_LENGTH")  # a ministry's list of officials
def admin_import():
    """Import officials from a CSV or XLSX file; on errors keep the rows for correction."""
    accounts.require_admin(current_user)
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        try:
            records = importer.read_upload_or_rows(form.file.data, form.rows.data)
            report = importer.import_officials(
                current_user, records, now=clock.now(),
                initial_password=form.initial_password.data or None,
                create_departments=form.create_departments.data,
            )
        except importer.ImportFileError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 400
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            status = 400
        else:
            if report.ok:
                db.session.commit()
                flash(_("Import finished: %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged.", created=report.created,
                        updated=report.updated, unchanged=report.unchanged), "success")
                return render_template("accounts/admin_import.html", form=ImportForm(
                    formdata=None), report=report)
            db.session.rollback()
            form.rows.data = importer.records_to_csv(records)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("accounts/admin_import.html", form=form, report=report), status


@bp.route("/admin/import/template.csv")
@login_required
def admin_import_template():
    """Download an example file with the expected columns."""
    accounts.require_admin(current_user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(importer.iter_template_rows())
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=officials.csv"})


# --- HR: officials in scope ------------------------------------------------------------------

@bp.route("/hr/officials")
@login_required
def hr_officials():
    """List the officials within the HR official's scope."""
    if not accounts.can_use_hr_pages(current_user):
        abort(403)
    fmt = export_format(request.args)
    if fmt is not None:
        return _export_officials(fmt)
    return _officials_page("accounts/hr_officials.html")


def _export_officials(fmt: str):
    """Download the officials list with the page's filters, as CSV or XLSX."""
    now = clock.now()
    _total, records = accounts.export_officials(
        current_user, query=request.args.get("q", "").strip(),
        department_id=request.args.get("department", type=db_int) or None, fmt=fmt, now=now)
    record_export()  # the audit record; the rows are read while the file streams
    columns = [
        Column("staff_number", _("Staff number")),
        Column("full_name", _("Full name"), width=28),
        Column("username", _("Username")),
        Column("department", _("Department"), width=48),
        Column("job_title", _("Job title")),
        Column("email", _("Email"), width=30),
        Column("roles", _("Roles")),
        Column("status", _("Status"), width=16),
        Column("last_sign_in_at", _("Last sign-in"), "datetime"),
    ]
    labels = {role: str(label) for role, label in ROLE_LABELS.items()}
    active, deactivated = _("Active"), _("Deactivated")
    rows = (
        (r.staff_number, r.full_name, r.username, r.department_path, r.job_title, r.email,
         ", ".join(labels[role] for role in r.roles), active if r.is_active else deactivated,
         local_time(r.last_sign_in_at))
        for r in records
    )
    return download_response(columns, rows, fmt,
                             f"{_('Officials')} {local_day(now).isoformat()}")


@bp.route("/hr/officials/<int:user_id>")
@login_required
def hr_official(user_id: int):
    """Show one official within the HR official's scope."""
    user = accounts.get_official(current_user._get_current_object(), user_id)
    return render_template("accounts/hr_official.html", user=user,
                           department_path=_department_path(user.department),
                           role_labels=ROLE_LABELS)


# --- admin: audit log ------------------------------------------------------------------------

# Where an event's target has a page, by target type: (endpoint, its argument for target_id).
TARGET_PAGES = {
    "user": ("accounts.admin_user_edit", "user_id"),
    "department": ("accounts.admin_department_edit", "department_id"),
    "certificate": ("certificates.detail", "certificate_id"),
    "mentoringgroup": ("mentoring.group", "group_id"),
    "tasksubmission": ("mentoring.task", "submission_id"),
}
CSV_BATCH = 500  # rows per chunk of the streamed CSV


def _audit_filters(form: AuditFilterForm):
    """Return the form's filters, or None when one of them is not valid (errors on the form)."""
    if not form.validate():
        return None
    return auditing.AuditFilters(
        action=form.action.data or "", actor=(form.actor.data or "").strip(),
        target_type=form.target.data or "", date_from=form.date_from.data,
        date_to=form.date_to.data, text=(form.q.data or "").strip())


def _cursor(name: str) -> tuple[int | None, bool]:
    """Read a page cursor (an event id): (value, whether it was given but is not valid)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, False
    try:
        return db_int(raw), False
    except ValueError:
        return None, True


def _target_link(event, details: dict) -> str | None:
    if event.target_id is None or event.action.endswith(".delete"):
        return None  # nothing to open, or no longer there
    if event.target_type in TARGET_PAGES:
        endpoint, argument = TARGET_PAGES[event.target_type]
        return url_for(endpoint, **{argument: event.target_id})
    if event.target_type == "assignment" and isinstance(details.get("group"), int):
        return url_for("mentoring.assignment_edit", group_id=details["group"],
                       assignment_id=event.target_id)
    if event.target_type == "course" and isinstance(details.get("slug"), str):
        return url_for("courses.detail", slug=details["slug"])
    return None


def _audit_rows(events) -> list[dict]:
    """Return what the table shows of each event (targets that are accounts: one query)."""
    users = auditing.target_users(events)
    rows = []
    for event in events:
        try:
            raw = json.loads(event.details) if event.details else {}
        except ValueError:
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        target = users.get(event.target_id) if event.target_type == "user" else None
        name = target.full_name if target is not None else next(
            (str(raw[key]) for key in ("serial", "name", "username", "slug", "official")
             if raw.get(key)), "")
        rows.append({
            "event": event,
            "action": auditing.ACTIONS.get(event.action, event.action),
            "target_type": auditing.TARGET_TYPES.get(event.target_type, event.target_type),
            "target_name": name or (f"#{event.target_id}" if event.target_id else ""),
            "target_url": _target_link(event, raw),
            "details": [(auditing.DETAIL_LABELS.get(key, key), value)
                        for key, value in auditing.details_of(event.details)],
        })
    return rows


@bp.route("/admin/audit")
@login_required
def audit_log():
    """The audit log: who did what and when, filtered, newest first, 50 a page."""
    accounts.require_admin(current_user)
    form = AuditFilterForm(request.args)
    filters = _audit_filters(form)
    before, bad_before = _cursor("before")
    after, bad_after = _cursor("after")
    page = None
    if bad_before or bad_after:
        form.form_errors.append(_("This page link is not valid. Start again from the newest "
                                  "events."))
    elif filters is not None:
        try:
            page = auditing.list_events(current_user, filters, before=before, after=after)
        except auditing.UnknownCursor:
            form.form_errors.append(_("This page link is not valid. Start again from the "
                                      "newest events."))
    status = 200 if page is not None else 400
    params = filters.as_params() if filters is not None else {}
    return render_template(
        "accounts/admin_audit.html", form=form, page=page, params=params,
        rows=_audit_rows(page.events) if page is not None else [],
    ), status


def _csv_lines(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(safe_row(row) for row in rows)
    return out.getvalue()


def _audit_csv(events, zone):
    """Yield the CSV of the events, a chunk of rows at a time (the query is read in batches)."""
    yield "\ufeff" + _csv_lines([AUDIT_CSV_COLUMNS])
    chunk = []
    for row in events:
        chunk.append([
            row.at.astimezone(zone).isoformat(timespec="seconds"), row.action,
            str(auditing.ACTIONS.get(row.action, row.action)), row.username or "",
            row.full_name or "", row.target_type,
            "" if row.target_id is None else row.target_id, row.details or ""])
        if len(chunk) == CSV_BATCH:
            yield _csv_lines(chunk)
            chunk = []
    if chunk:
        yield _csv_lines(chunk)


AUDIT_CSV_COLUMNS = ["at", "action", "action_label", "actor_username", "actor_name",
                     "target_type", "target_id", "details"]


@bp.route("/admin/audit.csv")
@login_required
def audit_log_csv():
    """Download the filtered audit log as CSV (UTF-8 with a BOM); the download is audited."""
    accounts.require_admin(current_user)
    form = AuditFilterForm(request.args)
    filters = _audit_filters(form)
    if filters is None:
        return render_template("accounts/admin_audit.html", form=form, page=None, params={},
                               rows=[]), 400
    now = clock.now()
    # Up to the newest event now: the count is exact, and this export's own event is not in it.
    up_to = auditing.latest_event_id()
    rows = auditing.count_events(current_user, filters, up_to=up_to)
    accounts.audit_export(current_user, "audit_log", now=now, rows=rows,
                          **filters.as_details())
    record_export()
    zone = clock.ministry_zone()
    name = f"audit-{now.astimezone(zone).date().isoformat()}.csv"
    events = auditing.iter_events(current_user, filters, up_to=up_to)  # rights checked now
    return Response(stream_with_context(_audit_csv(events, zone)),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="{name}"',
                        "Cache-Control": "no-store"})
