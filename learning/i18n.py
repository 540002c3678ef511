"""Locale choice and locale-aware formatting helpers.

The language comes from the signed-in official's profile, else from the visitor's session,
else Vietnamese. Must not import feature packages; the profile is reached through flask_login.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, session
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "ko": "한국어"}
SESSION_KEY = "lang"


def supported_languages() -> tuple[str, ...]:
    """Return the configured language codes, Vietnamese first."""
    return tuple(current_app.config["LANGUAGES"])


def normalize_language(code: str | None) -> str | None:
    """Return `code` if it is a supported language, else None."""
    if code and code in supported_languages():
        return code
    return None


def select_locale() -> str:
    """Pick the request's locale: profile, then session, then the default (vi)."""
    try:
        if current_user and current_user.is_authenticated:
            chosen = normalize_language(getattr(current_user, "preferred_language", None))
            if chosen:
                return chosen
    except RuntimeError:  # outside a request
        pass
    try:
        chosen = normalize_language(session.get(SESSION_KEY))
    except RuntimeError:
        chosen = None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Every official sees times in the ministry's time zone."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


LANGUAGE_CHOICES_LABEL = _l("Language")


def format_duration(seconds: int | None) -> str:
    """Return a reading time such as "45 minutes" or "2 h 05 min" in the current language."""
    minutes = max(0, int(seconds or 0)) // 60
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    return gettext("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def format_iso_date(value: str | None) -> str:
    """Format an ISO date ("2026-11-26") in the current language's long form."""
    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(value), "long")
    except ValueError:
        return value
