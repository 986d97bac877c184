"""The outbox and its messages, in process against an aiosmtpd on loopback (no worker):
PHI-free multipart messages, the guarded claim, retry/dead classification, the sweep, the
settings that keep Celery from losing or repeating tasks, and a down broker at submit time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from intake import jobs, notifications
from intake.config import ConfigError, load_config
from intake.extensions import celery_settings, db
from intake.models import AuditEvent, Notification, User, as_utc, utcnow
from intake.services import outbox
from tests import factories
from tests.conftest import free_port, scratch_pg_database, settings
from tests.support import SmtpSink, api_client, sign_in, start_smtp

PHI = ("Canary", "Zebrafinch", "212 555 0142", "canary-free-text", "1990-04-02")


@pytest.fixture
def smtp() -> Any:
    sink = SmtpSink()
    port = free_port()
    controller = start_smtp(port, sink)
    yield sink, port
    controller.stop()


@pytest.fixture
def mail_app(make_app: Any, smtp: Any) -> Flask:
    _sink, port = smtp
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="http://wf.test")
    from intake.cli import seed_demo

    with app.app_context():
        seed_demo()
    return app


def submit(app: Flask, **answers: Any) -> list[int]:
    response = api_client(app).post("/api/v1/intakes", json=factories.payload(**answers))
    assert response.status_code == 201
    with app.app_context():
        return list(db.session.scalars(select(Notification.id).order_by(Notification.id)))


def row(app: Flask, notification_id: int) -> Notification:
    with app.app_context():
        found = db.session.get(Notification, notification_id)
        assert found is not None
        db.session.expunge(found)
        return found


def test_messages_are_multipart_phi_free_with_stable_ids_and_links(mail_app: Flask) -> None:
    ids = submit(mail_app, safe_now="no")
    with mail_app.app_context():
        rows = {n.kind: n for n in db.session.scalars(select(Notification))}
        alert, offer = rows["crisis_alert"], rows["assignment"]
        message = notifications.compose(alert)
        assert message.is_multipart()
        assert {p.get_content_type() for p in message.iter_parts()} == {"text/plain", "text/html"}
        raw = message.as_string()
        assert alert.intake.reference in raw and "safety alert" in raw.lower()
        assert "crisis" not in raw.lower()  # design.md: no urgency word in staff email
        assert f"http://wf.test/staff/intakes/{alert.intake_id}/acknowledge" in raw
        assert f"/clinician/intakes/{offer.intake_id}" in notifications.compose(offer).as_string()
        for canary in PHI:
            assert canary not in raw
        assert message["Message-ID"] == notifications.compose(alert)["Message-ID"]
        assert str(alert.id) in message["Message-ID"]
    assert len(ids) == 4  # three alerts and the assignment


def test_deliver_sends_once_and_a_duplicate_is_a_no_op(mail_app: Flask, smtp: Any) -> None:
    sink, _ = smtp
    [nid] = submit(mail_app)
    with mail_app.app_context():
        assert outbox.deliver(nid) is None
        assert outbox.deliver(nid) is None  # already sent: nothing happens
    assert len(sink.messages) == 1
    sent = row(mail_app, nid)
    assert sent.status == "sent" and sent.attempts == 1 and sent.sent_at is not None


def test_421_retries_with_capped_backoff_then_succeeds(mail_app: Flask, smtp: Any) -> None:
    sink, _ = smtp
    sink.reply = lambda _m: "421 4.3.2 Try later"
    [nid] = submit(mail_app)
    mail_app.config["NOTIFY_BACKOFF_CAP"] = 8
    with mail_app.app_context():
        delays = [outbox.deliver(nid) for _ in range(3)]
    assert all(d is not None and 0.5 <= d <= 8 for d in delays), delays
    waiting = row(mail_app, nid)
    assert waiting.status == "retry" and waiting.attempts == 3 and waiting.last_error == "smtp 421"
    sink.reply = None
    with mail_app.app_context():
        assert outbox.deliver(nid) is None
    assert row(mail_app, nid).status == "sent" and len(sink.messages) == 1


def test_550_is_dead_alerts_coordinators_and_can_be_retried(mail_app: Flask, smtp: Any) -> None:
    sink, _ = smtp
    sink.reply = lambda m: None if "coordinator@demo.wayfinder" in m.rcpt_tos else "550 5.1.1 no"
    [nid] = submit(mail_app)
    with mail_app.app_context():
        assert outbox.deliver(nid) is None
        dead = db.session.get(Notification, nid)
        assert dead is not None and dead.status == "dead" and dead.attempts == 1
        [alert] = db.session.scalars(select(Notification).where(Notification.kind == "dead_letter"))
        assert alert.recipient.email == "coordinator@demo.wayfinder"
        assert outbox.deliver(alert.id) is None
        assert notifications.status_counts() == {"dead": 1, "sent": 1}
    staff_client = mail_app.test_client()
    sign_in(staff_client, "coordinator@demo.wayfinder")
    page = staff_client.get("/staff/outbox")
    assert page.status_code == 200 and "smtp 550" in page.text and "Retry" in page.text
    assert "Canary" not in page.text
    with mail_app.app_context():
        staff = db.session.scalar(select(User).where(User.email == "coordinator@demo.wayfinder"))
        sink.reply = None
        assert outbox.retry_dead(nid, staff)
        assert not outbox.retry_dead(nid, staff)  # not dead any more
        assert outbox.deliver(nid) is None
        audit = [a for (a,) in db.session.query(AuditEvent.action)]
    assert {"notification.dead", "notification.retried"} <= set(audit)
    assert row(mail_app, nid).status == "sent"
    assert [m.rcpt_tos[0] for m in sink.messages][0] == "coordinator@demo.wayfinder"


def test_a_refused_connection_is_transient(mail_app: Flask) -> None:
    mail_app.config["SMTP_PORT"] = free_port()  # nothing listens
    [nid] = submit(mail_app)
    with mail_app.app_context():
        assert outbox.deliver(nid) is not None
    assert row(mail_app, nid).status == "retry"


def test_a_live_lease_is_left_alone_and_a_stale_one_is_taken(mail_app: Flask, smtp: Any) -> None:
    sink, _ = smtp
    [nid] = submit(mail_app)
    with mail_app.app_context():
        assert outbox.claim(nid).claimed  # a run that then died mid-send
        busy = outbox.claim(nid)
        assert not busy.claimed and 1 <= busy.busy_for <= 120
        delay = outbox.deliver(nid)  # a redelivered task: look again after the lease
        assert delay is not None and delay >= 1
        assert nid not in notifications.due_for_sweep()
        lease = mail_app.config["SEND_LEASE_SECONDS"]
        db.session.get(Notification, nid).claimed_at = utcnow() - timedelta(seconds=lease + 1)  # type: ignore[union-attr]
        db.session.commit()
        assert nid in notifications.due_for_sweep()
        assert outbox.deliver(nid) is None
    sent = row(mail_app, nid)
    assert sent.status == "sent" and sent.attempts == 2 and len(sink.messages) == 1


def test_runs_past_the_attempt_limit_end_dead(mail_app: Flask) -> None:
    [nid] = submit(mail_app)
    with mail_app.app_context():
        limit = mail_app.config["NOTIFY_MAX_ATTEMPTS"]
        db.session.get(Notification, nid).attempts = limit  # type: ignore[union-attr]
        db.session.commit()
        assert outbox.deliver(nid) is None
    dead = row(mail_app, nid)
    assert dead.status == "dead" and dead.last_error == "too many attempts"


def test_sweep_takes_only_rows_past_the_grace_period(mail_app: Flask) -> None:
    [nid] = submit(mail_app)
    with mail_app.app_context():
        assert notifications.due_for_sweep() == []
        db.session.get(Notification, nid).available_at = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
        db.session.commit()
        assert outbox.sweep_outbox() == 1
        assert outbox.sweep_outbox() == 0  # pushed out by the grace period


def test_celery_settings_do_not_lose_or_repeat_tasks(tmp_path: Any) -> None:
    cfg = load_config(
        str(tmp_path), {"APP_ENV": "testing", "REDIS_URL": "redis://127.0.0.1:1/0"}, {}
    )
    s = celery_settings(cfg)
    assert s["task_acks_late"] and s["task_reject_on_worker_lost"] and s["task_ignore_result"]
    assert s["worker_prefetch_multiplier"] == 1 and s["accept_content"] == ["json"]
    assert s["task_time_limit"] == 60 and s["task_soft_time_limit"] == 45
    vt = cfg["BROKER_VISIBILITY_TIMEOUT"]
    assert s["broker_transport_options"]["visibility_timeout"] == vt
    assert s["result_backend_transport_options"]["visibility_timeout"] == vt
    assert s["visibility_timeout"] == vt > cfg["NOTIFY_BACKOFF_CAP"] + s["task_time_limit"]
    transport = s["broker_transport_options"]
    assert transport["socket_timeout"] and transport["health_check_interval"]
    beat = {
        jobs.SWEEP_OUTBOX,
        jobs.CHECK_DEADLINES,
        jobs.PURGE_DRAFTS,
        jobs.UNASSIGNED_DIGEST,
        jobs.PURGE_IDEMPOTENCY_KEYS,
    }
    assert beat == {e["task"] for e in s["beat_schedule"].values()}
    import workers.tasks  # every scheduled task is one the worker has

    registered = {t.name for t in vars(workers.tasks).values() if hasattr(t, "delay")}
    assert beat <= registered


@pytest.mark.parametrize(
    "bad",
    [
        {"BROKER_VISIBILITY_TIMEOUT": 600},  # shorter than the backoff cap + a run
        {"SEND_LEASE_SECONDS": 30},  # shorter than a run
        {"BUSINESS_HOURS": "17:00-09:00"},
    ],
)
def test_unsafe_settings_are_refused(bad: dict[str, Any], tmp_path: Any) -> None:
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"APP_ENV": "testing", **bad}, {})


def test_a_down_broker_costs_one_request_a_moment_and_loses_nothing(make_app: Any) -> None:
    app = make_app(TASK_DISPATCHER="celery", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    from intake.cli import seed_demo

    with app.app_context():
        seed_demo()
    timings = []
    for _ in range(5):
        started = time.monotonic()
        assert api_client(app).post("/api/v1/intakes", json=factories.payload()).status_code == 201
        timings.append(time.monotonic() - started)
    assert max(timings) < 1.5 and sum(timings[1:]) < 1.5, timings
    with app.app_context():
        statuses = list(db.session.scalars(select(Notification.status)))
    assert statuses == ["pending"] * 5  # the sweep sends them when the broker is back


@contextmanager
def _scratch_database(kind: str, tmp_path: Any) -> Iterator[str]:
    """An empty database of its own (migrations run down here, so never the shared one)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    with scratch_pg_database("wayfinder_migrate") as url:
        yield url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migration_0003_moves_overdue_escalations_to_their_own_kind(
    kind: str, tmp_path: Any
) -> None:
    from flask_migrate import downgrade, upgrade

    from intake import create_app

    rows = Notification.__table__

    def kinds() -> dict[str, tuple[str, Any]]:
        with db.engine.connect() as conn:
            found = conn.execute(select(rows.c.dedupe_key, rows.c.kind, rows.c.context))
            return {key: (k, context) for key, k, context in found}

    with _scratch_database(kind, tmp_path) as url:
        app = create_app(settings(url, tmp_path))
        with app.app_context():
            upgrade(revision="0002")
            with db.engine.begin() as conn:  # rows the code before 0003 wrote
                conn.execute(
                    insert(rows),
                    [
                        {
                            "kind": "escalation",
                            "dedupe_key": "overdue:4:2",
                            "context": {"why": "not_accepted", "assignment": 4},
                        },
                        {
                            "kind": "escalation",
                            "dedupe_key": "escalation:9:1:2",
                            "context": {"why": "not_acknowledged", "level": 1, "minutes": 15},
                        },
                    ],
                )
            upgrade(revision="0003")
            after = kinds()
            assert after["overdue:4:2"][0] == "assignment_overdue"
            assert after["escalation:9:1:2"][0] == "escalation"
            with db.engine.begin() as conn:  # a row the new code wrote: no "why"
                conn.execute(
                    insert(rows).values(
                        kind="assignment_overdue",
                        dedupe_key="overdue:5:2",
                        context={"assignment": 5},
                    )
                )
            downgrade(revision="0002")
            before = kinds()
            assert before["overdue:4:2"] == ("escalation", {"why": "not_accepted", "assignment": 4})
            assert before["overdue:5:2"] == ("escalation", {"why": "not_accepted", "assignment": 5})
            assert before["escalation:9:1:2"][0] == "escalation"
            upgrade()
            assert {k for k, _ in kinds().values()} == {"assignment_overdue", "escalation"}
            db.engine.dispose()


