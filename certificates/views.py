"""Certificates: the holder's list and downloads, public verification, HR management."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certificates import keys
from certificates import services as certificates
from certificates.forms import CodeForm, PdfCheckForm, ReasonForm
from courses import services as courses
from courses.models import Course
from learning import clock, ratelimit
from learning.accounts.services import can_use_hr_pages
from learning.db import db
from learning.errors import DomainError
from learning.forms import ActionForm, attach_error
from learning.notifications import mark_read

bp = Blueprint("certificates", __name__)


def _limited() -> bool:
    """Count a verification lookup for this address; True when over the limit."""
    config = current_app.config
    allowed = ratelimit.hit("verify", request.remote_addr or "-", limit=config["VERIFY_LIMIT"],
                            window=config["VERIFY_WINDOW"], now=clock.now())
    db.session.commit()
    return not allowed


def _too_many():
    return render_template("certificates/verify.html", form=CodeForm(), pdf_form=PdfCheckForm(),
                           throttled=True), 429


# --- holder ----------------------------------------------------------------------------------

@bp.route("/certificates")
@login_required
def mine():
    """List the signed-in official's certificates."""
    return render_template("certificates/mine.html",
                           items=certificates.list_for_holder(current_user), now=clock.now())


@bp.route("/certificates/<int:certificate_id>")
@login_required
def detail(certificate_id: int):
    """Show one certificate (holder, HR within scope, admins)."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    chain = []
    node = certificate.previous
    while node is not None:
        chain.append(node)
        node = node.previous
    return render_template(
        "certificates/detail.html", certificate=certificate, now=clock.now(), chain=chain,
        view=certificates.public_view(certificate, now=clock.now()),
        can_manage=certificates.can_manage(current_user, certificate), form=ReasonForm())


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    """Download the certificate's PDF (rendered once per template version)."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    data = certificates.pdf_bytes(current_user, certificate)
    db.session.commit()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{certificate.serial}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.route("/certificates/<int:certificate_id>/credential.json")
@login_required
def credential(certificate_id: int):
    """Download the signed Open Badges credential (an enveloped VC-JWT, as JSON)."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    _, payload, _, _ = keys.read_jws(certificate.credential_jws)
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt," + certificate.credential_jws,
        "credential": payload,
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition":
                            f'attachment; filename="{certificate.serial}.credential.json"'})


# --- HR --------------------------------------------------------------------------------------

@bp.route("/hr/certificates")
@login_required
def hr_list():
    """Certificates of the officials within the HR official's scope."""
    if not can_use_hr_pages(current_user):
        abort(403)
    course_id = request.args.get("course", type=int)
    query = request.args.get("q", "").strip()
    items = certificates.list_in_scope(current_user, course_id=course_id, query=query)
    courses = db.session.scalars(db.select(Course).order_by(Course.title)).all()
    return render_template("certificates/hr_list.html", items=items, courses=courses,
                           course_id=course_id, query=query, now=clock.now())


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@login_required
def revoke(certificate_id: int):
    """Revoke a certificate with a reason."""

    def act(certificate, reason, now):
        certificates.revoke(current_user, certificate, reason, now=now)
        return certificate, _("Certificate %(serial)s has been revoked.",
                              serial=certificate.serial)

    return _manage(certificate_id, act)


@bp.route("/certificates/<int:certificate_id>/reissue", methods=["POST"])
@login_required
def reissue(certificate_id: int):
    """Re-issue a certificate with the holder's current name, under a new serial."""

    def act(certificate, reason, now):
        replacement = certificates.reissue(current_user, certificate, reason, now=now)
        return replacement, _("Certificate re-issued as %(serial)s.",
                              serial=replacement.serial)

    return _manage(certificate_id, act)


def _manage(certificate_id: int, act):
    """Run a revoke or re-issue with the posted reason; errors go back on the reason field."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            shown, message = act(certificate, form.reason.data, clock.now())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error, "reason")
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("certificates.detail", certificate_id=shown.id))
    return _detail_with_errors(certificate, form)


def _detail_with_errors(certificate, form):
    if not certificates.can_manage(current_user, certificate):
        abort(403)
    return render_template(
        "certificates/detail.html", certificate=certificate, now=clock.now(), chain=[],
        view=certificates.public_view(certificate, now=clock.now()), can_manage=True,
        form=form), 400


# --- verification (public) -------------------------------------------------------------------

@bp.route("/verify", methods=["GET", "POST"])
def verify_form():
    """Check a certificate by its code, by serial (HR), or by uploading its PDF."""
    form = CodeForm(prefix="lookup")
    pdf_form = PdfCheckForm(prefix="upload")
    if request.method == "POST" and "lookup-code" in request.form:
        if _limited():
            return _too_many()
        if form.validate_on_submit():
            try:
                code = certificates.code_for_lookup(current_user, form.code.data)
            except DomainError as error:
                attach_error(form, error, "code")
            else:
                return redirect(url_for("certificates.verify", code=code))
        return render_template("certificates/verify.html", form=form, pdf_form=pdf_form), 400
    if request.method == "POST":
        if _limited():
            return _too_many()
        if not pdf_form.validate_on_submit():
            return render_template("certificates/verify.html", form=form,
                                   pdf_form=pdf_form), 400
        check = certificates.check_pdf(pdf_form.pdf.data.read(), certificates.known_keys(),
                                       now=clock.now(), lookup=certificates.find_by_code)
        return render_template("certificates/verify.html", form=form, pdf_form=pdf_form,
                               check=check)
    return render_template("certificates/verify.html", form=form, pdf_form=pdf_form)


@bp.route("/verify/<code>.json")
def verify_json(code: str):
    """The verification result as JSON: valid / revoked / expired / unknown."""
    if _limited():
        return jsonify({"status": "rate-limited"}), 429
    view = certificates.public_view(certificates.find_by_code(code), now=clock.now())
    response = jsonify(view)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if view["status"] != "unknown" else 404


@bp.route("/verify/<code>")
def verify(code: str):
    """The public verification page of a certificate."""
    if _limited():
        return _too_many()
    view = certificates.public_view(certificates.find_by_code(code), now=clock.now())
    return render_template("certificates/verified.html", view=view, code=code), (
        200 if view["status"] != "unknown" else 404)


@bp.route("/.well-known/did.json")
def did_document():
    """The platform's did:web document: the keys that sign its credentials."""
    _publish_current_key()
    return jsonify(keys.did_document(certificates.issuer_did(),
                                     list(certificates.known_keys().values())))


@bp.route("/.well-known/jwks.json")
def jwks():
    """The platform's public signing keys as a JWK set."""
    _publish_current_key()
    return jsonify({"keys": list(certificates.known_keys().values())})


def _publish_current_key() -> None:
    certificates.publish_key(certificates.signing_key(), now=clock.now())
    db.session.commit()


@bp.route("/courses/<slug>/retake", methods=["POST"])
@login_required
def retake(slug: str):
    """Start the course again to renew an expiring certificate."""
    course = courses.get_course(slug)
    ActionForm().validate_on_submit() or abort(400)
    enrolment = courses.get_enrolment(current_user, course)
    try:
        certificates.retake(current_user, enrolment, now=clock.now(),
                            days=current_app.config["CERT_REMIND_DAYS"])
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The course has started again: complete it to receive a new certificate."),
              "success")
    return redirect(url_for("courses.detail", slug=slug))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def notification_read(notification_id: int):
    """Dismiss a notification."""
    ActionForm().validate_on_submit() or abort(400)
    mark_read(current_user.id, notification_id, now=clock.now())
    db.session.commit()
    return redirect(url_for("site.index"))
