"""Encryption at rest: the keyring, and column types that store only ciphertext.

Contact details, answers, decisions, free text, notes and TOTP secrets are stored as Fernet
tokens (AES-128-CBC with HMAC-SHA256, `cryptography`). ENCRYPTION_KEYS lists the keys, newest
first: new values are encrypted with the first, and a stored value decrypts with whichever key
made it, so a new key can be put in front while old rows are still readable; `flask keys
rotate` then re-encrypts every row with the newest key, after which the old one can be dropped.

The keyring is built from the app's settings the first time it is needed and kept with the app
(`app.extensions`), so the web app, the CLI, the migrations and the Celery workers (which all
run inside `create_app`'s app) find it the same way. A stored value that no key opens raises
`UndecryptableValue`, never garbage.

`encrypt_text` / `encrypt_json` give the stored form itself, for writers that bypass the ORM
(COPY); `decrypt_text` / `decrypt_json` read it back.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EncryptedJSON",
    "EncryptedText",
    "EncryptionKeyError",
    "Keyring",
    "UndecryptableValue",
    "decrypt_json",
    "decrypt_text",
    "development_key",
    "encrypt_json",
    "encrypt_text",
    "generate_key",
    "keyring",
    "parse_keys",
]

_EXTENSION = "wayfinder.keyring"


class EncryptionKeyError(RuntimeError):
    """ENCRYPTION_KEYS is missing or holds something that is not a key."""


class UndecryptableValue(RuntimeError):
    """A stored value that no key in ENCRYPTION_KEYS opens (a key missing, or a wrong one)."""


def generate_key() -> str:
    """A new random key, as ENCRYPTION_KEYS lists them (32 bytes, URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def development_key(path: Path) -> str:
    """The embedded default's key: made once into `path` (mode 0600), then read from it.

    Two processes starting together agree: the key is written to a file of its own and linked
    into place, which fails for the second, which then reads the first one's.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(generate_key() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    keys = parse_keys(path.read_text())
    if not keys:
        raise EncryptionKeyError(f"{path} holds no key: delete it to make a new one")
    return keys[0]


def parse_keys(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """ENCRYPTION_KEYS as a tuple of keys, newest first: a comma-separated string or a list."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item and item.strip())


def key_id(key: str) -> str:
    """A short fingerprint of a key, to name it in messages (never the key)."""
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()[:8]


class Keyring:
    """The keys, newest first. Encrypts with the newest; decrypts with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise EncryptionKeyError(
                "ENCRYPTION_KEYS is empty: set one or more keys, newest first, comma-separated "
                "(`flask keys generate` makes one)"
            )
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                raw = base64.urlsafe_b64decode(key.encode("ascii"))
                if len(raw) != 32:
                    raise ValueError
                fernets.append(Fernet(key))
            except (ValueError, binascii.Error, UnicodeEncodeError):
                raise EncryptionKeyError(
                    f"ENCRYPTION_KEYS: entry {position} is not a key (32 bytes in URL-safe "
                    "base64; `flask keys generate` makes one)"
                ) from None
        self.keys = tuple(keys)
        self.ids = tuple(key_id(k) for k in keys)
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)

    def encrypt(self, data: bytes) -> str:
        return self._newest.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        try:
            return self._all.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise UndecryptableValue(
                "a stored value could not be decrypted with any key in ENCRYPTION_KEYS: a key "
                "that encrypted it is missing, or the keys are wrong"
            ) from None

    def is_current(self, token: str) -> bool:
        """Whether the newest key made `token` (nothing left for `flask keys rotate` to do)."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """`token` encrypted again with the newest key (its plaintext unchanged)."""
        return self.encrypt(self.decrypt(token))


def keyring() -> Keyring:
    """The keyring of the current app (built from ENCRYPTION_KEYS once, then reused)."""
    if not has_app_context():
        raise EncryptionKeyError("encrypted columns are read and written inside the app only")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keys = parse_keys(app.config.get("ENCRYPTION_KEYS"))
    cached = app.extensions.get(_EXTENSION)
    if cached is None or cached.keys != keys:  # a test may change the keys of a running app
        cached = Keyring(keys)
        app.extensions[_EXTENSION] = cached
    return cached  # type: ignore[no-any-return]


def encrypt_text(value: str) -> str:
    return keyring().encrypt(value.encode("utf-8"))


def decrypt_text(token: str) -> str:
    return keyring().decrypt(token).decode("utf-8")


def encrypt_json(value: Any) -> str:
    """The stored form of a JSON value (as `EncryptedJSON` writes it)."""
    return encrypt_text(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt_text(token))


class EncryptedText(TypeDecorator[str]):
    """A string stored as a Fernet token (a TEXT column); None stays NULL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt_text(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as a Fernet token (a TEXT column); None stays NULL.

    Like the JSON type, a change inside the value is not noticed: assign a new value.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else decrypt_json(value)
