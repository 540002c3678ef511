"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from learning import clock
from learning.db import db
from learning.forms import ActionForm
from learning.notifications import unread
from learning.mentoring import queries as mentoring_queries
from learning.progress import queries as progress_queries

bp = Blueprint("site", __name__)


@bp.route("/")
def index():
    """Send visitors to sign in; show a signed-in official their starting points."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("site/index.html", dashboard=progress_queries.my_learning(current_user),
                           notifications=unread(current_user.id), action_form=ActionForm(),
                           assigned=mentoring_queries.assigned_to(current_user, now=clock.now()))


@bp.route("/healthz")
def healthz():
    """Answer 200 when the database is reachable, 503 otherwise (for load balancers)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
