"""Requests run as a server runs them: in a thread of their own, with no application context
around them. The test client of tests/conftest.py wraps each request in a fresh application
context, which outlives the view; a server pops the view's context before a streamed body is
read, and a download that reads the database or the signed-in account as it streams must work
then too."""

from __future__ import annotations

import re
import threading

from flask.testing import FlaskClient

from tests.conftest import DEMO_PASSWORD


def served(app, username: str, urls: list[str], password: str = DEMO_PASSWORD) -> list:
    """Sign in as `username`, then GET each URL; return the responses (bodies read)."""
    responses, failures = [], []

    def browse():
        try:
            client = FlaskClient(app, use_cookies=True)
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            signed_in = client.post("/login", data={
                "username": username, "password": password, "csrf_token": token})
            assert signed_in.status_code == 302, signed_in.status_code
            for url in urls:
                response = client.get(url)
                response.get_data()  # the whole body, as a browser reads it
                responses.append(response)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            failures.append(error)

    thread = threading.Thread(target=browse)
    thread.start()
    thread.join(timeout=120)
    if failures:
        raise failures[0]
    return responses
