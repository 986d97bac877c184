"""The production shape on this machine, for the benchmarks: started on free ports, torn down after.

A PostgreSQL database of its own (created, migrated, seeded with the demo data, dropped), its
own redis-server, aiosmtpd in the calling process, and on request gunicorn (sync workers) and
one Celery worker (prefork, no beat: the fast path alone must deliver). Also the helpers the
benchmarks share: percentiles, the machine, the commit, and writing a result as JSON for
bench/report.py.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.support import (  # noqa: E402
    RedisServer,
    SmtpSink,
    free_port,
    redis_server_binary,
    start_smtp,
    worker_env,
)

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def distribution(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max, in milliseconds, and the count."""
    return {
        "n": len(values),
        "p50": pct(values, 50) * 1000,
        "p95": pct(values, 95) * 1000,
        "p99": pct(values, 99) * 1000,
        "max": max(values, default=0.0) * 1000,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()}, Python {platform.python_version()}"


def commit() -> str:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def write_result(path: str | None, name: str, result: dict[str, Any]) -> None:
    """Write one benchmark's result (with its command line, machine, commit and time) as JSON."""
    if not path:
        return
    record = {
        "name": name,
        "command": " ".join(["python", *sys.argv]),
        "machine": machine(),
        "commit": commit(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **result,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=1))


@dataclass
class Stack:
    """What a benchmark talks to: the database URL, the worker's environment, the sink, ports."""

    db_url: str
    env: dict[str, str]
    sink: SmtpSink
    redis: RedisServer
    work: Path
    web_port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        log = (self.work / "worker.log").open("ab")
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker"]
            + ["--loglevel", "WARNING", "--concurrency", str(concurrency)]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def start_web(self, workers: int = 2) -> None:
        self.web_port = free_port()
        log = (self.work / "web.log").open("ab")
        self.procs.append(
            subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "-w", str(workers)]
                + ["-b", f"127.0.0.1:{self.web_port}", "--log-level", "warning", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_port(self.web_port)

    def app(self) -> Any:
        """An app in this process with the stack's settings (this process's environment too)."""
        os.environ.update(self.env)
        from intake import create_app

        return create_app()

    def celery(self) -> Any:
        """A Celery app on this stack's broker and result backend (to publish and to wait)."""
        return self.app().extensions["celery"]

    def log_tail(self, name: str = "worker.log") -> str:
        path = self.work / name
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextmanager
def stack(**settings: str) -> Iterator[Stack]:
    """Database, Redis and SMTP sink up, migrated and seeded; processes are started on demand.

    The settings go into the environment of every process (strings, as an operator sets them).
    The demo clinicians get room for every intake: the benchmarks measure the path, not capacity.
    """
    if redis_server_binary() is None:
        raise SystemExit("redis-server is not installed")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"wayfinder_bench_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    work = Path(tempfile.mkdtemp(prefix=name))
    redis = RedisServer(free_port(), work / "redis.log")
    controller = None
    built: Stack | None = None
    try:
        redis.start()
        sink = SmtpSink()
        smtp_port = free_port()
        controller = start_smtp(smtp_port, sink)
        env = worker_env(
            DATABASE_URL=db_url,
            REDIS_URL=redis.url,
            RESULT_BACKEND_URL=f"redis://127.0.0.1:{redis.port}/1",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            RATELIMIT_ENABLED="false",
            AUTO_ASSIGN_PER_SOURCE_PER_HOUR="0",  # one client sends them all: measure, not cap
            EMAILS_PER_RECIPIENT_PER_HOUR="0",
            BEAT_SCHEDULE_FILE=str(work / "beat"),
            **settings,
        )
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
        eng = create_engine(db_url)
        with eng.begin() as conn:
            conn.execute(text("UPDATE clinician_profiles SET capacity = 1000000"))
        eng.dispose()
        built = Stack(db_url, env, sink, redis, work)
        yield built
    finally:
        for proc in reversed(built.procs if built else []):
            proc.terminate()
        for proc in built.procs if built else []:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if controller is not None:
            controller.stop()
        redis.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
