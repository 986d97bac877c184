"""POST /api/v1/intakes: the same validation and services as the web form."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, jsonify, request

from intake import services
from intake.api import bp
from intake.errors import problem
from intake.extensions import limiter
from intake.public.wording import next_steps
from intake.validation import ValidationFailed

LANGUAGES = ("en", "es")


def _body(intake: Any) -> dict[str, Any]:
    return {
        "reference": intake.reference,
        "urgency_message": next_steps(intake.urgency),
        "crisis_help_shown": intake.urgency == "crisis",
    }


def _json_body() -> Any:
    """The body as JSON, or None; deeply nested garbage is refused, not a server error."""
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        return None


@bp.post("/intakes")
@limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])
def create_intake() -> Any:
    if not request.is_json:
        return problem(415, "Send the intake as JSON with Content-Type: application/json.")
    payload = _json_body()
    if not isinstance(payload, dict):
        return problem(400, "The body is not a JSON object.")
    errors = []
    consent = payload.get("consent")
    if (
        not isinstance(consent, dict)
        or consent.get("contact") is not True
        or consent.get("privacy") is not True
    ):
        errors.append(
            {
                "field": "consent",
                "message": "Consent to be contacted and to the privacy notice is required.",
            }
        )
    language = payload.get("language", "en")
    if not isinstance(language, str) or language not in LANGUAGES:
        errors.append({"field": "language", "message": "language must be 'en' or 'es'."})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100 and key.isprintable()):
        errors.append(
            {
                "field": "Idempotency-Key",
                "message": "Use a printable key of at most 100 characters.",
            }
        )
    if errors:
        return problem(422, "Some fields need attention.", errors=errors)
    try:
        result = services.submit_intake(
            payload.get("contact"),
            payload.get("answers"),
            language=language,
            source="api",
            idempotency_key=f"api:{key}" if key else None,
        )
    except ValidationFailed as exc:
        return problem(422, "Some fields need attention.", errors=[e.to_dict() for e in exc.errors])
    response = jsonify(_body(result.intake))
    response.status_code = 201 if result.created else 200
    return response
