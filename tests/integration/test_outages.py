"""The database away: a PostgreSQL cluster of the test's own is crashed while intakes arrive.

The cluster is made for the test (initdb into a temporary folder, started on a free port, as
the postgres user when the test runs as root): stopping the machine's PostgreSQL could hurt
everyone else on it. A worker with beat, a redis-server and an SMTP sink of its own run beside
it. For every request the test keeps its answer and how long it took; afterwards it counts
what was stored and what was emailed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from intake import create_app
from intake.cli import seed_demo
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Notification
from tests import factories
from tests.conftest import need, settings
from tests.integration.conftest import API, FAST, _typed, wait_until
from tests.support import (
    RedisServer,
    SmtpSink,
    api_client,
    free_port,
    redis_server_binary,
    sign_in,
    start_smtp,
    start_worker,
    stop,
    wait_ready,
    worker_env,
)

TYPED_NAME = "Wrenfield"  # typed into the form during the outage; must come back in the page


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster of this test's own, which it may crash and start again."""

    bindir: Path
    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/wayfinder"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)  # noqa: S603

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        admin = create_engine(
            self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE wayfinder"))
        admin.dispose()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "pg.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def crash(self) -> None:
        """Stop at once, as a crash does (no checkpoint; recovery runs at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def own_pg() -> Iterator[OwnPostgres]:
    bindir = _pg_bin()
    if bindir is None:
        need("PostgreSQL", "initdb/pg_ctl not installed (the outage tests start their own)")
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="wayfinder-pg-"))
    pg = OwnPostgres(bindir, folder)
    try:
        pg.init()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Answer:
    kind: str
    status: int
    seconds: float
    started: float
    body: str
    headers: dict[str, str]
    reference: str | None = None


@dataclass
class Outage:
    began: float = float("inf")  # the database is down from here (crash finished)
    ended: float = float("inf")  # ... until a restart was begun here
    began_at: datetime | None = None  # the same two moments by the wall clock
    ended_at: datetime | None = None

    def during(self, answer: Answer) -> bool:
        return self.began <= answer.started and answer.started + answer.seconds <= self.ended


def _notifications(app: Flask) -> list[Notification]:
    with app.app_context():
        found = list(db.session.query(Notification).order_by(Notification.id))
        db.session.expunge_all()
        return found


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def test_database_crash_under_load_answers_every_request_and_loses_nothing(
    own_pg: OwnPostgres, tmp_path: Path
) -> None:
    if redis_server_binary() is None:
        need("Redis", "the redis-server binary is not installed (fault tests start their own)")
    with contextlib.ExitStack() as cleanup:
        redis = RedisServer(free_port(), tmp_path / "redis.log")
        cleanup.callback(redis.stop)
        redis.start()
        sink = SmtpSink()
        smtp_port = free_port()
        cleanup.enter_context(contextlib.closing(_Stopper(start_smtp(smtp_port, sink))))
        common = {
            "REDIS_URL": redis.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "BASE_URL": "http://wayfinder.test",
            **FAST,
        }
        # No fast path: every send is left to the worker's sweep (every second, after 2 s), so
        # the rows written just before the crash are still waiting when it comes.
        app = create_app(settings(own_pg.url, tmp_path, **_typed(common)))
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
            seed_demo()
        log = tmp_path / "worker.log"
        worker = start_worker(worker_env(DATABASE_URL=own_pg.url, **common), log, beat=True)
        cleanup.callback(stop, worker)
        wait_ready(log)

        with app.app_context():  # the timeouts reach the server with each connection
            assert db.session.scalar(text("SHOW statement_timeout")) == "15s"
            db.session.rollback()
        api = api_client(app)
        form = app.test_client()
        staff = app.test_client()
        sign_in(staff, "coordinator@demo.wayfinder")
        answers, outage = _load(app, api, form, staff, own_pg)

        def worker_log() -> str:
            return log.read_text(errors="replace")[-3000:]

        # No server error, ever; and while the database was down, the answers promised.
        assert [a for a in answers if a.status >= 500 and a.status != 503] == []
        down = [a for a in answers if outage.during(a)]
        assert {a.kind for a in down} >= {"api", "form", "step", "crisis", "staff", "static"}
        for a in down:
            expected = {"crisis": 200, "static": 200}.get(a.kind, 503)
            assert a.status == expected, (a.kind, a.status, a.body[:500])
            if a.status == 503:
                assert a.headers.get("Retry-After"), a.kind
            if a.kind == "api":
                assert a.headers["Content-Type"] == "application/problem+json"
            if a.kind in ("form", "step"):
                assert f'value="{TYPED_NAME}"' in a.body  # what was typed is on the page
                assert "couldn't save this page just yet" in a.body
            if a.kind in ("form", "step", "crisis", "staff"):
                assert 'href="tel:988"' in a.body and 'href="tel:911"' in a.body
            if a.kind == "staff":
                assert "briefly unavailable" in a.body
        seconds = [a.seconds for a in down]
        print(  # noqa: T201 - the figure docs/reliability.md quotes
            f"\noutage: {len(down)} requests while down, max {max(seconds):.3f}s, "
            f"p95 {_p95(seconds):.3f}s; all {len(answers)}: "
            f"{sorted({(a.kind, a.status) for a in answers})}"
        )
        assert max(seconds) < 5

        # Back on its own: the same app (its pool) and the same worker, no restart.
        assert wait_until(lambda: api.post(API, json=factories.payload()).status_code == 201, 30)
        accepted = [a for a in answers if a.status in (201, 303) and a.kind in ("api", "form")]
        assert any(a.started < outage.began for a in accepted)
        assert any(a.started > outage.ended for a in accepted)
        with app.app_context():
            stored = {
                i.reference
                for i in db.session.query(Intake).filter(Intake.status != IntakeStatus.DRAFT)
            }
        assert {a.reference for a in accepted if a.kind == "api"} <= stored
        assert len(stored) == len(accepted) + 1  # + the one just above; no 503 stored anything

        def all_sent() -> bool:
            return all(n.status == "sent" for n in _notifications(app))

        assert wait_until(all_sent, timeout=60), worker_log()
        time.sleep(1)
        notifications = _notifications(app)
        assert notifications and all(n.status == "sent" for n in notifications)
        assert {n.message_id for n in notifications} == {m.message_id for m in sink.messages}
        assert sink.duplicates() == {}
        assert worker.poll() is None, worker_log()
        assert outage.began_at and outage.ended_at
        # Rows written before the crash, left to the sweep, were sent after the restart.
        assert any(
            n.created_at < outage.began_at and n.sent_at and n.sent_at > outage.ended_at
            for n in notifications
        )
        by_status: dict[int, int] = {}
        for a in answers:
            by_status[a.status] = by_status.get(a.status, 0) + 1
        print(  # noqa: T201 - the row of docs/reliability.md
            f"crash {outage.ended - outage.began:.1f}s: {len(answers)} requests {by_status}; "
            f"stored {len(stored)}, delivered {len(sink.messages)}, duplicates 0"
        )


class _Stopper:
    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def close(self) -> None:
        self.controller.stop()


RATE = 5.0  # requests a second
SECONDS = 10.0
CRASH_AT, RESTART_AT = 2.5, 7.0
PROBES = ("crisis", "staff", "static", "step")


def _load(
    app: Flask, api: Any, form: Any, staff: Any, pg: OwnPostgres
) -> tuple[list[Answer], Outage]:
    """Requests at RATE a second for SECONDS, the database crashed at CRASH_AT and started
    again at RESTART_AT (in a thread of its own, so that the load never waits for it)."""
    outage = Outage()
    t0 = time.monotonic()

    def fault() -> None:
        time.sleep(CRASH_AT)
        pg.crash()
        outage.began, outage.began_at = time.monotonic(), datetime.now(UTC)
        time.sleep(max(0.0, RESTART_AT - (time.monotonic() - t0)))
        outage.ended, outage.ended_at = time.monotonic(), datetime.now(UTC)
        pg.start()

    stepper = app.test_client()  # has a draft once its first page is saved
    faulter = threading.Thread(target=fault, daemon=True)
    faulter.start()
    requests: dict[str, Callable[[], Any]] = {
        "api": lambda: api.post(API, json=factories.payload({"first_name": TYPED_NAME})),
        "form": lambda: form.post("/", data=factories.form_data({"first_name": TYPED_NAME})),
        "crisis": lambda: stepper.get("/crisis"),
        "staff": lambda: staff.get("/staff/"),
        "static": lambda: form.get("/static/site.css"),
        "step": lambda: stepper.post(
            "/step/about",
            data={**factories.CONTACT, "first_name": TYPED_NAME, "state": "NY", "nav": "next"},
        ),
    }
    answers: list[Answer] = []
    i = 0
    try:
        while time.monotonic() - t0 < SECONDS:
            kind = ("api", "probe", "form", "probe")[i % 4]
            if kind == "probe":
                kind = PROBES[(i // 2) % len(PROBES)]
            started = time.monotonic()
            response = requests[kind]()
            seconds = time.monotonic() - started
            body = response.get_data(as_text=True)
            reference = (
                response.get_json().get("reference") if response.status_code == 201 else None
            )
            answers.append(
                Answer(
                    kind,
                    response.status_code,
                    seconds,
                    started,
                    body,
                    dict(response.headers),
                    reference,
                )
            )
            response.close()
            i += 1
            time.sleep(max(0.0, t0 + i / RATE - time.monotonic()))
    finally:  # the database is started again before the fixture stops it
        faulter.join(60)
    return answers, outage


def test_a_database_that_never_answers_is_answered_within_seconds(tmp_path: Path) -> None:
    """A server that takes the connection and says nothing (hung, or a network black hole):
    the connect timeout answers the request, never a hang."""
    import socket

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # connections wait in the backlog, never answered
        port = hole.getsockname()[1]
        app = create_app(settings(f"postgresql://postgres@127.0.0.1:{port}/wayfinder", tmp_path))
        client = app.test_client()
        timings = []
        for path, data, status in (
            ("/", factories.form_data({"first_name": TYPED_NAME}), 503),
            (API, None, 503),
        ):
            started = time.monotonic()
            response = (
                client.post(path, data=data)
                if data
                else client.post(
                    API,
                    json=factories.payload(),
                    headers={"Authorization": "Bearer wf_" + "k" * 43},
                )
            )
            timings.append(time.monotonic() - started)
            assert response.status_code == status, response.get_data(as_text=True)[:500]
            assert response.headers["Retry-After"]
        assert f'value="{TYPED_NAME}"' in client.post(
            "/", data=factories.form_data({"first_name": TYPED_NAME})
        ).get_data(as_text=True)
        crisis_started = time.monotonic()
        assert client.get("/crisis").status_code == 200
        assert time.monotonic() - crisis_started < 1
        print(f"\nblack hole: {[round(t, 2) for t in timings]}s")  # noqa: T201
        assert max(timings) < 5


def _csrf_token(page: str) -> str:
    marker = 'name="csrf_token" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_redis_unreachable_the_api_still_takes_intakes(make_app: Any) -> None:
    """Redis away (nothing listens on its port): an API client's post is stored, with its
    sends left pending in the outbox for the sweep."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", TASK_DISPATCHER="celery")
    started = time.monotonic()
    api = api_client(app).post(API, json=factories.payload())
    assert api.status_code == 201
    assert time.monotonic() - started < 5
    with app.app_context():
        assert db.session.query(Intake).filter(Intake.status != IntakeStatus.DRAFT).count() == 1
        assert all(n.status == "pending" for n in db.session.query(Notification))


