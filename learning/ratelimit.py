"""Rate limits counted in the database, so they hold across worker processes and hosts."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from learning.db import db


class RateLimitHit(db.Model):
    """One counted request in a bucket (e.g. certificate lookups by one address)."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]


def hit(bucket: str, key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count a request; return False when `key` already made `limit` requests in the window."""
    used = db.session.scalar(select(func.count()).select_from(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.key == key,
        RateLimitHit.at > now - window)) or 0
    if used >= limit:
        return False
    db.session.add(RateLimitHit(bucket=bucket, key=key, at=now))
    if secrets.randbelow(100) == 0:  # keep the table small
        db.session.execute(delete(RateLimitHit).where(RateLimitHit.at < now - timedelta(days=1)))
    db.session.flush()
    return True
