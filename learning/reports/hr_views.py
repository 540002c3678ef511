"""HR's dashboard and campaign pages: /hr (a campaign's or a course's figures per department of
the reader's scope, with rollups, a chart of completions over time and links to the people
behind every figure) and /hr/campaigns (list, create, edit, archive).

Officials without HR or admin rights get 403 before any look-up; a campaign the reader may not
see is 404 (learning.campaigns.services decides). GET pages only read the summaries.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses.models import Course
from learning import clock, i18n
from learning.campaigns import services as campaigns
from learning.db import db
from learning.errors import DomainError, NotFound, PermissionDenied
from learning.forms import attach_error
from learning.params import db_int
from learning.reports import dashboard
from learning.reports.hr_forms import NO_COURSE, ArchiveForm, CampaignForm
from learning.reports.rollup import department_choices, department_rollup, totals

bp = Blueprint("hr", __name__)


def _require_hr() -> None:
    """403 for officials with no HR or admin rights, before any look-up."""
    if not campaigns.can_use_campaigns(current_user):
        raise PermissionDenied(_("Only HR and administrators use these pages."))


def _today():
    return clock.ministry_day(clock.now())


# --- the dashboard ---------------------------------------------------------------------------

@bp.route("/hr", endpoint="dashboard")
@login_required
def dashboard_page():
    """Show a campaign's (or a course's) figures per department of the reader's scope."""
    _require_hr()
    today = _today()
    visible = campaigns.list_campaigns(current_user)
    courses = dashboard.published_courses()
    campaign_id = request.args.get("campaign", type=db_int)
    course_id = request.args.get("course", type=db_int)
    campaign = course = None
    if campaign_id:
        campaign = campaigns.get_campaign(current_user, campaign_id)
    elif course_id:
        course = db.session.get(Course, course_id)
        if course is None:
            raise NotFound(_("No such course."))
    else:
        campaign = dashboard.default_campaign(visible, today)
    rows = total = chart = None
    if campaign is not None or course is not None:
        rows = department_rollup(current_user, campaign=campaign, course=course, today=today,
                                 only_counted=True)
        total = totals(rows)
        if campaign is not None:
            chart = dashboard.campaign_chart(current_user, campaign, today=today,
                                             target=total.people,
                                             language=i18n.current_language())
    covered = []
    if campaign is not None:
        covered = sorted(dashboard.short_paths([s.department for s in campaign.scopes]).values())
    return render_template(
        "hr/dashboard.html", covered=covered, campaign=campaign, course=course, campaigns=visible,
        courses=courses, rows=rows, total=total, chart=chart, today=today,
        overdue_now=campaign is not None and today > campaign.deadline,
        can_manage=campaign is not None and campaigns.can_manage(current_user, campaign),
        people_link=dashboard.people_link)


# --- campaigns -------------------------------------------------------------------------------

@bp.route("/hr/campaigns", endpoint="campaigns")
@login_required
def campaigns_list():
    """List the campaigns overlapping the reader's scope, with their figures there."""
    _require_hr()
    today = _today()
    rows = campaigns.list_campaigns(current_user, include_archived=True)
    figures = dashboard.campaign_figures(current_user, rows, today)
    paths = dashboard.short_paths([s.department for c in rows for s in c.scopes])
    return render_template(
        "hr/campaigns.html", current=[c for c in rows if c.archived_at is None],
        archived=[c for c in rows if c.archived_at is not None], figures=figures,
        paths=paths, today=today, people_link=dashboard.people_link,
        can_manage={c.id: campaigns.can_manage(current_user, c) for c in rows},
        action_form=ArchiveForm())


def _campaign_form(campaign=None) -> CampaignForm:
    form = CampaignForm(obj=campaign) if campaign is not None else CampaignForm()
    courses = dashboard.published_courses()
    form.course_id.choices = [(NO_COURSE, _("— choose a course —"))] + [
        (c.id, c.title, {"lang": c.language}) for c in courses]
    form.departments.choices = department_choices(current_user)
    if request.method == "GET" and campaign is not None:
        form.departments.data = [s.department_id for s in campaign.scopes]
        form.course_id.data = campaign.course_id
        form.job_titles.data = "\n".join(campaign.job_title_list)
    return form


def _attach(form: CampaignForm, error: DomainError) -> None:
    """Put a service error under its field (the service says "course", the form "course_id")."""
    if error.field == "course":
        error = type(error)(error.message, field="course_id")
    attach_error(form, error)


def _form_page(form, campaign, status):
    return render_template("hr/campaign_form.html", form=form,
                           campaign=campaign, action_form=ArchiveForm()), status


@bp.route("/hr/campaigns/new", methods=["GET", "POST"])
@login_required
def campaign_new():
    """Make a course mandatory for department subtrees by a deadline."""
    _require_hr()
    form = _campaign_form()
    if form.validate_on_submit():
        try:
            campaign = campaigns.create_campaign(
                current_user, title=form.title.data or "", course_id=form.course_id.data,
                department_ids=form.departments.data or [], deadline=form.deadline.data,
                job_titles=form.job_titles.data or "",
                description=form.description.data or "", now=clock.now())
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, PermissionDenied):
                raise
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Campaign “%(title)s” created.", title=campaign.title), "success")
            return redirect(url_for("hr.dashboard", campaign=campaign.id))
    return _form_page(form, None, 400 if request.method == "POST" else 200)


@bp.route("/hr/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def campaign_edit(campaign_id: int):
    """Change a campaign's title, description, departments, deadline or job titles."""
    _require_hr()
    campaign = campaigns.get_campaign(current_user, campaign_id)
    if not campaigns.can_manage(current_user, campaign):
        raise PermissionDenied(_("You may not change this campaign."))
    form = _campaign_form(campaign)
    if form.validate_on_submit():
        try:
            campaigns.update_campaign(
                current_user, campaign, title=form.title.data or "",
                department_ids=form.departments.data or [], deadline=form.deadline.data,
                job_titles=form.job_titles.data or "",
                description=form.description.data or "", now=clock.now())
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, PermissionDenied):
                raise
            _attach(form, error)
            campaign = campaigns.get_campaign(current_user, campaign_id)
        else:
            db.session.commit()
            flash(_("The campaign has been saved."), "success")
            return redirect(url_for("hr.dashboard", campaign=campaign.id))
    return _form_page(form, campaign, 400 if request.method == "POST" else 200)


@bp.route("/hr/campaigns/<int:campaign_id>/archive", methods=["POST"])
@login_required
def campaign_archive(campaign_id: int):
    """Archive a campaign (its figures stay readable), or bring it back."""
    _require_hr()
    campaign = campaigns.get_campaign(current_user, campaign_id)
    form = ArchiveForm()
    form.validate_on_submit() or abort(400)
    archived = form.archived.data != "0"
    campaigns.archive_campaign(current_user, campaign, archived=archived, now=clock.now())
    db.session.commit()
    flash(_("The campaign has been archived.") if archived
          else _("The campaign is current again."), "success")
    return redirect(url_for("hr.campaigns"))

