"""Turn posted form fields into contact details and contract answers (shape only, no rules).

Every posted value is checked for shape here (a known option, a number, a sane length); the
vocabulary and the rules are applied by `intake.validation` and `intake.triage`. Errors are
(field, message) pairs keyed like the API's ("answers.phq9_3", "contact.phone").
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from intake.public.pages import HEIGHT, PAGES, WEIGHT, Page, Question, shown_blocks

CONTACT_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "preferred_contact")
# The answers of the whole form, by how they are posted (from the questionnaire's definition):
# the questions of pages with their own layout as text (their vocabulary is checked later, with
# its own messages), any-number-of-options as lists, numbers, and the options of every other.
_QUESTIONS = tuple(q for page in PAGES for q in page.all_questions())
TEXT_ANSWERS = tuple(
    q.key for page in PAGES for q in page.questions if q.kind in ("choice", "string", "text")
)
LIST_ANSWERS = tuple(q.key for q in _QUESTIONS if q.kind == "choices")
NUMBER_ANSWERS: dict[str, type] = {
    q.key: int if q.kind == "integer" else float
    for q in _QUESTIONS
    if q.kind in ("integer", "number")
}
CM_PER_INCH, KG_PER_LB = 2.54, 0.45359237

Errors = list[tuple[str, str]]


def text(form: MultiDict[str, str], name: str) -> str:
    """A posted string, stripped; anything absurdly long is kept whole for the error message."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def option_value(item: Question, raw: str) -> tuple[bool, object]:
    for value, _label in item.options:
        if str(value) == raw:
            return True, value
    return False, None


def _number(raw: str, kind: type, name: str, errors: Errors, message: str) -> Any:
    if len(raw) > 12:
        errors.append((name, message))
        return None
    try:
        value = kind(raw)
    except ValueError:
        errors.append((name, message))
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        errors.append((name, message))
        return None
    return value


def parse_page(
    page: Page, form: MultiDict[str, str], answers: dict[str, Any]
) -> tuple[dict[str, Any], Errors]:
    """The answers a questionnaire page posted, for the items it showed (or may now show)."""
    out: dict[str, Any] = {}
    errors: Errors = []
    for block in page.blocks:
        if not block.applies(answers):
            continue
        for item in block.items:
            if item is HEIGHT:
                _height(form, out, errors)
            elif item is WEIGHT:
                raw = text(form, "weight_lb")
                if raw:
                    lb = _number(raw, float, "answers.weight_kg", errors, _WEIGHT_MSG)
                    if lb is not None:
                        out["weight_kg"] = round(lb * KG_PER_LB, 2)
            elif item.kind == "integer":
                raw = text(form, item.key)
                if raw:
                    value = _number(raw, int, f"answers.{item.key}", errors, _COUNT_MSG)
                    if value is not None:
                        out[item.key] = value
            else:
                raw = text(form, item.key)
                if not raw:
                    continue
                ok, value = option_value(item, raw)
                if ok:
                    out[item.key] = value
                else:
                    errors.append((f"answers.{item.key}", CHOOSE_MSG))
    return out, errors


CHOOSE_MSG = "Please choose one of the answers shown."
_HEIGHT_MSG = "Please enter your height in feet and inches, for example 5 and 6."
_WEIGHT_MSG = "Please enter your weight in pounds, as a number, for example 150."
_COUNT_MSG = "Please enter a whole number of times, for example 0, 2 or 10."


def _height(form: MultiDict[str, str], out: dict[str, Any], errors: Errors) -> None:
    feet_raw, inches_raw = text(form, "height_ft"), text(form, "height_in")
    if not feet_raw and not inches_raw:
        return
    feet = _number(feet_raw or "0", int, "answers.height_cm", errors, _HEIGHT_MSG)
    inches = _number(inches_raw or "0", float, "answers.height_cm", errors, _HEIGHT_MSG)
    if feet is None or inches is None:
        return
    if inches >= 12:
        errors.append(("answers.height_cm", "Inches should be from 0 to 11."))
        return
    out["height_cm"] = round((feet * 12 + inches) * CM_PER_INCH, 2)


def imperial(answers: dict[str, Any]) -> dict[str, str]:
    """Height and weight back in feet, inches and pounds, to fill the form again."""
    out: dict[str, str] = {}
    cm, kg = answers.get("height_cm"), answers.get("weight_kg")
    if isinstance(cm, int | float):
        total = round(cm / CM_PER_INCH)
        out["height_ft"], out["height_in"] = str(total // 12), str(total % 12)
    if isinstance(kg, int | float):
        out["weight_lb"] = str(round(kg / KG_PER_LB))
    return out


def _option_values() -> dict[str, dict[str, object]]:
    """answer key -> {posted string -> contract value}, for the questions of the pages' blocks
    answered with one option (the instruments' own options)."""
    return {
        q.key: {str(value): value for value, _label in q.options}
        for page in PAGES
        for block in page.blocks
        for q in block.items
        if q.kind == "choice"
    }


def contact_from(form: MultiDict[str, str]) -> dict[str, Any]:
    """The contact fields as posted (to be checked by `validation.clean_contact`)."""
    contact: dict[str, Any] = {k: text(form, k) for k in CONTACT_FIELDS if text(form, k)}
    ec_name, ec_phone = text(form, "ec_name"), text(form, "ec_phone")
    if ec_name or ec_phone:
        contact["emergency_contact"] = {"name": ec_name or None, "phone": ec_phone or None}
    return contact


def parse(
    form: MultiDict[str, str],
) -> tuple[dict[str, Any], dict[str, Any], Errors]:
    """The whole form in one post: (contact, answers, shape errors)."""
    contact = contact_from(form)
    answers: dict[str, Any] = {}
    errors: Errors = []
    for key, options in _option_values().items():
        raw = text(form, key)
        if not raw or not options:
            continue
        if raw in options:
            answers[key] = options[raw]
        else:
            errors.append((f"answers.{key}", "Please choose one of the answers shown."))
    for key in TEXT_ANSWERS:
        value = text(form, key)
        if value:
            answers[key] = value
    for key in LIST_ANSWERS:
        values = [v for v in form.getlist(key) if v]
        if values:
            answers[key] = values
    for key, kind in NUMBER_ANSWERS.items():
        raw = text(form, key)
        if raw:
            value = _number(raw, kind, f"answers.{key}", errors, "Please enter a number.")
            if value is not None:
                answers[key] = value
    return contact, answers, errors


__all__ = ["imperial", "parse", "parse_page", "shown_blocks"]
