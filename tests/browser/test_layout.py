"""A 360 px wide phone: no page scrolls sideways, navigation and language stay within reach."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    ADMIN_PAGES,
    PHONE,
    show_import_errors,
    show_user_form_errors,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser

OVERFLOW = """() => {
  const width = window.innerWidth;
  // What sticks out: anything but the contents of a scrolling table frame, unless positioned
  // so that the frame does not clip it.
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && (r.right > width + 0.5 || r.left < -0.5))) return false;
    const wrap = el.closest('.table-wrap');
    return !wrap || wrap === el || ['absolute', 'fixed'].includes(getComputedStyle(el).position);
  }).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
         (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          wide: wide.slice(0, 8)};
}"""

REACHABLE = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {what: (el.innerText || el.id || el.tagName).trim().slice(0, 30),
          left: Math.round(r.left), right: Math.round(r.right), width: r.width, height: r.height,
          onTop: !!hit && (hit === el || el.contains(hit))};
})"""

TABLES = """() => [...document.querySelectorAll('.table-wrap')].map(wrap => ({
  scrolls: wrap.scrollWidth <= wrap.clientWidth || getComputedStyle(wrap).overflowX === 'auto',
  right: wrap.getBoundingClientRect().right}))"""


def _assert_fits(page, what: str) -> None:
    result = page.evaluate(OVERFLOW)
    assert result["scrollWidth"] <= result["innerWidth"], (
        f"{what} scrolls sideways at {result['innerWidth']} px "
        f"(page {result['scrollWidth']} px wide); too wide: {result['wide']}"
    )
    for table in page.evaluate(TABLES):
        assert table["scrolls"] and table["right"] <= result["innerWidth"] + 0.5, \
            f"{what}: a table sticks out of the page: {table}"


def _assert_reachable(page, selector: str, what: str, minimum: int = 1) -> None:
    controls = page.evaluate(REACHABLE, selector)
    assert len(controls) >= minimum, f"{what}: no {selector} on the page"
    width = page.viewport_size["width"]
    for control in controls:
        assert control["width"] > 0 and control["height"] > 0, f"{what}: hidden {control}"
        assert control["left"] >= 0 and control["right"] <= width, \
            f"{what}: {control['what']!r} lies outside the screen ({control})"
        assert control["onTop"], f"{what}: {control['what']!r} is covered by something else"


# The entries one sees in the header's navigation and tools, menus closed.
TOP_NAV = ".main-nav .nav-list > li > .nav-link, .main-nav .nav-list > li .menu-button"
TOOLS = ".header-tools .menu-button"


def test_pages_fit_a_360_px_phone(web, ministry):
    page = web.new_page(PHONE)
    visit(page, "/login")
    _assert_fits(page, "/login")
    _assert_reachable(page, "#language-button", "/login")
    page.locator("#language-button").click()
    _assert_reachable(page, ".language-form button", "/login", minimum=3)

    sign_in(page, ministry.username)
    for path in ADMIN_PAGES:
        visit(page, path)
        _assert_fits(page, path)
        # Folded: the header is one short row until the menu button opens the navigation.
        assert page.locator(".site-header").bounding_box()["height"] <= 72, \
            f"{path}: the folded header is taller than one row"
        assert not page.locator(".main-nav").is_visible(), f"{path}: the header is not folded"
        page.locator(".menu-toggle").click()
        _assert_reachable(page, TOP_NAV, path, minimum=5)
        _assert_reachable(page, TOOLS, path, minimum=2)
        _assert_fits(page, f"{path} with the menu open")

    show_user_form_errors(page)
    _assert_fits(page, "/admin/users/new with errors")
    show_import_errors(page)
    _assert_fits(page, "/admin/import with errors")


def test_skip_link_jumps_to_the_content_on_a_phone(web, ministry):
    page = web.signed_in_page(ministry, PHONE)
    visit(page, "/admin/users")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
        "the focused skip link is not on screen"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    first = page.evaluate("() => document.activeElement.closest('main') !== null")
    assert first, "Tab after the skip link does not continue inside the main content"


def test_department_tree_shows_units_under_their_parents(web, ministry):
    page = web.signed_in_page(ministry)
    visit(page, "/admin/departments")
    lefts = {}
    for name in ("Bộ Ngoại giao", "Cục Lãnh sự", "Phòng An ninh mạng và Bảo mật hệ thống"):
        box = page.locator(".tree li > a", has_text=name).first.bounding_box()
        lefts[name] = box["x"]
    ministry_x, department_x, unit_x = lefts.values()
    assert ministry_x + 10 < department_x < unit_x - 10, \
        f"the department tree is not indented by level: {lefts}"


def test_a_table_wider_than_the_phone_scrolls_by_keyboard(web, ministry):
    page = web.signed_in_page(ministry, PHONE)
    visit(page, "/admin/users")
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth"), \
        "expected the accounts table to be wider than 360 px"
    assert wrap.get_attribute("role") == "region" and wrap.get_attribute("aria-label"), \
        "the scrolling table frame is not a named region"
    wrap.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wrap').scrollLeft > 0")

    page.set_viewport_size({"width": 1280, "height": 800})  # fits again: no extra Tab stop
    page.wait_for_function("() => !document.querySelector('.table-wrap').hasAttribute('tabindex')")
