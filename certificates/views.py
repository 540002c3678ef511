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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from certificates import signing
from certificates import services as certificates
from certificates.forms import CodeForm, PdfCheckForm, ReasonForm
from courses import services as courses
from courses.models import Course
from learning import clock, ratelimit
from learning.accounts.services import can_use_hr_pages
from learning.db import db
from learning.downloads import download_response, export_format, local_day, record_export
from learning.errors import DomainError
from learning.forms import ActionForm, attach_error, upload_limit
from learning.params import db_int
from learning.notifications import mark_read
from learning.spreadsheet import Column

bp = Blueprint("certificates", __name__)
# What the PDF check found, as the page says it (the command line prints the English detail).
OUTCOMES = {
    "genuine": _l("The PDF is genuine: its signature, signer and credential all check out"),
    "not-a-certificate": _l("This file is not a HọcSố certificate"),
    "altered": _l("The PDF has been altered: it is not the file HọcSố signed"),
    "unknown-signer": _l("The PDF was not signed by HọcSố"),
    "bad-credential": _l("The credential inside the PDF does not verify"),
    "unknown-record": _l("HọcSố has no record of this certificate"),
    "record-differs": _l("The certificate differs from HọcSố's record"),
    "revoked": _l("The PDF is genuine, but the certificate has been revoked"),
    "expired": _l("The PDF is genuine, but the certificate has expired"),
}


def _limited() -> bool:
    """Count a verification lookup for this address; True when over the limit."""
    config = current_app.config
    allowed = ratelimit.hit("verify", request.remote_addr or "-", limit=config["VERIFY_LIMIT"],
                            window=config["VERIFY_WINDOW"], now=clock.now())
    db.session.commit()
    return not allowed


def _too_many():
    return _verify_page(CodeForm(prefix="lookup", formdata=None),
                        PdfCheckForm(prefix="upload", formdata=None), 429, throttled=True)


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
        can_manage=certificates.can_manage(current_user, certificate), form=ReasonForm(),
        revocation_labels=certificates.CATEGORY_LABELS)


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    """Download the certificate's PDF (rendered once per template version)."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    data = certificates.pdf_bytes(current_user, certificate, now=clock.now())
    db.session.commit()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{certificate.serial}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.route("/courses/<slug>/certificate")
@login_required
def course_certificate(slug: str):
    """Download the signed-in official's certificate for a completed course (the "download
    your certificate" step names the course, not the certificate): the newest one of the
    enrolment's cycle, through the certificate's own PDF route (which checks access)."""
    course = courses.get_course(slug, include_unpublished=True)  # earned before a withdrawal
    enrolment = courses.get_enrolment(current_user, course)
    certificate = None
    if enrolment is not None and enrolment.completed_at is not None:
        certificate = certificates.current_certificate(current_user.id, course.id,
                                                       enrolment.cycle)
    if certificate is None:
        flash(_("There is no certificate for this course yet: it is issued when you complete "
                "the course."), "info")
        return redirect(url_for("courses.detail", slug=slug) if course.is_published
                        else url_for("certificates.mine"))
    return redirect(url_for("certificates.pdf", certificate_id=certificate.id))


@bp.route("/certificates/<int:certificate_id>/credential.json")
@login_required
def credential(certificate_id: int):
    """Download the signed Open Badges credential (an enveloped VC-JWT, as JSON)."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    if certificates.ensure_current_credential(certificate, now=clock.now()):
        db.session.commit()  # once, for a certificate issued by an earlier release
    _, payload, _, _ = signing.read_jws(certificate.credential_jws)
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
    course_id = request.args.get("course", type=db_int)
    query = request.args.get("q", "").strip()
    fmt = export_format(request.args)
    if fmt is not None:
        return _export_hr_list(fmt, course_id, query)
    items = certificates.list_in_scope(current_user, course_id=course_id, query=query)
    courses = db.session.scalars(db.select(Course).order_by(Course.title)).all()
    return render_template("certificates/hr_list.html", items=items, courses=courses,
                           course_id=course_id, query=query, now=clock.now())


STATUS_LABELS = {"valid": _l("Valid"), "revoked": _l("Revoked"), "expired": _l("Expired")}


