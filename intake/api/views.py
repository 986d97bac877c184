"""POST /api/v1/intakes: the same validation and services as the web form.

Only API clients may post (a bearer key, `intake.api.auth`); each is limited on its own count,
its Idempotency-Keys are its own, and its automatic assignments are capped per hour.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, jsonify, request

from intake import services
from intake.api import auth
from intake.api.blueprint import bp
from intake.api.schema import IntakeCreated, idempotency_key_errors, request_errors
from intake.errors import problem
from intake.extensions import limiter
from intake.public.wording import next_steps
from intake.services.submit import store_as_is
from intake.validation import ValidationFailed, document_errors, shown_name


def _body(intake: Any) -> dict[str, Any]:
    created = IntakeCreated(
        reference=intake.reference,
        urgency_message=next_steps(intake.urgency),
        crisis_help_shown=intake.urgency == "crisis",
    )
    return created.model_dump()


class RepeatedKey(ValueError):
    """One JSON object names the same key twice: which value was meant is unknowable."""

    def __init__(self, key: str) -> None:
        super().__init__("repeated key")
        self.key = key


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise RepeatedKey(key)
        found[key] = value
    return found


def _json_body() -> Any:
    """The body as JSON, or None; deeply nested garbage is refused, not a server error.

    Raises RepeatedKey for an object that repeats a key (json.loads would keep the last one).
    """
    try:
        return json.loads(
            request.get_data(cache=True) or b"null", object_pairs_hook=_no_repeated_keys
        )
    except RepeatedKey:
        raise
    except (ValueError, RecursionError):
        return None


@bp.post("/intakes")
@limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=auth.rate_key)
def create_intake() -> Any:
    client = auth.current_client()
    if client is None:
        return auth.unauthorized()
    if not request.is_json:
        return problem(415, "Send the intake as JSON with Content-Type: application/json.")
    try:
        payload = _json_body()
    except RepeatedKey as exc:
        repeated = {"field": shown_name(exc.key), "message": "This key appears more than once."}
        return problem(422, "A key appears more than once in one object.", errors=[repeated])
    if not isinstance(payload, dict):
        return problem(400, "The body is not a JSON object.")
    if unusable := document_errors(payload):  # NUL, lone surrogates, numbers beyond a float
        return problem(422, "Some fields need attention.", errors=[e.to_dict() for e in unusable])
    # The body's shape (intake.api.schema); the service checks contact and answers again.
    key = request.headers.get("Idempotency-Key")
    errors = request_errors(payload) + idempotency_key_errors(key)
    if errors:
        return problem(422, "Some fields need attention.", errors=[e.to_dict() for e in errors])
    # The key is this client's alone, and bound to this body.
    client_key = services.ClientKey(client.id, key, services.body_hash(payload)) if key else None
    try:
        result = services.submit_intake(
            payload.get("contact"),
            payload.get("answers"),
            language=payload.get("language", "en"),
            source="api",
            client_key=client_key,
            origin=services.client_origin(client),
        )
    except ValidationFailed as exc:
        return problem(422, "Some fields need attention.", errors=[e.to_dict() for e in exc.errors])
    except services.KeyReused:
        reused = {
            "field": "Idempotency-Key",
            "message": "This Idempotency-Key was used with a different body in the last 24 "
            "hours. Send a new key for a new intake.",
        }
        return problem(
            422, "The Idempotency-Key does not match its first request.", errors=[reused]
        )
    response = jsonify(_body(result.intake))
    response.status_code = 201 if result.created else 200
    return response


@bp.post("/bench/baseline")
def bench_baseline() -> Any:
    """The throughput benchmark's baseline: the same JSON body stored in one insert.

    A 404, like any unknown address, unless BENCH_BASELINE_ENDPOINT is set (refused in
    production). No key, no validation, no decision: the floor a submit is measured against.
    """
    if not current_app.config["BENCH_BASELINE_ENDPOINT"]:
        abort(404)
    try:
        payload = _json_body() if request.is_json else None
    except RepeatedKey:
        payload = None
    if not isinstance(payload, dict):
        return problem(400, "The body is not a JSON object.")
    return jsonify(reference=store_as_is(payload)), 201
