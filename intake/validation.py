"""Checks shared by the web form and the API: contact details and the answer vocabulary.

Returns field-level errors as (field, message) pairs; nothing is changed when any is found.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Any, Literal, get_args

from email_validator import EmailNotValidError, validate_email

from intake import questionnaire
from intake.triage import VOCABULARY, validate_answers

NAME_MAX = 100
PHONE_MAX = 25
EMAIL_MAX = 254
MEMBER_ID_MAX = 50
CONSENT_AT_MAX = 40
# The choices, as types the API's models (intake.api.schema) use, and as the tuples checked here.
PreferredContact = Literal["phone", "email", "text"]
AvailabilitySlot = Literal["weekday_mornings", "weekday_afternoons", "weekday_evenings", "weekends"]
PREFERRED_CONTACT: tuple[str, ...] = get_args(PreferredContact)
AVAILABILITY: tuple[str, ...] = get_args(AvailabilitySlot)
AVAILABILITY_MESSAGE = "Please choose times from the list."
PHONE_PATTERN = r"^\+?[0-9 ()./-]{7,25}$"  # checked on the stripped text
_PHONE = re.compile(PHONE_PATTERN)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationFailed(Exception):
    """The submission has field-level errors; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} field error(s)")
        self.errors = errors


def has_control_chars(value: str) -> bool:
    """Control characters other than newline and tab, or a lone surrogate code point.

    NUL cannot be stored (PostgreSQL refuses it in JSON text) and a lone surrogate cannot be
    encoded as UTF-8 (every page that shows it would fail), so neither is ever accepted.
    """
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\r\t" for ch in value)


def unstorable(value: str) -> bool:
    """NUL or a lone surrogate: text that can be neither stored nor shown."""
    return "\x00" in value or any(unicodedata.category(ch) == "Cs" for ch in value)


def shown_name(key: str) -> str:
    """`key` safe to echo in an error: each unstorable character becomes U+FFFD."""
    return "".join("\ufffd" if unstorable(ch) else ch for ch in key)[:NAME_MAX]


UNSTORABLE_MESSAGE = "Text can't contain NUL (\\u0000) or an unpaired surrogate (\\ud800-\\udfff)."
UNSTORABLE_KEY = "A field name can't contain NUL (\\u0000) or an unpaired surrogate."
NUMBER_TOO_LARGE = "This number is too large (or not a finite number)."
DOCUMENT_ERRORS_MAX = 20
_FLOAT_MAX = int(sys.float_info.max)


def document_errors(document: Any, root: str = "") -> list[FieldError]:
    """Every key or string in a parsed JSON document that cannot be stored, and every number
    that does not fit a float (a 400-digit integer, 1e400, NaN): checked before anything else,
    so the rest of the code only ever sees text it can store and numbers it can compare.

    Fields are named by their dotted path ("contact.emergency_contact.name", "answers.x[0]");
    at most DOCUMENT_ERRORS_MAX are reported. Walks without recursion (any nesting depth).
    """
    errors: list[FieldError] = []
    stack: list[tuple[str, Any]] = [(root, document)]
    while stack and len(errors) < DOCUMENT_ERRORS_MAX:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, child in reversed(list(node.items())):
                name = f"{path}.{shown_name(str(key))}" if path else shown_name(str(key))
                if isinstance(key, str) and unstorable(key):
                    errors.append(FieldError(name, UNSTORABLE_KEY))
                stack.append((name, child))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            if unstorable(node):
                errors.append(FieldError(path or "body", UNSTORABLE_MESSAGE))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if abs(node) > _FLOAT_MAX:
                errors.append(FieldError(path or "body", NUMBER_TOO_LARGE))
        elif isinstance(node, float) and not math.isfinite(node):
            errors.append(FieldError(path or "body", NUMBER_TOO_LARGE))
    return errors[:DOCUMENT_ERRORS_MAX]


