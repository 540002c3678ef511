"""Rate limits counted in the database, so they hold across worker processes and hosts.

Counting is check-then-insert, which parallel requests would race through; `lock` serialises the
requests of one key for the rest of their transaction, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from learning.db import db, insert_for


class RateLimitHit(db.Model):
    """One counted request in a bucket (e.g. certificate lookups by one address)."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]


class RateLimitLock(db.Model):
    """One row per counted key; writing it is what makes a count and its record atomic."""

    __tablename__ = "rate_limit_locks"

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(254), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


def lock(bucket: str, key: str, *, now: datetime) -> None:
    """Hold `key`'s counting lock until the transaction ends; parallel holders wait here."""
    # An upsert writes the row either way. PostgreSQL keeps that row locked until commit, and a
    # waiting transaction's next statement sees what the holder committed (READ COMMITTED).
    # SQLite has one writer at a time: this write, the transaction's first (the driver begins
    # transactions at the first write), waits for the write lock and then reads the newest data.
    statement = insert_for(db.session, RateLimitLock).values(bucket=bucket, key=key, at=now)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["bucket", "key"], set_={"at": statement.excluded.at}))


def forget_old(now: datetime) -> None:
    """Delete counted requests and locks older than a day (no limit looks further back)."""
    db.session.execute(delete(RateLimitHit).where(RateLimitHit.at < now - timedelta(days=1)))
    db.session.execute(delete(RateLimitLock).where(RateLimitLock.at < now - timedelta(days=1)))


def retry_after(bucket: str, key: str, *, window: timedelta, now: datetime) -> int:
    """Return the whole seconds until `key`'s oldest counted request leaves the window."""
    oldest = db.session.scalar(select(func.min(RateLimitHit.at)).where(
        RateLimitHit.bucket == bucket, RateLimitHit.key == key,
        RateLimitHit.at > now - window))
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def hit(bucket: str, key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count a request; return False when `key` already made `limit` requests in the window."""
    lock(bucket, key, now=now)
    used = db.session.scalar(select(func.count()).select_from(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.key == key,
        RateLimitHit.at > now - window)) or 0
    if used >= limit:
        return False
    db.session.add(RateLimitHit(bucket=bucket, key=key, at=now))
    if secrets.randbelow(100) == 0:  # keep the tables small
        forget_old(now)
    db.session.flush()
    return True
