"""The declarative base, the shared `db` handle and database connection settings.

Owns: naming conventions for constraints, SQLite pragmas (WAL, foreign keys, busy timeout),
the pool's check of PostgreSQL connections, the end of a web request's transaction,
schema-version checks. Must not import any feature package.
"""

from __future__ import annotations

import logging
import re
import select
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.pool import Pool

logger = logging.getLogger(__name__)

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


@event.listens_for(Pool, "checkout")
def _check_postgresql_connection(dbapi_connection, connection_record, connection_proxy):
    """Refuse a pooled PostgreSQL connection the server has closed, without a round trip.

    A server that restarts, or ends a backend, sends an error and closes the socket; nothing
    else arrives unasked on an idle connection of ours (no LISTEN), so one with something to
    read is given up. The pool then opens a new connection (SQLAlchemy retries a checkout
    refused this way). This replaces `pool_pre_ping`, which sent a query at every checkout:
    a round trip per request.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # SQLite: nothing to lose
        return
    try:
        usable = (not dbapi_connection.closed and not dbapi_connection.broken
                  and pgconn.status == 0  # CONNECTION_OK
                  and not select.select([pgconn.socket], [], [], 0)[0])
    except Exception as error:  # a socket already gone, or the driver's own error about it
        raise exc.DisconnectionError(str(error)) from error
    if not usable:
        dbapi_connection.close()  # the pool forgets it; psycopg warns of one left open
        raise exc.DisconnectionError("the server closed the connection")


# --- the end of a web request's transaction ---------------------------------------------------
# A request's session is removed at teardown, which rolls its transaction back. For a request
# that only read, COMMIT ends the transaction to the same effect, and psycopg keeps its prepared
# statements (it forgets them all on every ROLLBACK, so PostgreSQL would parse and plan each
# statement of every page afresh). A transaction that ran anything but SELECT still rolls back.

_WROTE = "hocso.wrote"
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)


@event.listens_for(Engine, "begin")
def _transaction_begins(connection) -> None:
    connection.info[_WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if not _READ.match(statement):
        connection.info[_WROTE] = True


def end_read_only_request(error: BaseException | None) -> None:
    """Commit the request's transaction when it only read (see above); otherwise leave it to
    the session's removal, which rolls it back."""
    if error is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(_WROTE, True):
        return
    try:
        session.commit()
    except exc.SQLAlchemyError:  # e.g. a failed statement the view caught: nothing to keep
        logger.warning("ending a read-only request's transaction failed", exc_info=True)
        session.rollback()


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
