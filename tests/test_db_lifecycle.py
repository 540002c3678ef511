"""How statements meet transactions (learning.db), and how the pool treats a connection the
server closed.

The request tests run on a second application over the test database (make_app), so that
each request pushes and pops its own application context as under gunicorn.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc, func, select, text

from learning.accounts.models import User
from learning.db import needs_transaction, plan_for_values
from tests import factories


@pytest.fixture
def probe(db, make_app):
    """An application with probe views: one that reads, one that changes a name and returns
    without committing, one that changes it and fails; each says whether its connection is
    inside a transaction (PostgreSQL) when it ends."""
    user = factories.UserFactory(full_name="Trần Thị Gốc")
    db.session.commit()
    user_id = user.id  # read here: the views run under the other application's session
    other = make_app(PROPAGATE_EXCEPTIONS=False)
    from learning.db import db as handle

    def in_transaction() -> str:
        dbapi = handle.session.connection().connection.dbapi_connection
        pgconn = getattr(dbapi, "pgconn", None)
        return "" if pgconn is None else f" in_transaction={pgconn.transaction_status != 0}"

    def reads():
        name = handle.session.scalar(select(User.full_name).where(User.id == user_id))
        return f"{name}{in_transaction()}"

    def writes():
        handle.session.get(User, user_id).full_name = "Đã đổi"
        handle.session.flush()
        return f"wrote{in_transaction()}"

    def fails():
        writes()
        raise RuntimeError("after a write")

    def backend():
        return str(handle.session.scalar(text("SELECT pg_backend_pid()")))

    def prepared():
        return str(handle.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    for view in (reads, writes, fails, backend, prepared):
        other.add_url_rule(f"/_probe/{view.__name__}", view_func=view)
    other.probe_user_id = user_id
    return other


def name_now(db, user_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(select(User.full_name).where(User.id == user_id))


def postgresql_only(db) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's transactions (the PostgreSQL pass of .ci/run runs this)")


def test_what_needs_a_transaction():
    assert not needs_transaction("SELECT users.id FROM users WHERE users.id = %(id)s")
    assert not needs_transaction("\n  select 1")
    for statement in ("INSERT INTO users (id) VALUES (1)", "UPDATE users SET x = 1",
                      "DELETE FROM users", "SAVEPOINT sa_savepoint_1",
                      "WITH moved AS (UPDATE users SET x = 1 RETURNING id) SELECT id FROM moved",
                      "SELECT users.id FROM users WHERE users.id = 1 FOR UPDATE",
                      "SELECT id FROM users FOR NO KEY UPDATE OF users",
                      "SELECT id FROM users FOR SHARE", "SELECT id FROM users FOR KEY SHARE",
                      "SELECT id FROM users\nFOR  UPDATE SKIP LOCKED", "SET LOCAL x = 1",
                      "CREATE TABLE t (id int)"):
        assert needs_transaction(statement), statement


def test_a_request_that_wrote_and_did_not_commit_leaves_nothing(db, probe):
    client = probe.test_client()
    response = client.get("/_probe/reads")
    assert response.status_code == 200 and response.text.startswith("Trần Thị Gốc")
    response = client.get("/_probe/writes")
    assert response.status_code == 200
    assert name_now(db, probe.probe_user_id) == "Trần Thị Gốc"
    assert client.get("/_probe/fails").status_code == 500
    assert name_now(db, probe.probe_user_id) == "Trần Thị Gốc"


def test_reads_run_outside_a_transaction_and_the_first_write_begins_one(db, probe):
    postgresql_only(db)
    client = probe.test_client()
    assert client.get("/_probe/reads").text == "Trần Thị Gốc in_transaction=False"
    # The read before the write, the write, then the rollback at the request's end.
    assert client.get("/_probe/writes").text == "wrote in_transaction=True"
    assert name_now(db, probe.probe_user_id) == "Trần Thị Gốc"
    # The connection back in the pool reads outside a transaction again.
    assert client.get("/_probe/reads").text == "Trần Thị Gốc in_transaction=False"


def test_prepared_statements_outlive_read_only_requests(db, probe):
    """psycopg prepares a statement on its fifth run and forgets them all on ROLLBACK: pages
    that only read keep them, so PostgreSQL does not parse and plan each statement anew."""
    postgresql_only(db)
    client = probe.test_client()
    for _ in range(6):
        assert client.get("/_probe/reads").status_code == 200
    assert int(client.get("/_probe/prepared").text) >= 1


def test_a_locking_read_holds_its_lock_until_the_transaction_ends(db):
    postgresql_only(db)
    user = factories.UserFactory()
    db.session.commit()
    lock = f"SELECT id FROM users WHERE id = {user.id} FOR UPDATE NOWAIT"
    with db.engine.connect() as holder, db.engine.connect() as other:
        holder.execute(select(User.id).where(User.id == user.id).with_for_update())
        with pytest.raises(exc.OperationalError, match="lock"):
            other.execute(text(lock))
        other.rollback()
        holder.rollback()
        assert other.execute(text(lock)).scalar() == user.id
        other.rollback()


def test_rows_streamed_through_a_server_side_cursor(db):
    """A streamed result (exports) reads through a server-side cursor, which needs the
    transaction that a plain SELECT otherwise runs without."""
    postgresql_only(db)
    for _ in range(3):
        factories.UserFactory()
    db.session.commit()
    with db.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=2).execute(
            select(User.id).order_by(User.id))
        assert len(list(rows)) == 3
        connection.rollback()


def test_a_connection_keeps_the_isolation_level_it_asks_for(db):
    postgresql_only(db)
    factories.UserFactory()
    db.session.commit()
    count = select(func.count()).select_from(User)
    with db.engine.connect() as reader:
        reader = reader.execution_options(isolation_level="REPEATABLE READ")
        before = reader.execute(count).scalar()
        factories.UserFactory()
        db.session.commit()
        assert reader.execute(count).scalar() == before  # one snapshot
        reader.rollback()
        assert reader.execute(count).scalar() == before + 1
        reader.rollback()
    # Statements that cannot run inside a transaction, on a connection that asks for none.
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM alembic_version"))


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


def _plans(db, pattern: str) -> tuple[int, int]:
    plans = db.session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE :p"),
        {"p": pattern}).all()
    assert len(plans) == 1, plans
    return tuple(plans[0])


def test_prepared_statements_are_planned_for_their_values_where_asked(db):
    """psycopg prepares a statement run five times; after `plan_for_values` PostgreSQL must not
    then plan it blind to its values (a generic plan guessed a third of the rows for `>= $1`
    and read whole tables), until the transaction ends; elsewhere it keeps its generic plans,
    which save the pages planning every statement."""
    postgresql_only(db)
    factories.UserFactory()
    db.session.commit()
    since = select(func.count()).select_from(User).where(User.created_at >= text(":since"))
    plan_for_values(db.session)
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    for _ in range(12):
        db.session.scalar(since, {"since": "2000-01-01"})
    generic, custom = _plans(db, "SELECT count(*) AS count_1 %users.created_at >= %")
    assert generic == 0 and custom >= 6, (generic, custom)
    db.session.rollback()  # the transaction ends, and the setting with it
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
    by_key = select(User.full_name).where(User.id == text(":id"))
    for _ in range(12):
        db.session.scalar(by_key, {"id": 1})
    generic, custom = _plans(db, "SELECT users.full_name %users.id = %")
    assert generic >= 1, (generic, custom)  # PostgreSQL chose its generic plan after five
    db.session.rollback()


def test_the_people_list_plans_for_its_values(app, db, client, login_as,
                                                               count_queries):
    """The reports that filter a million rows by date ranges ask for plans made for their
    values (a SET LOCAL in their transaction; nothing on SQLite)."""
    login_as("hr", preferred_language="en")
    with count_queries() as statements:
        assert client.get("/hr/people?from=2026-01-01").status_code == 200
    asked = [s for s in statements if "plan_cache_mode" in s]
    assert len(asked) == (1 if db.engine.dialect.name == "postgresql" else 0), statements
