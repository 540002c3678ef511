"""Signing in and moving around with the keyboard alone, with a focus indicator one can see."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops

from tests.browser.conftest import PASSWORD, start_quiz

pytestmark = pytest.mark.browser

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const r = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
          text: (el.innerText || el.value || '').trim().slice(0, 40),
          top: r.top, left: r.left, bottom: r.bottom, right: r.right,
          width: r.width, height: r.height};
}"""

FOCUS_STYLE = """(el) => {
  const s = getComputedStyle(el);
  return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
          outlineColor: s.outlineColor, boxShadow: s.boxShadow};
}"""


def _shows_focus(style: dict) -> bool:
    return (style["outlineStyle"] != "none" and style["outlineWidth"] >= 2) or \
        style["boxShadow"] not in ("none", "")


def _ring_pixels_changed(page, locator, margin: int = 8) -> int:
    """Count the pixels around (not inside) the element that change when it takes focus."""
    box = locator.bounding_box()
    clip = {"x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin}
    focused = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
    locator.evaluate("el => el.blur()")
    unfocused = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
    diff = ImageChops.difference(focused, unfocused).convert("L")
    scale = focused.width / clip["width"]
    inner = (int((box["x"] - clip["x"]) * scale), int((box["y"] - clip["y"]) * scale),
             int((box["x"] - clip["x"] + box["width"]) * scale),
             int((box["y"] - clip["y"] + box["height"]) * scale))
    changed = 0
    for y in range(diff.height):
        for x in range(diff.width):
            inside = inner[0] <= x < inner[2] and inner[1] <= y < inner[3]
            if not inside and diff.getpixel((x, y)) > 40:
                changed += 1
    return changed


def test_sign_in_with_the_keyboard_alone(web, ministry):
    page = web.new_page()
    page.goto("/login")
    assert page.evaluate(ACTIVE)["id"] == "username", "the username field has no focus on load"

    # Back to the top of the page: every header control is a Tab stop, the skip link comes
    # first and shows itself on screen; then forward again to the username field.
    back = []
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        back.append(page.evaluate(ACTIVE))
        if back[-1] and "skip-link" in back[-1]["cls"]:
            break
    skip = back[-1]
    assert skip and "skip-link" in skip["cls"], f"Shift+Tab never reached the skip link: {back}"
    assert skip["top"] >= 0 and skip["height"] > 0, "the focused skip link stays off screen"
    assert any(stop and stop["id"] == "language-button" for stop in back), \
        "the language menu is not reachable by keyboard"
    forward = 0
    while page.evaluate(ACTIVE)["id"] != "username":
        page.keyboard.press("Tab")
        forward += 1
        assert forward <= len(back), "Tab from the skip link does not come back to username"

    username = page.locator("#username")
    style = username.evaluate(FOCUS_STYLE)
    unfocused_style = page.locator("#password").evaluate(FOCUS_STYLE)
    assert _shows_focus(style), f"no visible focus indicator on the focused field: {style}"
    assert style != unfocused_style, "focused and unfocused fields look the same"

    page.keyboard.type(ministry.username)
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["id"] == "password", "Tab from username does not reach password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    assert ministry.full_name in page.locator("h1").inner_text()
    assert page.get_by_role("navigation").first.is_visible()


def test_focus_indicator_is_visible_on_every_tab_stop(web, ministry):
    page = web.signed_in_page(ministry)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stop = page.evaluate(ACTIVE)
        if stop is None or (seen and stop == seen[0]):
            break
        style = page.evaluate(f"() => ({FOCUS_STYLE})(document.activeElement)")
        assert _shows_focus(style), f"Tab stop without a visible focus indicator: {stop} {style}"
        assert stop["width"] > 0 and stop["height"] > 0, f"invisible Tab stop: {stop}"
        seen.append(stop)
    assert len(seen) >= 5, f"only {len(seen)} Tab stops on the home page"

    # The ring shows in the pixels too, on the red header and on the white page.
    for selector in (".main-nav a[aria-current=page]", "main a.button"):
        link = page.locator(selector).first
        link.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        assert _ring_pixels_changed(page, link) > 50, f"no focus ring drawn around {selector}"


def test_submitting_a_quiz_with_the_keyboard_asks_first(web, ministry, quiz_taker):
    """Enter on the attempt's submit button only leads to the check before submitting; there,
    Tab goes through the links to the questions, then "Nộp bài", then back to the questions;
    Enter on "Nộp bài" grades and the result page says so."""
    page = web.signed_in_page(ministry)
    start_quiz(page, quiz_taker)
    attempt_path = urlsplit(page.url).path
    page.locator("input[type=radio]").first.focus()
    page.keyboard.press("Space")
    submit = page.locator("button.submit-attempt")
    submit.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"{attempt_path}/review", page.url
    assert page.locator("h1").inner_text().startswith("Kiểm tra trước khi nộp bài")

    # Tab order in the main content: question links, then the confirm button, then "back".
    page.locator("h1").evaluate("el => { el.tabIndex = -1; el.focus(); }")
    stops = []
    for _ in range(20):
        page.keyboard.press("Tab")
        stop = page.evaluate(ACTIVE)
        if stop is None or stop["tag"] not in ("a", "button"):
            break
        stops.append(stop)
        if stop["text"] == "Quay lại làm tiếp":
            break
        style = page.evaluate(f"() => ({FOCUS_STYLE})(document.activeElement)")
        assert _shows_focus(style), f"Tab stop without a visible focus indicator: {stop}"
    texts = [stop["text"] for stop in stops]
    assert texts[-2:] == ["Nộp bài", "Quay lại làm tiếp"], texts
    assert texts[0].startswith("Câu "), texts
    assert all(text.startswith("Câu ") for text in texts[:-2]), texts

    page.locator("form.submit-attempt-form button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"{attempt_path}/result", page.url
    verdict = page.locator("#verdict").inner_text()
    assert "Đạt" in verdict or "Không đạt" in verdict
