"""Password hashing with Argon2id (memory-hard), parameters at OWASP's minimum or above."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP: Argon2id with m >= 19 MiB, t >= 2, p = 1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# Spent on unknown accounts too, so that timing does not reveal which emails exist.
_DUMMY = _hasher.hash("not-a-real-password-for-timing")


def burn_time(password: str) -> None:
    verify_password(_DUMMY, password)
