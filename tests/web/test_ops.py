"""Running it as a service: /healthz, /readyz naming the dependency that is down, /metrics
(names, no PHI, bearer token or loopback only), JSON logs with no form value in them, request
ids carried into tasks, and crisis alerts on their own queue."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from flask import Flask
from sqlalchemy import select

from intake import create_app
from intake.config import ConfigError
from intake.extensions import db
from intake.models import Notification, NotificationKind
from intake.ops import logs, queues
from tests import factories
from tests.conftest import free_port, scratch_pg_database, settings
from tests.support import ROOT, RedisServer, SmtpSink, api_client, start_smtp
from tests.web.questionnaire_helpers import ABOUT, start

PHI = ("Canary", "Zebrafinch", "212 555 0142", "canary-free-text", "1990-04-02", "canary@")
METRIC_NAMES = (
    "wayfinder_http_requests_total",
    "wayfinder_http_request_duration_seconds_bucket",
    "wayfinder_intakes",
    "wayfinder_notifications",
    "wayfinder_outbox_backlog",
    "wayfinder_outbox_oldest_pending_age_seconds",
    "wayfinder_crisis_intakes",
    "wayfinder_crisis_oldest_unacknowledged_age_seconds",
    "wayfinder_escalations",
    "wayfinder_state_scrape_ok",
)


def closed_port_url(scheme: str) -> str:
    return f"{scheme}://postgres@127.0.0.1:{free_port()}/nothing_here"


def without_database(tmp_path: Any, **extra: Any) -> Flask:
    """An app whose database is unreachable (not `make_app`'s: those share the test's
    connection)."""
    return create_app(settings(closed_port_url("postgresql"), tmp_path, **extra))


# --- health and readiness -------------------------------------------------------------------


def test_healthz_answers_even_with_every_dependency_down(tmp_path: Any) -> None:
    app = without_database(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ok_when_everything_answers(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "ok",
        "smtp": "not used",
    }
    assert response.headers["X-Request-ID"]


def test_readyz_names_a_database_that_is_down(tmp_path: Any) -> None:
    response = without_database(tmp_path).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["database", "migrations"]
    assert response.json["checks"]["database"] == "OperationalError"
    assert response.json["checks"]["broker"] == "ok"


def test_readyz_names_a_broker_that_is_down(make_app: Any) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["broker"]


def test_readyz_checks_a_real_redis_broker_and_metrics_read_its_queues(
    make_app: Any, redis_url: str
) -> None:
    client = make_app(REDIS_URL=redis_url).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    metrics = client.get("/metrics").text
    assert 'wayfinder_queue_depth{queue="crisis"} 0.0' in metrics
    assert 'wayfinder_queue_depth{queue="celery"} 0.0' in metrics


def test_the_tests_flush_only_a_redis_they_started(tmp_path: Any) -> None:
    """The machine's own Redis on 6379 is never emptied by a test: flush() wants our process."""
    with pytest.raises(RuntimeError, match="not started by this test run"):
        RedisServer(6379, tmp_path / "redis.log").flush()


def test_readyz_names_an_smtp_server_that_is_down_and_passes_a_live_one(make_app: Any) -> None:
    down = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port()).test_client().get("/readyz")
    assert down.status_code == 503 and down.json["failed"] == ["smtp"]
    port = free_port()
    controller = start_smtp(port, SmtpSink())
    try:
        up = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port).test_client().get("/readyz")
    finally:
        controller.stop()
    assert up.status_code == 200 and up.json["checks"]["smtp"] == "ok"


def test_readyz_refuses_a_schema_behind_the_migrations(tmp_path: Any) -> None:
    with scratch_pg_database("wayfinder_ready") as url:
        app = create_app(settings(url, tmp_path))
        response = app.test_client().get("/readyz")
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"]


# --- metrics ----------------------------------------------------------------------------------


@pytest.fixture
def crisis_app(app: Flask, demo: Any) -> Flask:
    """One routine and one crisis intake submitted through the API."""
    api = api_client(app)
    assert api.post("/api/v1/intakes", json=factories.payload()).status_code == 201
    assert api.post("/api/v1/intakes", json=factories.payload(safe_now="no")).status_code == 201
    return app


def test_metrics_names_and_no_phi(crisis_app: Flask) -> None:
    client = crisis_app.test_client()
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    body = response.text
    names = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1] != "#"}
    assert set(METRIC_NAMES) <= names, sorted(set(METRIC_NAMES) - names)
    assert re.search(r'wayfinder_crisis_intakes\{acknowledgement="open"\} 1\.0', body)
    assert re.search(r'wayfinder_intakes\{[^}]*urgency="crisis"', body)
    assert 'wayfinder_notifications{kind="crisis_alert",status="pending"}' in body
    assert 'wayfinder_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in body
    assert "wayfinder_state_scrape_ok 1" in body
    for canary in PHI:
        assert canary not in body
    with crisis_app.app_context():
        from intake.models import Intake

        for reference in db.session.scalars(select(Intake.reference)):
            assert reference not in body


def test_the_dashboard_and_alert_rules_use_only_exported_names() -> None:
    deploy = ROOT / "deploy"
    text = (deploy / "grafana-dashboard.json").read_text()
    text += (deploy / "prometheus-alerts.yml").read_text()
    used = set(re.findall(r"wayfinder_[a-z_]+", text))
    assert used, "nothing found"
    assert used <= {*METRIC_NAMES, "wayfinder_queue_depth"}, used - set(METRIC_NAMES)
    for rule in ("WayfinderOutboxStale", "WayfinderCrisisUnacknowledged", "WayfinderDeadLetters"):
        assert rule in text


