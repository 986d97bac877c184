"""Delivery throughput at 1 and 2 Celery worker processes: outbox rows sent per second.

    python bench/bench_delivery.py [--intakes 300] [--processes 1 2]

For each process count: a PostgreSQL database of its own (created, migrated, seeded, dropped),
its own redis-server, aiosmtpd in this process, and a Celery worker with --concurrency N (prefork,
no beat). The intakes are submitted first through the API in process, with dispatch recorded
(not sent), so the outbox is full before the clock starts; then one send task per pending row
is published and the time until the SMTP server has accepted every message is measured.
Figures for docs/scaling.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from intake import create_app, jobs  # noqa: E402
from intake.cli import seed_demo  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import Notification  # noqa: E402
from tests.conftest import scratch_pg_database, settings  # noqa: E402
from tests.factories import payload  # noqa: E402
from tests.support import (  # noqa: E402
    RedisServer,
    SmtpSink,
    api_client,
    free_port,
    start_smtp,
    start_worker,
    stop,
    wait_ready,
    worker_env,
)


def run(processes: int, intakes: int, work: Path) -> tuple[int, float]:
    redis = RedisServer(free_port(), work / f"redis-{processes}.log")
    redis.start()
    sink = SmtpSink()
    smtp_port = free_port()
    controller = start_smtp(smtp_port, sink)
    try:
        with scratch_pg_database("wayfinder_bench") as url:
            common = {
                "REDIS_URL": redis.url,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                "AUTO_ASSIGN_PER_SOURCE_PER_HOUR": "0",
                "EMAILS_PER_RECIPIENT_PER_HOUR": "0",
            }
            app = create_app(
                settings(url, work, **{**common, "SMTP_PORT": smtp_port, "MAILER": "smtp"})
            )
            with app.app_context():
                upgrade()
                seed_demo()
            api = api_client(app)
            for i in range(intakes):
                # With an address: each intake also writes a confirmation to the patient.
                body = payload(contact={"email": f"bench{i}@example.org"})
                if api.post("/api/v1/intakes", json=body).status_code != 201:
                    raise SystemExit("an intake was refused")
            with app.app_context():
                ids = list(db.session.scalars(select(Notification.id)))
            log = work / f"worker-{processes}.log"
            proc = start_worker(worker_env(DATABASE_URL=url, **common), log, concurrency=processes)
            try:
                wait_ready(log)
                publisher = create_app(
                    settings(url, work, **{**common, "TASK_DISPATCHER": "celery"})
                )
                started = time.monotonic()
                with publisher.app_context():
                    jobs.dispatch_notifications(ids)
                deadline = started + 600
                while len(sink.messages) < len(ids) and time.monotonic() < deadline:
                    time.sleep(0.05)
                elapsed = max(m.at for m in sink.messages) - started
            finally:
                stop(proc)
                for each in (app, publisher):
                    with each.app_context():
                        db.engine.dispose()
            return len(sink.messages), elapsed
    finally:
        controller.stop()
        redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=300)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    for processes in args.processes:
        with tempfile.TemporaryDirectory() as tmp:
            sent, elapsed = run(processes, args.intakes, Path(tmp))
        print(
            f"{processes} worker process(es): {sent} messages in {elapsed:.2f} s "
            f"= {sent / elapsed:.1f} messages/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
