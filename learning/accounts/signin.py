"""Signing in: finding the account a typed name designates, checking it, counting failures.

Throttling counts failed sign-ins in the database, so it holds across workers and hosts, and
counts under a lock (`learning.ratelimit.lock`), so parallel guesses cannot slip past the limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, or_, select, true

from learning import ratelimit
from learning.accounts.audit import audit
from learning.accounts.models import SignInAttempt, User
from learning.accounts.passwords import check_password, set_password, validate_new_password
from learning.accounts.scope import require_admin
from learning.accounts.users import normalize_username
from learning.db import db
from learning.errors import DomainError, RuleViolation

# The longest identifier stored (an email; sign_in_attempts.username and the lock keys hold
# as much): a longer typed name is nobody's.
MAX_IDENTIFIER = 254


class Throttled(DomainError):
    """Too many recent failed sign-ins for this account or address."""

    def __init__(self, message, retry_after: datetime):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidCredentials(DomainError):
    """Unknown username or wrong password (deliberately not told apart)."""


class AccountInactive(DomainError):
    """The account was deactivated by an administrator."""


@dataclass(frozen=True)
class Limits:
    """The throttle: failed sign-ins an account and an address may have within the window."""

    account: int = 5
    address: int = 20
    window: timedelta = timedelta(minutes=15)


DEVICE_COOKIE = "hocso_device"
DEVICE_COOKIE_DAYS = 365
_DEVICE_SALT = "hocso-device-cookie"


@dataclass(frozen=True)
class Device:
    """A browser's device cookie, verified: the account that signed in from it and its id."""

    username: str
    id: str


def new_device_cookie(secret_key: str, username: str, device: Device | None = None) -> str:
    """Return the device cookie to give a browser that just signed in as `username` (keeping
    the browser's id when its cookie was already this account's)."""
    device_id = device.id if device is not None and device.username == username \
        else secrets.token_urlsafe(16)
    return URLSafeTimedSerializer(secret_key, salt=_DEVICE_SALT).dumps(
        {"u": username, "d": device_id})


