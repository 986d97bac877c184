"""What a step page needs to render: its template, progress, shown questions and saved values."""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from intake.models import Intake
from intake.public import review, wording
from intake.public.formdata import imperial
from intake.public.pages import (
    HEIGHT,
    WEIGHT,
    Page,
    neighbour,
    page_of,
    pages_for,
    progress,
    shown_blocks,
)
from intake.services import drafts

TEMPLATES = {
    "about": "public/step_about.html",
    "concerns": "public/step_concerns.html",
    "preferences": "public/step_preferences.html",
    "review": "public/review.html",
}


def page_values(draft: Intake | None) -> MultiDict[str, str]:
    """The saved draft as form values (strings), so every page shows what was saved."""
    values: MultiDict[str, str] = MultiDict()
    if draft is None:
        return values
    contact, answers = draft.contact or {}, draft.answers or {}
    for key, value in contact.items():
        if isinstance(value, str):
            values[key] = value
    ec = contact.get("emergency_contact") or {}
    values["ec_name"], values["ec_phone"] = ec.get("name") or "", ec.get("phone") or ""
    for slot in contact.get("availability") or []:
        values.add("availability", slot)
    insurance = contact.get("insurance") or {}
    values["insurance_carrier"] = insurance.get("carrier") or ""
    values["insurance_member_id"] = insurance.get("member_id") or ""
    for key, value in answers.items():
        if isinstance(value, list):
            for v in value:
                values.add(key, str(v))
        else:
            values[key] = str(value)
    values.update(imperial(answers))
    return values


def step_context(
    page: Page, draft: Intake | None, values: Any, errors: dict[str, str]
) -> dict[str, Any]:
    answers = dict(draft.answers or {}) if draft else {}
    back = neighbour(page.name, answers, -1)
    context: dict[str, Any] = {
        "template": TEMPLATES.get(page.name, "public/step_questions.html"),
        "page": page,
        "progress": progress(page, answers),
        "values": values,
        "errors": errors,
        "back": back.name if back else None,
        "has_draft": draft is not None,
        "support": draft is not None and drafts.shows_support(answers),
        "blocks": shown_blocks(page, answers),
        "height": HEIGHT,
        "weight": WEIGHT,
        "error_links": {name: _error_anchor(name) for name in errors},
        "error_labels": _error_labels(page, answers, errors),
        **wording.form_context(page.name, answers.get("state")),
    }
    if page.name == "review" and draft is not None:
        context["sections"] = review.sections(dict(draft.contact or {}), answers)
        context["field_pages"] = {
            name: page_of(name, answers).name for name in errors if name != "consent"
        }
    return context


def _error_labels(page: Page, answers: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """The question each error is about, in the words the page shows, so the error summary
    names it ("In the past few weeks, have you wished you were dead?") rather than repeating
    "This question needs an answer"."""
    texts = {item.key: item.text for _, items in shown_blocks(page, answers) for item in items}
    labels: dict[str, str] = {}
    for name in errors:
        kind, _, rest = name.partition(".")
        key = rest.split(".", 1)[0] if kind == "answers" else name
        label = texts.get(key) or wording.FIELD_LABELS.get(key) or wording.FIELD_LABELS.get(name)
        if label:
            labels[name] = label
    return labels


def _error_anchor(name: str) -> str:
    """The id of the question an error belongs to (matches the macros)."""
    if name.startswith("answers."):
        key = name.split(".", 1)[1]
        return {"height_cm": "q-height", "weight_kg": "q-weight"}.get(key, f"q-{key}")
    return _ANCHORS.get(name, "f-" + name.split(".")[-1])


_ANCHORS = {
    "consent": "q-consent",
    "contact": "f-first_name",
    "contact.preferred_contact": "q-preferred_contact",
    "contact.emergency_contact": "f-ec_name",
    "contact.emergency_contact.name": "f-ec_name",
    "contact.emergency_contact.phone": "f-ec_phone",
    "contact.availability": "q-availability",
    "contact.insurance.carrier": "f-insurance_carrier",
    "contact.insurance.member_id": "f-insurance_member_id",
}


def resume_target(draft: Intake) -> str:
    """The first step that still needs something; the review page when all are done."""
    contact, answers = draft.contact or {}, draft.answers or {}
    if not contact.get("phone"):
        return url_for("public.form")
    for page in pages_for(answers):
        if page.owns and not any(k in answers for k in page.owns):
            return url_for("public.step", name=page.name)
    return url_for("public.step", name="review")
