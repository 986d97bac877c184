"""POST /api/v1/intakes: 201 with reference, 422 problem+json, idempotency, per-client limits.

Every call here is signed as an API client (`api` fixture); tests/web/test_api_clients.py has
the keys themselves (401 without one, the CLI, revocation).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from intake import fhir
from intake.api.openapi import document
from intake.extensions import db
from intake.models import ApiIdempotencyKey, Intake, utcnow
from intake.services.idempotency import purge_expired
from tests import factories
from tests.support import api_client


@pytest.fixture
def api(app: Any) -> Any:
    """A test client signed as the API client "test-partner"."""
    return api_client(app)


def test_create_returns_reference_and_next_steps(app: Any, api: Any, demo: Any) -> None:
    response = api.post("/api/v1/intakes", json=factories.payload())
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"reference", "urgency_message", "crisis_help_shown"}
    assert body["crisis_help_shown"] is False


def test_age_in_answers_is_ignored(app: Any, api: Any, demo: Any) -> None:
    response = api.post("/api/v1/intakes", json=factories.payload(age=12))
    assert response.status_code == 201
    with app.app_context():
        assert db.session.query(Intake).one().answers["age"] > 30


def test_validation_errors_are_problem_json_with_fields(app: Any, api: Any) -> None:
    body = factories.payload(phq9_3=9, state="XX")
    body["contact"]["date_of_birth"] = "2999-01-01"
    response = api.post("/api/v1/intakes", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.json["errors"]}
    assert {"answers.phq9_3", "answers.state", "contact.date_of_birth"} <= fields
    with app.app_context():
        assert db.session.query(Intake).count() == 0


def test_idempotency_key_returns_the_same_intake(app: Any, api: Any, demo: Any) -> None:
    headers = {"Idempotency-Key": "partner-42"}
    first = api.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    second = api.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json == second.json
    # The same body with its keys in another order and other spacing is the same body.
    body = json.dumps(dict(reversed(list(factories.payload().items()))), indent=2)
    third = api.post("/api/v1/intakes", data=body, content_type="application/json", headers=headers)
    assert third.status_code == 200 and third.json == first.json
    with app.app_context():
        assert db.session.query(Intake).count() == 1


def test_idempotency_key_with_another_body_is_refused_naming_the_key(
    app: Any, api: Any, demo: Any
) -> None:
    headers = {"Idempotency-Key": "partner-43"}
    first = api.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    assert first.status_code == 201
    other = api.post("/api/v1/intakes", json=factories.payload(phq9_1=3), headers=headers)
    assert other.status_code == 422, other.json
    assert other.mimetype == "application/problem+json"
    assert [e["field"] for e in other.json["errors"]] == ["Idempotency-Key"]
    assert "Idempotency-Key" in other.json["detail"]
    with app.app_context():
        assert db.session.query(Intake).count() == 1
        assert db.session.query(Intake).one().answers["phq9_1"] == 2  # the first body's


def test_idempotency_keys_belong_to_one_client(app: Any, demo: Any) -> None:
    """Another client's key of the same spelling is another key: its intake is its own."""
    headers = {"Idempotency-Key": "order-1"}
    mine = api_client(app, "partner-a").post(
        "/api/v1/intakes", json=factories.payload(), headers=headers
    )
    theirs = api_client(app, "partner-b").post(
        "/api/v1/intakes", json=factories.payload(phq9_1=3), headers=headers
    )
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.json
    assert mine.json["reference"] != theirs.json["reference"]
    with app.app_context():
        assert db.session.query(Intake).count() == 2


def test_idempotency_keys_expire_after_24_hours(app: Any, api: Any, demo: Any) -> None:
    headers = {"Idempotency-Key": "daily-7"}
    first = api.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    with app.app_context():  # 23 hours later the key still holds
        db.session.execute(
            update(ApiIdempotencyKey).values(created_at=utcnow() - timedelta(hours=23))
        )
        db.session.commit()
    again = api.post("/api/v1/intakes", json=factories.payload(), headers=headers)
    assert again.status_code == 200 and again.json == first.json
    with app.app_context():  # 25 hours: forgotten, and free for a new intake (another body)
        db.session.execute(
            update(ApiIdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()
    later = api.post("/api/v1/intakes", json=factories.payload(phq9_1=3), headers=headers)
    assert later.status_code == 201 and later.json["reference"] != first.json["reference"]
    with app.app_context():
        assert db.session.query(Intake).count() == 2
        assert purge_expired(utcnow() + timedelta(hours=25)) == 1
        assert db.session.query(ApiIdempotencyKey).count() == 0


def test_not_json_is_a_clear_error(api: Any) -> None:
    assert api.post("/api/v1/intakes", data="x").status_code == 415
    response = api.post("/api/v1/intakes", data="[1", content_type="application/json")
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
    app: Any, api: Any, change: dict[str, Any], field: str
) -> None:
    body = factories.payload()
    for path, value in change.items():
        target, _, key = path.rpartition(".")
        holder = body[target] if target else body
        if value is None:
            holder.pop(key, None)
        else:
            holder[key] = value
    response = api.post("/api/v1/intakes", json=body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in {e["field"] for e in response.json["errors"]}
    assert all(e["message"] for e in response.json["errors"])
    with app.app_context():
        assert db.session.query(Intake).count() == 0


def test_bad_idempotency_key_and_odd_bodies_are_clear_errors(api: Any) -> None:
    response = api.post(
        "/api/v1/intakes", json=factories.payload(), headers={"Idempotency-Key": "x" * 101}
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in {e["field"] for e in response.json["errors"]}
    nested = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/v1/intakes", data=nested, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response.mimetype == "application/problem+json"
    assert api.post("/api/v1/intakes", json=[1, 2]).status_code == 400


def test_crisis_answers_say_crisis_help_was_shown(app: Any, api: Any, demo: Any) -> None:
    response = api.post("/api/v1/intakes", json=factories.payload(safe_now="no"))
    assert response.status_code == 201
    assert response.json["crisis_help_shown"] is True and "988" in response.json["urgency_message"]


def test_rate_limit_per_api_client(make_app: Any) -> None:
    """A client's count follows it from any address; another client has its own; calls
    without a valid key are counted per address."""
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    partner, other = api_client(app, "partner"), api_client(app, "other")
    here, there = {"REMOTE_ADDR": "10.1.1.1"}, {"REMOTE_ADDR": "10.2.2.2"}

    def post(client: Any, where: dict[str, str]) -> int:
        return int(client.post("/api/v1/intakes", json={}, environ_base=where).status_code)

    assert [post(partner, here), post(partner, here), post(partner, here)] == [422, 422, 429]
    assert post(partner, there) == 429  # the same client from another address
    assert post(other, here) == 422  # another client from the same address
    anonymous = app.test_client()
    assert [post(anonymous, here) for _ in range(3)] == [401, 401, 429]
    assert post(anonymous, there) == 401


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
    assert {"201", "401", "422", "429"} <= set(operation["responses"])
    # The bearer scheme is declared, and the operation requires it.
    (scheme,) = operation["security"][0]
    assert doc["components"]["securitySchemes"][scheme] == {
        **doc["components"]["securitySchemes"][scheme],
        "type": "http",
        "scheme": "bearer",
    }
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
