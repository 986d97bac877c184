"""What the public pages say: concern labels worded for people, states, next steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.extensions import db
from intake.models import Location
from intake.triage import default_ruleset

CONCERNS = (
    ("anxiety", "Worry, nerves, panic or fear that gets in the way"),
    ("depression", "Feeling low, down, hopeless or empty"),
    ("trauma", "Something frightening or painful that still affects me"),
    ("relationships", "I pull away when people get close, or fear intimacy"),
    ("couples", "Problems with my partner; we'd like help together"),
    ("adhd", "Trouble focusing, staying organised or sitting still"),
    ("ocd", "Unwanted thoughts, or checking or cleaning I can't stop"),
    ("bipolar", "Big swings in mood or energy"),
    ("eating", "Worries about eating, food or my body"),
    ("substance", "Alcohol or drug use"),
    ("other", "Something else"),
    ("not_sure", "I'm not sure"),
)

MODALITIES = (
    ("in_person", "In person, at a clinic"),
    ("virtual", "By video"),
    ("no_preference", "Either is fine"),
)

STATES = (
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("VI", "U.S. Virgin Islands"),
)


SEXES = (
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Another sex or gender"),
    ("unspecified", "Prefer not to say"),
)
CONTACT_METHODS = (("phone", "Phone call"), ("text", "Text message"), ("email", "Email"))
CONTACT_BY = {"phone": "by phone", "text": "by text message", "email": "by email"}
AVAILABILITY = (
    ("weekday_mornings", "Weekday mornings"),
    ("weekday_afternoons", "Weekday afternoons"),
    ("weekday_evenings", "Weekday evenings"),
    ("weekends", "Weekends"),
)
# Friendly notes above follow-up questions (the instruments' asked_if_text is for staff).
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
