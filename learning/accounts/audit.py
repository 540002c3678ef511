"""The administrative audit log: who did what to whom and when."""

from __future__ import annotations

import json
from datetime import datetime

from learning.accounts.models import AuditEvent, User
from learning.db import db

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

