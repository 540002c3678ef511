"""How a web request's transaction ends, and how the pool treats a connection the server closed.

These run on a second application over the test database (make_app), so that each request
pushes and pops its own application context as under gunicorn.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, select, text

from learning.accounts.models import User
from tests import factories


@pytest.fixture
def probe(db, make_app):
    """An application with probe views: one that reads, one that changes a name and returns
    without committing, one that changes it and fails; plus the events its engine saw."""
    user = factories.UserFactory(full_name="Trần Thị Gốc")
    db.session.commit()
    user_id = user.id  # read here: the views run under the other application's session
    other = make_app(PROPAGATE_EXCEPTIONS=False)
    from learning.db import db as handle

    def reads():
        return str(handle.session.scalar(select(User.full_name).where(User.id == user_id)))

    def writes():
        handle.session.get(User, user_id).full_name = "Đã đổi"
        handle.session.flush()
        return "wrote"

    def fails():
        writes()
        raise RuntimeError("after a write")

    def backend():
        return str(handle.session.scalar(text("SELECT pg_backend_pid()")))

    def prepared():
        return str(handle.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    for view in (reads, writes, fails, backend, prepared):
        other.add_url_rule(f"/_probe/{view.__name__}", view_func=view)
    ends: list[str] = []
    with other.app_context():
        engine = handle.engine
    event.listen(engine, "commit", lambda connection: ends.append("commit"))
    event.listen(engine, "rollback", lambda connection: ends.append("rollback"))
    other.probe_user, other.probe_ends = user, ends
    assert other.test_client().get("/_probe/reads").status_code == 200  # the schema check
    ends.clear()
    return other


def name_now(db, user) -> str:
    db.session.rollback()
    return db.session.scalar(select(User.full_name).where(User.id == user.id))


def test_a_request_that_only_read_commits_one_that_wrote_rolls_back(db, probe):
    client = probe.test_client()
    response = client.get("/_probe/reads")
    assert response.status_code == 200 and response.text == "Trần Thị Gốc"
    assert probe.probe_ends == ["commit"]

    probe.probe_ends.clear()
    assert client.get("/_probe/writes").status_code == 200
    assert probe.probe_ends == ["rollback"]
    assert name_now(db, probe.probe_user) == "Trần Thị Gốc"

    probe.probe_ends.clear()
    assert client.get("/_probe/fails").status_code == 500
    assert probe.probe_ends == ["rollback"]
    assert name_now(db, probe.probe_user) == "Trần Thị Gốc"

    # A read after a write in an earlier request of the same connection still commits.
    probe.probe_ends.clear()
    assert client.get("/_probe/reads").status_code == 200
    assert probe.probe_ends == ["commit"]


def postgresql_only(db) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's sessions (the PostgreSQL pass of .ci/run runs this)")


def test_prepared_statements_outlive_read_only_requests(db, probe):
    """psycopg prepares a statement on its fifth run and forgets them all on ROLLBACK: pages
    that only read keep them, so PostgreSQL does not parse and plan each statement anew."""
    postgresql_only(db)
    client = probe.test_client()
    for _ in range(6):
        assert client.get("/_probe/reads").status_code == 200
    assert int(client.get("/_probe/prepared").text) >= 1


def test_a_connection_the_server_closed_is_replaced_without_an_error(db, probe):
    postgresql_only(db)
    client = probe.test_client()
    first = int(client.get("/_probe/backend").text)
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    db.session.commit()
    deadline = time.monotonic() + 10
    while db.session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": first}) and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    response = client.get("/_probe/backend")
    assert response.status_code == 200
    assert int(response.text) != first
