"""Landmarks a screen-reader user jumps between, and a name for every form control."""

from __future__ import annotations

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

UNLABELLED = """() => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = el => (el && el.textContent || '').trim();
  const named = el => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (ids.some(id => text(document.getElementById(id)))) return true;
    return [...(el.labels || [])].some(label => text(label));
  };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden' && shown(el) && !named(el))
    .map(el => el.outerHTML.slice(0, 120));
}"""


def _check_landmarks(page, what: str, signed_in: bool) -> None:
    assert page.locator("main").count() == 1, f"{what}: not exactly one <main>"
    assert page.get_by_role("main").count() == 1, f"{what}: not exactly one main landmark"
    assert page.get_by_role("banner").count() == 1, f"{what}: no single page header (banner)"
    assert page.get_by_role("contentinfo").count() == 1, f"{what}: no single footer"
    navs = page.locator("nav")
    for index in range(navs.count()):
        label = (navs.nth(index).get_attribute("aria-label") or "").strip()
        assert label, f"{what}: a <nav> without aria-label"
    if signed_in:
        assert page.locator("header nav[aria-label]").count() == 1, \
            f"{what}: no labelled main navigation in the header"
    assert page.locator("html").get_attribute("lang"), f"{what}: <html> has no lang"
    assert page.locator("h1").count() == 1, f"{what}: not exactly one <h1>"
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"{what}: form controls without an accessible label: {unlabelled}"


def test_every_page_has_landmarks_and_labelled_controls(web, ministry):
    page = web.new_page()
    visit(page, "/login")
    _check_landmarks(page, "/login", signed_in=False)
    visit(page, MISSING_PAGE, status=404)
    _check_landmarks(page, "404 page (signed out)", signed_in=False)

    sign_in(page, ministry.username)
    for path in ADMIN_PAGES:
        visit(page, path)
        _check_landmarks(page, path, signed_in=True)
    visit(page, MISSING_PAGE, status=404)
    _check_landmarks(page, "404 page", signed_in=True)
    show_user_form_errors(page)
    _check_landmarks(page, "/admin/users/new with errors", signed_in=True)
    show_import_errors(page)
    _check_landmarks(page, "/admin/import with errors", signed_in=True)


def test_field_errors_are_tied_to_their_fields(web, ministry):
    page = web.signed_in_page(ministry)
    show_user_form_errors(page)
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 2, "fields with errors are not marked aria-invalid"
    for index in range(invalid.count()):
        field = invalid.nth(index)
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [page.locator(f"#{id_}").inner_text() for id_ in described
                  if id_.endswith("-error")]
        assert errors and all(errors), \
            f"#{field.get_attribute('id')}: the error message is not linked to the field"
