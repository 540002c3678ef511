"""Passwords: argon2id hashes, strength rules, changes by the official and resets by an admin."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

from learning.accounts.audit import audit
from learning.accounts.models import User
from learning.accounts.scope import require_admin
from learning.accounts.sessions import end_sessions
from learning.accounts.tokens import revoke_all_tokens
from learning.errors import RuleViolation

# OWASP's second recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("timing-equaliser")

def hash_password(password: str) -> str:
    """Return an argon2id hash of `password`."""
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Verify `password` for `user`, spending the same time when there is no user or hash."""
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return True


def validate_new_password(password: str, user: User | None = None, min_length: int = 10) -> None:
    """Raise RuleViolation (on field `new_password`) when `password` is too weak."""
    if len(password) < min_length:
        raise RuleViolation(
            _l("Use at least %(n)d characters.", n=min_length), field="new_password"
        )
    if user is not None:
        lowered = password.casefold()
        for personal in (user.username, user.staff_number or "", (user.email or "").split("@")[0]):
            if personal and len(personal) >= 4 and personal.casefold() in lowered:
                raise RuleViolation(
                    _l("The password must not contain your username, email or staff number."),
                    field="new_password",
                )
    if len(set(password)) < 4:
        raise RuleViolation(_l("The password is too easy to guess."), field="new_password")


def set_password(user: User, password: str, *, now: datetime, must_change: bool = False) -> None:
    """Store a new password hash, end all the official's sessions (the caller may open one)
    and revoke their API tokens."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = must_change
    end_sessions(user, now=now, reason="password")
    revoke_all_tokens(user, now=now)


def generate_temporary_password() -> str:
    """Return a random, readable one-time password."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def reset_password(actor: User | None, user: User, *, now: datetime) -> str:
    """Give `user` a temporary password they must change at next sign-in; return it once."""
    require_admin(actor)
    temporary = generate_temporary_password()
    set_password(user, temporary, now=now, must_change=True)
    audit(actor, "password.reset", user, now=now, username=user.username)
    return temporary

