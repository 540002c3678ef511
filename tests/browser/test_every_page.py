"""Every page of the demo ministry that its officials reach by following links, as each demo
role, on a phone (360 px): no broken link, the suite's audit (axe-core's WCAG 2.1 A/AA and
best-practice rules, 44 × 44 px targets, header cells with text) and no sideways scrolling.

The journey tests check chosen pages in chosen states at both widths; this crawl finds the
pages none of them names (a locked test's list, a mentee's page, a campaign's ranking...), and
a page added later is checked without touching this file. Each path, with its numbers taken
out, is checked once, by the first role that reaches it; each role's own home page is checked.
The roles read the site in different languages (the words' lengths change the layout: "Back"
is a shorter target than "Quay lại").
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import update

from learning.accounts.models import User
from learning.site.demo import DEMO_PASSWORD
from tests.browser.audit import Audit
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_layout import _assert_fits
from tests.crawl import DEMO_ROLES, crawl, same_site

pytestmark = pytest.mark.browser

# Each demo account reads the site in one of its languages.
LANGUAGES = dict(zip(DEMO_ROLES, ("vi", "en", "ko", "vi")))


def test_every_linked_page_of_the_demo_passes_the_audit_on_a_phone(web, app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    for username, language in LANGUAGES.items():
        db.session.execute(update(User).where(User.username == username)
                           .values(preferred_language=language))
    db.session.commit()
    audit, checked, broken = Audit(), set(), []
    for username, language in LANGUAGES.items():
        page = web.new_page(PHONE)
        sign_in(page, username, DEMO_PASSWORD)
        assert page.locator("html").get_attribute("lang") == language

        def visit(path: str) -> list[str]:
            try:
                response = page.goto(path)
            except PlaywrightError as error:  # a link to a file the browser downloads
                assert "Download is starting" in str(error), f"{path}: {error}"
                return []
            if response is None or response.status >= 400:
                broken.append(f"{username}: {path} answers {response and response.status}")
                return []
            if "text/html" not in response.headers.get("content-type", ""):
                return []
            what = f"{path} as {username} ({language})"
            audit.check(page, what)
            _assert_fits(page, what)
            return same_site(page.url, page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.href)"))

        crawl(visit, checked)
    assert not broken, "links to pages that fail:\n" + "\n".join(broken)
    assert len(audit.pages) > 60, f"the crawl saw only {len(audit.pages)} pages"
    audit.assert_clean()
