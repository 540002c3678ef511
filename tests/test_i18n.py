"""Translations: every message in every catalog, pages in the chosen language, locale formats.

The catalog test re-extracts the messages from the source exactly as `make extract-messages`
does, so a string added to the code without a translation fails here rather than showing up
in English on a Vietnamese page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_date, format_datetime, format_decimal

from learning.config import LANGUAGES, PROJECT_ROOT
from learning.i18n import (
    format_duration,
    format_estimate,
    format_long_date,
    format_short_date,
    format_short_datetime,
)
from tests.conftest import page_text

TRANSLATIONS = PROJECT_ROOT / "learning" / "translations"
# The same keywords as the Makefile's extract-messages target (pybabel adds _, gettext, ...).
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "_nl:1,2", "lazy_ngettext:1,2")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _pybabel() -> str:
    """Return the pybabel of the running interpreter's environment."""
    beside = Path(sys.executable).with_name("pybabel")
    if beside.exists():
        return str(beside)
    found = shutil.which("pybabel")
    if found is None:
        pytest.fail("pybabel is not installed next to the interpreter nor on PATH")
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the source contains now, as a freshly extracted template catalog."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    command = [_pybabel(), "-q", "extract", "-F", "babel.cfg", "-o", str(pot)]
    for keyword in EXTRA_KEYWORDS:
        command += ["-k", keyword]
    command.append(".")
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr}"
    with pot.open("rb") as handle:
        template = read_po(handle)
    ids = [message.id for message in template if message.id]
    assert len(ids) > 50, "extraction found almost nothing: is babel.cfg still right?"
    return ids


def _placeholders(text: str) -> set[str]:
    """Return the named placeholders of `text` with their conversion, e.g. {"%(n)d"}."""
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def _stray_percent(text: str) -> bool:
    """Tell whether `text` has a % that is neither `%%` nor a named placeholder."""
    return "%" in PLACEHOLDER.sub("", text.replace("%%", ""))


def _catalog_problems(language: str, extracted_ids: list) -> list[str]:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return [f"no catalog at {path.relative_to(PROJECT_ROOT)}"]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    if catalog.fuzzy:  # pybabel compile skips a catalog whose header is fuzzy
        problems.append("the catalog header is marked fuzzy")
    for message_id in extracted_ids:
        if catalog.get(message_id) is None:  # obsolete (#~) entries are not in get()
            problems.append(f"missing: {message_id!r}")
    for message in catalog:
        if not message.id:
            continue
        label = repr(message.id[0] if isinstance(message.id, tuple) else message.id)
        if message.fuzzy:
            problems.append(f"fuzzy: {label}")
        if isinstance(message.id, tuple):
            sources = message.id
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != catalog.num_plurals:
                problems.append(f"{len(forms)} plural forms instead of "
                                f"{catalog.num_plurals}: {label}")
        else:
            sources = (message.id,)
            forms = (message.string,)
        if not all(forms):
            problems.append(f"untranslated: {label}")
            continue
        # Each form may be used for any count, so it must carry every placeholder of the source.
        expected = set().union(*(_placeholders(source) for source in sources))
        for form in forms:
            found = _placeholders(form)
            if found != expected:
                problems.append(
                    f"placeholders {sorted(found)} instead of {sorted(expected)}: {label}"
                )
            elif expected and _stray_percent(form):
                problems.append(f"a lone % (write %%) in the translation of {label}")
    return problems


def test_every_message_is_translated_in_every_language(extracted):
    """Every extracted message is in every catalog, translated, not fuzzy, same placeholders."""
    report = {
        language: problems
        for language in LANGUAGES
        if (problems := _catalog_problems(language, extracted))
    }
    if report:
        lines = [f"[{language}] {problem}"
                 for language, problems in report.items() for problem in problems]
        pytest.fail("Catalogs need work (run `make extract-messages`, then translate):\n"
                    + "\n".join(lines), pytrace=False)


