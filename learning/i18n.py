"""Locale choice and locale-aware formatting helpers.

The language comes from the signed-in official's profile, else from the visitor's session,
else Vietnamese. Must not import feature packages; the profile is reached through flask_login.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, gettext, ngettext, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

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


def current_language() -> str:
    """The language of this request's pages: Flask-Babel's choice (made once per request by
    `select_locale`), for templates that ask for it several times."""
    locale = get_locale()
    return str(locale) if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Every official sees times in the ministry's time zone."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


LANGUAGE_CHOICES_LABEL = _l("Language")


def _request_translations():
    """The current translations, looked up once per locale in an application context.

    Flask-Babel finds them anew on every call (several context lookups each); a page calls
    `_()` dozens of times. The cache sits beside Flask-Babel's own state (`g._flask_babel`)
    and is keyed by the locale object it keeps there, so `force_locale` and `refresh` are
    followed."""
    context = _cv_app.get(None)
    state = getattr(context.g, "_flask_babel", None) if context is not None else None
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "hocso_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()  # selects the locale (and creates the state) if needed
    state = getattr(context.g, "_flask_babel", None) if context is not None else None
    if state is not None:
        state.hocso_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def install_template_gettext(app) -> None:
    """Give the templates' `_`, `gettext` and `ngettext` the per-request lookup above (same
    behaviour as Flask-Babel's: new-style, autoescaped, %-formatted by Jinja)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: _request_translations().ungettext(
            singular, plural, n),
        newstyle=True,
        pgettext=lambda context, string: _request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _request_translations().unpgettext(
            context, singular, plural, n),
    )


def _hours_and_minutes(minutes: int) -> str:
    """Return "45 minutes", "2 hours" or "1 h 30 min" in the current language."""
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    hours, rest = divmod(minutes, 60)
    if not rest:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)


def format_duration(seconds: int | None) -> str:
    """Return a measured time such as "45 minutes" or "1 h 5 min" (whole minutes, floored)."""
    return _hours_and_minutes(max(0, int(seconds or 0)) // 60)


# Estimates are rounded to what a reader can plan with: to 5 minutes under an hour, to a
# quarter of an hour above ("234 minutes" reads "about 4 hours"), never below 5 minutes.
ESTIMATE_STEP_SHORT = 5
ESTIMATE_STEP_LONG = 15


def round_estimate(minutes: int | None) -> int:
    """Round an estimated length in minutes as `format_estimate` shows it."""
    minutes = max(0, int(minutes or 0))
    if minutes == 0:
        return 0
    step = ESTIMATE_STEP_SHORT if minutes < 60 - ESTIMATE_STEP_SHORT / 2 else ESTIMATE_STEP_LONG
    # Half up, in integers (round() would round 2.5 to 2).
    return max(ESTIMATE_STEP_SHORT, (minutes + step // 2) // step * step)


def format_estimate(minutes: int | None) -> str:
    """Return an estimated length such as "about 45 minutes" or "about 1 h 30 min"."""
    rounded = round_estimate(minutes)
    if not rounded:
        return ""
    return gettext("about %(duration)s", duration=_hours_and_minutes(rounded))


# Vietnamese tables write day and month with two digits; the long form is the one of official
# documents (Decree 30: "ngày 05 tháng 11 năm 2026", "ngày 03 tháng 3 năm 2025"). Other
# languages use their CLDR formats.
VIETNAMESE_DATE_PATTERNS = {
    "short": "dd/MM/yyyy",
    "short_datetime": "HH:mm dd/MM/yyyy",
}


def decree_30_date(day: date) -> str:
    """Return a date as Vietnamese official documents write it (Decree 30/2020/NĐ-CP, Annex
    I): "ngày 05 tháng 3 năm 2025". Days below 10 and months 1 and 2 take a leading zero, so
    that no digit can be added in front of them; months 3 to 9 cannot become another month
    that way and are written as they are."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    # The decree's own wording: Vietnamese on every Vietnamese document, never translated.
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _as_date_or_datetime(value):
    """Accept a date, a datetime (UTC when naive) or an ISO date string; None for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


def _locale_name(locale: str | None) -> str:
    return str(locale) if locale else str(get_locale() or "vi")


def _format_day(value, width: str, locale: str | None):
    moment = _as_date_or_datetime(value)
    if moment is None:
        return value or ""
    if isinstance(moment, datetime):
        moment = to_user_timezone(moment)  # the day in Hà Nội, not in UTC
    language = _locale_name(locale)
    if language.split("_")[0] == "vi":
        if width == "long":  # the form of official documents, as on certificates
            return decree_30_date(moment.date() if isinstance(moment, datetime) else moment)
        return babel_format_date(moment, VIETNAMESE_DATE_PATTERNS[width], locale=language)
    return babel_format_date(moment, width, locale=language)


def format_short_date(value, locale: str | None = None) -> str:
    """Return a date for tables: 05/11/2026 in Vietnamese, the locale's short form otherwise."""
    return _format_day(value, "short", locale)


def format_long_date(value, locale: str | None = None) -> str:
    """Return a date for prose: "ngày 05 tháng 11 năm 2026", "November 5, 2026", ..."""
    return _format_day(value, "long", locale)


def format_short_datetime(value) -> str:
    """Return a moment for tables in the ministry's zone: "20:30 05/11/2026" in Vietnamese."""
    if value is None:
        return ""
    moment = to_user_timezone(value)
    language = _locale_name(None)
    if language.split("_")[0] == "vi":
        return babel_format_datetime(moment, VIETNAMESE_DATE_PATTERNS["short_datetime"],
                                     locale=language)
    return babel_format_datetime(moment, "short", locale=language)


def format_iso_date(value: str | None) -> str:
    """Format an ISO date ("2026-11-26") in the current language's long form."""
    return format_long_date(value)


def in_language(text, language: str | None):
    """Template filter: `text` marked with the language it is written in (a course's title in a
    sentence of the page's language), so that screen readers read it in that language."""
    if not text or not language:
        return text
    return Markup('<span lang="{}">{}</span>').format(language, text)
