"""Revoking and re-issuing certificates, atomically: however many requests arrive at once, a
certificate is revoked once and replaced at most once, and the first reason stands.

The public sees when a certificate was revoked and a category (replaced, issued in error,
withdrawn); HR's free-text reason is for HR and admins only.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from certificates.issue import can_manage, insert, new_code
from certificates.models import Certificate
from learning.accounts.models import User
from learning.accounts.services import audit, department_path
from learning.db import db
from learning.errors import PermissionDenied, RuleViolation

# The categories HR chooses from when revoking ("replaced" comes with a re-issue).
CATEGORIES = ("withdrawn", "issued_in_error")
CATEGORY_LABELS = {
    "replaced": _l("Replaced by a corrected certificate"),
    "issued_in_error": _l("Issued in error"),
    "withdrawn": _l("Withdrawn"),
}


def _clean_reason(reason: str, message) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation(message, field="reason")
    return reason


def _mark_revoked(actor: User | None, certificate: Certificate, *, reason: str,
                  category: str, now: datetime) -> None:
    """Revoke in one conditional UPDATE; a certificate revoked meanwhile is refused."""
    done = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason, revocation_category=category,
                revoked_by_id=actor.id if actor is not None else None)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.refresh(certificate)
        raise RuleViolation(_l("This certificate is already revoked."))
    db.session.refresh(certificate)


def revoke(actor: User | None, certificate: Certificate, reason: str, *, now: datetime,
           category: str = "withdrawn") -> None:
    """Revoke a certificate with a reason and a public category (HR within scope, admins);
    recorded in the audit log."""
    if not can_manage(actor, certificate):
        raise PermissionDenied(_l("You may not revoke this certificate."))
    reason = _clean_reason(reason, _l("Give the reason for the revocation."))
    if category not in CATEGORIES:
        raise RuleViolation(_l("Choose why the certificate is revoked."), field="category")
    if certificate.revoked_at is not None:
        raise RuleViolation(_l("This certificate is already revoked."))
    _mark_revoked(actor, certificate, reason=reason, category=category, now=now)
    audit(actor, "certificate.revoke", certificate, now=now, serial=certificate.serial,
          reason=reason, category=category)


def reissue(actor: User | None, certificate: Certificate, reason: str, *,
            now: datetime) -> Certificate:
    """Re-issue with the holder's current name and department (e.g. a name correction): a new
    serial linked to the old certificate, which is revoked as "replaced" with the reason."""
    if not can_manage(actor, certificate):
        raise PermissionDenied(_l("You may not re-issue this certificate."))
    reason = _clean_reason(reason, _l("Give the reason for the re-issue."))
    if certificate.revoked_at is not None:
        raise RuleViolation(_l("A revoked certificate cannot be re-issued."))
    user = db.session.get(User, certificate.user_id)
    # Revoke first: of concurrent re-issues only the one whose UPDATE wins goes on.
    _mark_revoked(actor, certificate, reason=reason, category="replaced", now=now)
    replacement = Certificate(**{
        **{k: getattr(certificate, k) for k in (
            "user_id", "course_id", "cycle", "course_slug", "course_title", "course_version",
            "language", "completed_at", "score", "expires_at", "issuer_name", "signer_name",
            "signer_title")},
        "code": new_code(), "previous_id": certificate.id, "reason": "correction",
        "holder_name": user.full_name, "staff_number": user.staff_number or "",
        "department": department_path(user.department) if user.department else "",
        "issued_at": now,
    })
    insert(replacement, now=now)  # a unique index backs "replaced at most once"
    audit(actor, "certificate.reissue", certificate, now=now, serial=certificate.serial,
          replacement=replacement.serial, reason=reason)
    return replacement