@pytest.mark.parametrize("jitter", ["shortest", "longest"])
def test_an_hour_of_smtp_421_backs_off_to_a_steady_rate_and_nothing_goes_dead(
    mail_app: Flask, smtp: Any, monkeypatch: pytest.MonkeyPatch, jitter: str
) -> None:
    """An hour of SMTP refusals on a controlled clock, with the shipped retry settings: the
    delay doubles up to NOTIFY_BACKOFF_CAP and then stays between half the cap and the cap, so
    one message costs at most 2 * 3600 / cap + 10 tries an hour, and it is still waiting (not
    dead) when the server comes back; then it is sent once. Jitter is pinned at both ends: the
    shortest delays reach the attempt limit soonest."""
    sink, _ = smtp
    sink.reply = lambda _m: "421 4.3.2 Try later"
    monkeypatch.setattr(
        "intake.notifications.outbox.random.uniform",
        (lambda a, _b: a) if jitter == "shortest" else (lambda _a, b: b),
    )
    start = utcnow()
    clock = [start]
    monkeypatch.setattr("intake.services.outbox.utcnow", lambda: clock[0])
    cap = float(mail_app.config["NOTIFY_BACKOFF_CAP"])
    [nid] = submit(mail_app)
    delays: list[float] = []
    with mail_app.app_context():
        while clock[0] - start < timedelta(hours=1):
            delay = outbox.deliver(nid)
            assert delay is not None, f"dead after {len(delays) + 1} tries, {clock[0] - start}"
            waiting = db.session.get(Notification, nid)
            assert waiting is not None and waiting.status == "retry"
            assert as_utc(waiting.available_at) == clock[0] + timedelta(seconds=delay)
            delays.append(delay)
            clock[0] += timedelta(seconds=delay)  # the retry runs when it is due
        ramp = [d for d in delays if d < cap / 2]
        assert delays[: len(ramp)] == ramp == sorted(ramp)  # grows first ...
        assert all(cap / 2 <= d <= cap for d in delays[len(ramp) :])  # ... then steady
        assert len(delays) <= 2 * 3600 / cap + 10, delays
        sink.reply = None
        assert outbox.deliver(nid) is None
    done = row(mail_app, nid)
    assert done.status == "sent" and done.attempts == len(delays) + 1
    assert len(sink.messages) == 1
    print(f"{jitter}: {len(delays)} tries in the hour, delays {[round(d) for d in delays]}")


def test_the_dashboard_shows_how_many_messages_wait_and_the_oldest_ones_age(
    mail_app: Flask, smtp: Any
) -> None:
    sink, _ = smtp
    sink.reply = lambda _m: "421 4.3.2 Try later"
    first, second = submit(mail_app)[0], submit(mail_app)[-1]
    with mail_app.app_context():
        old = db.session.get(Notification, first)
        assert old is not None
        old.created_at = utcnow() - timedelta(minutes=42, seconds=10)
        db.session.commit()
        assert outbox.deliver(first) is not None  # refused: waits as 'retry'
    staff = mail_app.test_client()
    sign_in(staff, "coordinator@demo.wayfinder")
    page = staff.get("/staff/")
    assert "Messages waiting to be sent: 2, the oldest for 42 min" in page.text, page.text
    sink.reply = None
    with mail_app.app_context():
        assert outbox.deliver(first) is None and outbox.deliver(second) is None
    assert "Messages waiting to be sent: 0</p>" in staff.get("/staff/").text
