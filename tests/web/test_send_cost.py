"""What one send costs: the statements the worker sends to the database, and SMTP connections.

The worker's send path (intake.services.outbox.deliver) claims and reads its row in one
statement, reads the offer of an assignment, and marks the row sent: nothing else. And the
SMTP connection is opened once per process and kept across messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from intake.extensions import db
from intake.models import Notification
from intake.notifications import mailers
from intake.services import outbox
from tests import factories
from tests.conftest import free_port
from tests.support import SmtpSink, api_client, count_queries, start_smtp


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = free_port()
    controller = start_smtp(port, sink)
    yield sink, port
    mailers.close_connections()
    controller.stop()


@pytest.fixture
def mail_app(make_app: Any, smtp: tuple[SmtpSink, int]) -> Flask:
    from intake.cli import seed_demo

    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp[1], EMAILS_PER_RECIPIENT_PER_HOUR=0)
    app.config["AUTO_ASSIGN_PER_SOURCE_PER_HOUR"] = 0
    with app.app_context():
        seed_demo()
    return app


def submitted(app: Flask, count: int, **contact: str) -> list[tuple[int, str]]:
    """Submit `count` intakes; every outbox row there is now, (id, kind), oldest first."""
    client = api_client(app)
    for _ in range(count):
        body = factories.payload(contact=contact or None)
        assert client.post("/api/v1/intakes", json=body).status_code == 201
    with app.app_context():
        found = db.session.execute(
            select(Notification.id, Notification.kind).order_by(Notification.id)
        )
        return [(nid, kind) for nid, kind in found]


# The statements of one successful send: the claim that reads the row, its intake, the
# intake's offers and the recipient; then marking it sent. A change that adds one changes this.
STATEMENTS_PER_SEND = 2


def test_a_send_costs_two_statements(mail_app: Flask, smtp: Any) -> None:
    sink, _ = smtp
    rows = submitted(mail_app, 1, email="sender@example.org")  # an offer and a confirmation
    assert {kind for _, kind in rows} == {"assignment", "patient_confirmation"}
    for nid, kind in rows:
        with mail_app.app_context(), count_queries(mail_app) as seen:
            assert outbox.deliver(nid) is None
        statements = [
            " ".join(s.split()) for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))
        ]
        assert len(statements) == STATEMENTS_PER_SEND, (kind, statements)
        assert statements[0].startswith("WITH claimed AS (UPDATE notifications")
        assert statements[1].startswith("UPDATE notifications SET status")
    assert len(sink.messages) == len(rows) and sink.duplicates() == {}
    offer = next(m for m in sink.messages if "accept by" in m.subject)
    assert offer.subject.startswith("Intake assigned to you: accept by ")  # the offer was read


def test_messages_share_one_connection_and_a_dropped_one_is_replaced(
    mail_app: Flask, smtp: Any
) -> None:
    sink, _ = smtp
    ids = [nid for nid, _ in submitted(mail_app, 6)]
    assert len(ids) == 6
    with mail_app.app_context():
        for nid in ids[:3]:
            assert outbox.deliver(nid) is None
        assert len(sink.connections) == 1
        sink.drop_connections()  # the server hangs up on the idle connection
        for nid in ids[3:]:
            assert outbox.deliver(nid) is None
    assert len(sink.connections) == 2
    with mail_app.app_context():
        statuses = set(db.session.scalars(select(Notification.status)))
        attempts = set(db.session.scalars(select(Notification.attempts)))
    assert statuses == {"sent"} and attempts == {1}  # the reconnect cost no retry
    assert len(sink.messages) == 6 and sink.duplicates() == {}


def test_a_new_setting_opens_a_new_connection(mail_app: Flask, smtp: Any) -> None:
    sink, port = smtp
    other = SmtpSink()
    other_port = free_port()
    controller = start_smtp(other_port, other)
    try:
        first, second = (nid for nid, _ in submitted(mail_app, 2))
        with mail_app.app_context():
            assert outbox.deliver(first) is None
            mail_app.config["SMTP_PORT"] = other_port
            assert outbox.deliver(second) is None
        assert len(sink.messages) == 1 and len(other.messages) == 1
        assert mailers.close_connections() == 1  # the first one was closed when the port changed
    finally:
        controller.stop()


def test_an_idle_connection_is_not_used_again(
    mail_app: Flask, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink, _ = smtp
    monkeypatch.setattr(mailers, "REUSE_IDLE_SECONDS", 0.0)  # every connection is "idle"
    ids = [nid for nid, _ in submitted(mail_app, 2)]
    with mail_app.app_context():
        for nid in ids:
            assert outbox.deliver(nid) is None
    assert len(sink.connections) == 2 and len(sink.messages) == 2


def test_a_forked_child_does_not_use_its_parents_connection(mail_app: Flask, smtp: Any) -> None:
    [nid] = [nid for nid, _ in submitted(mail_app, 1)]
    with mail_app.app_context():
        assert outbox.deliver(nid) is None
    assert mailers._kept.connection is not None
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's is left to send over
        os._exit(0 if mailers._kept.connection is None and not mailers._open else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert mailers._kept.connection is not None  # the parent's is still there, and usable
    assert mailers._kept.connection.noop()[0] == 250
