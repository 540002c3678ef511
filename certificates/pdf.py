"""A certificate's PDF: the values its template receives, rendering, the PAdES signature and
the cache (one signed file per template version)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from certificates import keys, render, signing
from certificates.issue import can_view, ensure_current_credential, snapshot_of
from certificates.models import Certificate
from courses import storage
from courses.models import Course, CourseFile
from learning import clock
from learning.accounts.models import User
from learning.db import db
from learning.errors import NotFound
from learning.i18n import format_long_date


def zone() -> ZoneInfo:
    """Return the ministry's time zone (dates on certificates and verification pages)."""
    return clock.ministry_zone()


def _labels(language: str) -> dict[str, str]:
    with force_locale(language):
        return {
            "title": gettext("Certificate of completion"),
            "platform": gettext("HọcSố — digital skills for the ministry's officials"),
            "certifies": gettext("This certifies that"),
            "staff_number": gettext("Staff number"),
            "completed": gettext("has completed the course"),
            "completed_on": gettext("Completed on"),
            "score": gettext("Final score"),
            "version": gettext("Version"),
            "valid_until": gettext("Valid until"),
            "practical_tasks": gettext("Practical tasks confirmed"),
            "serial": gettext("Serial number"),
            "verify_at": gettext("Check this certificate at"),
            # The national title and motto (Quốc hiệu, Tiêu ngữ) head Vietnamese certificates.
            "national_title": gettext("SOCIALIST REPUBLIC OF VIET NAM"),
            "national_motto": gettext("Independence - Freedom - Happiness"),
        }


def pdf_context(certificate: Certificate) -> dict:
    """Return the plain values the certificate template receives."""
    language = certificate.language
    base = current_app.config["BASE_URL"]
    local = certificate.completed_at.astimezone(zone())
    issued = certificate.issued_at.astimezone(zone())
    labels = _labels(language)
    official_form = language == "vi"  # the national title (the date follows Decree 30 then)
    issued_date = format_long_date(issued, locale=language)
    with force_locale(language):
        # The place comes from the configuration: a translation must not move the ministry.
        issued_line = gettext("%(place)s, %(date)s", place=current_app.config["CERT_PLACE"],
                              date=issued_date)
    return {
        **{k: v for k, v in snapshot_of(certificate).items() if isinstance(v, (str, type(None)))},
        "language": language, "labels": labels, "ministry_name": certificate.issuer_name,
        "completed_on": format_long_date(local, locale=language),
        "expires_on": format_long_date(certificate.expires_at.astimezone(zone()),
                                       locale=language) if certificate.expires_at else None,
        "score_text": (format_decimal(certificate.score, "#,##0.#", locale=language) + "%")
        if certificate.score is not None else None,
        "verify_url": f"{base}/verify/{certificate.code}",
        "practical_tasks": [t for t in (certificate.practical_tasks or "").splitlines() if t],
        "issued_on_line": issued_line,
        "national_title": labels["national_title"] if official_form else None,
        "national_motto": labels["national_motto"] if official_form else None,
    }


def template_source(certificate: Certificate) -> str:
    """Return the certificate template for the course (its own, or the default)."""
    course = db.session.get(Course, certificate.course_id)
    if course is not None and course.certificate_template:
        record = db.session.scalar(select(CourseFile).where(
            CourseFile.course_id == course.id, CourseFile.path == course.certificate_template))
        if record is not None:
            return storage.read(record.digest).decode("utf-8")
    return render.default_template()


def cache_version(source: str) -> str:
    """Return the cache key of a signed PDF: the template and the signing key."""
    return render.template_version(source + "\0" + keys.signer().kid)


def sign_document(pdf: bytes, *, reason: str, name: str, now: datetime) -> bytes:
    """Return a rendered platform document (a certificate, a transcript) with the platform's
    PAdES signature, its key published so that the PDF verifies after a key rotation."""
    keys.publish_key(keys.signer(), now=now)
    return signing.sign_pdf(pdf, keys.signer(), reason=reason, location=current_app.config[
        "MINISTRY_NAME"], name=name)


def sign_rendered(certificate: Certificate, pdf: bytes, *, now: datetime) -> bytes:
    """Return the rendered certificate with the platform's PAdES signature."""
    with force_locale(certificate.language):
        reason = gettext("Certificate of completion") + f" {certificate.serial}"
    return sign_document(pdf, reason=reason, name=certificate.issuer_name, now=now)


def cached_pdf(certificate: Certificate, version: str) -> bytes | None:
    """Return the cached signed PDF if it was made with this template and key."""
    if certificate.pdf_digest and certificate.pdf_template_version == version:
        try:
            return storage.read(certificate.pdf_digest)
        except FileNotFoundError:
            return None  # the media store was emptied: render again
    return None


def store_pdf(certificate: Certificate, data: bytes, version: str) -> None:
    """Keep the signed PDF in the media store and remember which version it is."""
    certificate.pdf_digest = storage.store(data)
    certificate.pdf_template_version = version


def pdf_bytes(actor: User | None, certificate: Certificate, *, now: datetime) -> bytes:
    """Return the certificate's signed PDF, rendered once per template version and key."""
    if not can_view(actor, certificate):
        raise NotFound(_l("No such certificate."))
    ensure_current_credential(certificate, now=now)
    source = template_source(certificate)
    version = cache_version(source)
    cached = cached_pdf(certificate, version)
    if cached is not None:
        return cached
    rendered = render.render_pdf(pdf_context(certificate), source, certificate.credential_jws)
    data = sign_rendered(certificate, rendered, now=now)
    store_pdf(certificate, data, version)
    db.session.flush()
    return data
