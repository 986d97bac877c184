"""API clients: no intake without a valid bearer key; `flask api-clients` create, list, revoke
and set-cap; the key is shown once, stored as a hash only, and never logged."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest
from sqlalchemy import select

from intake.cli import DEMO_API_KEY, seed_demo
from intake.extensions import db
from intake.models import ApiClient, AuditEvent, Intake
from tests import factories
from tests.support import ROOT, api_key

API = "/api/v1/intakes"


def _create(app: Any, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["api-clients", "create", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(
    ("authorization", "invalid_token"),
    [
        (None, False),
        ("", False),
        ("Bearer", False),
        ("Basic dXNlcjpwYXNz", False),
        ("Bearer wf_not-a-key-anybody-was-given-0000000000", True),
        ("Bearer " + "x" * 5000, True),
        ("Bearer wf_\u00e9\u0000", True),
    ],
)
def test_no_valid_key_is_401_problem_json_and_stores_nothing(
    app: Any, demo: Any, authorization: str | None, invalid_token: bool
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = app.test_client().post(API, json=factories.payload(), headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401 and response.json["detail"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is invalid_token
    with app.app_context():
        assert db.session.query(Intake).count() == 0


def test_create_prints_the_key_last_stores_its_hash_and_the_key_works(app: Any, demo: Any) -> None:
    result = _create(app, "referral-partner")
    key = result.output.splitlines()[-1]
    assert key.startswith("wf_") and len(key) >= 40
    assert "referral-partner" in result.output.splitlines()[0]
    with app.app_context():
        client = db.session.scalar(select(ApiClient).where(ApiClient.name == "referral-partner"))
        assert client is not None
        assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = " ".join(str(v) for v in vars(client).values())
        assert key not in stored  # only the hash
    ok = app.test_client().post(
        API, json=factories.payload(), headers={"Authorization": f"Bearer {key}"}
    )
    assert ok.status_code == 201, ok.json
    # The scheme is case-insensitive (RFC 7235); a second create makes a different key.
    second = _create(app, "second-partner").output.splitlines()[-1]
    assert second != key
    lower = app.test_client().post(
        API, json=factories.payload(), headers={"Authorization": f"bearer {second}"}
    )
    assert lower.status_code == 201


def test_list_revoke_and_set_cap(app: Any, demo: Any) -> None:
    runner = app.test_cli_runner()
    key = _create(app, "partner-x").output.splitlines()[-1]
    assert runner.invoke(args=["api-clients", "create", "partner-x"]).exit_code != 0  # taken
    assert runner.invoke(args=["api-clients", "create", "bad name!"]).exit_code != 0
    listed = runner.invoke(args=["api-clients", "list"])
    assert listed.exit_code == 0 and "partner-x" in listed.output and key not in listed.output
    assert "active" in listed.output and "no cap (the default)" in listed.output  # tests: 0

    capped = runner.invoke(args=["api-clients", "set-cap", "partner-x", "40"])
    assert capped.exit_code == 0 and "40 per hour (its own)" in capped.output
    assert runner.invoke(args=["api-clients", "set-cap", "partner-x", "-1"]).exit_code != 0
    assert runner.invoke(args=["api-clients", "set-cap", "nobody", "3"]).exit_code != 0
    back = runner.invoke(args=["api-clients", "set-cap", "partner-x", "default"])
    assert back.exit_code == 0 and "(the default)" in back.output

    headers = {"Authorization": f"Bearer {key}"}
    assert app.test_client().post(API, json=factories.payload(), headers=headers).status_code == 201
    revoked = runner.invoke(args=["api-clients", "revoke", "partner-x"])
    assert revoked.exit_code == 0, revoked.output
    refused = app.test_client().post(API, json=factories.payload(), headers=headers)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert "revoked" in runner.invoke(args=["api-clients", "list"]).output
    assert runner.invoke(args=["api-clients", "revoke", "nobody"]).exit_code != 0
    with app.app_context():
        actions = [a for (a,) in db.session.query(AuditEvent.action)]
    assert {"api_client.created", "api_client.cap_changed", "api_client.revoked"} <= set(actions)


def test_the_key_is_never_logged_nor_audited(app: Any, demo: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    key = _create(app, "quiet-partner").output.splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    app.test_client().post(API, json=factories.payload(), headers=headers)
    app.test_client().post(API, json=factories.payload(), headers={"Authorization": "Bearer x"})
    app.test_client().post(API, data="not json", headers=headers)
    wrong = key[:-4] + "AAAA"
    app.test_client().post(
        API, json=factories.payload(), headers={"Authorization": f"Bearer {wrong}"}
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "submitted" in logged  # the app's own lines were captured
    for secret in (key, key[3:], wrong):
        assert secret not in logged
    with app.app_context():
        details = " ".join(str(d) for (d,) in db.session.query(AuditEvent.detail))
    assert key not in details and key[3:] not in details


def test_the_demo_seeds_a_client_and_shows_how_to_call_it(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "api_clients" in first.output and DEMO_API_KEY in first.output
    assert "Authorization: Bearer" in first.output and "/api/v1/intakes" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert "already there" in again.output and DEMO_API_KEY in again.output
    response = app.test_client().post(
        API, json=factories.payload(), headers={"Authorization": f"Bearer {DEMO_API_KEY}"}
    )
    assert response.status_code == 201


def test_production_gets_no_demo_api_client(make_app: Any) -> None:
    app = make_app(APP_ENV="production", SECRET_KEY="a-real-secret-" + "x" * 20)
    with app.app_context():
        created = seed_demo()
        assert "api_clients" not in created
        assert db.session.query(ApiClient).count() == 0


def test_the_test_helper_key_is_a_real_client(app: Any, demo: Any) -> None:
    """tests.support.api_key makes its client as the CLI does (no back door in the app)."""
    key = api_key(app, "helper")
    with app.app_context():
        client = db.session.scalar(select(ApiClient).where(ApiClient.name == "helper"))
        assert client is not None and client.key_hash == hashlib.sha256(key.encode()).hexdigest()


def test_the_readme_example_works_as_written(app: Any, demo: Any) -> None:
    """The README's API example: its key is the demo key, and its body is accepted."""
    readme = (ROOT / "README.md").read_text()
    body = readme.split("cat > intake.json <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    command = readme.split("\nEOF\ncurl ", 1)[1].split("```", 1)[0]
    assert f"Authorization: Bearer {DEMO_API_KEY}" in command and "/api/v1/intakes" in command
    response = app.test_client().post(
        API,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {DEMO_API_KEY}", "Idempotency-Key": "demo-1"},
    )
    assert response.status_code == 201, response.json
