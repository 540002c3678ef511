"""Accounts: creation, details, roles, activation, language, and the officials lists."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from learning.accounts.audit import audit, role_change, whole_ministry_path
from learning.accounts.departments import (
    clean_name,
    department_path,
    get_department,
    lock_directory,
)
from learning.accounts.models import ROLES, Department, RoleGrant, User
from learning.accounts.passwords import set_password, validate_new_password
from learning.accounts.scope import (
    SYSTEM,
    can_use_hr_pages,
    can_view_official,
    officials_in_scope_condition,
    require_admin,
)
from learning.accounts.signals import officials_placed
from learning.accounts.sessions import end_sessions
from learning.accounts.tokens import revoke_all_tokens
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.text import fold


def normalize_username(value: str) -> str:
    """Return the canonical form of a typed username or email (trimmed, NFC, lower case)."""
    return unicodedata.normalize("NFC", value.strip()).casefold()



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
    lock_directory(now=now)
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
    scope = {"hr_scope": _scope_path(clean.hr_scope_department_id)} if "hr" in clean.roles else {}
    audit(actor, "user.create", user, now=now, username=user.username,
          roles=sorted(clean.roles), **scope)
    officials_placed.send("accounts", user_ids=[user.id], now=now)
    return user


def _grants(user: User) -> dict[str, int | None]:
    return {grant.role: grant.scope_department_id for grant in user.grants}


def _scope_path(department_id: int | None) -> str:
    return whole_ministry_path(lambda id_: department_path(get_department(id_)))(department_id)


# The fields an account's audit event compares, old → new.
AUDITED_FIELDS = ("username", "full_name", "email", "staff_number", "job_title",
                  "preferred_language")


def update_user(actor: User | None, user: User, data: UserData, *, now: datetime) -> None:
    """Change an account's details and roles."""
    require_admin(actor)
    lock_directory(now=now)
    clean = _clean_user_data(data, user)
    placed_before = (user.department_id, user.job_title)
    if actor is not SYSTEM and actor.id == user.id and "admin" not in clean.roles:
        raise RuleViolation(_l("You cannot remove your own administrator role."), field="roles")
    changes = {
        name: f"{getattr(user, name) or ''} → {getattr(clean, name) or ''}"
        for name in AUDITED_FIELDS if getattr(user, name) != getattr(clean, name)
    }
    if user.department_id != clean.department_id:
        department = lambda id_: department_path(get_department(id_)) if id_ else ""  # noqa: E731
        changes["department"] = (f"{department(user.department_id)} → "
                                 f"{department(clean.department_id)}")
    old_grants = _grants(user)
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
    if changes:
        audit(actor, "user.update", user, now=now, **{"username": user.username, **changes})
    roles = role_change(old_grants, _grants(user), _scope_path)
    if roles:
        audit(actor, "user.roles", user, now=now, username=user.username, **roles)
    if (user.department_id, user.job_title) != placed_before:
        db.session.flush()
        officials_placed.send("accounts", user_ids=[user.id], now=now)


