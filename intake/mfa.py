"""The second factor: TOTP (RFC 6238, 30-second steps, 6 digits) and one-time recovery codes.

A code is accepted for the current step and one step either side (clock drift), and only for
a step later than the last one used, so a code seen over a shoulder cannot be used again. The
enrolment QR code is drawn here as SVG, so the secret never leaves the server for an image
service. Recovery codes are 10 random codes shown once; only their SHA-256 is kept (they are
random, so a fast hash is enough), and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg

ISSUER = "Wayfinder"
RECOVERY_CODES = 10
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an SVG image (no script, no external reference)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return str(image.to_string(encoding="unicode"))


def qr_data_uri(uri: str) -> str:
    """The QR code as a data: URI for an <img> (the CSP allows data: images, nothing else)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(uri).encode()).decode()


def matching_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if later than
    `last_step`; None if the code is wrong or already used."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    clock = time.time() if now is None else now
    current = int(clock // STEP)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Codes like "k3f9-2m7q-x8rt" (60 bits each), to be shown once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_hash(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).encode()).hexdigest()
