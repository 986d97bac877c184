"""Password hashing with Argon2id (memory-hard), parameters at OWASP's minimum or above.

The cost is fixed for every deployment. Only under APP_ENV=testing may the
`PASSWORD_HASH_COST` setting lower it (config.py refuses it elsewhere), so that a test suite
that makes hundreds of accounts does not spend its time hashing. A stored hash carries its own
parameters, so verifying never depends on the setting.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# OWASP: Argon2id with m >= 19 MiB, t >= 2, p = 1.
COST = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
MIN_LENGTH = 12
MAX_LENGTH = 128  # ASVS 6.2.9: at least 64 allowed; beyond 128 is refused, not cut
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (intake/common_passwords.txt), lower-case, comments left out."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def _bases(password: str) -> set[str]:
    """What a password is built from: lower-cased, with common letter-for-digit swaps undone,
    and without the digits and symbols at its ends."""
    lower = password.lower()
    found = {lower, re.sub(r"\s+", "", lower)}
    for text in list(found):
        found.add(text.translate(_LEET))
        found.add(re.sub(r"^[\W\d_]+|[\W\d_]+$", "", text))
        found.add(re.sub(r"^[\W\d_]+|[\W\d_]+$", "", text).translate(_LEET))
    return {f for f in found if f}


def password_problem(password: str, *, avoid: tuple[str, ...] = ()) -> str | None:
    """Why `password` may not be used (ASVS 6.2.1, 6.2.4, 6.2.9), or None if it may.

    12 to 128 characters; not a common password, nor one built from a common password or
    word by adding digits, symbols or letter swaps; not one character or a pair repeated;
    not built from `avoid` (the account's email, its name).
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.isdigit():
        return "Use letters or words as well as digits."
    bases = _bases(password)
    common = common_passwords()
    if any(b in common for b in bases):
        return "That password is too common: choose one that is not on lists of common passwords."
    if any(len(set(b)) <= 2 for b in bases):
        return "That password repeats too few characters."
    for word in avoid:
        word = word.lower().split("@", 1)[0]
        if len(word) >= 4 and any(word in b for b in bases):
            return "Don't build the password from your email or name."
    return None


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
