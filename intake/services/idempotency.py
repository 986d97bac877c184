"""Idempotency keys of API clients: scoped to the client, bound to the body, kept 24 hours.

A key means "this request, once": the same client sending the same key with the same body gets
the intake the first request made; with another body it is refused (the client has a bug, and
guessing which body it meant could lose an answer); another client's key of the same spelling is
unrelated. After 24 hours a key is forgotten and may be used again. The key and the body are
stored as SHA-256 hashes (the body holds PHI; the key is the client's own business).

The web form's keys (`web:<token>`, `draft:<id>`) are the intake's own `idempotency_key`, not
these: they come from this app's pages, not from outside.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from intake.extensions import db
from intake.models import ApiIdempotencyKey, Intake, as_utc, utcnow
from intake.services.errors import KeyReused

TTL = timedelta(hours=24)


@dataclass(frozen=True)
class ClientKey:
    client_id: int
    key: str
    body_hash: str

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8", "surrogatepass")).hexdigest()


def body_hash(payload: Any) -> str:
    """SHA-256 of the body as canonical JSON: key order and spacing do not make it another."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def earlier(client_key: ClientKey) -> Intake | None:
    """The intake this client's key made in the last 24 hours, or None.

    Raises KeyReused when the body differs. An expired row is deleted (in the caller's
    transaction), so that the key can be written again for the new intake.
    """
    row = db.session.scalar(
        select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.client_id == client_key.client_id,
            ApiIdempotencyKey.key_hash == client_key.key_hash,
        )
    )
    if row is None:
        return None
    if as_utc(row.created_at) <= utcnow() - TTL:
        db.session.delete(row)
        db.session.flush()  # before the new row's insert, which reuses the unique pair
        return None
    if not hmac.compare_digest(row.body_hash, client_key.body_hash):
        raise KeyReused(client_key.client_id)
    return db.session.get(Intake, row.intake_id)


def remember(client_key: ClientKey, intake: Intake) -> None:
    """Bind the key to `intake` in the caller's transaction (its unique pair makes a racing
    second request fail at the commit, and then find this one)."""
    db.session.add(
        ApiIdempotencyKey(
            client_id=client_key.client_id,
            key_hash=client_key.key_hash,
            body_hash=client_key.body_hash,
            intake_id=intake.id,
        )
    )


def purge_expired(now: datetime) -> int:
    """Delete the keys older than 24 hours (beat, hourly); returns how many."""
    result = db.session.execute(
        delete(ApiIdempotencyKey)
        .where(ApiIdempotencyKey.created_at <= now - TTL)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
