"""POST /api/v1/intakes: 201 with reference, 422 problem+json, idempotency."""

from __future__ import annotations

from typing import Any

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
