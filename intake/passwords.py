"""Password hashing with Argon2id (memory-hard), parameters at OWASP's minimum or above.

The cost is fixed for every deployment. Only under APP_ENV=testing may the
`PASSWORD_HASH_COST` setting lower it (config.py refuses it elsewhere), so that a test suite
that makes hundreds of accounts does not spend its time hashing. A stored hash carries its own
parameters, so verifying never depends on the setting.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# OWASP: Argon2id with m >= 19 MiB, t >= 2, p = 1.
COST = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
MIN_LENGTH = 12


@cache
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    cost = current_app.config.get("PASSWORD_HASH_COST") if has_app_context() else None
    return _hasher_with(**{**COST, **(cost or {})})


@cache
def _dummy(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spent on unknown accounts too, so that timing does not reveal which emails exist."""
    verify_password(_dummy(_hasher()), password)
