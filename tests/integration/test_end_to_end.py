"""The whole path on real parts: form -> PostgreSQL -> Redis -> Celery worker -> SMTP.

And the same on the embedded default: SQLite, the SQLite broker, a worker, the mailbox folder.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from flask_migrate import upgrade

from intake import create_app
from intake.cli import seed_demo
from intake.extensions import db
from intake.models import Intake, Notification
from tests import factories
from tests.conftest import settings
from tests.support import (
    SmtpSink,
    free_port,
    sign_in,
    start_smtp,
    start_worker,
    stop,
    wait_ready,
    worker_env,
)

PHI = (
    "Canary",
    "Zebrafinch",
    "212 555 0142",
    "canary@example.org",
    "canary-free-text",
    "1990-04-02",
)


def test_form_to_clinician_inbox_on_postgres_redis_worker_smtp(
    make_app: Any, migrated_pg: str, redis_url: str, tmp_path: Path
) -> None:
    with ExitStack() as cleanup:  # each process is stopped even if a later setup step fails
        sink = SmtpSink()
        smtp_port = free_port()
        cleanup.callback(start_smtp(smtp_port, sink).stop)
        app = make_app(
            TASK_DISPATCHER="celery",
            REDIS_URL=redis_url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_port,
        )
        with app.app_context():
            seed_demo()
        log = tmp_path / "worker.log"
        worker = start_worker(
            worker_env(
                DATABASE_URL=migrated_pg,
                REDIS_URL=redis_url,
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(smtp_port),
                BASE_URL="http://wayfinder.test",
            ),
            log,
        )
        cleanup.callback(stop, worker)
        wait_ready(log)
        client = app.test_client()
        started = time.monotonic()
        response = client.post("/", data=factories.form_data(email=None))
        assert response.status_code == 303, response.text
        received = sink.wait_for(1, timeout=10)
        elapsed = time.monotonic() - started
        time.sleep(0.5)  # a duplicate would arrive now
        assert len(sink.messages) == 1, log.read_text()[-3000:]
        assert elapsed < 10

        with app.app_context():
            intake = db.session.query(Intake).one()
            clinician_email = intake.current_assignment.clinician.user.email
            notification = db.session.query(Notification).one()
            assert notification.status == "sent"
        mail = received[0]
        assert mail.rcpt_tos == [clinician_email]
        raw = mail.message.as_string()
        assert intake.reference in raw
        for canary in PHI:
            assert canary not in raw, canary
        assert "http://wayfinder.test/clinician/intakes/" in raw

        staff = app.test_client()
        sign_in(staff, "coordinator@demo.wayfinder")
        dashboard = staff.get("/staff/")
        assert dashboard.status_code == 200
        assert intake.reference in dashboard.text
    assert b"Canary" not in log.read_bytes()  # no PHI in the worker's log


def test_form_to_mailbox_on_the_embedded_default(tmp_path: Path) -> None:
    """SQLite, kombu's SQLAlchemy broker on a SQLite file, a real worker, the mailbox folder."""
    database = f"sqlite:///{tmp_path / 'wayfinder.sqlite'}"
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    mailbox = tmp_path / "mailbox"
    cfg = settings(
        database,
        tmp_path,
        TASK_DISPATCHER="celery",
        EMBEDDED_BROKER_URL=broker,
        MAILBOX_DIR=str(mailbox),
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30}},
    )
    app = create_app(cfg)
    with app.app_context():
        upgrade()
        seed_demo()
    log = tmp_path / "worker.log"
    worker = start_worker(
        worker_env(
            DATABASE_URL=database,
            MAILBOX_DIR=str(mailbox),
            EMBEDDED_BROKER_URL=broker,
            REDIS_URL="",
            SMTP_HOST="",
        ),
        log,
    )
    try:
        wait_ready(log)
        response = app.test_client().post("/", data=factories.form_data(email=None))
        assert response.status_code == 303, response.text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not list(mailbox.glob("*.eml")):
            time.sleep(0.1)
        time.sleep(1.0)
        files = list(mailbox.glob("*.eml"))
        assert len(files) == 1, log.read_text()[-2000:]
        raw = files[0].read_text()
        with app.app_context():
            intake = db.session.query(Intake).one()
            assert intake.reference in raw
            assert intake.current_assignment.clinician.user.email in raw
        for canary in PHI:
            assert canary not in raw, canary
    finally:
        stop(worker)
