"""Helpers every use case shares: the audit trail, who the coordinators are, who is on call."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, OnCallShift, Role, User
from intake.triage import URGENCIES

_REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def new_reference() -> str:
    body = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"WF-{body[:4]}-{body[4:]}"


def keyed_hash(purpose: str, value: str) -> str:
    """A stable pseudonym for `value` (a client address, an email address): HMAC-SHA256 under a
    key derived from SECRET_KEY and `purpose`, 40 hex digits.

    Rows and counters hold this instead of the value: without the secret it can be neither
    reversed nor recomputed from a guess, and each purpose gives unrelated pseudonyms.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, f"wayfinder.{purpose}".encode(), hashlib.sha256).digest()
    data = value.encode("utf-8", "surrogatepass")
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:40]


def serialize(name: str) -> None:
    """Make transactions that count-then-write under `name` run one at a time.

    On PostgreSQL, a transaction-scoped advisory lock (held until the commit or rollback); on
    SQLite writers are serialized by the database, which is the embedded default's bound.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(name.encode()).digest()
    db.session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], signed=True))))


def urgency_rank(urgency: str | None) -> int:
    return URGENCIES.index(urgency) if urgency in URGENCIES else 9


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


def coordinators() -> list[User]:
    """Active intake coordinators: told about every queue's unassigned and overdue items."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.STAFF, User.active.is_(True)).order_by(User.id)
        )
    )


def clinical_director() -> User | None:
    """The user named by CLINICAL_DIRECTOR_EMAIL, if active."""
    email = (current_app.config.get("CLINICAL_DIRECTOR_EMAIL") or "").strip().lower()
    if not email:
        return None
    return db.session.scalar(
        select(User).where(func.lower(User.email) == email, User.active.is_(True))
    )


def on_call(at: datetime) -> OnCallShift | None:
    return db.session.scalar(
        select(OnCallShift)
        .where(OnCallShift.starts_at <= at, OnCallShift.ends_at > at)
        .order_by(OnCallShift.starts_at.desc(), OnCallShift.id.desc())
    )
