"""Account rules: passwords, sign-in with throttling, users, roles, departments, scopes.

Services take the acting official explicitly (`actor`; None means the command line, which the
server operator runs) and `now`; they flush but never commit, and never read the request.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select

from learning.accounts.models import ROLES, AuditEvent, Department, RoleGrant, SignInAttempt, User
from learning.db import db
from learning.errors import DomainError, NotFound, PermissionDenied, RuleViolation
from learning.text import fold

# OWASP's second recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("timing-equaliser")
PATH_SEPARATOR = "/"
SYSTEM = None  # the actor for command-line work


class Throttled(DomainError):
    """Too many recent failed sign-ins for this account or address."""

    def __init__(self, message, retry_after: datetime):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidCredentials(DomainError):
    """Unknown username or wrong password (deliberately not told apart)."""


class AccountInactive(DomainError):
    """The account was deactivated by an administrator."""


# --- passwords -------------------------------------------------------------------------------

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
    """Store a new password hash; ends the official's other sessions."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = must_change


def change_own_password(
    user: User, current: str, new: str, *, now: datetime, min_length: int = 10
) -> None:
    """Let an official replace their password after proving the current one."""
    if not check_password(user, current):
        raise RuleViolation(_l("The current password is not correct."), field="current_password")
    if current == new:
        raise RuleViolation(
            _l("Choose a password different from the current one."), field="new_password"
        )
    validate_new_password(new, user, min_length)
    set_password(user, new, now=now)
    audit(user, "password.change", user, now=now)


def generate_temporary_password() -> str:
    """Return a random, readable one-time password."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def reset_password(actor: User | None, user: User, *, now: datetime) -> str:
    """Give `user` a temporary password they must change at next sign-in; return it once."""
    require_admin(actor)
    temporary = generate_temporary_password()
    set_password(user, temporary, now=now, must_change=True)
    audit(actor, "password.reset", user, now=now)
    return temporary


# --- sign-in and throttling ------------------------------------------------------------------

def normalize_username(value: str) -> str:
    """Return the canonical form of a typed username or email (trimmed, NFC, lower case)."""
    return unicodedata.normalize("NFC", value.strip()).casefold()


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


def _last_success(username: str) -> datetime | None:
    return db.session.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.username == username, SignInAttempt.succeeded.is_(True)
        )
    )


def check_throttle(
    username: str, ip: str, *, now: datetime, user_limit: int, ip_limit: int, window: timedelta
) -> None:
    """Raise Throttled when this account or this address failed too often recently."""
    until = _throttle_until(SignInAttempt.ip == ip, limit=ip_limit, window=window, now=now)
    if until and until > now:
        raise Throttled(
            _l("Too many failed sign-ins from this computer. Try again in %(minutes)d minutes.",
               minutes=_minutes_left(until, now)),
            until,
        )
    since = _last_success(username)
    condition = SignInAttempt.username == username
    if since is not None:
        condition = and_(condition, SignInAttempt.at > since)
    until = _throttle_until(condition, limit=user_limit, window=window, now=now)
    if until and until > now:
        raise Throttled(
            _l("Too many failed sign-ins for this account. Try again in %(minutes)d minutes.",
               minutes=_minutes_left(until, now)),
            until,
        )


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
    user_limit: int = 5,
    ip_limit: int = 20,
    window: timedelta = timedelta(minutes=15),
) -> User:
    """Check a sign-in, record the attempt and return the official, or raise why not."""
    typed = normalize_username(identifier)
    user = find_user_for_sign_in(typed)
    # Count per account, whether its username, email or staff number was typed.
    username = user.username if user is not None else typed
    check_throttle(username, ip, now=now, user_limit=user_limit, ip_limit=ip_limit, window=window)
    ok = check_password(user, password)
    db.session.add(SignInAttempt(username=username, ip=ip or "-", at=now, succeeded=ok))
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


# --- permissions and scope -------------------------------------------------------------------

def is_admin(actor: User | None) -> bool:
    """Tell whether the actor is the command line or an administrator."""
    return actor is SYSTEM or actor.has_role("admin")


def require_admin(actor: User | None) -> None:
    """Raise PermissionDenied unless the actor administers the platform."""
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators may do this."))


def hr_scope(actor: User | None) -> Department | None | bool:
    """Return the HR scope: a Department, None for the whole ministry, False for no HR rights."""
    if is_admin(actor):
        return None
    grant = actor.grant("hr")
    if grant is None:
        return False
    return grant.scope_department


def officials_in_scope_condition(actor: User | None):
    """Return a SQL condition selecting the users whose records the actor may see as HR."""
    scope = hr_scope(actor)
    if scope is False:
        return User.id == actor.id
    if scope is None:
        return True
    return User.department_id.in_(
        select(Department.id).where(Department.path.startswith(scope.path))
    )


def can_view_official(actor: User | None, official: User) -> bool:
    """Tell whether the actor may see `official`'s records."""
    if actor is not SYSTEM and actor.id == official.id:
        return True
    scope = hr_scope(actor)
    if scope is False:
        return False
    if scope is None:
        return True
    return official.department is not None and official.department.is_within(scope)


