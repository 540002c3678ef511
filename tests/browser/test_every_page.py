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

import re
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from sqlalchemy import update

from learning.accounts.models import User
from learning.site.demo import DEMO_PASSWORD
from tests.browser.audit import Audit
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_layout import _assert_fits

pytestmark = pytest.mark.browser

# The demo's accounts (README), each in a language of the site.
ROLES = {"learner": "vi", "mentor": "en", "hr": "ko", "admin": "vi"}
# Not pages: signing out, the API (its reference page has a test of its own), files.
NOT_PAGES = re.compile(r"^/(logout|api)(/|$)|/(download|export)\b|\.(pdf|csv|xlsx|json|zip)$"
                       r"|/certificate$|/credential")


def _shape(path: str) -> str:
    """A page's path with its numbers taken out: /mentoring/groups/2 and /3 are one page."""
    return re.sub(r"\d+", "#", path)


def _links(page) -> list[str]:
    """The paths (with their query) of the same-site links on the page."""
    origin = urlsplit(page.url)
    found = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        url = urlsplit(urljoin(page.url, href))
        if (url.scheme, url.netloc) == (origin.scheme, origin.netloc):
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def test_every_linked_page_of_the_demo_passes_the_audit_on_a_phone(web, app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    for username, language in ROLES.items():
        db.session.execute(update(User).where(User.username == username)
                           .values(preferred_language=language))
    db.session.commit()
    audit, checked, broken = Audit(), set(), []
    for username in ROLES:
        page = web.new_page(PHONE)
        sign_in(page, username, DEMO_PASSWORD)
        assert page.locator("html").get_attribute("lang") == ROLES[username]
        queue, queued = ["/"], {"/"}
        while queue:
            path = queue.pop(0)
            shape = _shape(urlsplit(path).path)
            if shape in checked and path != "/":
                continue
            checked.add(shape)
            try:
                response = page.goto(path)
            except PlaywrightError as error:  # a link to a file the browser downloads
                assert "Download is starting" in str(error), f"{path}: {error}"
                continue
            if response is None or response.status >= 400:
                broken.append(f"{username}: {path} answers {response and response.status}")
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            what = f"{path} as {username} ({ROLES[username]})"
            audit.check(page, what)
            _assert_fits(page, what)
            for link in _links(page):
                if link not in queued and not NOT_PAGES.search(urlsplit(link).path):
                    queued.add(link)
                    queue.append(link)
    assert not broken, "links to pages that fail:\n" + "\n".join(broken)
    assert len(audit.pages) > 60, f"the crawl saw only {len(audit.pages)} pages"
    audit.assert_clean()
