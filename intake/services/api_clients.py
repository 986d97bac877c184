"""API clients: the partner systems allowed to POST intakes, and the check of their keys.

A key is `wf_` and 43 random URL-safe characters (256 bits), shown once when the client is
created. Only its SHA-256 hash is stored: a key that long cannot be guessed, so a plain (fast,
unsalted) hash is the right lookup, and a stolen table gives nobody a key. Keys are never
logged, and never written to the audit trail. A revoked client's key stops working at once; its
row stays (its intakes and audit entries name it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from intake.extensions import db
from intake.models import ApiClient, utcnow
from intake.services.common import audit

log = logging.getLogger(__name__)

KEY_PREFIX = "wf_"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEY_CHARS = re.compile(r"[A-Za-z0-9_-]{16,200}")


class ClientError(ValueError):
    """The name is taken, unknown, or not a valid name; the message says which."""


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    key: str  # shown once to whoever created it; not stored


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def find(name: str) -> ApiClient | None:
    return db.session.scalar(select(ApiClient).where(ApiClient.name == name))


def _named(name: str) -> ApiClient:
    client = find(name)
    if client is None:
        raise ClientError(f"no API client named {name!r}")
    return client


def create(name: str, *, cap: int | None = None, key: str | None = None) -> NewClient:
    """A new client and its key (a fresh random one unless `key` is given: the demo's)."""
    if not NAME.fullmatch(name):
        raise ClientError("a name is 1-64 letters, digits, '.', '_' or '-'")
    if find(name) is not None:
        raise ClientError(f"an API client named {name!r} already exists")
    if cap is not None and cap < 0:
        raise ClientError("the cap is 0 (no cap) or more")
    key = key or KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(name=name, key_hash=key_hash(key), auto_assign_per_hour=cap)
    db.session.add(client)
    db.session.flush()
    audit("api_client.created", "api_client", client.id, name=name, cap=cap)
    db.session.commit()
    log.info("api client %s created", client.id)
    return NewClient(client, key)


def all_clients() -> list[ApiClient]:
    return list(db.session.scalars(select(ApiClient).order_by(ApiClient.name)))


def revoke(name: str) -> ApiClient:
    """Its key stops working now. Revoking twice is not an error."""
    client = _named(name)
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit("api_client.revoked", "api_client", client.id, name=name)
        db.session.commit()
        log.info("api client %s revoked", client.id)
    return client


def set_cap(name: str, cap: int | None) -> ApiClient:
    """Automatic assignments per hour for this client: None for the setting, 0 for no cap."""
    if cap is not None and cap < 0:
        raise ClientError("the cap is 0 (no cap) or more")
    client = _named(name)
    client.auto_assign_per_hour = cap
    audit("api_client.cap_changed", "api_client", client.id, name=name, cap=cap)
    db.session.commit()
    return client


def authenticate(key: str) -> ApiClient | None:
    """The active client whose key this is, or None.

    The lookup goes by the key's hash, so how long it takes says nothing about the key; the
    hashes are then compared in constant time as well.
    """
    if not _KEY_CHARS.fullmatch(key):
        return None
    digest = key_hash(key)
    client = db.session.scalar(select(ApiClient).where(ApiClient.key_hash == digest))
    if client is None or client.revoked_at is not None:
        return None
    return client if hmac.compare_digest(client.key_hash, digest) else None
