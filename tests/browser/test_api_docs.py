"""The API reference page in a real browser: Swagger UI from the vendored files starts under the
Content-Security-Policy, lists the operations, loads nothing from the internet, and its "Try it
out" calls the API with a token pasted into "Authorize"."""

from __future__ import annotations

import pytest

from learning import clock
from learning.accounts import services as accounts
from tests.browser.conftest import visit

pytestmark = pytest.mark.browser


def test_the_reference_page_renders_from_vendored_files(web, ministry, db):
    secret = accounts.create_token(accounts.SYSTEM, ministry, name="docs", now=clock.now()).secret
    db.session.commit()
    page = web.new_page()
    visit(page, "/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/v1/me", "/api/v1/me/enrolments", "/api/v1/courses"} <= {
        text.replace("\u200b", "").strip() for text in paths}
    assert page.locator(".information-container .title").inner_text().startswith("HọcSố API")

    # Authorize with the token, then run GET /api/v1/me from the page.
    page.locator("button.authorize").first.click()
    page.locator(".auth-container input").first.fill(secret)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator("button.btn-done").click()
    page.locator("#operations-me-getMe .opblock-summary").click()
    page.locator("#operations-me-getMe button.try-out__btn").click()
    with page.expect_response(lambda response: response.url.endswith("/api/v1/me")) as answer:
        page.locator("#operations-me-getMe button.execute").click()
    assert answer.value.status == 200
    assert answer.value.json()["username"] == ministry.username

    assert web.traffic.foreign(web.base_url) == []
    assert web.traffic.console_errors == []


def test_the_token_section_and_the_new_token_page_pass_axe(web, ministry, db):
    """The account page's token section (a token listed, the form with its errors) and the page
    that shows a new token once, checked by axe-core for WCAG 2 A/AA."""
    from tests.browser.audit import Audit

    accounts.create_token(accounts.SYSTEM, ministry, name="Hệ thống nhân sự", expires_days=90,
                          now=clock.now())
    db.session.commit()
    audit = Audit()
    page = web.signed_in_page(ministry)
    visit(page, "/account")
    audit.check(page, "/account")
    form = page.locator("#api-tokens form.stacked-form")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()  # no name: the error state
    assert page.locator("#name-error").is_visible()
    audit.check(page, "/account token form with errors")
    page.fill("#name", "Báo cáo tuần")
    with page.expect_navigation():
        page.locator("#api-tokens form.stacked-form button[type=submit]").click()
    assert page.locator("#new-api-token").input_value().startswith("hocso_")
    audit.check(page, "new token")
    audit.assert_clean()
