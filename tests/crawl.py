"""Following every link of the demo ministry, as its officials would: the crawl that the
page-view test (test client) and the every-page browser test share."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

DEMO_ROLES = ("learner", "mentor", "hr", "admin")  # the demo's accounts (README)
# Not pages: signing out, the API (its reference page has a test of its own), files.
NOT_PAGES = re.compile(r"^/(logout|api)(/|$)|/(download|export)\b|\.(pdf|csv|xlsx|json|zip)$"
                       r"|/certificate$|/credential")


def same_site(base: str, hrefs: Iterable[str]) -> list[str]:
    """The paths (with their query) of the links `hrefs`, read on the page at `base`, that
    stay on its site."""
    origin = urlsplit(base)
    found = []
    for href in hrefs:
        url = urlsplit(urljoin(base, href))
        if (url.scheme, url.netloc) == (origin.scheme, origin.netloc):
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


class _Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def hrefs_of(html: str) -> list[str]:
    """The targets of an HTML page's links, as written."""
    parser = _Hrefs()
    parser.feed(html)
    return parser.hrefs


def crawl(visit: Callable[[str], Iterable[str]], checked: set[str] | None = None) -> None:
    """Visit / and every page its links lead to, breadth first. `visit(path)` opens a page and
    returns the paths it links to (nothing for a file or an error). A page is visited once per
    shape, its path with the numbers taken out (/mentoring/groups/2 and /3 are one page); pass
    `checked` to share that between crawls (each still visits /, its own home page)."""
    checked = set() if checked is None else checked
    queue, queued = ["/"], {"/"}
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "#", urlsplit(path).path)
        if shape in checked and path != "/":
            continue
        checked.add(shape)
        for link in visit(path):
            if link not in queued and not NOT_PAGES.search(urlsplit(link).path):
                queued.add(link)
                queue.append(link)
