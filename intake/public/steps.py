"""What each step accepts: posted form -> (contact changes, answer changes, owned keys, errors).

Shape comes from `formdata`, the vocabulary from `intake.triage.validate_answers`, contact
details from `intake.validation.clean_contact` (the same checks the submit and the API run).
Nothing is saved here; the views hand a clean result to `intake.drafts.save`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake import validation
from intake.extensions import db
from intake.models import Location
from intake.public import formdata
from intake.public.pages import BY_NAME, Page, shown_keys
from intake.triage import validate_answers
from intake.triage.vocabulary import FREE_TEXT_MAX
from intake.validation import clean_contact, has_control_chars

ABOUT_KEYS = frozenset({"state", "sex"})
ABOUT_CONTACT_KEYS = (*formdata.CONTACT_FIELDS, "emergency_contact")
CONCERN_KEYS = frozenset({"concerns", "free_text"})
PREFERENCE_KEYS = frozenset({"modality_preference", "location"})
REQUIRED_MESSAGE = "This question needs an answer ('prefer not to answer' is fine where offered)."


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


def _vocabulary(answers: dict[str, Any], errors: dict[str, str]) -> None:
    _add(errors, [(f"answers.{k}", m) for k, m in validate_answers(answers)])


def about(form: MultiDict[str, str], today: datetime | None = None) -> StepResult:
    result = StepResult(owned=ABOUT_KEYS)
    day = (today or datetime.now(UTC)).date()
    contact, contact_errors = clean_contact(formdata.contact_from(form), day)
    _add(result.errors, [(e.field, e.message) for e in contact_errors])
    state = formdata.text(form, "state")
    if state:
        result.answers["state"] = state
    else:
        result.errors["answers.state"] = "Please choose the state you will be in during visits."
    sex = formdata.text(form, "sex")
    if sex:
        result.answers["sex"] = sex
    _vocabulary(result.answers, result.errors)
    if state and "answers.state" in result.errors:
        result.errors["answers.state"] = "Please choose a state from the list."
    if "answers.sex" in result.errors:
        result.errors["answers.sex"] = "Please choose one of the answers shown."
    # Every contact field of this step is replaced (None removes one the person cleared).
    result.contact = {k: contact.get(k) for k in ABOUT_CONTACT_KEYS}
    return result


def concerns(form: MultiDict[str, str]) -> StepResult:
    result = StepResult(owned=CONCERN_KEYS)
    chosen: list[str] = []
    for value in form.getlist("concerns"):
        if value and value not in chosen:
            chosen.append(value)
    if chosen:
        result.answers["concerns"] = chosen
    errors: formdata.Errors = []
    free = formdata.checked_text(
        form.get("free_text", "") or "", "answers.free_text", "text", FREE_TEXT_MAX, errors
    )
    if free and free.strip():
        result.answers["free_text"] = free.strip()
    _add(result.errors, errors)
    _vocabulary(result.answers, result.errors)
    if "answers.concerns" in result.errors:
        result.errors["answers.concerns"] = "Please choose from the list shown."
    return result


def preferences(form: MultiDict[str, str]) -> StepResult:
    result = StepResult(owned=PREFERENCE_KEYS, contact={})
    modality = formdata.text(form, "modality_preference") or "no_preference"
    result.answers["modality_preference"] = modality
    location = formdata.text(form, "location")
    if location:
        known = (
            None
            if len(location) > 64 or has_control_chars(location)
            else db.session.scalar(select(Location.code).where(Location.code == location))
        )
        if known is None:
            result.errors["answers.location"] = "Please choose a clinic from the list."
        else:
            result.answers["location"] = known
    _vocabulary(result.answers, result.errors)
    if "answers.modality_preference" in result.errors:
        result.errors["answers.modality_preference"] = "Please choose one of the answers shown."
    slots = [s for s in form.getlist("availability") if s]
    if any(s not in validation.AVAILABILITY for s in slots):
        result.errors["contact.availability"] = "Please choose times from the list."
    assert result.contact is not None  # noqa: S101 - set above
    result.contact["availability"] = list(dict.fromkeys(slots))
    errors: formdata.Errors = []
    carrier = formdata.checked_text(
        formdata.text(form, "insurance_carrier"),
        "contact.insurance.carrier",
        "insurer",
        100,
        errors,
    )
    member = formdata.checked_text(
        formdata.text(form, "insurance_member_id"),
        "contact.insurance.member_id",
        "member ID",
        50,
        errors,
    )
    _add(result.errors, errors)
    result.contact["insurance"] = (
        {"carrier": carrier, "member_id": member} if carrier or member else None
    )
    return result


def questions(
    page: Page, form: MultiDict[str, str], saved: dict[str, Any], *, lenient: bool
) -> StepResult:
    """A questionnaire page. `lenient` (Back) skips the required checks, never the shape ones."""
    posted, shape = formdata.parse_page(page, form, saved)
    owned = frozenset(page.item_keys())
    merged = {k: v for k, v in saved.items() if k not in owned} | posted
    now_shown = shown_keys(page, merged)
    answers = {k: v for k, v in posted.items() if k in now_shown}
    result = StepResult(answers=answers, owned=owned)
    _add(result.errors, shape)
    _vocabulary(answers, result.errors)
    before = shown_keys(page, saved)
    result.follow_ups = {k for k in now_shown - before if k not in answers}
    if not lenient:
        for key in sorted(page.required & now_shown & before):
            if key not in answers:
                result.errors.setdefault(f"answers.{key}", REQUIRED_MESSAGE)
    return result


def parse_step(
    name: str, form: MultiDict[str, str], saved: dict[str, Any], *, lenient: bool = False
) -> StepResult:
    if name == "about":
        return about(form)
    if name == "concerns":
        return concerns(form)
    if name == "preferences":
        return preferences(form)
    return questions(BY_NAME[name], form, saved, lenient=lenient)
