"""A page view reads; it does not write: every page of the demo ministry that its officials reach
by following links, signed out and as each demo role, runs no INSERT, UPDATE or DELETE, a few
statements (none repeated row by row), and no link leads to a page that fails. The pages come
from the links themselves, so a page added later is checked without touching this file (each
path, numbers taken out, once per role).

Left out, on purpose: the session's last-seen time (moved at most once a minute, on a
connection of its own: `accounts.sessions._touch`), the rate limiter's counts and its sweep of
day-old rows (checking a certificate, /verify/<code>, is throttled per address, and the count
must be shared by every worker), and downloads (an export is recorded in the audit log)."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event

from learning.site.demo import DEMO_PASSWORD
from tests.conftest import sign_in
from tests.crawl import DEMO_ROLES, crawl, hrefs_of, same_site

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT)\b", re.I)
ALLOWED = re.compile(r"^\s*(UPDATE user_sessions SET last_seen_at|INSERT INTO rate_limit_"
                     r"|DELETE FROM rate_limit_)", re.I)
# A page reads a few statements, whatever the data: one repeated per row is an N+1 (a list of
# objects the session held only weakly, or expired by a commit, reloaded one by one).
MAX_STATEMENTS, MAX_REPEATS = 30, 5


def test_no_page_view_writes_or_reads_row_by_row_and_no_link_is_broken(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    recorded: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        recorded.append(statement)

    problems, pages = [], 0
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for username in (None, *DEMO_ROLES):
            client = app.test_client()
            if username:
                assert sign_in(client, username, DEMO_PASSWORD).status_code == 302
            client.get("/")  # settle: the first view after sign-in may move the last-seen time
            who = username or "signed out"
            seen: list[str] = []

            def visit(path: str) -> list[str]:
                recorded.clear()
                response = client.get(path, base_url="http://localhost", follow_redirects=True)
                seen.append(path)
                writes = [s for s in recorded if WRITE.match(s) and not ALLOWED.match(s)]
                if writes:
                    problems.append(f"{who}: {path} wrote: {', '.join(w[:60] for w in writes)}")
                text, times = Counter(recorded).most_common(1)[0] if recorded else ("", 0)
                if len(recorded) > MAX_STATEMENTS or times > MAX_REPEATS:
                    problems.append(f"{who}: {path} ran {len(recorded)} statements, {times} "
                                    f"times {' '.join(text.split())[:100]}")
                if response.status_code >= 400:
                    problems.append(f"{who}: a link to {path}: {response.status_code}")
                if response.status_code != 200 or response.mimetype != "text/html":
                    return []
                return same_site("http://localhost" + response.request.path,
                                 hrefs_of(response.get_data(as_text=True)))

            crawl(visit)
            assert len(seen) > (3 if username is None else 10), (username, seen)
            pages += len(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert pages > 100, f"the crawl saw only {pages} pages"
    assert not problems, "\n".join(problems)
