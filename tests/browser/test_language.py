"""Switching the interface language in the header: choosing a language in its menu switches
the page at once, and the choice stays."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import visit
from tests.conftest import translated

pytestmark = pytest.mark.browser

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _switch(page, label: str) -> None:
    """Open the language menu and choose `label`: that one click changes the language."""
    page.locator(".language-menu .menu-button").click()
    choice = page.locator(".language-form").get_by_role("button", name=label, exact=True)
    with page.expect_navigation():
        choice.click()


def _assert_language(page, app, locale: str, heading: str) -> None:
    """Check the page is in `locale`: lang, navigation and its menus, sign-out button, heading,
    language menu."""
    assert page.locator("html").get_attribute("lang") == locale
    with app.test_request_context():
        expected = {message: translated(locale, message) for message in
                    ("Accounts", "Administration", "Sign out", "Language", "Main navigation",
                     heading)}
    nav = page.get_by_role("navigation", name=expected["Main navigation"])
    nav.get_by_role("button", name=expected["Administration"]).click()
    assert nav.get_by_role("link", name=expected["Accounts"], exact=True).is_visible(), \
        f"the navigation is not in {locale}: {nav.inner_text()!r}"
    page.keyboard.press("Escape")
    page.locator(".user-menu .menu-button").click()
    assert page.locator(".user-menu .sign-out").inner_text().strip() == expected["Sign out"]
    page.keyboard.press("Escape")
    assert page.locator("h1").inner_text().strip() == expected[heading]
    assert page.get_by_role("button", name=expected["Language"]).is_visible()


def test_header_switcher_changes_the_language_and_keeps_it(app, web, ministry):
    with app.test_request_context():
        for message in ("Accounts", "Sign out", "Departments"):
            english = translated("en", message)
            assert translated("vi", message) != english, f"{message!r} has no Vietnamese text"
            assert translated("ko", message) != english, f"{message!r} has no Korean text"

    page = web.signed_in_page(ministry)
    visit(page, "/admin/users")
    _assert_language(page, app, "vi", "Accounts")

    _switch(page, "English")
    assert page.url.endswith("/admin/users"), "the switcher does not come back to the same page"
    _assert_language(page, app, "en", "Accounts")
    assert page.locator("h1").inner_text().strip() == "Accounts"

    # The next page, reached by a link, is still in English.
    page.get_by_role("button", name="Administration").click()
    page.get_by_role("link", name="Departments", exact=True).first.click()
    page.wait_for_url("**/admin/departments")
    _assert_language(page, app, "en", "Departments")

    _switch(page, "한국어")
    _assert_language(page, app, "ko", "Departments")
    assert HANGUL.search(page.locator("h1").inner_text()), "the heading is not in Korean"
    visit(page, "/admin/users")
    _assert_language(page, app, "ko", "Accounts")


def test_signed_out_visitor_can_switch_the_sign_in_page(app, web):
    page = web.new_page()
    visit(page, "/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    _switch(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    with app.test_request_context():
        assert page.locator("h1").inner_text().strip() == translated("en", "Sign in to HọcSố")
    visit(page, "/login")
    assert page.locator("html").get_attribute("lang") == "en", "the choice is forgotten"
    _switch(page, "한국어")
    assert HANGUL.search(page.locator("h1").inner_text()), "the sign-in page is not in Korean"
