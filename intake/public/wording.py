"""What the public pages say: labels worded for people, contact choices, next steps.

The options of the questionnaire's own questions (concerns, states, sex, how to meet) are part
of its definition (intake/questionnaire.py); they are re-exported here for the templates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from intake.extensions import db
from intake.models import Location
from intake.questionnaire import CONCERN_OPTIONS, MODALITY_OPTIONS, SEX_OPTIONS, STATE_OPTIONS
from intake.triage import default_ruleset
from intake.validation import age_on, has_control_chars

CONCERNS, MODALITIES, STATES, SEXES = CONCERN_OPTIONS, MODALITY_OPTIONS, STATE_OPTIONS, SEX_OPTIONS
CONTACT_METHODS = (("phone", "Phone call"), ("text", "Text message"), ("email", "Email"))
CONTACT_BY = {"phone": "by phone", "text": "by text message", "email": "by email"}
AVAILABILITY = (
    ("weekday_mornings", "Weekday mornings"),
    ("weekday_afternoons", "Weekday afternoons"),
    ("weekday_evenings", "Weekday evenings"),
    ("weekends", "Weekends"),
)
# What the error summary calls the fields that are not questionnaire items (those are named by
# their own text): the labels the pages show.
FIELD_LABELS = {
    "contact": "Your details",
    "contact.first_name": "First name",
    "contact.last_name": "Last name",
    "contact.date_of_birth": "Date of birth",
    "contact.phone": "Phone",
    "contact.email": "Email",
    "contact.preferred_contact": "How should we contact you?",
    "contact.emergency_contact": "Emergency contact",
    "contact.emergency_contact.name": "Emergency contact's name",
    "contact.emergency_contact.phone": "Emergency contact's phone",
    "contact.availability": "When are you usually free?",
    "contact.insurance.carrier": "Insurance company",
    "contact.insurance.member_id": "Member ID",
    "state": "The state you will be in during visits",
    "sex": "Sex",
    "concerns": "What brings you here",
    "free_text": "In your own words",
    "location": "Which clinic",
    "modality_preference": "How would you like to meet?",
    "height_cm": "Your height",
    "weight_kg": "Your weight",
    "consent": "Before you send",
}
# Friendly notes above follow-up questions (when each is shown: intake/questionnaire.py).
FOLLOW_UP_NOTES = {
    "asq_4_when": "Because you answered yes:",
    "asq_5": "One more question, because of an answer above:",
    "harm_others_intent": "Because you answered yes:",
}


MINOR_NOTICE = (
    "Because you are under 18, a member of our intake team will contact a parent or guardian "
    "before any appointment is made. You can still finish this form, and crisis help is always "
    "at the top of the page."
)


def under_18(contact: dict[str, Any] | None, today: date | None = None) -> bool:
    """Whether the date of birth given says the person is under 18 (clinical-rules.md: the
    minor pathway, a coordinator contacts a parent or guardian)."""
    raw = (contact or {}).get("date_of_birth")
    try:
        born = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return False
    return born is not None and age_on(born, today or datetime.now(UTC).date()) < 18


def locations(state: object = None) -> list[tuple[str, str]]:
    """The clinics as (code, name): all of them, or those in `state` (a state code) only."""
    query = select(Location.code, Location.name).order_by(Location.name)
    if state is not None:
        query = query.where(Location.state == str(state))
    return [(code, name) for code, name in db.session.execute(query).all()]


def location_state(code: object) -> str | None:
    """The state a clinic is in, or None for a code that names no clinic."""
    if not isinstance(code, str) or not code or len(code) > 64 or has_control_chars(code):
        return None  # never sent to the database (it refuses NUL in a query)
    return db.session.scalar(select(Location.state).where(Location.code == code))


def label(options: Any, value: object) -> str:
    """The words a person chose, for the review page (never a score)."""
    for option_value, text in options:
        if option_value == value:
            return str(text)
    return str(value)


def form_context(page_name: str, state: object = None) -> dict[str, Any]:
    """What the step templates read; the clinic list (a query) only where it is shown: the
    clinics in the state the person gave (none until they gave one), besides video visits."""
    shown = page_name == "preferences" and isinstance(state, str) and state
    return {
        "concerns": CONCERNS,
        "modalities": MODALITIES,
        "states": STATES,
        "sexes": SEXES,
        "contact_methods": CONTACT_METHODS,
        "availability": AVAILABILITY,
        "locations": locations(state) if shown else [],
        "visit_state": dict(STATES).get(state) if shown else None,
        "follow_up_notes": FOLLOW_UP_NOTES,
    }


def next_steps(urgency: str | None) -> str:
    """What happens next, by when, in words: never a score or a diagnosis."""
    targets = default_ruleset().targets
    return (targets.get(urgency or "routine") or targets["routine"]).patient_text
