"""The one source of "now" (UTC, timezone-aware); tests pass their own `now` to services. Also
the ministry's calendar: deadlines, due dates and date filters are days in the configured time
zone (BABEL_DEFAULT_TIMEZONE, from HOCSO_TIMEZONE), not in UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(timezone.utc)


def ministry_zone() -> ZoneInfo:
    """Return the ministry's time zone (the configured BABEL_DEFAULT_TIMEZONE)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def ministry_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """Return the ministry's calendar day at a (UTC) moment."""
    return moment.astimezone(zone or ministry_zone()).date()


def day_start(day: date, zone: ZoneInfo | None = None) -> datetime:
    """Return the UTC moment the ministry's calendar day `day` begins."""
    return datetime.combine(day, time(), zone or ministry_zone()).astimezone(timezone.utc)


def day_end(day: date, zone: ZoneInfo | None = None) -> datetime:
    """Return the first UTC moment after the ministry's calendar day `day`."""
    return day_start(day + timedelta(days=1), zone)
