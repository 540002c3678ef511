"""The one source of "now" (UTC, timezone-aware); tests pass their own `now` to services."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(timezone.utc)
