"""Sign-in lockout: after LOGIN_DELAY_AFTER failed sign-ins in a row for one email, each further
attempt must wait a growing delay (LOGIN_DELAY_SECONDS, doubled each time, at most
LOGIN_DELAY_MAX_SECONDS); after LOGIN_LOCK_AFTER the account is locked until an admin lifts it
(`lift`, `flask users unlock EMAIL`). Both are audited.

Where the counts live: the counter of failures (and of the delay) is kept per typed email,
under a hash of it, in the rate limits' storage (RATELIMIT_STORAGE_URI: Redis whenever there is
one), so every web process counts against the same figures and an unknown email is counted
exactly like a real one. The lock of a real account is also written to `users.locked_at`: it
outlives the counter (a Redis restart does not unlock anybody), shows on the admin pages, and
only `lift` clears it.

Nothing tells whether an email names an account: an unknown, an inactive and a real email get
the same delays and the same "locked" answer after the same number of failures, and a refused
attempt is refused before any password hash is computed, for all of them alike.
When the storage cannot be reached, `limits.errors.StorageError` is raised and the sign-in is
refused (503), like the rate limits (intake/ratelimit.py).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from limits.storage import storage_from_string

from intake.audit import audit
from intake.extensions import db
from intake.models import User, utcnow
from intake.services.errors import ServiceError

LOCK_MEMORY_SECONDS = 366 * 86400  # how long an email's lock is kept in the storage


class NoSuchUser(ServiceError):
    """No account has this id: nothing was written."""


@dataclass(frozen=True)
class Refusal:
    """An attempt refused before the password is looked at: locked, or to wait `wait_seconds`."""

    locked: bool
    wait_seconds: int = 0

    @property
    def message(self) -> str:
        if self.locked:
            return (
                "Too many failed sign-ins: this account is locked. "
                "Please contact an administrator to unlock it."
            )
        minutes = max(1, math.ceil(self.wait_seconds / 60))
        return (
            "Too many failed sign-ins. Please try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}."
        )


def email_key(email: str) -> str:
    """The hash under which an email's counts are kept (the email itself is never stored)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _storage() -> Any:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("lockout_storage")
    if found is None:
        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("wrap_exceptions", True)
        found = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], **options)
        app.extensions["lockout_storage"] = found
    return found


def _keys(email: str) -> tuple[str, str, str]:
    key = email_key(email)
    return f"lockout:fails:{key}", f"lockout:wait:{key}", f"lockout:locked:{key}"


def check(email: str, user: User | None) -> Refusal | None:
    """Whether an attempt for `email` is refused now (before any password work)."""
    storage = _storage()
    _, wait, locked = _keys(email)
    if (user is not None and user.locked_at is not None) or storage.get(locked):
        return Refusal(locked=True)
    if storage.get(wait):
        return Refusal(False, max(1, math.ceil(storage.get_expiry(wait) - time.time())))
    return None


def failed(email: str, user: User | None, ip: str | None) -> Refusal | None:
    """Count a failed sign-in for `email`; the delay or the lock it brings (the lock of a real
    account is written and audited here, and committed)."""
    cfg = current_app.config
    storage = _storage()
    fails_key, wait, locked = _keys(email)
    fails = int(storage.incr(fails_key, int(cfg["LOGIN_FAILURE_WINDOW"])))
    lock_after = int(cfg["LOGIN_LOCK_AFTER"])
    if lock_after and fails >= lock_after:
        storage.incr(locked, LOCK_MEMORY_SECONDS)
        if user is not None and user.locked_at is None:
            user.locked_at = utcnow()
            audit("auth.locked", "user", user.id, ip=ip, failures=fails)
            db.session.commit()
        return Refusal(locked=True)
    delay_after = int(cfg["LOGIN_DELAY_AFTER"])
    if delay_after and fails >= delay_after:
        delay = min(
            int(cfg["LOGIN_DELAY_SECONDS"]) * 2 ** min(fails - delay_after, 20),
            int(cfg["LOGIN_DELAY_MAX_SECONDS"]),
        )
        if delay > 0:
            storage.incr(wait, delay)
            return Refusal(False, delay)
    return None


def succeeded(email: str) -> None:
    """The right password: the failures of `email` are forgotten."""
    storage = _storage()
    for key in _keys(email):
        storage.clear(key)


def lift(user_id: int, actor: User | None) -> bool:
    """Unlock the account (and forget its failed attempts); audited with the admin, committed.
    Whether it was locked. Raises NoSuchUser for an unknown id."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NoSuchUser(str(user_id))
    was_locked = user.locked_at is not None
    user.locked_at = None
    succeeded(user.email)
    audit("user.unlocked", "user", user.id, actor=actor, was_locked=was_locked)
    db.session.commit()
    return was_locked
