"""Serving as production serves: real gunicorn with the project's gunicorn.conf.py (threaded
workers, timeouts). Idle connections and a slow client's half-sent request do not take the
site down: /healthz still answers at once."""

from __future__ import annotations

import http.client
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gunicorn.workers.gthread import ThreadWorker

from tests.support import ROOT, free_port, stop, worker_env

WORKERS, THREADS = 2, 4  # smaller than production: fewer idle sockets already outnumber them


@pytest.fixture
def gunicorn(migrated_pg: str, tmp_path: Path) -> Iterator[int]:
    """gunicorn on a free port, configured by gunicorn.conf.py; its port."""
    port = free_port()
    env = worker_env(
        DATABASE_URL=migrated_pg,
        TASK_DISPATCHER="record",
        MAILER="memory",
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
        BEAT_SCHEDULE_FILE=str(tmp_path / "beat"),
    )
    log = (tmp_path / "gunicorn.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _healthz(port, timeout=1.0) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield port
    finally:
        stop(proc)
        log.close()


def _healthz(port: int, timeout: float) -> float | None:
    """Seconds /healthz took to answer 200, or None."""
    begun = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        ok = response.status == 200 and b'"ok"' in response.read()
    except OSError:
        return None
    finally:
        conn.close()
    return time.monotonic() - begun if ok else None


def test_gunicorn_conf_uses_threaded_workers_with_timeouts() -> None:
    found = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "wsgi:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=worker_env(),
    ).stdout
    settings = dict(
        (line.split("=", 1)[0].strip(), line.split("=", 1)[1].strip())
        for line in found.splitlines()
        if "=" in line
    )
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert issubclass(conf["worker_class"], ThreadWorker)  # gthread, new sockets parked
    assert settings["worker_class"] == "<ParkingThreadWorker()>"
    assert int(settings["threads"]) > 1 and int(settings["workers"]) >= 2
    assert int(settings["timeout"]) == 30 and int(settings["graceful_timeout"]) == 30
    assert 0 < int(settings["keepalive"]) <= 15
    for path in ("Dockerfile", "docker-compose.yml"):  # both run it with this file, nothing else
        text = (ROOT / path).read_text()
        assert '"--config", "gunicorn.conf.py", "wsgi:app"' in text, path
        assert "--workers" not in text, path


def test_idle_and_half_sent_connections_do_not_stop_the_site(gunicorn: int) -> None:
    """More idle sockets than the server has threads, and slow clients stopped in the middle
    of their headers: /healthz answers each time within a second."""
    port = gunicorn
    held: list[socket.socket] = []
    try:
        for _ in range(3 * WORKERS * THREADS):  # connected, then silent
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        for n in range(2):  # a request line and part of the headers, never finished
            slow = socket.create_connection(("127.0.0.1", port), timeout=5)
            slow.sendall(f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow-{n}: ".encode())
            held.append(slow)
        time.sleep(0.5)
        for _ in range(10):
            took = _healthz(port, timeout=5)
            assert took is not None and took < 1.0, took
        time.sleep(1.5)  # past the workers' wait for a first byte: the sockets are parked
        for _ in range(10):
            took = _healthz(port, timeout=5)
            assert took is not None and took < 1.0, took
    finally:
        for sock in held:
            sock.close()
    assert _healthz(port, timeout=5) is not None
