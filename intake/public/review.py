"""The review page: every answer as the person chose it, grouped by step, with change links.

Each step is collapsed to a summary line (its title, how many answers); the answers open
beneath it. A step with something to fix is shown open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.public import wording
from intake.public.formdata import imperial
from intake.public.pages import HEIGHT, WEIGHT, Page, pages_for, shown_blocks

NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class Section:
    """One step on the review page: collapsed to its title, how many answers, and a Change
    link; the answers themselves open under a <details> (no script needed)."""

    page: str
    title: str
    rows: list[tuple[str, str]]

    @property
    def unanswered(self) -> int:
        return sum(1 for _question, answer in self.rows if answer == NOT_ANSWERED)


def _about(contact: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    states = dict(wording.STATES)
    rows = [
        ("Name", f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip()),
        ("Date of birth", contact.get("date_of_birth", "")),
        ("Phone", contact.get("phone", "")),
        ("Email", contact.get("email", "Not given")),
        (
            "How to contact you",
            wording.label(wording.CONTACT_METHODS, contact.get("preferred_contact")),
        ),
        ("State during visits", states.get(answers.get("state", ""), answers.get("state", ""))),
    ]
    if answers.get("sex"):
        rows.append(("Sex", wording.label(wording.SEXES, answers["sex"])))
    ec = contact.get("emergency_contact") or {}
    if ec:
        rows.append(
            ("Emergency contact", " ".join(x for x in (ec.get("name"), ec.get("phone")) if x))
        )
    return rows


def _concerns(answers: dict[str, Any]) -> list[tuple[str, str]]:
    chosen = answers.get("concerns") or []
    labels = dict(wording.CONCERNS)
    rows = [("What brings you here", "; ".join(labels.get(c, c) for c in chosen) or "Not given")]
    rows.append(("In your own words", answers.get("free_text") or "Not given"))
    return rows


def _preferences(contact: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    locations = dict(wording.locations())
    slots = dict(wording.AVAILABILITY)
    insurance = contact.get("insurance") or {}
    return [
        ("Visits", wording.label(wording.MODALITIES, answers.get("modality_preference"))),
        ("Clinic", locations.get(answers.get("location", ""), "No preference")),
        (
            "Good times for you",
            ", ".join(slots.get(s, s) for s in contact.get("availability") or []) or "Any time",
        ),
        (
            "Insurance",
            " ".join(x for x in (insurance.get("carrier"), insurance.get("member_id")) if x)
            or "Not given",
        ),
    ]


def _questions(page: Page, answers: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    feet = imperial(answers)
    for _block, items in shown_blocks(page, answers):
        for item in items:
            if item is HEIGHT:
                value = (
                    f"{feet['height_ft']} ft {feet['height_in']} in" if "height_ft" in feet else ""
                )
            elif item is WEIGHT:
                value = f"{feet['weight_lb']} lb" if "weight_lb" in feet else ""
            elif item.key in answers and item.options:
                value = wording.label(item.options, answers[item.key])
            else:
                value = str(answers.get(item.key, ""))
            rows.append((item.text, value or NOT_ANSWERED))
    return rows


def sections(contact: dict[str, Any], answers: dict[str, Any]) -> list[Section]:
    out = []
    for page in pages_for(answers):
        if page.name == "about":
            rows = _about(contact, answers)
        elif page.name == "concerns":
            rows = _concerns(answers)
        elif page.name == "preferences":
            rows = _preferences(contact, answers)
        elif page.name == "review":
            continue
        else:
            rows = _questions(page, answers)
        out.append(Section(page.name, page.title, rows))
    return out
