"""Input that used to crash, or to store what could never be shown again, gets a clear 4xx that
names the field, and nothing is written: a required answer sent as null, NUL and lone surrogates
anywhere in the text (keys and nested contact fields too), numbers beyond a float, repeated keys.

Bodies are sent as a client would send them: JSON text, where NUL is "\\u0000" and a lone
surrogate is "\\ud800" (json.dumps escapes both).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DataError

from intake.extensions import db
from intake.models import Intake, Notification
from intake.validation import REQUIRED_ANSWERS
from tests import factories
from tests.support import api_client

URL = "/api/v1/intakes"
UNSTORABLE = ("a\x00b", "a\ud800b", "\udfff")


@pytest.fixture
def api(app: Flask) -> Any:
    return api_client(app)


def post_text(client: Any, body: str) -> Any:
    return client.post(URL, data=body.encode(), content_type="application/json")


def post(client: Any, body: Any) -> Any:
    return post_text(client, json.dumps(body))


def nothing_written(app: Flask) -> None:
    with app.app_context():
        assert db.session.query(Intake).count() == 0
        assert db.session.query(Notification).count() == 0


def refused(response: Any, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.text[:500])
    assert response.mimetype == "application/problem+json"
    fields = [e["field"] for e in response.json["errors"]]
    assert field in fields, fields


@pytest.mark.parametrize("key", sorted(REQUIRED_ANSWERS))
def test_a_required_answer_sent_as_null_is_missing(app: Flask, api: Any, key: str) -> None:
    body = factories.payload()
    body["answers"][key] = None
    refused(post(api, body), f"answers.{key}")
    nothing_written(app)


@pytest.mark.parametrize(("asked", "follow_up"), [("asq_1", "asq_5"), ("asq_4", "asq_4_when")])
def test_a_follow_up_sent_as_null_is_missing(
    app: Flask, api: Any, asked: str, follow_up: str
) -> None:
    body = factories.payload(**{asked: "yes"})
    body["answers"][follow_up] = None
    refused(post(api, body), f"answers.{follow_up}")
    nothing_written(app)


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = body
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node[path[-1]] = value


TEXT_FIELDS = [
    ("answers", "free_text"),
    ("answers", "location"),
    ("answers", "state"),
    ("contact", "first_name"),
    ("contact", "email"),
    ("contact", "emergency_contact", "name"),
    ("contact", "insurance", "carrier"),
    ("contact", "consent", "at"),
    ("consent", "at"),
    ("language",),
]


@pytest.mark.parametrize("path", TEXT_FIELDS, ids=".".join)
@pytest.mark.parametrize("value", UNSTORABLE, ids=repr)
def test_nul_and_lone_surrogates_are_refused_anywhere(
    app: Flask, api: Any, path: tuple[str, ...], value: str
) -> None:
    body = factories.payload()
    _set(body, path, value)
    refused(post(api, body), ".".join(path))
    nothing_written(app)


@pytest.mark.parametrize("where", ["answers", "contact", "contact.emergency_contact", ""])
@pytest.mark.parametrize("key", ["\x00", "free\ud800text", "\udc00"])
def test_nul_and_lone_surrogates_in_keys_are_refused(
    app: Flask, api: Any, where: str, key: str
) -> None:
    body = factories.payload(contact={"emergency_contact": {"name": "Sam", "phone": "2125550100"}})
    node = body
    for step in filter(None, where.split(".")):
        node = node[step]
    node[key] = "x"
    response = post(api, body)
    # The error names the key with U+FFFD for each character that cannot be shown.
    shown = "".join("\ufffd" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in key)
    refused(response, f"{where}.{shown}" if where else shown)
    nothing_written(app)


BIG = "1" + "0" * 400  # an integer literal no float can hold


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("answers.height_cm", BIG),
        ("answers.weight_kg", "-" + BIG),
        ("answers.drug_times", BIG),
        ("answers.phq9_1", BIG),
        ("answers.height_cm", "1e400"),
        ("answers.height_cm", "NaN"),
        ("answers.weight_kg", "-Infinity"),
        ("contact.phone", BIG),
        ("language", "Infinity"),
    ],
)
def test_numbers_beyond_a_float_are_refused(app: Flask, api: Any, field: str, literal: str) -> None:
    body = factories.payload()
    _set(body, tuple(field.split(".")), "PLACEHOLDER")
    refused(post_text(api, json.dumps(body).replace('"PLACEHOLDER"', literal)), field)
    nothing_written(app)


@pytest.mark.parametrize(
    ("original", "repeated", "field"),
    [
        ('"phq9_1": 2', '"phq9_1": 2, "phq9_1": 3', "phq9_1"),
        ('"safe_now": "yes"', '"safe_now": "no", "safe_now": "yes"', "safe_now"),
        ('"first_name": "Canary"', '"first_name": "Canary", "first_name": "Other"', "first_name"),
        ('"language": "en"', '"language": "en", "language": "es"', "language"),
    ],
)
def test_repeated_keys_are_refused(
    app: Flask, api: Any, original: str, repeated: str, field: str
) -> None:
    body = json.dumps(factories.payload())
    assert original in body
    response = post_text(api, body.replace(original, repeated))
    refused(response, field)
    assert "more than once" in response.json["detail"]
    nothing_written(app)


def test_a_consent_without_its_keys_is_no_server_error(app: Flask, api: Any) -> None:
    body = factories.payload(contact={"consent": {"privacy": True}})
    response = post(api, body)
    assert response.status_code == 201, response.text[:500]
    with app.app_context():
        stored = db.session.query(Intake).one().contact["consent"]
    assert stored == {"contact": False, "privacy": True}


def test_postgresql_refuses_nul_in_json_text(app: Flask) -> None:
    """Why NUL is refused before the database: PostgreSQL cannot hold it as text (jsonb and
    every text operator on json fail with "unsupported Unicode escape sequence")."""
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        with pytest.raises(DataError, match="unsupported Unicode escape sequence"):
            db.session.execute(text("select cast(:doc as jsonb)"), {"doc": '{"a": "\\u0000"}'})
        db.session.rollback()
        with pytest.raises(DataError, match="unsupported Unicode escape sequence"):
            db.session.execute(
                text("select cast(:doc as json) ->> 'a'"), {"doc": '{"a": "\\u0000"}'}
            )
        db.session.rollback()


@pytest.mark.parametrize(
    ("path", "field", "form"),
    [
        ("/", "answers.free_text", factories.form_data(free_text="low\x00mood")),
        ("/", "answers.location", factories.form_data(location="nyc\x00")),
        ("/", "contact.first_name", factories.form_data(contact={"first_name": "A\x00"})),
        ("/step/about", "contact.last_name", {"last_name": "B\x00"}),
        ("/step/concerns", "answers.free_text", {"free_text": "x\x00y", "nav": "next"}),
        ("/step/preferences", "contact.insurance.carrier", {"insurance_carrier": "\x00"}),
    ],
)
def test_the_form_refuses_nul_too(
    app: Flask, client: Any, demo: Any, path: str, field: str, form: dict[str, Any]
) -> None:
    if path.startswith("/step/") and path != "/step/about":
        about = {**factories.CONTACT, "state": "NY", "nav": "next"}
        assert client.post("/step/about", data=about).status_code == 303
    if path == "/step/about":
        form = {**factories.CONTACT, "state": "NY", "nav": "next", **form}
    response = client.post(path, data=form)
    assert response.status_code == 422, (response.status_code, field)
    with app.app_context():
        for intake in db.session.query(Intake):
            stored = json.dumps([intake.contact, intake.answers])
            assert "\\u0000" not in stored
            assert intake.submitted_at is None


def test_free_text_of_only_spaces_is_no_answer_and_other_text_is_stripped() -> None:
    """Before: a free text of one no-break space was stored, and its FHIR string was invalid."""
    from intake import validation

    blank, _ = validation.clean_answers({"free_text": "\xa0 \t"}, 30)
    padded, _ = validation.clean_answers({"free_text": "  I pull away\xa0"}, 30)
    assert "free_text" not in blank and padded["free_text"] == "I pull away"