def _export_hr_list(fmt: str, course_id: int | None, query: str):
    """Download the HR certificates list with the page's filters, as CSV or XLSX."""
    now = clock.now()
    _total, records = certificates.export_in_scope(current_user, course_id=course_id,
                                                   query=query, fmt=fmt, now=now)
    record_export()  # the audit record; the rows are read while the file streams
    columns = [
        Column("serial", _("Serial number"), width=18),
        Column("holder_name", _("Holder"), width=28),
        Column("staff_number", _("Staff number")),
        Column("department", _("Department"), width=48),
        Column("course", _("Course"), width=36),
        Column("course_version", _("Version"), width=10),
        Column("completed_on", _("Completed on"), "date"),
        Column("score", _("Final score (%)"), "decimal"),
        Column("issued_on", _("Issued on"), "date"),
        Column("valid_until", _("Valid until"), "date"),
        Column("status", _("Status"), width=16),
    ]
    labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    rows = (
        (r.serial, r.holder_name, r.staff_number, r.department, r.course_title,
         r.course_version, local_day(r.completed_at), r.score, local_day(r.issued_at),
         local_day(r.expires_at),
         labels[certificates.certificate_status(r.revoked_at, r.expires_at, now)])
        for r in records
    )
    return download_response(columns, rows, fmt,
                             f"{_('Certificates')} {local_day(now).isoformat()}")


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@login_required
def revoke(certificate_id: int):
    """Revoke a certificate with a reason."""

    def act(certificate, form, now):
        certificates.revoke(current_user, certificate, form.reason.data, now=now,
                            category=form.category.data)
        return certificate, _("Certificate %(serial)s has been revoked.",
                              serial=certificate.serial)

    return _manage(certificate_id, act)


@bp.route("/certificates/<int:certificate_id>/reissue", methods=["POST"])
@login_required
def reissue(certificate_id: int):
    """Re-issue a certificate with the holder's current name, under a new serial."""

    def act(certificate, form, now):
        replacement = certificates.reissue(current_user, certificate, form.reason.data,
                                           now=now)
        return replacement, _("Certificate re-issued as %(serial)s.",
                              serial=replacement.serial)

    return _manage(certificate_id, act)


def _manage(certificate_id: int, act):
    """Run a revoke or re-issue with the posted reason; errors go back on the reason field."""
    certificate = certificates.get_certificate(current_user, certificate_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            shown, message = act(certificate, form, clock.now())
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
        form=form, revocation_labels=certificates.CATEGORY_LABELS), 400


# --- verification (public) -------------------------------------------------------------------

def _verify_page(form, pdf_form, status=200, **values):
    return render_template("certificates/verify.html", form=form, pdf_form=pdf_form,
                           outcome_labels=OUTCOMES,
                           revocation_labels=certificates.CATEGORY_LABELS, **values), status


@bp.route("/verify", methods=["GET", "POST"])
@upload_limit("VERIFY_MAX_BYTES")  # a certificate is a few dozen KB: refuse more unread
def verify_form():
    """Check a certificate by its code, by serial (HR), or by uploading its PDF."""
    max_bytes = current_app.config["VERIFY_MAX_BYTES"]
    form = CodeForm(prefix="lookup")
    pdf_form = PdfCheckForm(prefix="upload")
    looking_up = request.method == "POST" and "lookup-code" in request.form
    if looking_up:
        if _limited():
            return _too_many()
        if form.validate_on_submit():
            try:
                code = certificates.code_for_lookup(current_user, form.code.data)
            except DomainError as error:
                attach_error(form, error, "code")
            else:
                return redirect(url_for("certificates.verify", code=code))
        return _verify_page(form, pdf_form, 400)
    if request.method == "POST":
        if _limited():
            return _too_many()
        if not pdf_form.validate_on_submit():
            return _verify_page(form, pdf_form, 400)
        verdict = certificates.check_pdf(pdf_form.pdf.data.read(max_bytes + 1),
                                         max_bytes=max_bytes, now=clock.now(),
                                         lookup=certificates.find_by_code)
        return _verify_page(form, pdf_form, check=verdict)
    return _verify_page(form, pdf_form)


@bp.route("/verify/signing-certificate.pem")
def signing_certificate():
    """The X.509 certificate (and chain) that signs the platform's certificate PDFs."""
    signer = certificates.signer()
    return Response(signer.chain_pem, mimetype="application/x-pem-file", headers={
        "Content-Disposition": 'attachment; filename="hocso-signing-certificate.pem"'})


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
    certificate = certificates.find_by_code(code)
    view = certificates.public_view(certificate, now=clock.now())
    return render_template("certificates/verified.html", view=view, code=code,
                           course_language=certificate.language if certificate else None,
                           revocation_labels=certificates.CATEGORY_LABELS), (
        200 if view["status"] != "unknown" else 404)


@bp.route("/.well-known/did.json")
def did_document():
    """The platform's did:web document: the keys that sign its credentials."""
    _publish_current_key()
    return jsonify(signing.did_document(certificates.issuer_did(),
                                        list(certificates.known_keys().values())))


@bp.route("/.well-known/jwks.json")
def jwks():
    """The platform's public signing keys as a JWK set."""
    _publish_current_key()
    return jsonify({"keys": certificates.jwks()})


def _publish_current_key() -> None:
    certificates.publish_key(certificates.signer(), now=clock.now())
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
