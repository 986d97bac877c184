"""What each step accepts: posted form -> (contact changes, answer changes, owned keys, errors).

Shape comes from `formdata`, the vocabulary from `intake.triage.validate_answers`, contact
details, free text and required answers from `intake.validation` (the same checks the submit
and the API run). Which keys a step replaces is its page's `owns` and `contact`.
Nothing is saved here; the views hand a clean result to `intake.services.drafts.save`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.models import Location
from intake.public import formdata, wording
from intake.public.pages import BY_NAME, Page, shown_keys
from intake.triage import validate_answers
from intake.triage.vocabulary import FREE_TEXT_MAX
from intake.validation import (
    REQUIRED_ANSWERS,
    REQUIRED_MESSAGE,
    FieldError,
    clean_contact,
    clean_extras,
    clean_text,
    has_control_chars,
)

ABOUT, CONCERNS, PREFERENCES = BY_NAME["about"], BY_NAME["concerns"], BY_NAME["preferences"]


@dataclass
class StepResult:
    contact: dict[str, Any] | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    owned: frozenset[str] = frozenset()
    errors: dict[str, str] = field(default_factory=dict)
    follow_ups: set[str] = field(default_factory=set)  # questions newly added to this page


def _add(errors: dict[str, str], pairs: list[tuple[str, str]]) -> None:
    for name, message in pairs:
        errors.setdefault(name, message)


def _field_errors(errors: dict[str, str], found: list[FieldError]) -> None:
    _add(errors, [(e.field, e.message) for e in found])


def _required(page: Page, keys: set[str] | frozenset[str], result: StepResult) -> None:
    """An error for each required answer of `keys` the step did not get."""
    for key in sorted(page.required & keys):
        if key not in result.answers:
            result.errors.setdefault(f"answers.{key}", REQUIRED_ANSWERS.get(key, REQUIRED_MESSAGE))


def _vocabulary(answers: dict[str, Any], errors: dict[str, str]) -> None:
    _add(errors, [(f"answers.{k}", m) for k, m in validate_answers(answers)])


def about(
    form: MultiDict[str, str], saved: dict[str, Any] | None = None, today: datetime | None = None
) -> StepResult:
    result = StepResult(owned=ABOUT.owns)
    day = (today or datetime.now(UTC)).date()
    contact, contact_errors = clean_contact(formdata.contact_from(form), day)
    _field_errors(result.errors, contact_errors)
    for key in sorted(ABOUT.owns):  # the form fields are named after the answer keys
        if value := formdata.text(form, key):
            result.answers[key] = value
    _required(ABOUT, ABOUT.owns, result)
    _vocabulary(result.answers, result.errors)
    if "state" in result.answers and "answers.state" in result.errors:
        result.errors["answers.state"] = "Please choose a state from the list."
    if "answers.sex" in result.errors:
        result.errors["answers.sex"] = "Please choose one of the answers shown."
    # Every contact field of this step is replaced (None removes one the person cleared).
    result.contact = {k: contact.get(k) for k in sorted(ABOUT.contact)}
    # A clinic chosen earlier in another state than the one given now is dropped (asked again).
    clinic = (saved or {}).get("location")
    state = result.answers.get("state")
    if clinic and state and not result.errors and wording.location_state(clinic) != state:
        result.owned = result.owned | {"location"}
    return result


def concerns(form: MultiDict[str, str]) -> StepResult:
    result = StepResult(owned=CONCERNS.owns)
    chosen: list[str] = []
    for value in form.getlist("concerns"):
        if value and value not in chosen:
            chosen.append(value)
    if chosen:
        result.answers["concerns"] = chosen
    errors: list[FieldError] = []
    raw = {"free_text": form.get("free_text", "") or ""}
    free = clean_text(
        raw,
        "free_text",
        errors,
        required=False,
        label="text",
        limit=FREE_TEXT_MAX,
        prefix="answers.",
    )
    if free:
        result.answers["free_text"] = free
    _field_errors(result.errors, errors)
    _vocabulary(result.answers, result.errors)
    if "answers.concerns" in result.errors:
        result.errors["answers.concerns"] = "Please choose from the list shown."
    return result


OTHER_STATE_CLINIC = (
    "That clinic is in another state. Please choose a clinic in the state you will be in "
    "during visits, or no preference."
)


def preferences(form: MultiDict[str, str], saved: dict[str, Any] | None = None) -> StepResult:
    result = StepResult(owned=PREFERENCES.owns)
    modality = formdata.text(form, "modality_preference") or "no_preference"
    result.answers["modality_preference"] = modality
    location = formdata.text(form, "location")
    if location:
        known = (
            None
            if len(location) > 64 or has_control_chars(location)
            else db.session.scalar(select(Location.code).where(Location.code == location))
        )
        state = (saved or {}).get("state")
        if known is None:
            result.errors["answers.location"] = "Please choose a clinic from the list."
        elif wording.location_state(known) != state:  # only clinics in the person's state
            result.errors["answers.location"] = OTHER_STATE_CLINIC
        else:
            result.answers["location"] = known
    _vocabulary(result.answers, result.errors)
    if "answers.modality_preference" in result.errors:
        result.errors["answers.modality_preference"] = "Please choose one of the answers shown."
    # The same checks the submit runs; every contact field of this step is replaced.
    raw = {
        "availability": [s for s in form.getlist("availability") if s],
        "insurance": {
            "carrier": formdata.text(form, "insurance_carrier"),
            "member_id": formdata.text(form, "insurance_member_id"),
        },
    }
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    clean_extras(raw, clean, errors)
    _field_errors(result.errors, errors)
    result.contact = {
        "availability": clean.get("availability", []),
        "insurance": clean.get("insurance"),
    }
    return result


def questions(
    page: Page, form: MultiDict[str, str], saved: dict[str, Any], *, lenient: bool
) -> StepResult:
    """A questionnaire page. `lenient` (Back) skips the required checks, never the shape ones."""
    posted, shape = formdata.parse_page(page, form, saved)
    owned = page.owns
    merged = {k: v for k, v in saved.items() if k not in owned} | posted
    now_shown = shown_keys(page, merged)
    answers = {k: v for k, v in posted.items() if k in now_shown}
    result = StepResult(answers=answers, owned=owned)
    _add(result.errors, shape)
    _vocabulary(answers, result.errors)
    before = shown_keys(page, saved)
    result.follow_ups = {k for k in now_shown - before if k not in answers}
    if not lenient:
        _required(page, now_shown & before, result)
    return result


def parse_step(
    name: str, form: MultiDict[str, str], saved: dict[str, Any], *, lenient: bool = False
) -> StepResult:
    if name == "about":
        return about(form, saved)
    if name == "concerns":
        return concerns(form)
    if name == "preferences":
        return preferences(form, saved)
    return questions(BY_NAME[name], form, saved, lenient=lenient)
