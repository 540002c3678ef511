"""The declarative base, the shared `db` handle and database connection settings.

Owns: naming conventions for constraints, SQLite pragmas (WAL, foreign keys, busy timeout),
the pool's check of PostgreSQL connections, when a PostgreSQL transaction begins,
schema-version checks. Must not import any feature package.
"""

from __future__ import annotations

import logging
import re
import select
from collections.abc import Iterable
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, registry
from sqlalchemy.pool import Pool

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15_000


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base every model inherits from."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Turn on WAL, foreign keys and a busy timeout for every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# --- PostgreSQL: plans made for the values given, where the data is skewed --------------------
# psycopg prepares a statement the fifth time a connection runs it, and after five runs
# PostgreSQL may switch a prepared statement to a generic plan, made blind to the values. On
# skewed data that plan can be ruinous: `completed_at >= $1` is taken to match a third of the
# rows whatever the day, and a people list filtered by completion date at a million members
# went from 190 ms (custom plans) to 1-2 s (the generic plan) once prepared. The reports that
# filter a million rows by ranges call `plan_for_values` first. It is not set for every
# connection: planning each statement anew cost the pages half their rate (the lesson page
# 344 -> 234 requests per second, the signed-in floor 822 -> 469 on the 2-core machine), and
# their statements look rows up by key, where the generic plan is the right one.


def plan_for_values(session) -> None:
    """Have the rest of this transaction's statements planned for their values on PostgreSQL
    (SET LOCAL: it ends with the transaction, which this statement begins); nothing on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


# --- PostgreSQL: a transaction begins at the first statement that needs one -------------------
# In READ COMMITTED (PostgreSQL's default, which HọcSố uses) each statement reads its own
# snapshot whether or not it runs in a transaction, so plain SELECTs run outside one: a page
# that only reads sends its statements and nothing else (psycopg would send BEGIN before the
# first and ROLLBACK after the last, and forget its prepared statements at every ROLLBACK, so
# PostgreSQL would parse and plan each statement of each page anew). The first statement that
# writes or locks (anything but a plain SELECT; SELECT ... FOR UPDATE/SHARE), or streams its
# rows through a server-side cursor, begins the transaction, which holds every later statement
# until commit or rollback, as before.
# SQLite's driver begins its transactions the same way. A connection given an isolation level
# of its own (REPEATABLE READ, AUTOCOMMIT, ...) is left as asked.

_LAZY_BEGIN = "hocso.lazy_begin"
_PLAIN_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


def needs_transaction(statement: str) -> bool:
    """Tell whether a statement must run inside the transaction (it writes or locks)."""
    return not _PLAIN_SELECT.match(statement) or bool(_LOCKING.search(statement))


@event.listens_for(Pool, "checkout")
def _checkout_postgresql(dbapi_connection, connection_record, connection_proxy):
    """Check a pooled PostgreSQL connection (below), then let it read outside a transaction."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # SQLite
        return
    _refuse_if_closed(dbapi_connection, pgconn)
    if dbapi_connection.autocommit:  # already reading outside, or asked for AUTOCOMMIT
        return
    if pgconn.transaction_status == 0 and dbapi_connection.isolation_level is None:  # IDLE
        dbapi_connection.autocommit = True
        connection_record.info[_LAZY_BEGIN] = True


def _refuse_if_closed(dbapi_connection, pgconn) -> None:
    """Refuse a pooled PostgreSQL connection the server has closed, without a round trip.

    A server that restarts, or ends a backend, sends an error and closes the socket; nothing
    else arrives unasked on an idle connection of ours (no LISTEN), so one with something to
    read is given up. The pool then opens a new connection (SQLAlchemy retries a checkout
    refused this way). This replaces `pool_pre_ping`, which sent a query at every checkout:
    a round trip per request.
    """
    try:
        usable = (not dbapi_connection.closed and not dbapi_connection.broken
                  and pgconn.status == 0  # CONNECTION_OK
                  and not select.select([pgconn.socket], [], [], 0)[0])
    except Exception as error:  # a socket already gone, or the driver's own error about it
        raise exc.DisconnectionError(str(error)) from error
    if not usable:
        dbapi_connection.close()  # the pool forgets it; psycopg warns of one left open
        raise exc.DisconnectionError("the server closed the connection")


@event.listens_for(Engine, "before_cursor_execute")
def _begin_when_needed(connection, cursor, statement, parameters, context, executemany):
    record_info = connection.connection.info  # the pooled connection's, kept across checkouts
    if not record_info.get(_LAZY_BEGIN):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if "isolation_level" in connection.get_execution_options():
        # Asked for a level of its own: SQLAlchemy has set the driver up for it.
        record_info[_LAZY_BEGIN] = False
        return
    # A streamed result reads through a server-side cursor, which lives in a transaction.
    if needs_transaction(statement) or getattr(cursor, "name", None):
        dbapi_connection.autocommit = False  # psycopg sends BEGIN before this statement
        record_info[_LAZY_BEGIN] = False


# --- PostgreSQL: statistics brought up to date after a bulk write ----------------------------
# The planner knows a table by the statistics its last ANALYZE took. Autovacuum analyses a
# table within a minute or so of a large change, and until then a table that just grew from
# a few rows to 100,000 is planned as nearly empty: a campaign exported right after it was
# created read its members at 2.5 s per thousand rows. A bulk write (an officials import, a
# campaign enrolling everyone in scope, a rebuild of the summaries) notes the tables it
# filled, and they are analysed as soon as its transaction commits, on a connection of their
# own (ANALYZE reads a sample, ~30,000 rows, and blocks no reader or writer). A rollback
# forgets the note; a savepoint's release or rollback leaves it to the transaction's end.
# SQLite keeps no statistics unless asked, and HọcSố never asks.

ANALYZE_AFTER_ROWS = 1_000
# What an INSERT ... SELECT must be executed with for its result's rowcount to be the number
# of rows written (SQLAlchemy keeps it for UPDATE and DELETE only, unless asked).
COUNT_ROWS = {"preserve_rowcount": True}
_STALE_TABLES = "hocso.stale_tables"


def note_bulk_write(session, tables: Iterable[str], rows: int) -> None:
    """Note that this transaction wrote `rows` rows into `tables` (names of our tables): on
    PostgreSQL, from ANALYZE_AFTER_ROWS on, they are analysed once it commits."""
    if rows < ANALYZE_AFTER_ROWS or session.get_bind().dialect.name != "postgresql":
        return
    session.info.setdefault(_STALE_TABLES, set()).update(tables)


@event.listens_for(Session, "after_commit")
def _analyze_stale_tables(session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint's release: not the end
        return
    tables = session.info.pop(_STALE_TABLES, None)
    if not tables:
        return
    try:
        with session.get_bind().begin() as connection:
            for table in sorted(tables):
                connection.exec_driver_sql(f'ANALYZE "{table}"')
    except exc.DBAPIError:  # the data is committed; autovacuum will take the statistics later
        log.warning("Could not analyse %s after a bulk write", ", ".join(sorted(tables)),
                    exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_stale_tables(session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint's: what came before stays
        return
    session.info.pop(_STALE_TABLES, None)


def is_sqlite(engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def insert_for(session, model):
    """Return the dialect's INSERT for `model`, which supports ON CONFLICT (SQLite, PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
