"""In-app notifications: short messages to an official, shown on their home page.

A notification stores a kind and parameters; the text is written (and translated) by the
template `site/_notifications.html` when it is shown, in the reader's language. `deliver`
also composes an email for each recipient (learning.mail), from `templates/mail/<kind>.*`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from learning.db import db
from learning.mail import Outbox, compose


class Notification(db.Model):
    """A message to one official."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


def notify(user_id: int, kind: str, *, now: datetime, subject_id: int | None = None,
           **params) -> Notification:
    """Add a notification for an official."""
    notification = Notification(user_id=user_id, kind=kind, subject_id=subject_id,
                                params=params, created_at=now)
    db.session.add(notification)
    return notification


def unread(user_id: int, limit: int = 20) -> list[Notification]:
    """Return an official's unread notifications, newest first."""
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc()).limit(limit)))


def mark_read(user_id: int, notification_id: int, *, now: datetime) -> None:
    """Mark one of the official's notifications as read."""
    db.session.execute(update(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id,
        Notification.read_at.is_(None)).values(read_at=now))


def deliver(recipients, kind: str, *, now: datetime, subject_id: int | None = None,
            **params) -> Outbox:
    """Notify each recipient in the app and compose their email, in their language (templates
    `mail/<kind>.subject.txt`, `.txt`, `.html`); return the emails, to be sent once the caller
    has committed (`outbox.send()`), so a failing email never takes the notification back.

    `recipients` are officials (anything with id, email, full_name, preferred_language);
    `params` are JSON values the site template and the email templates both read. Reused by
    every reminder: due dates, nudges, campaigns."""
    outbox = Outbox()
    for user in recipients:
        notify(user.id, kind, now=now, subject_id=subject_id, **params)
        if user.email:
            outbox.messages.append(compose(
                kind, to=user.email, language=user.preferred_language or "vi",
                name=user.full_name, params=params))
    return outbox