def test_metrics_answer_only_loopback_without_a_token(client: Any) -> None:
    assert client.get("/metrics").status_code == 200
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_want_the_bearer_token_when_one_is_set(make_app: Any) -> None:
    client = make_app(METRICS_TOKEN="s3cret-token").test_client()  # noqa: S106
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics").status_code == 401  # loopback is not enough
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong, environ_base=remote).status_code == 401
    right = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/metrics", headers=right, environ_base=remote).status_code == 200


def test_metrics_without_a_database_say_so_instead_of_failing(tmp_path: Any) -> None:
    response = without_database(tmp_path).test_client().get("/metrics")
    assert response.status_code == 200
    assert "wayfinder_state_scrape_ok 0" in response.text


# --- crisis queue -----------------------------------------------------------------------------


def test_crisis_alerts_are_routed_to_their_own_queue(crisis_app: Flask) -> None:
    with crisis_app.app_context():
        rows = db.session.execute(select(Notification.id, Notification.kind)).all()
        routed = {
            kind: queues.route("wayfinder.send_notification", [nid], {}, {}) for nid, kind in rows
        }
    assert routed[NotificationKind.CRISIS_ALERT] == {"queue": queues.CRISIS_QUEUE}
    assert routed[NotificationKind.ASSIGNMENT] == {"queue": queues.DEFAULT_QUEUE}
    assert queues.route("wayfinder.sweep_outbox", [], {}, {}) is None
    conf = crisis_app.extensions["celery"].conf
    assert {q.name for q in conf.task_queues} == {queues.DEFAULT_QUEUE, queues.CRISIS_QUEUE}


# --- structured logs --------------------------------------------------------------------------


@pytest.fixture
def json_log(make_app: Any) -> Iterator[tuple[Flask, io.StringIO]]:
    """An app with LOG_FORMAT=json whose JSON lines are written to a buffer; the root logger
    is put back as it was afterwards."""
    root = logging.getLogger()
    level, formats = root.level, {h: h.formatter for h in root.handlers}
    app = make_app(LOG_FORMAT="json")
    buffer = io.StringIO()
    ours = [h for h in root.handlers if isinstance(h, logs._Handler)]
    assert len(ours) == 1
    ours[0].setStream(buffer)
    yield app, buffer
    root.removeHandler(ours[0])
    root.setLevel(level)
    for handler, formatter in formats.items():
        handler.setFormatter(formatter)


def test_text_logs_stay_the_default_and_an_unknown_format_is_refused(
    app: Flask, tmp_path: Any
) -> None:
    assert app.config["LOG_FORMAT"] == "text"
    assert not [h for h in logging.getLogger().handlers if isinstance(h, logs._Handler)]
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app(settings(closed_port_url("postgresql"), tmp_path, LOG_FORMAT="yaml"))


def test_json_logs_one_object_per_line_with_ids_and_no_form_value(
    demo: Any, json_log: tuple[Flask, io.StringIO]
) -> None:
    app, buffer = json_log
    api = api_client(app)
    created = api.post(
        "/api/v1/intakes",
        json=factories.payload(safe_now="no"),
        headers={"X-Request-ID": "req-abc.123"},
    )
    assert created.status_code == 201
    assert created.headers["X-Request-ID"] == "req-abc.123"
    web = app.test_client()
    start(web)  # the public form's first step, with the canary contact
    web.post("/auth/login", data={"email": ABOUT["email"], "password": "Zebrafinch-pass"})
    free_text = web.get("/healthz", headers={"X-Request-ID": "Canary Zebrafinch said hello"})
    assert free_text.headers["X-Request-ID"] != "Canary Zebrafinch said hello"  # not a token
    logging.getLogger("intake.test").warning("a warning from %s", "code")

    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry)
    requests = [e for e in entries if e.get("event") == "request"]
    assert {"ops.healthz", "auth.login"} <= {e["endpoint"] for e in requests}
    api_line = next(e for e in requests if e["request_id"] == "req-abc.123")
    assert api_line["status"] == 201 and api_line["method"] == "POST"
    assert all(e.get("request_id") for e in requests)
    text = buffer.getvalue()
    for canary in PHI:
        assert canary not in text, canary
    with app.app_context():
        from intake.models import Intake

        for reference in db.session.scalars(select(Intake.reference)):
            assert reference not in text


def test_a_request_id_rides_in_the_headers_of_the_tasks_it_publishes() -> None:
    celery = Celery("ids", broker="memory://")
    token = logs.request_id_var.set("req-42")
    try:
        celery.send_task("wayfinder.ping")
    finally:
        logs.request_id_var.reset(token)
    with celery.connection() as conn:
        queue = conn.SimpleQueue("celery")
        message = queue.get(timeout=2)
        queue.close()
    assert message.headers[logs.TASK_HEADER] == "req-42"

    seen: dict[str, Any] = {}

    @celery.task(bind=True)
    def probe(self: Any) -> None:
        seen.update(request=logs.request_id_var.get(), task=logs.task_id_var.get())

    result = probe.apply(headers={logs.TASK_HEADER: "req-42"})
    assert seen == {"request": "req-42", "task": result.id}
    assert logs.task_id_var.get() is None  # cleared after the task


def test_the_json_formatter_keeps_exception_text_out() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        raise ValueError("Canary Zebrafinch")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["exception"] == "ValueError" and "Canary" not in json.dumps(entry)
