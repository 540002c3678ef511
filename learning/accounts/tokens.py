"""Personal API tokens: creation, revocation, listing, and the official a token acts as.

A token is `hocso_` and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
a copy of the database opens nothing. A token acts exactly as its official, so it carries no
rights of its own; it stops working when it expires or is revoked. A new password (changed or
reset) and a deactivation revoke all the official's tokens, as they end the sessions. Must not
read the request: the API passes the token it received.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from learning.accounts.audit import audit
from learning.accounts.models import ApiToken, User
from learning.accounts.scope import SYSTEM, is_admin
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.params import has_unstorable

TOKEN_PREFIX = "hocso_"
TOKEN_BYTES = 32
NAME_MAX_LENGTH = 100
MAX_EXPIRY_DAYS = 3650
# Usable tokens an official may hold at once: enough for every script and system, few
# enough that a forgotten loop creating tokens is noticed.
MAX_ACTIVE_TOKENS = 20
# The last-used time is a hint for the owner ("used 3 minutes ago"), so it is written at most
# this often, not on every request of a busy script.
TOUCH_EVERY = timedelta(minutes=1)
# Longer than any token we issue; longer input is not looked up at all.
_MAX_TOKEN_LENGTH = 100


@dataclass
class NewToken:
    """A token just created, with its secret: shown once, never stored."""

    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _hint(secret: str) -> str:
    """Return the part of a token shown on the account page: prefix, first and last chars."""
    return f"{secret[:len(TOKEN_PREFIX) + 4]}…{secret[-4:]}"


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX_LENGTH:
        raise RuleViolation(_l("Use at most %(max)d characters.", max=NAME_MAX_LENGTH),
                            field="name")
    if has_unstorable(name):
        raise RuleViolation(_l("Remove the invalid characters."), field="name")
    return name


def can_manage_token(actor: User | None, token: ApiToken) -> bool:
    """Tell whether the actor may see and revoke `token`: its owner, or an administrator."""
    return is_admin(actor) or actor.id == token.user_id


def active_token_count(owner: User, *, now: datetime) -> int:
    """Count the tokens of `owner` that still work (neither revoked nor expired)."""
    return db.session.scalar(
        select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == owner.id, ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))) or 0


def create_token(
    actor: User | None,
    owner: User,
    *,
    name: str | None = "",
    expires_days: int | None = None,
    now: datetime,
) -> NewToken:
    """Create an API token for `owner` (by the owner, an administrator or the command line)."""
    if not (actor is SYSTEM or is_admin(actor) or actor.id == owner.id):
        raise PermissionDenied(_l("You may create API tokens only for yourself."))
    if not owner.is_active:
        raise RuleViolation(_l("This account is deactivated: it cannot have API tokens."))
    name = _clean_name(name)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise RuleViolation(
            _l("Choose between %(min)d and %(max)d days.", min=1, max=MAX_EXPIRY_DAYS),
            field="expires_days")
    if active_token_count(owner, now=now) >= MAX_ACTIVE_TOKENS:
        raise RuleViolation(_l("An account may have at most %(count)d API tokens in use. "
                               "Revoke one you no longer need first.",
                               count=MAX_ACTIVE_TOKENS))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        user_id=owner.id, name=name, token_hash=_digest(secret), hint=_hint(secret),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days is not None else None)
    db.session.add(token)
    db.session.flush()
    audit(actor, "api_token.create", token, now=now, user=owner.username, name=name,
          expires_at=token.expires_at)
    return NewToken(token, secret)


def get_token(actor: User | None, token_id: int) -> ApiToken:
    """Return a token the actor may manage; NotFound otherwise (no probing for other ids)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_manage_token(actor, token):
        raise NotFound(_l("No such API token."))
    return token


def revoke_token(actor: User | None, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token now (idempotent); it stops working at its next request."""
    token = get_token(actor, token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        audit(actor, "api_token.revoke", token, now=now, user=token.user.username,
              name=token.name)
    return token


def revoke_all_tokens(user: User, *, now: datetime) -> int:
    """Revoke every token of `user` not revoked yet (a new password, a deactivation: whoever
    held the account or its session for a while may have made one); return how many."""
    if user.id is None:  # a new account has none yet
        return 0
    return db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount


def list_tokens(owner: User, *, include_revoked: bool = False) -> list[ApiToken]:
    """Return the official's tokens, newest first (revoked ones only when asked)."""
    statement = select(ApiToken).where(ApiToken.user_id == owner.id)
    if not include_revoked:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(
        statement.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def find_token_user(secret: str | None, *, now: datetime) -> tuple[ApiToken, User] | None:
    """Return the token and the active official it acts as, or None when it opens nothing."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > _MAX_TOKEN_LENGTH:
        return None
    found = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(secret))
    ).first()
    if found is None:
        return None
    token, user = found
    if not token.is_usable(now) or not user.is_active:
        return None
    return token, user


def note_token_use(token: ApiToken, *, now: datetime, every: timedelta = TOUCH_EVERY) -> bool:
    """Record that the token was used, unless that was recorded less than `every` ago.

    The UPDATE is conditional, so parallel requests write it once; returns whether this call
    wrote it."""
    if token.last_used_at is not None and token.last_used_at > now - every:
        return False
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - every))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)
