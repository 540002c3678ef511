"""The header in a browser: one row on a desktop for an administrator with every role, in
Vietnamese, English and Korean; a short folded header on a phone whose menu button shows the
navigation; the menus and the language menu with the keyboard alone; and without JavaScript."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests import factories
from tests.browser.conftest import PASSWORD, sign_in, visit
from tests.conftest import translated

pytestmark = pytest.mark.browser

EVERY_ROLE = {"learner", "mentor", "hr", "admin"}

# Where the header's visible entries are, and whether any of their labels is cut off.
ROW = """() => {
  const header = document.querySelector('.site-header');
  const shown = el => el.getClientRects().length > 0;
  const items = [...header.querySelectorAll('.brand, .nav-list > li, .header-tools > *')]
    .filter(shown).map(el => {
      const r = el.getBoundingClientRect();
      return {what: el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30),
              top: r.top, bottom: r.bottom, right: r.right};
    });
  const clipped = [...header.querySelectorAll('.nav-link, .menu-button, .menu-item, .tool-label, .brand span')]
    .filter(el => shown(el) && el.clientWidth > 1)  // not the names kept for screen readers
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => el.textContent.trim().slice(0, 30));
  return {items, clipped, height: header.getBoundingClientRect().height,
          topItems: header.querySelectorAll('.nav-list > li').length,
          folded: header.classList.contains('is-collapsed'),
          pageWidth: document.documentElement.scrollWidth, width: window.innerWidth};
}"""

ACTIVE = """() => {
  const el = document.activeElement;
  return el ? {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'),
               controls: el.getAttribute('aria-controls'), value: el.value || null,
               text: el.textContent.trim().replace(/\\s+/g, ' ')} : null;
}"""


@pytest.fixture
def chief(ministry, db):
    """An administrator who is also HR, a mentor and a learner, with a long name."""
    user = factories.UserFactory(
        username="phuong.ntt", full_name="Nguyễn Thị Phương Thảo Hoàng Anh",
        roles=EVERY_ROLE, password=PASSWORD, department=ministry.department,
    )
    db.session.commit()
    return user


def _choose_language(page, code: str) -> None:
    page.locator("#language-button").click()
    with page.expect_navigation():
        page.locator(f".language-form button[value={code}]").click()
    assert page.locator("html").get_attribute("lang") == code


def _assert_one_row(page, what: str) -> None:
    row = page.evaluate(ROW)
    assert not row["folded"] and not page.locator(".menu-toggle").is_visible(), \
        f"{what}: the header is folded behind the menu button"
    assert row["topItems"] == 5, f"{what}: {row['topItems']} top items"
    items = row["items"]
    assert len(items) == 8, f"{what}: expected brand, 5 top items and 2 tools: {items}"
    assert max(i["top"] for i in items) < min(i["bottom"] for i in items), \
        f"{what}: the header wraps: {items}"
    assert row["height"] <= 64, f"{what}: the header is {row['height']} px high"
    assert max(i["right"] for i in items) <= row["width"], f"{what}: sticks out: {items}"
    assert row["pageWidth"] <= row["width"], f"{what}: the page scrolls sideways"
    assert not row["clipped"], f"{what}: labels cut off: {row['clipped']}"


def test_the_header_is_one_row_at_1366_and_1024_px_in_every_language(web, chief):
    page = web.signed_in_page(chief, {"width": 1366, "height": 768})
    for code in ("vi", "en", "ko"):
        if code != "vi":
            _choose_language(page, code)
        for width in (1366, 1024):
            page.set_viewport_size({"width": width, "height": 768})
            visit(page, "/admin/users")
            _assert_one_row(page, f"{code} at {width} px")
            # Every menu opens within the screen, its entries whole.
            for button in page.locator(".site-header .menu-button").all():
                button.click()
                menu = page.locator(f"#{button.get_attribute('aria-controls')}")
                box = menu.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, \
                    f"{code} at {width} px: the menu {menu.get_attribute('id')} leaves the screen"
                clipped = menu.evaluate("m => [...m.querySelectorAll('a, button')]"
                                        ".filter(e => e.scrollWidth > e.clientWidth + 1)"
                                        ".map(e => e.textContent.trim())")
                assert not clipped, f"{code} at {width} px: cut off: {clipped}"
            page.keyboard.press("Escape")
    # The Korean label of the language menu fits, in full and in the compact header.
    assert page.locator("#language-button").evaluate("b => b.scrollWidth <= b.clientWidth + 1")


def test_a_phone_header_is_short_and_its_menu_button_shows_the_navigation(web, chief):
    page = web.signed_in_page(chief, {"width": 390, "height": 844})
    visit(page, "/admin/users")
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 64, "the folded header takes too much of a phone"
    toggle = page.locator(".menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator(".main-nav").is_visible()

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    nav = page.locator(".main-nav")
    assert nav.is_visible()
    assert page.locator(".nav-list > li").count() == 5
    # The menu holding the current page is open, the page marked in it.
    current = page.locator("#menu-admin a[aria-current=page]")
    assert current.is_visible() and current.get_attribute("href") == "/admin/users"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    # Escape folds it again and gives the focus back to the menu button.
    page.locator(".nav-list a").first.focus()
    page.keyboard.press("Escape")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate(ACTIVE)["text"] == toggle.inner_text().strip()

    # With the keyboard: Enter opens it, Tab goes on to the first link.
    page.keyboard.press("Enter")
    assert nav.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["href"] == "/"

    # Wide again: the header unfolds into one row.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_selector(".menu-toggle", state="hidden")
    _assert_one_row(page, "after widening")


def test_the_menus_work_with_the_keyboard_alone(app, web, chief):
    page = web.signed_in_page(chief, {"width": 1366, "height": 768})
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE)["controls"] == "menu-hr":
            break
    else:
        pytest.fail("Tab never reached the HR menu button")
    hr_button, hr_menu = page.locator("[aria-controls=menu-hr]"), page.locator("#menu-hr")

    page.keyboard.press("Enter")
    assert hr_button.get_attribute("aria-expanded") == "true" and hr_menu.is_visible()
    for href in ("/hr", "/hr/campaigns", "/hr/officials", "/hr/people", "/hr/certificates"):
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE)["href"] == href
    page.keyboard.press("Escape")
    assert not hr_menu.is_visible() and hr_button.get_attribute("aria-expanded") == "false"
    assert page.evaluate(ACTIVE)["controls"] == "menu-hr", "Escape does not return the focus"

    page.keyboard.press("Space")
    assert hr_menu.is_visible()
    # through the HR menu's dashboard, campaigns, officials, people, certificates, mentoring
    # and tasks to review
    for _ in range(8):
        page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["controls"] == "menu-admin"
    assert not hr_menu.is_visible(), "the HR menu stays open after the focus left it"

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["href"] == "/admin/users"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/admin/users"

    # A click elsewhere closes an open menu.
    page.locator("#language-button").click()
    assert page.locator("#menu-language").is_visible()
    page.locator("h1").click()
    assert not page.locator("#menu-language").is_visible()

    # The language menu: the choice switches at once, each language named in its own.
    page.locator("#language-button").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["value"] == "vi"
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["text"] == "English"
    assert page.locator(".language-form button[value=en]").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/admin/users"
    assert page.locator("html").get_attribute("lang") == "en"
    with app.test_request_context():
        assert page.locator("h1").inner_text() == translated("en", "Accounts")


def test_the_header_works_without_javascript(web, chief):
    page = web.new_page({"width": 390, "height": 844}, javascript=False)
    visit(page, "/login")
    page.locator(".language-form button[value=en]").click()
    page.wait_for_selector("html[lang=en]")
    sign_in(page, chief.username)
    assert not page.locator(".menu-toggle").is_visible()
    for href in ("/", "/courses", "/certificates", "/hr", "/hr/campaigns", "/hr/officials",
                 "/hr/people", "/hr/certificates", "/admin/users", "/admin/departments",
                 "/admin/import", "/admin/courses", "/admin/audit", "/account"):
        assert page.locator(f".site-menu a[href='{href}']").is_visible(), \
            f"{href} cannot be reached without JavaScript"
    assert page.locator(".site-header .sign-out").is_visible()
    with page.expect_navigation():
        page.locator(".language-form button[value=ko]").click()
    assert page.locator("html").get_attribute("lang") == "ko"
