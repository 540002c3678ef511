"""HR reports' pages (blueprint `reports`): an official's transcript, on the page and as a
signed PDF, for the official themself (/me/transcript) and for HR within scope and
administrators (/hr/officials/<id>/transcript). The rules live in the services."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning import clock
from learning.accounts import services as accounts
from learning.downloads import content_disposition, record_export, spend_pdf_budget
from learning.reports import transcript as transcripts

bp = Blueprint("reports", __name__)


def _official(user_id: int):
    """The official of an HR URL: HR rights first, then the look-up, which finds nobody
    outside the reader's scope (as the API's transcript does)."""
    return accounts.get_official(current_user._get_current_object(), user_id)


def _page(official, *, back_url: str, back_label: str, pdf_url: str):
    transcript = transcripts.get_transcript(current_user._get_current_object(), official,
                                            now=clock.now())
    return render_template("reports/transcript.html", transcript=transcript,
                           back_url=back_url, back_label=back_label, pdf_url=pdf_url,
                           is_own=official.id == current_user.id)


def _pdf(official):
    """Sign and send the transcript; its audit record is committed first (a download is an
    export)."""
    spend_pdf_budget()
    transcript, data = transcripts.export_pdf(current_user._get_current_object(), official,
                                              now=clock.now())
    record_export()
    return Response(data, mimetype="application/pdf", headers={
        # Usernames may hold quotes, semicolons and Vietnamese letters: an ASCII name plus
        # RFC 5987's filename*, never a raw name inside quotes (nor outside Latin-1).
        "Content-Disposition": content_disposition(transcripts.pdf_filename(transcript)),
        "Cache-Control": "private, no-store"})


@bp.route("/me/transcript")
@login_required
def my_transcript():
    """Show the signed-in official's own transcript."""
    return _page(current_user._get_current_object(), back_url=url_for("accounts.profile"),
                 back_label=_("My account"), pdf_url=url_for(".my_transcript_pdf"))


@bp.route("/me/transcript.pdf")
@login_required
def my_transcript_pdf():
    """Download the signed-in official's own transcript as a signed PDF."""
    return _pdf(current_user._get_current_object())


@bp.route("/hr/officials/<int:user_id>/transcript")
@login_required
def official_transcript(user_id: int):
    """Show an official's transcript (HR within scope, administrators)."""
    official = _official(user_id)
    return _page(official, back_url=url_for("accounts.hr_official", user_id=official.id),
                 back_label=_("Back to %(name)s", name=official.full_name),
                 pdf_url=url_for(".official_transcript_pdf", user_id=official.id))


@bp.route("/hr/officials/<int:user_id>/transcript.pdf")
@login_required
def official_transcript_pdf(user_id: int):
    """Download an official's transcript as a signed PDF (HR within scope, administrators)."""
    return _pdf(_official(user_id))
