"""Keyed hashes of contact details, so staff can find a person without reading the contact JSON.

The contact details may be encrypted at rest, and a LIKE over them would scan health
information: instead each submitted intake carries keyed hashes (`keyed_hash`, one purpose each)
of its normalized email, phone digits and full name, and a search hashes what was typed the
same way and looks it up exactly, through an index.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from intake.services.common import keyed_hash

REFERENCE = re.compile(r"^WF-[A-Z0-9]{4}-[A-Z0-9]{4}$")
_PHONE_CHARS = re.compile(r"^[\d\s().+\-]+$")


def normal_email(value: str) -> str:
    return value.strip().lower()


def normal_phone(value: str) -> str:
    """Digits only; a North American number keeps its last ten (no leading country code 1)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def normal_name(value: str) -> str:
    """Case-folded, accents and spacing as typed but runs of spaces collapsed (NFKC)."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def email_key(value: str) -> str:
    return keyed_hash("search-email", normal_email(value))


def phone_key(value: str) -> str:
    return keyed_hash("search-phone", normal_phone(value))


def name_key(value: str) -> str:
    return keyed_hash("search-name", normal_name(value))


def apply_contact_keys(intake: Any, contact: dict[str, Any]) -> None:
    """Set the intake's search hashes from its cleaned contact details (at submit)."""
    email = contact.get("email")
    phone = contact.get("phone")
    name = f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}"
    intake.email_hash = email_key(email) if email else None
    intake.phone_hash = phone_key(phone) if phone and normal_phone(phone) else None
    intake.name_hash = name_key(name) if name.strip() else None


def apply_search_columns(intake: Any, contact: dict[str, Any], answers: dict[str, Any]) -> None:
    """The search hashes and the state filter column, from the cleaned contact and answers."""
    apply_contact_keys(intake, contact)
    state = answers.get("state")
    intake.state = state if isinstance(state, str) and len(state) == 2 else None


@dataclass(frozen=True)
class SearchTerm:
    """What a search box entry means: exactly one of these is set."""

    reference: str | None = None
    email_hash: str | None = None
    phone_hash: str | None = None
    name_hash: str | None = None


def search_term(q: str) -> SearchTerm | None:
    """A reference (WF-XXXX-XXXX), an email (has @), a phone number (digits and punctuation,
    at least seven digits) or else a full name; None for an empty entry."""
    q = q.strip()
    if not q:
        return None
    if REFERENCE.match(q.upper()):
        return SearchTerm(reference=q.upper())
    if "@" in q:
        return SearchTerm(email_hash=email_key(q))
    if _PHONE_CHARS.match(q) and len(normal_phone(q)) >= 7:
        return SearchTerm(phone_hash=phone_key(q))
    return SearchTerm(name_hash=name_key(q))