def test_redis_unreachable_the_form_still_takes_intakes(make_app: Any) -> None:
    """Redis away: a person's whole form, with its CSRF check on as in production, is stored
    and its confirmation shown."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", WTF_CSRF_ENABLED=True)
    browser = app.test_client()
    token = _csrf_token(browser.get("/").get_data(as_text=True))
    form = browser.post("/", data={**factories.form_data(), "csrf_token": token})
    assert form.status_code == 303, form.get_data(as_text=True)[:300]
    assert browser.get(form.headers["Location"]).status_code == 200  # the confirmation


def test_engine_options_answer_an_outage_in_seconds(tmp_path: Path) -> None:
    """PostgreSQL connections give up after DATABASE_CONNECT_TIMEOUT and statements after
    DATABASE_STATEMENT_TIMEOUT; the pool tests and recycles connections; options a caller
    gives go over these, and parameters are never quoted."""
    from intake.config import load_config

    url = "postgresql://u@db/wayfinder"
    options = load_config(str(tmp_path), environ={"DATABASE_URL": url})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] and options["pool_recycle"] == 1800
    assert options["pool_timeout"] == 5 and options["hide_parameters"]
    assert options["connect_args"] == {
        "connect_timeout": 3,
        "options": "-c statement_timeout=15000",
    }
    environ = {
        "DATABASE_URL": url,
        "DATABASE_CONNECT_TIMEOUT": "1",
        "DATABASE_STATEMENT_TIMEOUT": "0",
    }
    given = {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "connect_args": {"application_name": "x"}}
    }
    options = load_config(str(tmp_path), given, environ)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 2 and options["pool_pre_ping"]
    assert options["connect_args"] == {
        "connect_timeout": 1,
        "options": "-c statement_timeout=0",
        "application_name": "x",
    }


def test_only_an_unreachable_database_is_a_503() -> None:
    """The database away is worth a retry (503); a bug (an integrity error) stays a 500."""
    from sqlalchemy import exc

    from intake.errors import database_unavailable

    cause = Exception("x")
    assert database_unavailable(exc.OperationalError("select 1", {}, cause))
    assert database_unavailable(exc.InterfaceError("select 1", {}, cause))
    assert database_unavailable(exc.TimeoutError("pool"))
    assert database_unavailable(exc.DBAPIError("select 1", {}, cause, connection_invalidated=True))
    assert not database_unavailable(exc.IntegrityError("insert", {}, cause))
    assert not database_unavailable(exc.ProgrammingError("select", {}, cause))
    assert not database_unavailable(ValueError("x"))


def test_redis_unreachable_the_step_form_saves_and_staff_are_told_plainly(
    make_app: Any, tmp_path: Path
) -> None:
    """Redis away: a patient's step form still saves (their session lives in the database);
    a coordinator already signed in is told their sign-in cannot be checked, not sent to the
    sign-in page as if signed out."""
    redis = RedisServer(free_port(), tmp_path / "redis.log")
    redis.start()
    try:
        app = make_app(REDIS_URL=redis.url)
        with app.app_context():
            seed_demo()
            db.session.commit()
        staff = app.test_client()
        sign_in(staff, "coordinator@demo.wayfinder")
        assert staff.get("/staff/").status_code == 200
        patient = app.test_client()
        about = {**factories.CONTACT, "state": "NY", "nav": "next"}
        assert patient.post("/step/about", data=about).status_code == 303
    finally:
        redis.stop()
    step = patient.post("/step/safety", data={"safe_now": "no", "nav": "next"})
    assert step.status_code in (303, 422), step.status_code  # saved: the crisis screen or errors
    with app.app_context():
        assert db.session.query(Intake).one().crisis_at is not None
    page = staff.get("/staff/")
    assert page.status_code == 503 and "check your sign-in" in page.get_data(as_text=True)
