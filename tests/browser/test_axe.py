"""WCAG 2 A/AA checks by axe-core (vendored: tests/browser/vendor/axe.min.js, MPL-2.0) on the
key pages, in their plain and their error states."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    ADMIN_PAGES,
    MISSING_PAGE,
    PHONE,
    VENDOR,
    show_import_errors,
    start_quiz,
    show_user_form_errors,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser

AXE_SOURCE = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '),
                              summary: (n.failureSummary || '').split('\\n').slice(0, 3).join(' ')}))
  }));
}"""


def _axe(page, what: str, found: list[str]) -> None:
    # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (which
    # forbids inline scripts) stays on while axe runs.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    for violation in page.evaluate(RUN_AXE):
        for node in violation["nodes"][:5]:
            found.append(f"{what}: {violation['id']} ({violation['impact']}) at "
                         f"{node['target']}: {node['summary']}")


def test_key_pages_pass_axe_wcag2_aa(web, ministry):
    found: list[str] = []
    page = web.new_page()
    visit(page, "/login")
    _axe(page, "/login", found)
    page.locator("main button[type=submit]").click()  # empty form: the error state
    page.wait_for_selector(".form-errors")
    _axe(page, "/login with errors", found)

    sign_in(page, ministry.username)
    for path in ADMIN_PAGES:
        visit(page, path)
        _axe(page, path, found)
    show_user_form_errors(page)
    _axe(page, "/admin/users/new with errors", found)
    show_import_errors(page)
    _axe(page, "/admin/import with errors", found)
    visit(page, MISSING_PAGE, status=404)
    _axe(page, "404 page", found)

    assert not found, "axe-core WCAG 2 A/AA violations:\n" + "\n".join(found)


def test_phone_layout_passes_axe_wcag2_aa(web, ministry):
    """At 360 px the tables scroll inside their frame: that frame must work by keyboard too."""
    found: list[str] = []
    page = web.signed_in_page(ministry, PHONE)
    for path in ("/", "/admin/users", "/hr/officials", "/admin/departments"):
        visit(page, path)
        _axe(page, f"{path} at 360 px", found)
    show_import_errors(page)
    _axe(page, "/admin/import with errors at 360 px", found)
    assert not found, "axe-core WCAG 2 A/AA violations:\n" + "\n".join(found)


def test_quiz_pages_pass_axe_wcag2_aa(web, ministry, quiz_taker):
    """Taking a quiz: the quiz page, the attempt, the check before submitting, the result
    (with the review of every answer), at desktop and phone widths."""
    found: list[str] = []
    for viewport, label in ((None, ""), (PHONE, " at 360 px")):
        page = web.signed_in_page(ministry, viewport)
        visit(page, quiz_taker)
        _axe(page, f"quiz page{label}", found)
        start_quiz(page, quiz_taker)
        _axe(page, f"attempt page{label}", found)
        page.locator("input[type=radio]").first.check()
        with page.expect_navigation():
            page.locator("button.submit-attempt").click()
        assert page.url.endswith("/review"), page.url
        _axe(page, f"review page{label}", found)
        visit(page, quiz_taker)
        _axe(page, f"quiz page with an attempt in progress{label}", found)
        page.go_back()
        with page.expect_navigation():
            page.locator("form.submit-attempt-form button[type=submit]").click()
        assert page.url.endswith("/result"), page.url
        _axe(page, f"result page{label}", found)
    assert not found, "axe-core WCAG 2 A/AA violations:\n" + "\n".join(found)
