"""POST /api/v1/intakes: 201 with reference, 422 problem+json, idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from intake import fhir
from intake.api.openapi import document
from intake.extensions import db
from intake.models import Intake
from tests import factories


def test_create_returns_reference_and_next_steps(app: Any, client: Any, demo: Any) -> None:
    response = client.post("/api/v1/intakes", json=factories.payload())
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"reference", "urgency_message", "crisis_help_shown"}
    assert body["crisis_help_shown"] is False


def test_age_in_answers_is_ignored(app: Any, client: Any, demo: Any) -> None:
    response = client.post("/api/v1/intakes", json=factories.payload(age=12))
    assert response.status_code == 201
    with app.app_context():
        assert db.session.query(Intake).one().answers["age"] > 30


def test_validation_errors_are_problem_json_with_fields(app: Any, client: Any) -> None:
    body = factories.payload(phq9_3=9, state="XX")
    body["contact"]["date_of_birth"] = "2999-01-01"
    response = client.post("/api/v1/intakes", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.json["errors"]}
    assert {"answers.phq9_3", "answers.state", "contact.date_of_birth"} <= fields
    with app.app_context():
        assert db.session.query(Intake).count() == 0


def test_idempotency_key_returns_the_same_intake(app: Any, client: Any, demo: Any) -> None:
    headers = {"Idempotency-Key": "partner-42"}
    first = client.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    second = client.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json == second.json
    with app.app_context():
        assert db.session.query(Intake).count() == 1


def test_not_json_is_a_clear_error(client: Any) -> None:
    assert client.post("/api/v1/intakes", data="x").status_code == 415
    response = client.post("/api/v1/intakes", data="[1", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact": None}, "contact"),
        ({"contact": {"first_name": "Ana"}}, "contact.last_name"),
        ({"contact.first_name": "x" * 10_000}, "contact.first_name"),
        ({"contact.first_name": "A\x00na"}, "contact.first_name"),
        ({"contact.first_name": 42}, "contact.first_name"),
        ({"contact.date_of_birth": "2999-01-01"}, "contact.date_of_birth"),
        ({"contact.date_of_birth": "02/04/1990"}, "contact.date_of_birth"),
        ({"contact.email": "not-an-email"}, "contact.email"),
        ({"contact.phone": "call me"}, "contact.phone"),
        ({"contact.preferred_contact": "pigeon"}, "contact.preferred_contact"),
        ({"answers": ["not", "an", "object"]}, "answers"),
        ({"answers.state": "ZZ"}, "answers.state"),
        ({"answers.state": None}, "answers.state"),
        ({"answers.asq_1": None}, "answers.asq_1"),
        ({"answers.asq_1": "maybe"}, "answers.asq_1"),
        ({"answers.asq_1": "yes"}, "answers.asq_5"),
        ({"answers.asq_4": "yes"}, "answers.asq_4_when"),
        ({"answers.phq9_9": None}, "answers.phq9_9"),
        ({"answers.phq9_3": "2"}, "answers.phq9_3"),
        ({"answers.phq9_3": True}, "answers.phq9_3"),
        ({"answers.height_cm": 9999}, "answers.height_cm"),
        ({"answers.free_text": "x" * 4001}, "answers.free_text"),
        ({"answers.concerns": ["aliens"]}, "answers.concerns"),
        ({"answers.favourite_colour": "blue"}, "answers.favourite_colour"),
        ({"consent": {"contact": True}}, "consent"),
        ({"consent": None}, "consent"),
        ({"language": "fr"}, "language"),
    ],
)
def test_every_validation_error_names_its_field(
    app: Any, client: Any, change: dict[str, Any], field: str
) -> None:
    body = factories.payload()
    for path, value in change.items():
        target, _, key = path.rpartition(".")
        holder = body[target] if target else body
        if value is None:
            holder.pop(key, None)
        else:
            holder[key] = value
    response = client.post("/api/v1/intakes", json=body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in {e["field"] for e in response.json["errors"]}
    assert all(e["message"] for e in response.json["errors"])
    with app.app_context():
        assert db.session.query(Intake).count() == 0


def test_bad_idempotency_key_and_odd_bodies_are_clear_errors(client: Any) -> None:
    response = client.post(
        "/api/v1/intakes", json=factories.payload(), headers={"Idempotency-Key": "x" * 101}
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in {e["field"] for e in response.json["errors"]}
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/intakes", data=nested, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response.mimetype == "application/problem+json"
    assert client.post("/api/v1/intakes", json=[1, 2]).status_code == 400


def test_crisis_answers_say_crisis_help_was_shown(app: Any, client: Any, demo: Any) -> None:
    response = client.post("/api/v1/intakes", json=factories.payload(safe_now="no"))
    assert response.status_code == 201
    assert response.json["crisis_help_shown"] is True and "988" in response.json["urgency_message"]


def test_rate_limit_per_client_address(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/intakes", json={}).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    other = client.post("/api/v1/intakes", json={}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 422


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_document_is_valid_and_describes_the_api(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1") and {"info", "paths", "components"} <= set(doc)
    assert {"title", "version"} <= set(doc["info"])
    for ref in _refs(doc):
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]  # every $ref resolves
    operation = doc["paths"]["/intakes"]["post"]
    assert {"201", "422", "429"} <= set(operation["responses"])
    answers = doc["components"]["schemas"]["Answers"]["properties"]
    assert answers["phq9_9"]["enum"] == [0, 1, 2, 3, "refused"]
    assert answers["concerns"]["items"]["enum"][0] == "anxiety" and "age" not in answers
    assert {"NY", "DC", "PR"} <= set(answers["state"]["enum"]) and "ZZ" not in answers["state"][
        "enum"
    ]
    for schema in doc["components"]["schemas"].values():
        assert schema["type"] == "object" and set(schema.get("required", [])) <= set(
            schema["properties"]
        )
    # The example body of contract.md fits the schema's required fields.
    body = factories.payload()
    assert set(doc["components"]["schemas"]["IntakeRequest"]["required"]) <= set(body)


def test_documents_are_built_once_and_served_unchanged(client: Any) -> None:
    """Neither depends on the request or the settings: one build serves every request."""
    assert document() is document() and fhir.questionnaire() is fhir.questionnaire()
    for _ in range(2):
        assert client.get("/api/v1/openapi.json").json == document()
        assert client.get("/api/v1/questionnaire").json == fhir.questionnaire()