def require_view_official(actor: User | None, official: User) -> None:
    """Raise PermissionDenied unless the actor may see `official`'s records."""
    if not can_view_official(actor, official):
        raise PermissionDenied(_l("You may not see this official's records."))


def can_use_hr_pages(actor: User | None) -> bool:
    """Tell whether the actor has HR (or admin) rights somewhere."""
    return hr_scope(actor) is not False


# --- audit -----------------------------------------------------------------------------------

def audit(actor: User | None, action: str, target, *, now: datetime, **details) -> None:
    """Record an administrative action."""
    db.session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=target if isinstance(target, str) else type(target).__name__.lower(),
            target_id=None if isinstance(target, str) else getattr(target, "id", None),
            details=json.dumps(details, ensure_ascii=False, default=str) if details else "",
        )
    )


# --- departments -----------------------------------------------------------------------------

def clean_name(value: str) -> str:
    """Return a name with NFC normalisation and collapsed white space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def split_path(path: str) -> list[str]:
    """Split a department path such as 'Bộ/Cục/Phòng' into clean segment names."""
    return [clean_name(part) for part in (path or "").split(PATH_SEPARATOR) if clean_name(part)]


def department_path(department: Department, by_id: dict[int, Department] | None = None) -> str:
    """Return the readable path of a department, e.g. 'Bộ Ngoại giao/Cục Lãnh sự'."""
    names = []
    node = department
    while node is not None:
        names.append(node.name)
        if by_id is not None:
            node = by_id.get(node.parent_id) if node.parent_id else None
        else:
            node = node.parent
    return PATH_SEPARATOR.join(reversed(names))


def all_departments() -> list[Department]:
    """Return every department, parents before children, siblings by name."""
    departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    return sorted(departments, key=lambda d: department_path(d, by_id).casefold())


def department_paths() -> dict[str, Department]:
    """Map every department's casefolded path to the department."""
    departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    return {department_path(d, by_id).casefold(): d for d in departments}


