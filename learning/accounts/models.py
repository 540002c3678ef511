"""Accounts: officials (users), the department tree, role grants, sign-in attempts, server
sessions, audit log."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.clock import now as utcnow
from learning.db import db
from learning.text import fold, name_sort_key

ROLES = ("learner", "mentor", "hr", "admin")


def path_ids(path: str) -> list[int]:
    """Return the department ids a materialised path names, root first ("/1/4/9/" → [1, 4, 9])."""
    return [int(part) for part in path.strip("/").split("/") if part]


class Department(db.Model):
    """A node of the ministry's organisation tree (ministry, department, unit, ...)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    # Materialised path of ids, "/1/4/9/": subtree queries are one indexed LIKE.
    path: Mapped[str] = mapped_column(String(500), default="", index=True)
    # The head of the department: told when its officials are overdue on a campaign.
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True, name="fk_departments_head_id_users"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(
        back_populates="parent", order_by="Department.name"
    )

    @property
    def depth(self) -> int:
        """Return 0 for a root, 1 for its children, and so on."""
        return max(self.path.count("/") - 2, 0)

    def is_within(self, other: Department) -> bool:
        """Tell whether this department is `other` or lies below it."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    """An official (or a service account) who can sign in."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("preferred_language IN ('vi', 'en', 'ko')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    staff_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    job_title: Mapped[str] = mapped_column(String(200), default="")
    # Folded name, username, email and staff number: diacritic-blind search ("nguyen thi huong").
    search_text: Mapped[str] = mapped_column(Text, default="")
    # ICU sort key of the name, given name first (learning.text.name_sort_key): lists of people
    # are ordered by it in SQL, so pages of a paginated list follow the Vietnamese order.
    sort_name: Mapped[bytes] = mapped_column(LargeBinary, default=b"", index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    preferred_language: Mapped[str] = mapped_column(String(5), default="vi")
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_sign_in_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined",
                                                         foreign_keys=[department_id])
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login reads `is_active`; a deactivated account's session stops working.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.is_active_account)

    # The random token of the server session this request runs in (set by the sessions service,
    # never stored on the account): Flask-Login puts `get_id()` in the session cookie.
    session_token = None  # type: str | None  (not a mapped column)

    def get_id(self) -> str:
        """Return the token of this official's current server session (what the cookie carries)."""
        if not self.session_token:
            # Never fall back to the account id: a cookie must designate one revocable session.
            raise RuntimeError("start a server session (accounts.sessions) before login_user")
        return self.session_token

    # UserMixin compares get_id(), now a session token: two loads of one account are still equal.
    def __eq__(self, other):
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = UserMixin.__hash__  # identity, as before (defining __eq__ would unset it)

    @property
    def roles(self) -> set[str]:
        """Return the names of the roles this official holds."""
        return {grant.role for grant in self.grants}

    def has_role(self, role: str) -> bool:
        """Tell whether this official holds `role`."""
        return role in self.roles

    def grant(self, role: str) -> RoleGrant | None:
        """Return this official's grant of `role`, if any."""
        return next((g for g in self.grants if g.role == role), None)

    def refresh_search_text(self) -> None:
        """Recompute the folded search key and the name's sort key from the identifying fields."""
        self.search_text = user_search_text(
            self.full_name, self.username, self.email, self.staff_number
        )
        self.sort_name = name_sort_key(self.full_name)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


def user_search_text(*parts: str | None) -> str:
    """Return the folded search key for an account's identifying fields."""
    return " ".join(fold(part) for part in parts if part)


class RoleGrant(db.Model):
    """One role held by one official; an HR grant is scoped to a department subtree."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN ('learner', 'mentor', 'hr', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    # For HR: the subtree the grant covers; NULL means the whole ministry.
    scope_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    scope_department: Mapped[Department | None] = relationship(lazy="joined")


class SignInAttempt(db.Model):
    """One sign-in attempt; throttling counts recent failures here, across all workers."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_at", "username", "at"),
        Index("ix_sign_in_attempts_ip_at", "ip", "at"),
        Index("ix_sign_in_attempts_device_at", "device", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)
    # A browser the account signed in from before (the SHA-256 of its device cookie's id),
    # judged by its own failures; NULL for any other browser.
    device: Mapped[str | None] = mapped_column(String(64))


class UserSession(db.Model):
    """One signed-in browser: the session cookie carries a random token whose hash is stored here.

    A session works until it is ended (sign-out, password change or reset, deactivation) or has
    been idle or alive too long; ended rows are kept a while as a record of who was signed in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token: a copy of this table does not let anyone into a live session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Who did what to whom and when, for administrative actions."""

    __tablename__ = "audit_events"
    # The audit page filters on each of these, newest first (ORDER BY at DESC, id DESC).
    __table_args__ = (
        Index("ix_audit_events_action_at", "action", "at", "id"),
        Index("ix_audit_events_actor_id_at", "actor_id", "at", "id"),
        Index("ix_audit_events_target_type_at", "target_type", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class ApiToken(db.Model):
    """A personal API token: a script or another system acts as its official through /api/v1.

    Only the SHA-256 of the token is kept; `hint` (its prefix and last characters) tells
    tokens apart on the account page without revealing them. A token works until it expires
    or is revoked (a new password or a deactivation revokes all the official's tokens).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Tell whether the token still opens the API (not revoked, not expired)."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
