"""Nothing leaves the machine: every request a page makes goes to the local server (no CDN
fonts, styles or scripts), the vendored Be Vietnam Pro font is what the text is drawn with, and
the Content-Security-Policy blocks nothing the pages themselves need."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import (
    ADMIN_PAGES,
    MISSING_PAGE,
    show_import_errors,
    show_user_form_errors,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser
FONT = "Be Vietnam Pro"


def _rendering_fonts(page, selector: str) -> dict[str, bool]:
    """Return the fonts Chromium actually drew the element's text with: {name: web font?}."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no {selector} on {page.url}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: font["isCustomFont"] for font in fonts}


def _assert_font(page, what: str) -> None:
    page.evaluate("() => document.fonts.ready")
    loaded = page.evaluate(
        """(family) => [...document.fonts].filter(f => f.family.replace(/"/g, '') === family
                                                   && f.status === 'loaded').length""", FONT)
    assert loaded >= 1, f"{what}: no {FONT} face loaded"
    assert page.evaluate(f"() => document.fonts.check('16px \"{FONT}\"')")
    for selector in ("h1", "main p", ".site-header .brand-name"):
        if page.locator(selector).count():
            fonts = _rendering_fonts(page, selector)
            # Chromium names each face: "Be Vietnam Pro", "Be Vietnam Pro SemiBold", ...
            drawn_with_it = fonts and all(name.startswith(FONT) and web_font
                                          for name, web_font in fonts.items())
            assert drawn_with_it, f"{what}: {selector} is drawn with {fonts}, not {FONT}"


def test_pages_load_nothing_from_the_internet(web, ministry):
    page = web.new_page()
    responses = []
    page.on("response", lambda response: responses.append((response.url, response.status)))

    visit(page, "/login")
    _assert_font(page, "/login")
    sign_in(page, ministry.username)
    for path in ADMIN_PAGES:
        visit(page, path)
        _assert_font(page, path)
    show_user_form_errors(page)
    show_import_errors(page)
    visit(page, MISSING_PAGE, status=404)

    foreign = web.traffic.foreign(web.base_url)
    assert not foreign, f"requests that left the machine: {sorted(set(foreign))}"
    fonts = [(url, status) for url, status in responses
             if urlsplit(url).path.startswith("/static/fonts/")]
    assert fonts and all(status in (200, 304) for _, status in fonts), \
        f"the vendored fonts did not load from /static/fonts/: {fonts}"
    assert not web.traffic.console_errors, \
        "errors in the browser console (Content-Security-Policy, scripts):\n" + \
        "\n".join(web.traffic.console_errors)