def read_device_cookie(secret_key: str, value: str | None) -> Device | None:
    """Return the device a cookie names, or None for a missing, forged or expired one."""
    if not value or len(value) > 500:
        return None
    try:
        data = URLSafeTimedSerializer(secret_key, salt=_DEVICE_SALT).loads(
            value, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadData:
        return None
    if not (isinstance(data, dict) and isinstance(data.get("u"), str)
            and isinstance(data.get("d"), str)):
        return None
    return Device(data["u"], data["d"])


def device_for(device: Device | None, user: User | None) -> str | None:
    """The key attempts are counted under when `device` is a browser `user` signed in from
    before (the SHA-256 of its id), else None."""
    if device is None or user is None or device.username != user.username:
        return None
    return hashlib.sha256(device.id.encode()).hexdigest()


def _throttle_until(
    condition, *, limit: int, window: timedelta, now: datetime
) -> datetime | None:
    """Return when throttling ends if at least `limit` failures match `condition` in the window."""
    times = db.session.scalars(
        select(SignInAttempt.at)
        .where(condition, SignInAttempt.succeeded.is_(False), SignInAttempt.at > now - window)
        .order_by(SignInAttempt.at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return times[-1] + window


def _since_last_success(username: str):
    """The attempts after the account's last successful sign-in (all when it never had one):
    a success wipes the slate."""
    since = db.session.scalar(select(func.max(SignInAttempt.at)).where(
        SignInAttempt.username == username, SignInAttempt.succeeded.is_(True)))
    return SignInAttempt.at > since if since is not None else true()


def _from_new_browsers(username: str):
    """Attempts at `username` from browsers it never signed in from."""
    return and_(SignInAttempt.username == username, SignInAttempt.device.is_(None))


def check_throttle(username: str, ip: str, *, now: datetime, limits: Limits,
                   device: str | None = None) -> None:
    """Raise Throttled when this account or this address failed too often recently.

    A browser the account signed in from before (`device`, from `device_for`) is judged by its
    own failures only: guesses from other browsers, however many, never lock the owner out of
    the account or out of a shared office address (OWASP's device cookies)."""
    if device is None:
        until = _throttle_until(and_(SignInAttempt.ip == ip, SignInAttempt.device.is_(None)),
                                limit=limits.address, window=limits.window, now=now)
        if until and until > now:
            raise Throttled(
                _l("Too many failed sign-ins from this computer. Try again in %(minutes)d "
                   "minutes.", minutes=_minutes_left(until, now)),
                until,
            )
    browsers = SignInAttempt.device == device if device is not None \
        else _from_new_browsers(username)
    until = _throttle_until(and_(browsers, _since_last_success(username)),
                            limit=limits.account, window=limits.window, now=now)
    if until and until > now:
        raise Throttled(
            _l("Too many failed sign-ins for this account. Try again in %(minutes)d minutes.",
               minutes=_minutes_left(until, now)),
            until,
        )


def change_own_password(
    user: User,
    current: str,
    new: str,
    *,
    ip: str,
    now: datetime,
    min_length: int = 10,
    limits: Limits = Limits(),
) -> None:
    """Let an official replace their password after proving the current one. The proof is
    counted as a sign-in is (a stolen session is no faster a way to guess the password): raise
    Throttled, or InvalidCredentials after recording the failure (the caller commits it), or
    RuleViolation for a new password the rules refuse (the caller rolls back)."""
    ip = ip or "-"
    if not _counted_check(user.username, ip, lambda: check_password(user, current), now=now,
                          limits=limits):
        db.session.add(SignInAttempt(username=user.username, ip=ip, at=now, succeeded=False))
        db.session.flush()
        raise InvalidCredentials(_l("The current password is not correct."),
                                 field="current_password")
    if current == new:
        raise RuleViolation(
            _l("Choose a password different from the current one."), field="new_password"
        )
    validate_new_password(new, user, min_length)
    set_password(user, new, now=now)
    audit(user, "password.change", user, now=now, username=user.username)


def _counted_check(username: str, ip: str, check: Callable[[], bool], *, now: datetime,
                   limits: Limits, device: str | None = None) -> bool:
    """Run a password `check` as a counted guess at `username` from `ip` and return its
    answer, holding both counting locks: the caller records the attempt before they are
    released at commit (a refusal must be rolled back by the caller). Raise Throttled instead
    when the account or the address failed too often."""
    # A first look without locks: a locked account or address costs no password hash.
    check_throttle(username, ip, now=now, limits=limits, device=device)
    ok = check()
    # Hashing takes tens of milliseconds: parallel guesses would all pass the look above before
    # any of them is recorded. Look again under both counting locks (always address first, so two
    # sign-ins never wait for each other crosswise).
    ratelimit.lock("sign-in-address", ip, now=now)
    ratelimit.lock("sign-in-account", username, now=now)
    check_throttle(username, ip, now=now, limits=limits, device=device)
    return ok


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def find_user_for_sign_in(identifier: str) -> User | None:
    """Find the account a typed username, email or staff number designates."""
    return db.session.scalar(
        select(User).where(
            or_(
                func.lower(User.username) == identifier,
                func.lower(User.email) == identifier,
                func.lower(User.staff_number) == identifier,
            )
        ).limit(1)
    )


def authenticate(
    identifier: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    limits: Limits = Limits(),
    device: Device | None = None,
) -> User:
    """Check a sign-in, record the attempt and return the official, or raise why not
    (`device`: the browser's verified device cookie, if it has one)."""
    typed = normalize_username(identifier)
    # Folding can lengthen a name (ß → ss, ﬃ → ffi) past any stored one: such a name is
    # nobody's, and it is counted under its first characters (what the columns hold).
    user = find_user_for_sign_in(typed) if len(typed) <= MAX_IDENTIFIER else None
    # Count per account, whether its username, email or staff number was typed.
    username = user.username if user is not None else typed[:MAX_IDENTIFIER]
    ip = ip or "-"
    known = device_for(device, user)
    ok = _counted_check(username, ip, lambda: check_password(user, password), now=now,
                        limits=limits, device=known)
    db.session.add(SignInAttempt(username=username, ip=ip, at=now, succeeded=ok, device=known))
    _forget_old_attempts(now)
    if not ok:
        db.session.flush()
        raise InvalidCredentials(_l("The username or password is not correct."))
    if not user.is_active:
        raise AccountInactive(
            _l("This account has been deactivated. Please contact your administrator.")
        )
    user.last_sign_in_at = now
    db.session.flush()
    return user


def _forget_old_attempts(now: datetime) -> None:
    """Keep the attempts table small: a day of history is plenty for throttling."""
    if secrets.randbelow(50) == 0:
        db.session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - timedelta(days=1)))
        ratelimit.forget_old(now)


@dataclass(frozen=True)
class SignInLock:
    """How an account stands against the throttle: its failed sign-ins since its last success
    in the window (from any browser), and until when they keep it from signing in from a
    browser it never signed in from (None: they do not)."""

    failures: int
    until: datetime | None


def sign_in_lock(user: User, *, now: datetime, limits: Limits = Limits()) -> SignInLock:
    """Tell an administrator whether `user` is locked out of signing in."""
    since = _since_last_success(user.username)
    failures = db.session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.username == user.username, SignInAttempt.succeeded.is_(False),
        SignInAttempt.at > now - limits.window, since))
    until = _throttle_until(and_(_from_new_browsers(user.username), since),
                            limit=limits.account, window=limits.window, now=now)
    return SignInLock(failures, until if until is not None and until > now else None)


def unlock_sign_in(actor: User | None, user: User, *, now: datetime) -> int:
    """Forget the failed sign-ins counted against `user`, from every browser, so the owner
    can sign in at once (an administrator's action, audited); return how many."""
    require_admin(actor)
    ratelimit.lock("sign-in-account", user.username, now=now)  # as a counted guess does
    forgotten = db.session.execute(
        delete(SignInAttempt).where(SignInAttempt.username == user.username,
                                    SignInAttempt.succeeded.is_(False))).rowcount
    audit(actor, "sign_in.unlock", user, now=now, username=user.username, failures=forgotten)
    return forgotten


def canonical_address(typed: str) -> str:
    """Return an IP address as typed in its canonical form (2001:DB8:0:0::7 → 2001:db8::7), or
    raise RuleViolation."""
    try:
        return str(ipaddress.ip_address(typed.strip()))
    except ValueError:
        raise RuleViolation(_l("Enter an IP address, such as 10.20.0.1."), field="ip") from None


def unlock_address(actor: User | None, ip: str, *, now: datetime) -> int:
    """Forget the failed sign-ins from address `ip` (an office behind one address locked out
    of new browsers); return how many. Audited."""
    require_admin(actor)
    typed, ip = ip.strip(), canonical_address(ip)
    ratelimit.lock("sign-in-address", ip, now=now)
    forgotten = db.session.execute(  # as typed or as written canonically (IPv6's case)
        delete(SignInAttempt).where(SignInAttempt.ip.in_({typed, ip}),
                                    SignInAttempt.succeeded.is_(False))).rowcount
    audit(actor, "sign_in.unlock_address", "address", now=now, ip=ip, failures=forgotten)
    return forgotten
