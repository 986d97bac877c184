"""Plain builders for test data in the contract vocabulary."""

from __future__ import annotations

from typing import Any

CONTACT = {
    "first_name": "Canary",
    "last_name": "Zebrafinch",
    "date_of_birth": "1990-04-02",
    "phone": "+1 212 555 0142",
    "preferred_contact": "phone",
}
FREE_TEXT = "canary-free-text: I pull away when people get close"


def answers(**overrides: Any) -> dict[str, Any]:
    """A routine adult in NY asking about depression: ASQ all no, PHQ-9 12, GAD-7 6."""
    base: dict[str, Any] = {
        "state": "NY",
        "concerns": ["depression"],
        "modality_preference": "virtual",
        "asq_1": "no",
        "asq_2": "no",
        "asq_3": "no",
        "asq_4": "no",
        "safe_now": "yes",
        **{f"phq9_{i}": v for i, v in enumerate([2, 2, 1, 2, 1, 1, 2, 1, 0], start=1)},
        **{f"gad7_{i}": v for i, v in enumerate([1, 1, 1, 1, 1, 1, 0], start=1)},
        "free_text": FREE_TEXT,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def form_data(contact: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """The same person as posted by the web form (strings, list for concerns)."""
    data: dict[str, Any] = {
        **CONTACT,
        **(contact or {}),
        "consent_contact": "yes",
        "consent_privacy": "yes",
    }
    for key, value in answers(**overrides).items():
        data[key] = value if isinstance(value, list) else str(value)
    return data


def payload(contact: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """The JSON API body of contract.md."""
    return {
        "contact": {**CONTACT, **(contact or {})},
        "answers": answers(**overrides),
        "consent": {"contact": True, "privacy": True},
        "language": "en",
    }
