"""Turn posted form fields into contact details and contract answers (shape only, no rules)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from intake.screening import INSTRUMENTS, SAFETY

CONTACT_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "preferred_contact")
TEXT_ANSWERS = ("state", "modality_preference", "location", "free_text", "sex")
LIST_ANSWERS = ("concerns",)
NUMBER_ANSWERS = {"height_cm": float, "weight_kg": float, "drug_times": int}


def _option_values() -> dict[str, dict[str, object]]:
    """answer key -> {posted string -> contract value}, from the instruments' own options."""
    table: dict[str, dict[str, object]] = {}
    for instrument in (*INSTRUMENTS.values(), SAFETY):
        for item in instrument.items:
            table[item.key] = {str(value): value for value, _label in item.options}
    return table


def parse(
    form: MultiDict[str, str],
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]:
    """Returns (contact, answers, shape errors). Unknown option strings become field errors."""
    contact: dict[str, Any] = {
        k: form.get(k, "").strip() for k in CONTACT_FIELDS if form.get(k, "").strip()
    }
    ec_name, ec_phone = form.get("ec_name", "").strip(), form.get("ec_phone", "").strip()
    if ec_name or ec_phone:
        contact["emergency_contact"] = {"name": ec_name or None, "phone": ec_phone or None}
    answers: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for key, options in _option_values().items():
        raw = form.get(key)
        if raw in (None, ""):
            continue
        if raw in options:
            answers[key] = options[raw]
        else:
            errors.append((f"answers.{key}", "Please choose one of the answers shown."))
    for key in TEXT_ANSWERS:
        value = form.get(key, "").strip()
        if value:
            answers[key] = value
    for key in LIST_ANSWERS:
        values = [v for v in form.getlist(key) if v]
        if values:
            answers[key] = values
    for key, kind in NUMBER_ANSWERS.items():
        raw = form.get(key, "").strip()
        if raw:
            try:
                answers[key] = kind(raw)
            except ValueError:
                errors.append((f"answers.{key}", "Please enter a number."))
    return contact, answers, errors