def clean_text(
    raw: dict[str, Any],
    key: str,
    errors: list[FieldError],
    *,
    required: bool,
    label: str,
    limit: int = NAME_MAX,
    prefix: str = "contact.",
) -> str | None:
    """One optional or required text field: stripped, at most `limit` characters, printable
    (names and other one-line fields, `limit` <= NAME_MAX, take no newlines either)."""
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(FieldError(prefix + key, f"Please enter your {label}."))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(prefix + key, f"Your {label} must be text."))
        return None
    value = value.strip()
    if len(value) > limit:
        errors.append(
            FieldError(prefix + key, f"Your {label} can be at most {limit:,} characters.")
        )
        return None
    if has_control_chars(value) or (limit <= NAME_MAX and "\n" in value):
        errors.append(
            FieldError(prefix + key, f"Your {label} contains characters we can't accept.")
        )
        return None
    return value


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def clean_contact(raw: Any, today: date) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate contact details; returns the cleaned mapping and the errors found."""
    errors: list[FieldError] = []
    if not isinstance(raw, dict):
        return {}, [FieldError("contact", "Contact details are required.")]
    clean: dict[str, Any] = {}
    for key, label in (("first_name", "first name"), ("last_name", "last name")):
        clean[key] = clean_text(raw, key, errors, required=True, label=label)
    dob_raw = raw.get("date_of_birth")
    try:
        born = date.fromisoformat(dob_raw) if isinstance(dob_raw, str) else None
    except ValueError:
        born = None
    if born is None:
        errors.append(
            FieldError("contact.date_of_birth", "Please enter your date of birth as YYYY-MM-DD.")
        )
    elif born > today:
        errors.append(
            FieldError("contact.date_of_birth", "Your date of birth can't be in the future.")
        )
    elif age_on(born, today) > 120:
        errors.append(
            FieldError("contact.date_of_birth", "Please check the year of your date of birth.")
        )
    else:
        clean["date_of_birth"] = born.isoformat()
    email = clean_text(raw, "email", errors, required=False, label="email address", limit=EMAIL_MAX)
    if email:
        try:
            clean["email"] = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(
                FieldError("contact.email", "Please enter an email address like name@example.org.")
            )
    phone = clean_text(raw, "phone", errors, required=True, label="phone number", limit=PHONE_MAX)
    if phone and not _PHONE.match(phone):
        errors.append(
            FieldError(
                "contact.phone", "Please enter a phone number with digits, like 212 555 0100."
            )
        )
    elif phone:
        clean["phone"] = phone
    preferred = raw.get("preferred_contact") or "phone"
    if preferred not in PREFERRED_CONTACT:
        errors.append(FieldError("contact.preferred_contact", "Choose phone, email or text."))
    elif preferred == "email" and not clean.get("email"):
        errors.append(
            FieldError(
                "contact.email",
                "Please enter an email address, or choose another way to reach you.",
            )
        )
    else:
        clean["preferred_contact"] = preferred
    emergency = raw.get("emergency_contact")
    if emergency not in (None, {}):
        if not isinstance(emergency, dict):
            errors.append(
                FieldError(
                    "contact.emergency_contact", "Emergency contact must have a name and phone."
                )
            )
        else:
            name = clean_text(
                emergency,
                "name",
                errors,
                required=False,
                label="emergency contact's name",
                prefix="contact.emergency_contact.",
            )
            ephone = clean_text(
                emergency,
                "phone",
                errors,
                required=False,
                label="emergency contact's phone",
                limit=PHONE_MAX,
                prefix="contact.emergency_contact.",
            )
            if ephone and not _PHONE.match(ephone):
                errors.append(
                    FieldError(
                        "contact.emergency_contact.phone",
                        "Please enter a phone number with digits.",
                    )
                )
            elif name or ephone:
                clean["emergency_contact"] = {"name": name, "phone": ephone}
    clean_extras(raw, clean, errors)
    return {k: v for k, v in clean.items() if v is not None}, errors


def clean_extras(raw: dict[str, Any], clean: dict[str, Any], errors: list[FieldError]) -> None:
    """Optional details the form also collects: availability, insurance, consent.

    Writes what is valid to `clean` (availability in the order of AVAILABILITY) and appends an
    error for each field that is not; absent or empty fields are left out.
    """
    slots = raw.get("availability")
    if slots not in (None, []):
        if not isinstance(slots, list) or any(s not in AVAILABILITY for s in slots):
            errors.append(FieldError("contact.availability", AVAILABILITY_MESSAGE))
        else:
            clean["availability"] = [s for s in AVAILABILITY if s in slots]
    insurance = raw.get("insurance")
    if insurance not in (None, {}):
        if not isinstance(insurance, dict):
            errors.append(
                FieldError("contact.insurance", "Insurance must have a carrier and member id.")
            )
        else:
            prefix = "contact.insurance."
            carrier = clean_text(
                insurance,
                "carrier",
                errors,
                required=False,
                label="insurance carrier",
                prefix=prefix,
            )
            member = clean_text(
                insurance,
                "member_id",
                errors,
                required=False,
                label="member ID",
                limit=MEMBER_ID_MAX,
                prefix=prefix,
            )
            if carrier or member:
                clean["insurance"] = {"carrier": carrier, "member_id": member}
    consent = raw.get("consent")
    if isinstance(consent, dict):
        clean["consent"] = {k: consent.get(k) is True for k in ("contact", "privacy")}
        at = consent.get("at")
        if isinstance(at, str) and len(at) <= CONSENT_AT_MAX and not has_control_chars(at):
            clean["consent"]["at"] = at


REQUIRED_MESSAGE = "This question needs an answer ('prefer not to answer' is fine where offered)."

# The message shown when a required answer is missing (REQUIRED_MESSAGE for the others). Which
# answers are required, and when, is the questionnaire's definition (intake/questionnaire.py).
REQUIRED_MESSAGES: dict[str, str] = {
    "state": "Please choose the state you will be in during visits.",
    "asq_5": "Please answer: are you having thoughts of killing yourself right now?",
    "asq_4_when": "Please say when: in the past 3 months, or longer ago.",
}
# Answers every submission must carry, with the message shown when one is missing. The API schema
# lists these keys, and a questionnaire page marks those it shows as required.
REQUIRED_ANSWERS: dict[str, str] = {
    key: REQUIRED_MESSAGES.get(key, REQUIRED_MESSAGE) for key in questionnaire.REQUIRED_ALWAYS
}
# Follow-ups required only once the answers they depend on show them (checked in clean_answers);
# a page requires them when it shows them.
REQUIRED_FOLLOW_UPS = frozenset(questionnaire.REQUIRED_WHEN_SHOWN)


def clean_answers(raw: Any, age: int | None) -> tuple[dict[str, Any], list[FieldError]]:
    """Check the answers against the contract vocabulary; `age` comes from the date of birth."""
    if not isinstance(raw, dict):
        return {}, [FieldError("answers", "Answers must be an object of answer keys.")]
    answers: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "age":  # age is derived, never taken
            continue
        spec = VOCABULARY.get(key)
        if type(value) is float and value.is_integer() and spec is not None and spec.numeric:
            value = int(value)  # JSON has one kind of number: 2.0 is the 2 of an integer answer
        if spec is not None and spec.kind == "text" and isinstance(value, str):
            # Free text is stripped as the form strips it; text of nothing but spaces is no answer.
            value = value.strip()
            if not value:
                continue
        answers[key] = value
    errors = [FieldError(f"answers.{key}", message) for key, message in validate_answers(answers)]
    errors += [
        FieldError(f"answers.{shown_name(key)}", "This answer contains characters we can't accept.")
        for key, value in answers.items()
        if isinstance(value, str) and has_control_chars(value)
    ]
    # A required answer sent as null is as missing as one left out; a follow-up is required when
    # the questionnaire shows it for these answers.
    for key in questionnaire.missing_required(answers):
        errors.append(FieldError(f"answers.{key}", REQUIRED_MESSAGES.get(key, REQUIRED_MESSAGE)))
    if age is not None:
        answers["age"] = age
    return answers, errors


def iso_day(name: str, raw: str | None, problems: list[str]) -> date | None:
    """A date field as typed (YYYY-MM-DD): the date, or None when blank or not a date (then a
    sentence naming the field is added to `problems`)."""
    text = (raw or "").strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name} must be a date like 2026-11-30.")
        return None


def day_bounds(
    args: Mapping[str, str], zone: tzinfo
) -> tuple[dict[str, datetime | None], list[str]]:
    """A `from` and `to` day filter as instants: from's midnight, and the midnight after `to`
    (so `to` includes its whole day), in the practice's time zone; and what was wrong."""
    problems: list[str] = []
    bounds: dict[str, datetime | None] = {"from": None, "to": None}
    for name in bounds:
        day = iso_day(name, args.get(name), problems)
        if day is None:
            continue
        if name == "to":
            if day == date.max:  # the day after it has no date
                problems.append("to must be a date like 2026-11-30.")
                continue
            day += timedelta(days=1)
        bounds[name] = datetime.combine(day, clock(0), zone)
    return bounds, problems
