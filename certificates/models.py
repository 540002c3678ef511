"""Certificates: immutable snapshots of a completion, their signed credential and PDF cache.

A certificate never changes after issue, except its revocation fields and its PDF cache. A
name correction or a recertification issues a new certificate linked to the previous one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.db import db


class Certificate(db.Model):
    """A completion certificate as issued."""

    __tablename__ = "certificates"
    __table_args__ = (
        # One original certificate per completion, even under concurrent requests.
        Index("uq_certificates_completion", "user_id", "course_id", "cycle", unique=True,
              sqlite_where=sql_text("previous_id IS NULL OR reason = 'recertification'"),
              postgresql_where=sql_text("previous_id IS NULL OR reason = 'recertification'")),
        # A certificate is replaced (re-issued) at most once, even under concurrent requests.
        Index("uq_certificates_replacement", "previous_id", unique=True,
              sqlite_where=sql_text("reason = 'correction'"),
              postgresql_where=sql_text("reason = 'correction'")),
        CheckConstraint("revocation_category IS NULL OR revocation_category IN "
                        "('replaced', 'issued_in_error', 'withdrawn')",
                        name="revocation_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str | None] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the unguessable lookup code
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"),
                                           index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    reason: Mapped[str] = mapped_column(String(30), default="completion")
    # The snapshot: what the certificate says, for ever.
    holder_name: Mapped[str] = mapped_column(String(200))
    staff_number: Mapped[str] = mapped_column(String(40), default="")
    department: Mapped[str] = mapped_column(String(500), default="")
    course_slug: Mapped[str] = mapped_column(String(80))
    course_title: Mapped[str] = mapped_column(String(300))
    course_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    completed_at: Mapped[datetime]
    score: Mapped[float | None] = mapped_column(Float)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    issuer_name: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(300), default="")
    credential_jws: Mapped[str] = mapped_column(Text, default="")
    # The practical tasks confirmed when it was issued, one title per line.
    practical_tasks: Mapped[str | None] = mapped_column(Text)
    # Revocation.
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)  # HR's words: HR and admins only
    # What the public is told: replaced, issued_in_error or withdrawn.
    revocation_category: Mapped[str | None] = mapped_column(String(20))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    # PDF cache: the rendered file (by digest in the media store) and the template it used.
    pdf_digest: Mapped[str | None] = mapped_column(String(64))
    pdf_template_version: Mapped[str | None] = mapped_column(String(64))
    reminded_at: Mapped[datetime | None]

    previous: Mapped[Certificate | None] = relationship(remote_side=[id])

    def status(self, now: datetime) -> str:
        """Return valid, revoked or expired."""
        return certificate_status(self.revoked_at, self.expires_at, now)


def certificate_status(revoked_at: datetime | None, expires_at: datetime | None,
                       now: datetime) -> str:
    """Return valid, revoked or expired for a certificate's revocation and expiry times."""
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and now >= expires_at:
        return "expired"
    return "valid"


class PublishedKey(db.Model):
    """A public signing key the platform has used (kept after rotation for old credentials)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(40), primary_key=True)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    # The X.509 certificate chain (PEM, leaf first) the key signed PDFs with.
    chain_pem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
