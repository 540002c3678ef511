"""Sign-in throttling holds when many guesses arrive at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from learning.accounts.models import SignInAttempt
from tests import factories
from tests.conftest import DEMO_PASSWORD

PARALLEL = 30


def sign_in_all_at_once(app, tries: list[tuple[str, str]]) -> Counter:
    """Post every (username, address) sign-in with a wrong password from its own thread."""
    clients = [app.test_client() for _ in tries]
    tokens = [client.csrf_token() for client in clients]
    start = threading.Barrier(len(tries))
    statuses: list[int] = []

    def attempt(client, token, username, address):
        start.wait()
        response = client.post(
            "/login", data={"username": username, "password": "guess-guess", "csrf_token": token},
            environ_base={"REMOTE_ADDR": address})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(client, token, *pair))
               for client, token, pair in zip(clients, tokens, tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


def failures(db, **where) -> int:
    query = select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.succeeded.is_(False))
    for column, value in where.items():
        query = query.where(getattr(SignInAttempt, column) == value)
    db.session.expire_all()
    return db.session.scalar(query)


def test_parallel_guesses_from_many_addresses_get_only_the_account_limit(app, db):
    factories.UserFactory(username="huong.nt", password=DEMO_PASSWORD)
    db.session.commit()
    limit = app.config["THROTTLE_USER_FAILURES"]
    statuses = sign_in_all_at_once(
        app, [("huong.nt", f"198.51.100.{n + 1}") for n in range(PARALLEL)])
    assert statuses == Counter({401: limit, 429: PARALLEL - limit})
    assert failures(db, username="huong.nt") == limit


def test_parallel_guesses_from_one_address_get_only_the_address_limit(app, db):
    ip_limit = app.config["THROTTLE_IP_FAILURES"]
    assert ip_limit < PARALLEL
    statuses = sign_in_all_at_once(
        app, [(f"ghost{n}", "203.0.113.5") for n in range(PARALLEL)])
    assert statuses == Counter({401: ip_limit, 429: PARALLEL - ip_limit})
    assert failures(db, ip="203.0.113.5") == ip_limit
