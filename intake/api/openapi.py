"""The OpenAPI 3.1 description of the intake API, generated from its models.

Every body schema (components/schemas) is generated from `intake.api.schema`: the request the
API validates against, the answers object from the contract vocabulary, and the responses it
writes; so the document cannot drift from what the API accepts. Only the paths, the responses'
prose and the Idempotency-Key header are written here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from intake.api.schema import (
    IDEMPOTENCY_KEY_MAX,
    IDEMPOTENCY_KEY_PATTERN,
    IntakeCreated,
    IntakeRequest,
    Problem,
)

PROBLEM = "application/problem+json"
REF = "#/components/schemas/{model}"


def schemas() -> dict[str, Any]:
    """components/schemas: the request as validated, the responses as written."""
    _, top = TypeAdapter.json_schemas(
        [
            ("request", "validation", TypeAdapter(IntakeRequest)),
            ("created", "serialization", TypeAdapter(IntakeCreated)),
            ("problem", "serialization", TypeAdapter(Problem)),
        ],
        ref_template=REF,
    )
    found: dict[str, Any] = top["$defs"]
    return dict(sorted(found.items()))


def _problem(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": REF.format(model="Problem")}}},
        **extra,
    }


@cache
def document() -> dict[str, Any]:
    """The document, built once: it depends on the vocabulary only, not on the request or on
    the app's settings. Every caller gets the same dict: never mutate it."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wayfinder intake API",
            "version": "1.0.0",
            "description": (
                "Submit an intake for a behavioral-health practice. Answers use the contract "
                "vocabulary; a missing answer means 'not asked'. Errors are RFC 9457 problem "
                "details with a field list. Submitting needs an API client's key, sent as "
                "'Authorization: Bearer <key>' (an administrator creates one with "
                "`flask api-clients create NAME`); requests are limited per client."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/intakes": {
                "post": {
                    "operationId": "createIntake",
                    "summary": "Submit one intake",
                    "security": [{"ApiKey": []}],
                    "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/IntakeRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": {"$ref": "#/components/responses/Created"},
                        "200": {"$ref": "#/components/responses/Created"},
                        "400": {"$ref": "#/components/responses/Problem"},
                        "401": {"$ref": "#/components/responses/Unauthorized"},
                        "413": {"$ref": "#/components/responses/Problem"},
                        "415": {"$ref": "#/components/responses/Problem"},
                        "422": {"$ref": "#/components/responses/Invalid"},
                        "429": {"$ref": "#/components/responses/TooMany"},
                        "503": {"$ref": "#/components/responses/Busy"},
                    },
                }
            },
            "/questionnaire": {
                "get": {
                    "operationId": "getQuestionnaire",
                    "summary": "The intake as a FHIR R4 Questionnaire",
                    "responses": {
                        "200": {
                            "description": "FHIR Questionnaire",
                            "content": {"application/fhir+json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "ApiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The API client's key, shown once when it was created.",
                }
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": (
                        "Yours alone (another client's key of the same spelling is unrelated) "
                        "and bound to the body: repeated within 24 hours with the same body it "
                        "returns the intake the first request made (200); with another body it "
                        "is refused (422). After 24 hours it may be used again."
                    ),
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": IDEMPOTENCY_KEY_MAX,
                        "pattern": IDEMPOTENCY_KEY_PATTERN,
                    },
                }
            },
            "responses": {
                "Created": {
                    "description": "The intake (201 new; 200 for a repeated Idempotency-Key)",
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="IntakeCreated")}}
                    },
                },
                "Problem": _problem("The request was not accepted; nothing was stored"),
                "Invalid": _problem(
                    "Some fields need attention (`errors` names each by its dotted path, "
                    "such as answers.phq9_3 or contact.email); nothing was stored"
                ),
                "Unauthorized": _problem(
                    "No API key, or one that is unknown or revoked",
                    headers={
                        "WWW-Authenticate": {
                            "schema": {"type": "string"},
                            "description": 'Bearer realm="wayfinder"',
                        }
                    },
                ),
                "TooMany": _problem("Too many requests from this client; wait and try again"),
                "Busy": _problem("The service cannot take intakes just now; try again shortly"),
            },
            "schemas": schemas(),
        },
    }