def _sibling_exists(name: str, parent: Department | None, exclude_id: int | None = None) -> bool:
    condition = (
        Department.parent_id == parent.id if parent is not None else Department.parent_id.is_(None)
    )
    query = select(Department.id).where(condition, func.lower(Department.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _new_department(name: str, parent: Department | None) -> Department:
    department = Department(name=name, parent=parent, path="")
    db.session.add(department)
    db.session.flush()
    department.path = (parent.path if parent else PATH_SEPARATOR) + f"{department.id}/"
    return department


def create_department(
    actor: User | None, name: str, parent: Department | None, *, now: datetime
) -> Department:
    """Add a department under `parent` (or a new root)."""
    require_admin(actor)
    name = clean_name(name)
    if not name:
        raise RuleViolation(_l("Enter a name."), field="name")
    if _sibling_exists(name, parent):
        raise RuleViolation(_l("A department with this name already exists here."), field="name")
    department = _new_department(name, parent)
    audit(actor, "department.create", department, now=now, name=name)
    return department


def update_department(
    actor: User | None,
    department: Department,
    *,
    name: str,
    parent: Department | None,
    now: datetime,
) -> None:
    """Rename and/or move a department with its whole subtree."""
    require_admin(actor)
    name = clean_name(name)
    if not name:
        raise RuleViolation(_l("Enter a name."), field="name")
    if parent is not None and parent.is_within(department):
        raise RuleViolation(
            _l("A department cannot be moved below itself."), field="parent_id"
        )
    if _sibling_exists(name, parent, exclude_id=department.id):
        raise RuleViolation(_l("A department with this name already exists here."), field="name")
    old_path = department.path
    department.name = name
    if department.parent_id != (parent.id if parent else None):
        department.parent = parent
        new_path = (parent.path if parent else PATH_SEPARATOR) + f"{department.id}/"
        for node in db.session.scalars(
            select(Department).where(Department.path.startswith(old_path))
        ):
            node.path = new_path + node.path[len(old_path):]
    audit(actor, "department.update", department, now=now, name=name)


def delete_department(actor: User | None, department: Department, *, now: datetime) -> None:
    """Delete an empty department (no units below it, no officials in it)."""
    require_admin(actor)
    if department.children:
        raise RuleViolation(_l("Delete or move the units below this department first."))
    in_use = db.session.scalar(
        select(func.count()).select_from(User).where(User.department_id == department.id)
    ) or db.session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .where(RoleGrant.scope_department_id == department.id)
    )
    if in_use:
        raise RuleViolation(_l("Officials or HR scopes still use this department."))
    audit(actor, "department.delete", department, now=now, name=department.name)
    db.session.delete(department)


def ensure_department_path(path: str, existing: dict[str, Department] | None = None) -> Department:
    """Return the department at `path`, creating missing levels (used by import and demo)."""
    existing = department_paths() if existing is None else existing
    parent = None
    walked: list[str] = []
    for name in split_path(path):
        walked.append(name)
        key = PATH_SEPARATOR.join(walked).casefold()
        node = existing.get(key)
        if node is None:
            node = _new_department(name, parent)
            existing[key] = node
        parent = node
    if parent is None:
        raise RuleViolation(_l("Enter a department path."), field="department")
    return parent


def get_department(department_id: int) -> Department:
    """Return a department or raise NotFound."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(_l("No such department."))
    return department


# --- users -----------------------------------------------------------------------------------

@dataclass
class UserData:
    """The editable fields of an account, as plain values."""

    username: str
    full_name: str
    email: str | None
    staff_number: str | None
    job_title: str
    department_id: int | None
    roles: set[str]
    hr_scope_department_id: int | None = None
    preferred_language: str = "vi"


def normalize_email(value: str | None) -> str | None:
    """Validate and normalise an email address; None when blank."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise RuleViolation(_l("Enter a valid email address."), field="email") from None
    return result.normalized.lower()


def _clean_user_data(data: UserData, existing: User | None) -> UserData:
    username = normalize_username(data.username)
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise RuleViolation(_l("Enter a username without spaces."), field="username")
    full_name = clean_name(data.full_name)
    if not full_name:
        raise RuleViolation(_l("Enter the full name."), field="full_name")
    email = normalize_email(data.email)
    staff_number = clean_name(data.staff_number or "") or None
    roles = set(data.roles) or {"learner"}
    unknown = roles - set(ROLES)
    if unknown:
        raise RuleViolation(
            _l("Unknown role: %(roles)s", roles=", ".join(sorted(unknown))), field="roles"
        )
    other = lambda column, value: db.session.scalar(  # noqa: E731
        select(User.id).where(func.lower(column) == value.lower(),
                              User.id != (existing.id if existing else -1)).limit(1)
    )
    if other(User.username, username):
        raise RuleViolation(_l("This username is already taken."), field="username")
    if email and other(User.email, email):
        raise RuleViolation(_l("Another account already uses this email."), field="email")
    if staff_number and other(User.staff_number, staff_number):
        raise RuleViolation(
            _l("Another account already has this staff number."), field="staff_number"
        )
    if data.department_id is not None:
        get_department(data.department_id)
    if data.hr_scope_department_id is not None:
        get_department(data.hr_scope_department_id)
    return UserData(
        username=username,
        full_name=full_name,
        email=email,
        staff_number=staff_number,
        job_title=clean_name(data.job_title),
        department_id=data.department_id,
        roles=roles,
        hr_scope_department_id=data.hr_scope_department_id if "hr" in roles else None,
        preferred_language=data.preferred_language
        if data.preferred_language in ("vi", "en", "ko") else "vi",
    )


def set_roles(user: User, roles: set[str], hr_scope_department_id: int | None) -> None:
    """Make the official's grants exactly `roles` (HR with the given scope)."""
    for grant in list(user.grants):
        if grant.role not in roles:
            user.grants.remove(grant)
    for role in sorted(roles):
        grant = user.grant(role)
        if grant is None:
            grant = RoleGrant(role=role)
            user.grants.append(grant)
        grant.scope_department_id = hr_scope_department_id if role == "hr" else None


def create_user(
    actor: User | None,
    data: UserData,
    *,
    password: str | None,
    now: datetime,
    must_change_password: bool = True,
) -> User:
    """Create an account; with a password it can sign in (and must change it if told so)."""
    require_admin(actor)
    clean = _clean_user_data(data, None)
    user = User(
        username=clean.username,
        full_name=clean.full_name,
        email=clean.email,
        staff_number=clean.staff_number,
        job_title=clean.job_title,
        department_id=clean.department_id,
        preferred_language=clean.preferred_language,
        is_active_account=True,
        created_at=now,
        updated_at=now,
    )
    if password:
        try:
            validate_new_password(password, None)
        except RuleViolation as error:  # the account form calls this field "password"
            raise RuleViolation(error.message, field="password") from None
        set_password(user, password, now=now, must_change=must_change_password)
    user.refresh_search_text()
    set_roles(user, clean.roles, clean.hr_scope_department_id)
    db.session.add(user)
    db.session.flush()
    audit(actor, "user.create", user, now=now, username=user.username)
    return user


def update_user(actor: User | None, user: User, data: UserData, *, now: datetime) -> None:
    """Change an account's details and roles."""
    require_admin(actor)
    clean = _clean_user_data(data, user)
    if actor is not SYSTEM and actor.id == user.id and "admin" not in clean.roles:
        raise RuleViolation(_l("You cannot remove your own administrator role."), field="roles")
    user.username = clean.username
    user.full_name = clean.full_name
    user.email = clean.email
    user.staff_number = clean.staff_number
    user.job_title = clean.job_title
    user.department_id = clean.department_id
    user.preferred_language = clean.preferred_language
    user.refresh_search_text()
    set_roles(user, clean.roles, clean.hr_scope_department_id)
    user.updated_at = now
    audit(actor, "user.update", user, now=now)


def set_active(actor: User | None, user: User, active: bool, *, now: datetime) -> None:
    """Deactivate (or reactivate) an account; its records stay."""
    require_admin(actor)
    if not active and actor is not SYSTEM and actor.id == user.id:
        raise RuleViolation(_l("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:  # end the account's sessions now
        user.password_changed_at = now
    audit(actor, "user.activate" if active else "user.deactivate", user, now=now)


def set_language(user: User, language: str) -> None:
    """Keep the official's chosen interface language."""
    if language not in ("vi", "en", "ko"):
        raise RuleViolation(_l("Unsupported language."), field="language")
    user.preferred_language = language


def get_user(user_id: int) -> User:
    """Return an account or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such account."))
    return user


def load_session_user(session_id: str) -> User | None:
    """Resolve a Flask-Login session id ('user:password-epoch') to an active account."""
    user_id, _, stamp = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.get_id() != session_id or not user.is_active:
        return None
    return user


def list_officials(actor: User | None, *, query: str = "", department_id: int | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """Return a page of officials the actor may see, filtered, and the total count."""
    conditions = [officials_in_scope_condition(actor)]
    for word in fold(query).split():
        conditions.append(User.search_text.contains(word, autoescape=True))
    if department_id:
        department = get_department(department_id)
        conditions.append(
            User.department_id.in_(
                select(Department.id).where(Department.path.startswith(department.path))
            )
        )
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions))
    users = db.session.scalars(
        select(User).where(*conditions).order_by(User.full_name, User.id)
        .limit(limit).offset(offset)
    ).all()
    return list(users), total or 0


def count_officials_by_department() -> dict[int, int]:
    """Return the number of accounts directly in each department."""
    return dict(
        db.session.execute(
            select(User.department_id, func.count())
            .where(User.department_id.is_not(None))
            .group_by(User.department_id)
        ).all()
    )
