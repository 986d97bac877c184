"""From a submit's 201 to the clinician's email accepted by the SMTP server, at a steady rate.

    python bench/bench_notify.py [--rate 20] [--seconds 20] [--web-workers 2]

Starts everything on free ports, the way production runs: a PostgreSQL database of its own
(created, migrated, seeded and dropped), its own redis-server, gunicorn with --web-workers
processes, one Celery worker (prefork, default concurrency, no beat: the fast path alone must
deliver), and aiosmtpd in this process. Sends a steady --rate intakes per second for --seconds
through POST /api/v1/intakes from threads, and for each one measures the time from its 201 to
the DATA acceptance of the assignment email that carries its reference number. In the same run,
the baseline: a no-op Celery task's round trip (send, run, result back), sampled every 100 ms
during the load. Prints p50/p95/p99/max, lost and duplicated messages, and the ratios.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from intake.cli import DEMO_API_KEY  # noqa: E402
from intake.jobs import PING  # noqa: E402
from tests.factories import payload  # noqa: E402
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
REFERENCE = re.compile(r"\((WF-[A-Z0-9]{4}-[A-Z0-9]{4})\)")


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def assigned(sink: SmtpSink) -> dict[str, list[float]]:
    """When each assignment email was accepted, by the reference number in its subject."""
    with sink.lock:
        messages = list(sink.messages)
    accepted: dict[str, list[float]] = {}
    for message in messages:
        match = REFERENCE.search(message.subject)
        if match and "New intake assigned" in message.subject:
            accepted.setdefault(match.group(1), []).append(message.at)
    return accepted


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(value: float) -> str:
    return f"{value * 1000:8.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="intakes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    if redis_server_binary() is None:
        print("redis-server is not installed", file=sys.stderr)
        return 2

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"wayfinder_bench_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    work = Path(tempfile.mkdtemp(prefix=name))
    procs: list[subprocess.Popen[bytes]] = []
    redis = RedisServer(free_port(), work / "redis.log")
    controller = None
    try:
        smtp_port, web_port = free_port(), free_port()
        redis.start()
        sink = SmtpSink()
        controller = start_smtp(smtp_port, sink)
        env = worker_env(
            DATABASE_URL=db_url,
            REDIS_URL=redis.url,
            RESULT_BACKEND_URL=f"redis://127.0.0.1:{redis.port}/1",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            RATELIMIT_ENABLED="false",
            AUTO_ASSIGN_PER_SOURCE_PER_HOUR="0",  # one client sends them all: measure, not cap
            BEAT_SCHEDULE_FILE=str(work / "beat"),
        )
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
        eng = create_engine(db_url)
        with eng.begin() as conn:  # room for every intake: the email, not capacity, is measured
            conn.execute(text("UPDATE clinician_profiles SET capacity = 1000000"))
        eng.dispose()
        log = (work / "worker.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker"]
                + ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
                + ["--without-heartbeat"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(args.web_workers)]
                + ["-b", f"127.0.0.1:{web_port}", "--log-level", "warning", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_port(web_port)
        os.environ.update({k: env[k] for k in ("APP_ENV", "DATABASE_URL", "REDIS_URL")})
        os.environ["RESULT_BACKEND_URL"] = env["RESULT_BACKEND_URL"]
        from intake import create_app

        celery = create_app().extensions["celery"]
        celery.send_task(PING).get(timeout=30)  # the worker is up and consuming

        body = json.dumps(payload()).encode()
        # The demo API client that seed-demo made above.
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO_API_KEY}"}
        submitted: dict[str, float] = {}
        errors: list[str] = []
        lock = threading.Lock()
        local = threading.local()

        def post(_: int) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
            try:
                conn.request("POST", "/api/v1/intakes", body, headers)
                response = conn.getresponse()
                data = response.read()
                at = time.monotonic()
            except (OSError, http.client.HTTPException) as exc:
                local.conn = None
                with lock:
                    errors.append(type(exc).__name__)
                return
            if response.status != 201:
                with lock:
                    errors.append(str(response.status))
                return
            with lock:
                submitted[json.loads(data)["reference"]] = at

        baseline: list[float] = []
        stop = threading.Event()

        def sample_baseline() -> None:
            while not stop.is_set():
                started = time.monotonic()
                celery.send_task(PING).get(timeout=30)
                baseline.append(time.monotonic() - started)
                stop.wait(0.1)

        sampler = threading.Thread(target=sample_baseline)
        sampler.start()
        total = int(args.rate * args.seconds)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(total):
                delay = start + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(post, i)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(assigned(sink)) < len(submitted):
            time.sleep(0.1)
        time.sleep(1.0)
        stop.set()
        sampler.join()

        accepted = assigned(sink)
        latencies = [accepted[ref][0] - at for ref, at in submitted.items() if ref in accepted]
        lost = [ref for ref in submitted if ref not in accepted]
        duplicates = sum(len(v) - 1 for v in accepted.values() if len(v) > 1)
        python = platform.python_version()
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {python}")
        print(
            f"load: {total} intakes at {args.rate:g}/s for {args.seconds:g} s; "
            f"gunicorn -w {args.web_workers}, one Celery worker, PostgreSQL, Redis, aiosmtpd"
        )
        print(f"201 responses: {len(submitted)}   errors: {len(errors)} {sorted(set(errors))}")
        print(f"emails: lost {len(lost)}, duplicated {duplicates}")
        print("                                 p50       p95       p99       max   (ms)")
        rows = [
            ("201 -> email accepted by SMTP", latencies),
            ("baseline: no-op Celery round trip", baseline),
        ]
        for label, values in rows:
            if values:
                print(
                    f"{label:33s}{ms(pct(values, 50))}  {ms(pct(values, 95))}  "
                    f"{ms(pct(values, 99))}  {ms(max(values))}   (n={len(values)})"
                )
        if latencies and baseline:
            print(
                f"ratio to baseline: p50 {pct(latencies, 50) / pct(baseline, 50):.1f}x, "
                f"p99 {pct(latencies, 99) / pct(baseline, 99):.1f}x; "
                f"mean {statistics.mean(latencies) * 1000:.1f} ms"
            )
        return 0 if not lost and not duplicates and not errors else 1
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
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


if __name__ == "__main__":
    sys.exit(main())
