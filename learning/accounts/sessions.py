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
from sqlalchemy.orm import joinedload, lazyload

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


# One statement for the session, the account and its role grants; built once, as every
# signed-in request runs it. The session's times come as plain columns (an entity would cost
# the ORM a second object to build and track on every request), and the departments (the
# official's, an HR grant's scope) load when a page reads them: most pages never do.
_SESSION_USER = (
    select(User, UserSession.id.label("session_id"), UserSession.ended_at,
           UserSession.last_seen_at, UserSession.created_at)
    .select_from(UserSession).join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(joinedload(User.grants).lazyload(RoleGrant.scope_department),
             lazyload(User.department)))


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
    found = db.session.execute(_SESSION_USER, {"token_hash": _digest(token)}).unique().first()
    if found is None:
        return None
    user = found[0]
    if not is_live(found, now=now, idle=idle, lifetime=lifetime) or not user.is_active:
        return None
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