def set_active(actor: User | None, user: User, active: bool, *, now: datetime) -> None:
    """Deactivate (or reactivate) an account; its records stay."""
    require_admin(actor)
    if not active and actor is not SYSTEM and actor.id == user.id:
        raise RuleViolation(_l("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:  # signed-in browsers and scripts stop now, and do not come back
        end_sessions(user, now=now, reason="deactivated")
        revoke_all_tokens(user, now=now)
    audit(actor, "user.activate" if active else "user.deactivate", user, now=now,
          username=user.username)
    db.session.flush()
    officials_placed.send("accounts", user_ids=[user.id], now=now)


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


def get_official(actor: User | None, user_id: int | None = None, *,
                 username: str | None = None) -> User:
    """Return the official `user_id` (or the normalised `username`) names, for HR: if the actor
    may see their records (HR within scope, administrators). Someone without HR rights is
    refused before any look-up (PermissionDenied); an unknown official and one outside the
    actor's scope are NotFound alike, so HR cannot probe which accounts exist elsewhere."""
    if not can_use_hr_pages(actor):
        raise PermissionDenied(_l("Only HR and administrators may see this."))
    if username is not None:
        official = db.session.scalar(select(User).where(User.username == username)) \
            if username else None
    else:
        official = db.session.get(User, user_id)
    if official is None or not can_view_official(actor, official):
        raise NotFound(_l("No such official."))
    return official


def _officials_conditions(actor: User | None, query: str, department: Department | None):
    conditions = [officials_in_scope_condition(actor)]
    for word in fold(query).split():
        conditions.append(User.search_text.contains(word, autoescape=True))
    if department is not None:
        conditions.append(
            User.department_id.in_(
                select(Department.id).where(Department.path.startswith(department.path))
            )
        )
    return conditions


def list_officials(actor: User | None, *, query: str = "", department_id: int | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """Return a page of officials the actor may see, filtered, and the total count."""
    department = get_department(department_id) if department_id else None
    conditions = _officials_conditions(actor, query, department)
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions))
    users = db.session.scalars(
        select(User).where(*conditions).order_by(User.sort_name, User.full_name, User.id)
        .limit(limit).offset(offset)
    ).all()
    return list(users), total or 0


@dataclass(frozen=True)
class OfficialRecord:
    """One official as an export lists them: plain values, the department's full path."""

    staff_number: str | None
    full_name: str
    username: str
    department_path: str
    job_title: str
    email: str | None
    roles: tuple[str, ...]  # role codes in ROLES order
    is_active: bool
    last_sign_in_at: datetime | None


def export_officials(actor: User | None, *, query: str = "", department_id: int | None = None,
                     fmt: str, now: datetime) -> tuple[int, Iterator[OfficialRecord]]:
    """Record the export in the audit log; return how many officials the actor may export
    with these filters (the list page's) and a lazy iterator over them, in the list's order.

    The iterator reads the rows 1,000 at a time while it is consumed: iterate it once, while
    the response streams, and never gather it into a list."""
    if not can_use_hr_pages(actor):
        raise PermissionDenied(_l("Only HR and administrators may see this."))
    department = get_department(department_id) if department_id else None
    conditions = _officials_conditions(actor, query, department)
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    audit(actor, "export", "officials", now=now, format=fmt, rows=total, q=query,
          department=department_path(department) if department is not None else None)
    return total, _official_records(conditions)


def _official_records(conditions) -> Iterator[OfficialRecord]:
    departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    paths: dict[int, str] = {}
    has_role = [
        select(RoleGrant.id).where(RoleGrant.user_id == User.id, RoleGrant.role == role)
        .exists().label(f"is_{role}")
        for role in ROLES
    ]
    statement = (
        select(User.staff_number, User.full_name, User.username, User.department_id,
               User.job_title, User.email, User.is_active_account, User.last_sign_in_at,
               *has_role)
        .where(*conditions)
        .order_by(User.sort_name, User.full_name, User.id)
        .execution_options(yield_per=1000)
    )
    for row in db.session.execute(statement):
        department_id = row.department_id
        if department_id is not None and department_id not in paths:
            paths[department_id] = department_path(by_id[department_id], by_id)
        yield OfficialRecord(
            staff_number=row.staff_number,
            full_name=row.full_name,
            username=row.username,
            department_path=paths.get(department_id, "") if department_id else "",
            job_title=row.job_title,
            email=row.email,
            roles=tuple(role for role, held in zip(ROLES, row[8:]) if held),
            is_active=bool(row.is_active_account),
            last_sign_in_at=row.last_sign_in_at,
        )


def count_officials_by_department() -> dict[int, int]:
    """Return the number of accounts directly in each department."""
    return dict(
        db.session.execute(
            select(User.department_id, func.count())
            .where(User.department_id.is_not(None))
            .group_by(User.department_id)
        ).all()
    )
