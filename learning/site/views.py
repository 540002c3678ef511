"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import text

from learning import clock
from learning.db import db
from learning.forms import ActionForm
from learning.notifications import unread
from learning.mentoring import queries as mentoring_queries
from learning.progress import queries as progress_queries
from learning.site.focus import assignment_focus

bp = Blueprint("site", __name__)


@bp.route("/")
def index():
    """Send visitors to sign in; show a signed-in official their starting points."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    dashboard, assigned = _dashboard()
    return render_template("site/index.html", dashboard=dashboard, assigned=assigned,
                           notifications=unread(current_user.id), action_form=ActionForm())


def _dashboard():
    """The official's courses and assignments; the next step follows the most urgent
    assignment that has something to do now, else the learner's path."""
    now = clock.now()
    dashboard = progress_queries.my_learning(current_user, now=now)
    assigned = mentoring_queries.assigned_to(current_user, now=now)
    dashboard.focus = assignment_focus(dashboard, assigned)
    return dashboard, assigned


@bp.route("/learn")
@login_required
def learn():
    """Send a returning official straight to their next step: the attempt in progress, the next
    lesson, the quiz to take, or the course page with the certificate and the next course."""
    dashboard, _assigned = _dashboard()
    target = progress_queries.learn_target(current_user, now=clock.now(), dashboard=dashboard)
    if target is None:
        flash(_("Choose a course to start learning."), "info")
        return redirect(url_for("courses.catalog_page"))
    endpoint, values = target
    return redirect(url_for(endpoint, **values))


@bp.route("/healthz")
def healthz():
    """Answer 200 when the database is reachable, 503 otherwise (for load balancers)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
