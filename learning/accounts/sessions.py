"""Signed-in sessions: what the session cookie designates and when it stops working."""

from __future__ import annotations

from learning.accounts.models import User
from learning.db import db


def load_session_user(session_id: str) -> User | None:
    """Resolve a Flask-Login session id ('user:password-epoch') to an active account."""
    user_id, _, stamp = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.get_id() != session_id or not user.is_active:
        return None
    return user
