"""Real parts for integration tests: an SMTP server on loopback, Redis and Celery worker processes.

Fault tests start their own `redis-server` on a free port (never the machine's), so they can stop
and restart it; and their own aiosmtpd, which can answer DATA with scripted replies or hold the
reply until the test lets it go. Also used by the benchmarks (bench/stack.py). And `sign_in`,
the staff login the tests share.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import event

from intake.cli import DEMO_PASSWORD
from intake.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(client: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    """Log `client` in as `email` (a demo account by default); the login must succeed."""
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302, (email, response.status_code, response.text[:2000])
    return response


def api_key(app: Any, name: str = "test-partner") -> str:
    """The bearer key of the API client `name` of this app (created on first use, as
    `flask api-clients create` does). Call it before starting threads that share it."""
    from intake.services import api_clients

    keys = app.extensions.setdefault("test_api_keys", {})
    if name not in keys:
        with app.app_context():
            keys[name] = api_clients.create(name).key
    return str(keys[name])


def api_client(app: Any, name: str = "test-partner") -> Any:
    """A test client that signs every request as the API client `name` (Bearer key)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_key(app, name)}"
    return client


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.monotonic)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class SmtpSink:
    """aiosmtpd handler that keeps every accepted message.

    `reply` may script an answer per DATA (e.g. "421 ..."; None accepts it). While `hold` is
    set, DATA replies wait (`holding` tells the test one is waiting); if the client goes away
    meanwhile, aiosmtpd cancels the handler and the message is not accepted, as a real server
    would not accept it either.
    """

    messages: list[Received] = field(default_factory=list)
    reply: Callable[[Received], str | None] | None = None
    hold: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    dropped: threading.Event = field(default_factory=threading.Event)  # a held client went away
    refused: list[tuple[Received, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: list[Any] = field(default_factory=list)  # the server side of each, in order

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Counts connections (a client says EHLO once per connection) and answers as usual."""
        session.host_name = hostname
        with self.lock:
            if server not in self.connections:
                self.connections.append(server)
        return responses

    def drop_connections(self) -> None:
        """Hang up on every open client connection, as a server dropping idle clients does."""
        with self.lock:
            servers = [s for s in self.connections if s.transport is not None]
        for server in servers:
            server.loop.call_soon_threadsafe(server.transport.close)
        deadline = time.monotonic() + 5
        while any(s.transport is not None for s in servers) and time.monotonic() < deadline:
            time.sleep(0.01)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message_from_bytes(envelope.content, policy=policy.default),  # type: ignore[arg-type]
        )
        try:
            while self.hold.is_set():
                self.holding.set()
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.dropped.set()
            raise
        scripted = self.reply(received) if self.reply else None
        if scripted:
            with self.lock:
                self.refused.append((received, scripted))
            return scripted
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def duplicates(self) -> dict[str, int]:
        """Message-IDs accepted more than once."""
        with self.lock:
            counts = Counter(m.message_id for m in self.messages)
        return {mid: n for mid, n in counts.items() if n > 1}


def start_smtp(port: int, sink: SmtpSink) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    try:
        controller.start()
    except BaseException:
        with contextlib.suppress(Exception):  # a start that timed out may have left its thread
            controller.stop(no_assert=True)
        raise
    return controller


def worker_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY", "FLASK_"))}
    env.update({"APP_ENV": "testing", "PYTHONUNBUFFERED": "1", **settings})
    return env


def start_worker(
    env: dict[str, str],
    log_path: Path,
    *,
    concurrency: int = 1,
    beat: bool = False,
    extra: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    """A real `celery worker` process (prefork), started the way production starts it.

    It leads a process group of its own, so `kill_group` can SIGKILL it with its pool children.
    """
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *(extra or []),
    ]
    if beat:
        cmd += ["--beat", "--schedule", str(log_path.with_suffix(".beat"))]
    log = log_path.open("ab")
    return subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(log_path: Path, timeout: float = 30, *, after: int = 0) -> None:
    """Wait for the worker's "ready." line (written after byte `after` of the log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if b"ready." in log_path.read_bytes()[after:]:
            return
        time.sleep(0.1)
    raise TimeoutError(f"worker not ready after {timeout}s:\n{log_path.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once: no shutdown code runs."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


@dataclass
class RedisServer:
    """A `redis-server` of the test's own on a free port, which the test may stop and restart."""

    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        binary = redis_server_binary()
        assert binary is not None
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "no", "--daemonize", "no", "--maxmemory-policy", "noeviction"]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server did not start on port {self.port}")

    def flush(self) -> None:
        """Empty this server; refuses unless this object started it and it is still running.

        So a test can only ever empty the run's own server, never a Redis that was already
        listening on the machine (such as the one on 6379).
        """
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(
                f"refusing to flush Redis on port {self.port}: not started by this test run"
            )
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it hard (SIGKILL): queued messages that were not saved are gone, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
