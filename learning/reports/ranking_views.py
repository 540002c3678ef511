"""The emulation ranking of a campaign (blueprint `ranking`): a page for HR and a signed PDF
for the review meeting. HR rights first (403), then the campaign within the reader's scope
(404); the figures cover the reader's scope only."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning import clock
from learning.campaigns import services as campaigns
from learning.downloads import content_disposition, record_export, spend_pdf_budget
from learning.errors import PermissionDenied
from learning.params import db_int
from learning.reports import ranking as rankings

bp = Blueprint("ranking", __name__)


def _ranking():
    if not campaigns.can_use_campaigns(current_user):
        raise PermissionDenied(_("Only HR and administrators use these pages."))
    campaign = campaigns.get_campaign(current_user, request.view_args["campaign_id"])
    depth = request.args.get("depth", type=db_int)
    today = clock.ministry_day(clock.now())
    return rankings.campaign_ranking(current_user, campaign, today=today, depth=depth)


@bp.route("/hr/campaigns/<int:campaign_id>/ranking")
@login_required
def page(campaign_id: int):
    """Show the campaign's ranking of units, with the change since a week earlier."""
    return render_template("ranking/ranking.html", ranking=_ranking())


@bp.route("/hr/campaigns/<int:campaign_id>/ranking.pdf")
@login_required
def pdf(campaign_id: int):
    """Download the ranking as a signed PDF (the export is recorded in the audit log)."""
    ranking = _ranking()
    spend_pdf_budget()
    data = rankings.export_pdf(current_user, ranking, now=clock.now())
    record_export()
    filename = f"xep-hang-thi-dua-{ranking.campaign.id}-{ranking.today.isoformat()}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": "private, no-store"})
