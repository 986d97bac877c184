"""What the public pages say: labels worded for people, contact choices, next steps.

The options of the questionnaire's own questions (concerns, states, sex, how to meet) are part
of its definition (intake/questionnaire.py); they are re-exported here for the templates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.extensions import db
from intake.models import Location
from intake.questionnaire import CONCERN_OPTIONS, MODALITY_OPTIONS, SEX_OPTIONS, STATE_OPTIONS
from intake.triage import default_ruleset

CONCERNS, MODALITIES, STATES, SEXES = CONCERN_OPTIONS, MODALITY_OPTIONS, STATE_OPTIONS, SEX_OPTIONS
CONTACT_METHODS = (("phone", "Phone call"), ("text", "Text message"), ("email", "Email"))
CONTACT_BY = {"phone": "by phone", "text": "by text message", "email": "by email"}
AVAILABILITY = (
    ("weekday_mornings", "Weekday mornings"),
    ("weekday_afternoons", "Weekday afternoons"),
    ("weekday_evenings", "Weekday evenings"),
    ("weekends", "Weekends"),
)
# Friendly notes above follow-up questions (when each is shown: intake/questionnaire.py).
FOLLOW_UP_NOTES = {
    "asq_4_when": "Because you answered yes:",
    "asq_5": "One more question, because of an answer above:",
    "harm_others_intent": "Because you answered yes:",
}


def locations() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Location.code, Location.name).order_by(Location.name)).all()
    return [(code, name) for code, name in rows]


def label(options: Any, value: object) -> str:
    """The words a person chose, for the review page (never a score)."""
    for option_value, text in options:
        if option_value == value:
            return str(text)
    return str(value)


def form_context(page_name: str) -> dict[str, Any]:
    """What the step templates read; the clinic list (a query) only where it is shown."""
    return {
        "concerns": CONCERNS,
        "modalities": MODALITIES,
        "states": STATES,
        "sexes": SEXES,
        "contact_methods": CONTACT_METHODS,
        "availability": AVAILABILITY,
        "locations": locations() if page_name == "preferences" else [],
        "follow_up_notes": FOLLOW_UP_NOTES,
    }


def next_steps(urgency: str | None) -> str:
    """What happens next, by when, in words: never a score or a diagnosis."""
    targets = default_ruleset().targets
    return (targets.get(urgency or "routine") or targets["routine"]).patient_text
