"""Requests sent at the same moment from several browsers, as a double click or two people
at once would: for the tests of writes that check, then write."""

from __future__ import annotations

import threading
from collections import Counter


def all_at_once(clients, url: str, data, **kwargs) -> Counter:
    """POST `data` (a function of nothing: each thread gets its own file objects) from every
    client at the same moment; return the status codes."""
    posts = [(client, {**data(), "csrf_token": client.csrf_token()}) for client in clients]
    start = threading.Barrier(len(posts))
    statuses: list[int] = []

    def post(client, form):
        start.wait()
        statuses.append(client.post(url, data=form, csrf=False, **kwargs).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == len(posts)  # no thread died on an exception
    return Counter(statuses)
