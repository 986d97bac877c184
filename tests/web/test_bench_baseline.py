"""The throughput benchmark's baseline endpoint: there only when BENCH_BASELINE_ENDPOINT is set."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import Intake
from tests import factories
from tests.support import count_queries

BASELINE = "/api/v1/bench/baseline"


def test_it_is_a_404_unless_the_setting_is_on(make_app: Any) -> None:
    app = make_app()
    assert app.config["BENCH_BASELINE_ENDPOINT"] is False
    response = app.test_client().post(BASELINE, json=factories.payload())
    assert response.status_code == 404
    assert response.status_code == app.test_client().post("/api/v1/no-such-thing").status_code
    with app.app_context():
        assert db.session.scalar(select(Intake.id)) is None  # nothing was stored


def test_when_on_it_stores_the_body_in_one_insert(make_app: Any) -> None:
    app = make_app(BENCH_BASELINE_ENDPOINT=True)
    body = factories.payload()
    with count_queries(app) as seen:
        response = app.test_client().post(BASELINE, json=body)
    assert response.status_code == 201
    statements = [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO intakes")
    with app.app_context():
        stored = db.session.scalars(select(Intake)).one()
        assert stored.reference == response.json["reference"]
        assert stored.contact == body["contact"] and stored.answers == body["answers"]
        assert stored.status == "draft"  # never a submitted intake: no queue, no email


@pytest.mark.parametrize("raw", [b"[1, 2]", b"{not json", b'{"a": 1, "a": 2}'])
def test_when_on_a_bad_body_is_a_400(make_app: Any, raw: bytes) -> None:
    app = make_app(BENCH_BASELINE_ENDPOINT=True)
    response = app.test_client().post(BASELINE, data=raw, content_type="application/json")
    assert response.status_code == 400


def test_production_refuses_the_setting(tmp_path: Any) -> None:
    environ = {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "BENCH_BASELINE_ENDPOINT": "true"}
    with pytest.raises(ConfigError, match="BENCH_BASELINE_ENDPOINT"):
        load_config(str(tmp_path), {"SMTP_TLS_WAIVED": True}, environ=environ)
