"""Helpers every use case shares: references, keyed pseudonyms, serialized sections, ranks.

The audit trail (`intake.audit`) and who is there to be told (`intake.staffing`) live below
the services, so the outbox can use them too; they are re-exported here for the use cases.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import func, select

from intake.audit import audit
from intake.extensions import db
from intake.staffing import clinical_director, coordinators, on_call
from intake.triage import URGENCIES

__all__ = [
    "audit",
    "clinical_director",
    "coordinators",
    "keyed_hash",
    "new_reference",
    "on_call",
    "serialize",
    "urgency_rank",
]

_REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def new_reference() -> str:
    body = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"WF-{body[:4]}-{body[4:]}"


def keyed_hash(purpose: str, value: str) -> str:
    """A stable pseudonym for `value` (a client address, an email address): HMAC-SHA256 under a
    key derived from SEARCH_HASH_KEY and `purpose`, 40 hex digits.

    Rows and counters hold this instead of the value: without the secret it can be neither
    reversed nor recomputed from a guess, and each purpose gives unrelated pseudonyms. The
    key is neither SECRET_KEY (which signs cookies) nor an encryption key: rotating those
    leaves the hashes valid. After SEARCH_HASH_KEY changes, `flask keys rehash` recomputes the
    intakes' search hashes (the hourly counters simply start again).
    """
    secret = str(current_app.config["SEARCH_HASH_KEY"]).encode()
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