def test_the_placeholder_check_sees_a_wrong_or_missing_name():
    """The catalog check catches a renamed, dropped or retyped placeholder."""
    assert _placeholders("Trang %(page)s/%(pages)s") == {"%(page)s", "%(pages)s"}
    assert _placeholders("%(n)d ký tự") != _placeholders("%(n)s ký tự")
    assert _placeholders("%(name)s") != _placeholders("%(nom)s")
    assert _stray_percent("Đã xong 100% cho %(name)s")
    assert not _stray_percent("100%% cho %(name)s")


# --- pages in the chosen language ------------------------------------------------------------

PAGE_WORDS = {
    # language: (words the sign-in page must show, words from other languages it must not)
    "vi": (("Đăng nhập HọcSố", "Tên đăng nhập", "Mật khẩu"),
           ("Sign in", "Password", "로그인")),
    "en": (("Sign in to HọcSố", "Username", "Password"),
           ("Đăng nhập", "Mật khẩu", "로그인")),
    "ko": (("HọcSố 로그인", "아이디", "비밀번호"),
           ("Sign in", "Password", "Đăng nhập")),
}


def _html_lang(response) -> str | None:
    match = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", response.data.decode())
    return match.group(1) if match else None


def _choose_language(client, language: str, next_path: str = "/login"):
    response = client.post("/language", data={"language": language, "next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(next_path)
    return response


def test_a_visitor_sees_vietnamese_by_default(client):
    """A first visit, with no choice made, is in Vietnamese."""
    response = client.get("/login")
    assert response.status_code == 200
    assert _html_lang(response) == "vi"
    text = page_text(response)
    shown, absent = PAGE_WORDS["vi"]
    for word in shown:
        assert word in text
    for word in absent:
        assert word not in text


@pytest.mark.parametrize("language", ["en", "ko", "vi"])
def test_the_chosen_language_is_used_for_the_page(client, language):
    """After choosing a language, pages are in that language and declare it in <html lang>."""
    other = "en" if language != "en" else "ko"
    _choose_language(client, other)  # start from another language, so the switch shows
    _choose_language(client, language)
    response = client.get("/login")
    assert response.status_code == 200
    assert _html_lang(response) == language
    text = page_text(response)
    shown, absent = PAGE_WORDS[language]
    for word in shown:
        assert word in text, f"{word!r} missing from the {language} page"
    for word in absent:
        assert word not in text, f"{word!r} (another language) on the {language} page"
    # The header's language menu marks the current language (and names each in its own).
    assert re.search(rf'<button type="submit" name="language" value="{language}" '
                     rf'lang="{language}"[^>]*aria-current="true"', response.data.decode())


def test_an_unknown_language_is_refused(client):
    """Only the configured languages can be chosen; the page stays in the current one."""
    response = client.post("/language", data={"language": "fr", "next": "/login"})
    assert response.status_code == 400
    assert _html_lang(client.get("/login")) == "vi"


def test_a_signed_in_official_keeps_the_language_of_the_profile(client, login_as, db):
    """An official whose profile says Korean gets Korean pages after signing in."""
    login_as("learner", preferred_language="ko")
    response = client.get("/account")
    assert response.status_code == 200
    assert _html_lang(response) == "ko"
    assert "내 계정" in page_text(response)


def test_switching_language_while_signed_in_is_remembered_in_the_profile(client, login_as, db):
    """A signed-in official's choice is stored on the profile and survives a new session."""
    user = login_as("learner")
    _choose_language(client, "en", "/account")
    db.session.expire_all()
    assert db.session.get(type(user), user.id).preferred_language == "en"
    response = client.get("/account")
    assert _html_lang(response) == "en"
    assert "My account" in page_text(response)


def test_an_error_page_is_in_the_visitors_language(client):
    """The 404 page speaks the chosen language too."""
    assert "Không tìm thấy trang" in page_text(client.get("/no-such-page"))
    _choose_language(client, "ko")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in page_text(response)


# --- numbers and dates -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("language", "number", "long_date"),
    [
        ("vi", "1.234.567,5", "9 tháng 3, 2026"),
        ("en", "1,234,567.5", "March 9, 2026"),
        ("ko", "1,234,567.5", "2026년 3월 9일"),
    ],
)
def test_numbers_and_dates_follow_the_locale(app, language, number, long_date):
    """Decimal separators and date order follow the language."""
    with app.test_request_context(), force_locale(language):
        assert format_decimal(1234567.5) == number
        assert format_date(date(2026, 3, 9), "long") == long_date


def test_short_dates_put_day_and_month_in_the_local_order(app):
    """9 March is 9/3 in Vietnamese, 3/9 in English and year first in Korean."""
    day = date(2026, 3, 9)
    with app.test_request_context():
        with force_locale("vi"):
            assert format_date(day, "short").startswith("9/3/")
        with force_locale("en"):
            assert format_date(day, "short").startswith("3/9/")
        with force_locale("ko"):
            assert format_date(day, "short").startswith("26. 3. 9")


def test_times_are_shown_in_the_ministry_time_zone(app):
    """A UTC timestamp in the evening is already the next morning in Hà Nội (UTC+7)."""
    moment = datetime(2026, 3, 9, 20, 30, tzinfo=timezone.utc)
    with app.test_request_context(), force_locale("vi"):
        shown = format_datetime(moment, "short")
    assert "03:30" in shown
    assert "10/3" in shown


# --- the Vietnamese way: dates, durations ----------------------------------------------------

@pytest.mark.parametrize(
    ("language", "short", "long"),
    [
        ("vi", "05/11/2026", "ngày 05 tháng 11 năm 2026"),
        ("en", "11/5/26", "November 5, 2026"),
        ("ko", "26. 11. 5.", "2026년 11월 5일"),
    ],
)
def test_table_and_prose_dates(app, language, short, long):
    """Vietnamese dates have two-digit days and months, and the long form of official papers."""
    with app.test_request_context(), force_locale(language):
        for value in (date(2026, 11, 5), "2026-11-05"):
            assert format_short_date(value) == short
            assert format_long_date(value) == long
    with app.test_request_context():
        assert format_long_date(date(2026, 11, 5), locale=language) == long


def test_a_date_is_the_day_in_the_ministry_time_zone(app):
    """21:00 UTC on 4 November is already 5 November in Hà Nội."""
    evening = datetime(2026, 11, 4, 21, 0, tzinfo=timezone.utc)
    with app.test_request_context(), force_locale("vi"):
        assert format_short_date(evening) == "05/11/2026"
        assert format_long_date(evening.replace(tzinfo=None)) == "ngày 05 tháng 11 năm 2026"
        assert format_short_datetime(evening) == "04:00 05/11/2026"


@pytest.mark.parametrize(
    ("language", "seconds", "shown"),
    [
        ("vi", 45 * 60 + 59, "45 phút"),
        ("vi", 120 * 60, "2 giờ"),
        ("vi", 234 * 60, "3 giờ 54 phút"),
        ("en", 65 * 60, "1 h 5 min"),
        ("en", 60 * 60, "1 hour"),
        ("ko", 90 * 60, "1시간 30분"),
    ],
)
def test_measured_times_are_in_hours_and_minutes(app, language, seconds, shown):
    """Time spent and time limits read in hours and minutes from one hour on."""
    with app.test_request_context(), force_locale(language):
        assert format_duration(seconds) == shown


@pytest.mark.parametrize(
    ("language", "minutes", "shown"),
    [
        ("vi", 234, "khoảng 4 giờ"),
        ("vi", 95, "khoảng 1 giờ 30 phút"),
        ("vi", 43, "khoảng 45 phút"),
        ("vi", 2, "khoảng 5 phút"),
        ("vi", 58, "khoảng 1 giờ"),
        ("en", 95, "about 1 h 30 min"),
        ("en", 234, "about 4 hours"),
        ("ko", 95, "약 1시간 30분"),
        ("vi", 0, ""),
    ],
)
def test_estimates_are_rounded_to_what_one_can_plan_with(app, language, minutes, shown):
    """Under an hour to 5 minutes, above to a quarter of an hour: never "234 phút"."""
    with app.test_request_context(), force_locale(language):
        assert format_estimate(minutes) == shown
