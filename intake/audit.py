"""The audit trail: one row per action worth answering for, ids and codes only.

Below the services (which own the transaction that writes each row) and the outbox (which
records a dead message), so neither imports the other to reach it.
"""

from __future__ import annotations

from typing import Any

from intake.extensions import db
from intake.models import AuditEvent, User


def audit(
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Add an audit row to the current transaction (the caller commits). Ids and codes only."""
    db.session.add(
        AuditEvent(
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            actor_user_id=actor.id if actor is not None else None,
            ip=ip,
            detail=detail,
        )
    )
