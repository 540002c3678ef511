"""A page view reads; it does not write: every page of the demo ministry that its officials reach
by following links, signed out and as each demo role, runs no INSERT, UPDATE or DELETE, a few
statements (none repeated row by row), and no link leads to a page that fails. The pages come from the links themselves, so a page added
later is checked without touching this file (each path, numbers taken out, once per role).

Left out, on purpose: the session's last-seen time (moved at most once a minute, on a
connection of its own: `accounts.sessions._touch`), the rate limiter's counts and its sweep of
day-old rows (checking a certificate, /verify/<code>, is throttled per address, and the count
must be shared by every worker), and downloads (an export is recorded in the audit log)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import event

from learning.site.demo import DEMO_PASSWORD
from tests.conftest import sign_in

ROLES = ("learner", "mentor", "hr", "admin")  # the demo's accounts (README)
NOT_PAGES = re.compile(r"^/(logout|api)(/|$)|/(download|export)\b|\.(pdf|csv|xlsx|json|zip)$"
                       r"|/certificate$|/credential")
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT)\b", re.I)
# A page reads a few statements, whatever the data: one repeated per row is an N+1 (a list of
# objects the session held only weakly, or expired by a commit, reloaded one by one).
MAX_STATEMENTS, MAX_REPEATS = 30, 5
ALLOWED = re.compile(r"^\s*(UPDATE user_sessions SET last_seen_at|INSERT INTO rate_limit_"
                     r"|DELETE FROM rate_limit_)", re.I)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(base, href))
        if url.scheme in ("", "http") and url.netloc in ("", "localhost"):
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def test_no_page_view_writes_or_reads_row_by_row_and_no_link_is_broken(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    recorded: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        recorded.append(statement)

    problems, pages = [], 0
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for username in (None, *ROLES):
            client = app.test_client()
            if username:
                assert sign_in(client, username, DEMO_PASSWORD).status_code == 302
            client.get("/")  # settle: the first view after sign-in may move the last-seen time
            recorded.clear()
            writes, statements, broken = _crawl_recording(client, recorded)
            pages += len(writes)
            assert len(writes) > (3 if username is None else 10), (username, sorted(writes))
            who = username or "signed out"
            problems += [f"{who}: {path} wrote: {', '.join(w[:60] for w in found)}"
                         for path, found in writes.items() if found]
            problems += [f"{who}: a link to {line}" for line in broken]
            for path, ran in statements.items():
                text, times = Counter(ran).most_common(1)[0] if ran else ("", 0)
                if len(ran) > MAX_STATEMENTS or times > MAX_REPEATS:
                    problems.append(f"{who}: {path} ran {len(ran)} statements, {times} times "
                                    f"{' '.join(text.split())[:100]}")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert pages > 100, f"the crawl saw only {pages} pages"
    assert not problems, "\n".join(problems)


def _crawl_recording(client, recorded: list[str]
                     ) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """GET every page reachable from / by links; return the writes each ran and all its
    statements (what the engine's listener put in `recorded`), and the links that answered an
    error."""
    writes: dict[str, list[str]] = {}
    statements: dict[str, list[str]] = {}
    broken: list[str] = []
    seen, queue, queued = set(), ["/"], {"/"}
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "#", urlsplit(path).path)
        if shape in seen:
            continue
        seen.add(shape)
        recorded.clear()
        response = client.get(path, base_url="http://localhost", follow_redirects=True)
        writes[path] = [s for s in recorded if WRITE.match(s) and not ALLOWED.match(s)]
        statements[path] = list(recorded)
        if response.status_code >= 400:
            broken.append(f"{path}: {response.status_code}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for link in _links("http://localhost" + response.request.path,
                           response.get_data(as_text=True)):
            if link not in queued and not NOT_PAGES.search(urlsplit(link).path):
                queued.add(link)
                queue.append(link)
    return writes, statements, broken
