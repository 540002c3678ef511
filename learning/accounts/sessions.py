"""Server-side sessions: what the session cookie designates and when it stops working.

The signed cookie carries only a random token (256 bits); `user_sessions` keeps its SHA-256
with the official, when it started, when it was last seen and when it ended. Sign-out ends one
session; a password change or reset and deactivation end all of the official's sessions; a
session also ends after an idle time and after an absolute lifetime. Must not read the request:
views pass the address and browser they want recorded.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from learning.accounts.models import RoleGrant, User, UserSession
from learning.db import db

log = logging.getLogger(__name__)
TOKEN_BYTES = 32
# Ended sessions are kept this long as a record of who was signed in where, then deleted.
KEEP_FOR = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, now: datetime, ip: str = "", user_agent: str = "") -> str:
    """Open a server session for `user` and return its token (stored only as a hash)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(UserSession(
        token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
        ip=(ip or "")[:64], user_agent=(user_agent or "")[:200]))
    user.session_token = token  # what Flask-Login's login_user puts in the cookie
    if secrets.randbelow(50) == 0:  # keep the table small
        db.session.execute(delete(UserSession).where(or_(
            UserSession.ended_at < now - KEEP_FOR, UserSession.last_seen_at < now - KEEP_FOR)))
    db.session.flush()
    return token


def is_live(row, *, now: datetime, idle: timedelta, lifetime: timedelta) -> bool:
    """Tell whether a session still works: not ended, not idle too long, not too old (`row`: a
    UserSession, or a row with its `ended_at`, `last_seen_at` and `created_at`)."""
    return (row.ended_at is None and now < row.last_seen_at + idle
            and now < row.created_at + lifetime)


# One statement for the session, the account and its role grants, on the tables' columns: every
# signed-in request runs it, and a Core statement skips the ORM's handling of the result (about
# a third of the session check). `_entity` then makes the account and its grants the session's
# persistent objects as a query would. The departments (the official's, an HR grant's scope)
# load when a page reads them: most pages never do.
_users, _sessions, _grants = User.__table__, UserSession.__table__, RoleGrant.__table__


def _fields(model, prefix: str) -> tuple[tuple[str, str], ...]:
    """(attribute, result label) of each of a model's columns."""
    mapper = model.__mapper__
    return tuple((mapper.get_property_by_column(column).key, prefix + column.key)
                 for column in model.__table__.columns)


_USER_FIELDS, _GRANT_FIELDS = _fields(User, "u_"), _fields(RoleGrant, "g_")
_SESSION_USER = (
    select(*(column.label("u_" + column.key) for column in _users.columns),
           _sessions.c.id.label("session_id"), _sessions.c.ended_at, _sessions.c.last_seen_at,
           _sessions.c.created_at,
           *(column.label("g_" + column.key) for column in _grants.columns))
    .select_from(_sessions.join(_users, _users.c.id == _sessions.c.user_id)
                 .outerjoin(_grants, _grants.c.user_id == _users.c.id))
    .where(_sessions.c.token_hash == bindparam("token_hash"))
    .order_by(_grants.c.id))


def _entity(model, fields, row):
    """The persistent object of `model` a row's labelled columns hold: the session's own when
    it has it already (as a query returns it), else a new one, not yet added."""
    values = row._mapping
    identity = db.session.identity_key(model, values[fields[0][1]])
    found = db.session.identity_map.get(identity)
    if found is not None:
        return found, False
    entity = model.__mapper__.class_manager.new_instance()
    entity.__dict__.update((key, values[label]) for key, label in fields)
    make_transient_to_detached(entity)  # loaded as it is in the database
    return entity, True


def load_session_user(
    token: str,
    *,
    now: datetime,
    idle: timedelta,
    lifetime: timedelta,
    touch_every: timedelta = timedelta(minutes=1),
) -> User | None:
    """Return the active official whose live session `token` designates, or None."""
    if not token or len(token) > 100:
        return None
    rows = db.session.execute(_SESSION_USER, {"token_hash": _digest(token)}).all()
    if not rows:
        return None
    found = rows[0]
    if not is_live(found, now=now, idle=idle, lifetime=lifetime) or not found.u_is_active:
        return None
    user, new = _entity(User, _USER_FIELDS, found)
    if new:
        grants = [_entity(RoleGrant, _GRANT_FIELDS, row)[0] for row in rows
                  if row.g_id is not None]
        set_committed_value(user, "grants", grants)
        db.session.add(user)  # with its grants (the relationship's cascade)
    if found.last_seen_at <= now - touch_every:
        _touch(found.session_id, now=now, touch_every=touch_every)
    user.session_token = token
    return user


def _touch(session_id: int, *, now: datetime, touch_every: timedelta) -> None:
    """Move a session's last-seen time forward, in a transaction of its own."""
    # A page view reads; it does not write, and a GET never commits. The idle clock needs a
    # write, so it is kept coarse (once per `touch_every`, conditional so parallel requests
    # write once) and done on its own short connection, apart from the request's transaction.
    # Losing one (SQLite busy) only means the next request a minute later does it.
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(UserSession)
                .where(UserSession.id == session_id,
                       UserSession.last_seen_at <= now - touch_every)
                .values(last_seen_at=now))
    except OperationalError:
        log.warning("Could not record session %s as seen", session_id, exc_info=True)


def end_session(token: str | None, *, now: datetime, reason: str = "sign-out") -> None:
    """End the one session `token` designates (sign-out)."""
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason))


def end_sessions(user: User, *, now: datetime, reason: str) -> None:
    """End every open session of `user` (password change or reset, deactivation)."""
    if user.id is None:  # a new account has none yet
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason))
    user.session_token = None

