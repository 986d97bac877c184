"""The OpenAPI 3.1 description of the intake API, built from the contract vocabulary.

Answer properties come from `intake.triage.VOCABULARY`, so the document cannot drift from what
the API accepts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from intake.triage import STATES, VOCABULARY
from intake.triage.vocabulary import Spec
from intake.validation import NAME_MAX, PREFERRED_CONTACT, REQUIRED_ANSWERS

PROBLEM = "application/problem+json"


def _answer_schema(spec: Spec) -> dict[str, Any]:
    if spec.kind == "choice":
        kinds = sorted({"integer" if type(v) is int else "string" for v in spec.values})
        return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": list(spec.values)}
    if spec.kind in ("int", "number"):
        return {
            "type": "integer" if spec.kind == "int" else "number",
            "minimum": spec.low,
            "maximum": spec.high,
        }
    if spec.kind == "text":
        return {"type": "string", "maxLength": int(spec.high or 0)}
    if spec.kind == "state":
        return {"type": "string", "enum": sorted(STATES), "description": "US state code"}
    return {"type": "array", "items": {"type": "string", "enum": list(spec.values)}}


def _text(limit: int = NAME_MAX) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit}


@cache
def document() -> dict[str, Any]:
    """The document, built once: it depends on the vocabulary only, not on the request or on
    the app's settings. Every caller gets the same dict: never mutate it."""
    answers = {
        key: _answer_schema(spec) for key, spec in sorted(VOCABULARY.items()) if key != "age"
    }
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
                        "422": {"$ref": "#/components/responses/Problem"},
                        "429": {"$ref": "#/components/responses/Problem"},
                        "503": {"$ref": "#/components/responses/Problem"},
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
                    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                }
            },
            "responses": {
                "Created": {
                    "description": "The intake (201 new; 200 for a repeated Idempotency-Key)",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/IntakeCreated"}
                        }
                    },
                },
                "Problem": {
                    "description": "The request was not accepted; nothing was stored",
                    "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
                "Unauthorized": {
                    "description": "No API key, or one that is unknown or revoked",
                    "headers": {
                        "WWW-Authenticate": {
                            "schema": {"type": "string"},
                            "description": 'Bearer realm="wayfinder"',
                        }
                    },
                    "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
            "schemas": {
                "IntakeRequest": {
                    "type": "object",
                    "required": ["contact", "answers", "consent"],
                    "properties": {
                        "contact": {"$ref": "#/components/schemas/Contact"},
                        "answers": {"$ref": "#/components/schemas/Answers"},
                        "consent": {"$ref": "#/components/schemas/Consent"},
                        "language": {"type": "string", "enum": ["en", "es"], "default": "en"},
                    },
                },
                "Contact": {
                    "type": "object",
                    "required": ["first_name", "last_name", "date_of_birth", "phone"],
                    "properties": {
                        "first_name": _text(),
                        "last_name": _text(),
                        "date_of_birth": {"type": "string", "format": "date"},
                        "email": {"type": "string", "format": "email", "maxLength": 254},
                        "phone": _text(25),
                        "preferred_contact": {"type": "string", "enum": list(PREFERRED_CONTACT)},
                        "emergency_contact": {
                            "type": "object",
                            "properties": {"name": _text(), "phone": _text(25)},
                        },
                    },
                },
                "Answers": {
                    "type": "object",
                    "description": (
                        f"Contract answer keys. Required at submission: "
                        f"{', '.join(REQUIRED_ANSWERS)}; asq_5 when any of asq_1..4 is "
                        "yes/refused; asq_4_when when asq_4 is yes. `age` is derived from "
                        "date_of_birth."
                    ),
                    "required": list(REQUIRED_ANSWERS),
                    "properties": answers,
                    "additionalProperties": False,
                },
                "Consent": {
                    "type": "object",
                    "required": ["contact", "privacy"],
                    "properties": {
                        "contact": {"const": True},
                        "privacy": {"const": True},
                    },
                },
                "IntakeCreated": {
                    "type": "object",
                    "required": ["reference", "urgency_message", "crisis_help_shown"],
                    "properties": {
                        "reference": {"type": "string", "examples": ["WF-ABCD-2345"]},
                        "urgency_message": {"type": "string"},
                        "crisis_help_shown": {"type": "boolean"},
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/FieldError"},
                        },
                    },
                },
                "FieldError": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
