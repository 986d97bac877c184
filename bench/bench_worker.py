"""One worker process: emails sent per second, against a no-op task in the same run.

    python bench/bench_worker.py [--messages 200] [--rounds 3] [--json FILE]

The stack of bench/stack.py (PostgreSQL, Redis, aiosmtpd in this process) and one Celery worker
with one pool process (prefork, --concurrency 1). The outbox is filled first: intakes submitted
in this process with dispatch recorded, not sent, so that rows wait 'pending'. Then, in turn,
round after round: --messages no-op tasks (the baseline: Celery's own cost of a task on this
broker) and --messages send tasks, each timed from the first publish to the last result (the
last SMTP acceptance for the sends). Prints tasks per second (median of the rounds), the median
of the per-round ratios, the SMTP connections the worker opened, and lost or duplicated
messages. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, machine, stack, write_result  # noqa: E402

from intake.cli import DEMO_API_KEY  # noqa: E402
from intake.jobs import PING, SEND_NOTIFICATION  # noqa: E402
from tests.factories import payload  # noqa: E402


def fill_outbox(s: Stack, count: int) -> list[int]:
    """`count` pending assignment rows, their ids in order (nothing published)."""
    app = s.app()
    app.config["TASK_DISPATCHER"] = "record"
    from intake import jobs

    jobs.init_app(app)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {DEMO_API_KEY}"
    body = payload()
    for _ in range(count):
        if client.post("/api/v1/intakes", json=body).status_code != 201:
            raise SystemExit("an intake was refused")
    ids = app.extensions["dispatcher"].ids()
    from intake.extensions import db

    with app.app_context():
        db.engine.dispose()
    return list(ids)


def time_noops(celery: Any, count: int) -> float:
    started = time.monotonic()
    results = [celery.send_task(PING) for _ in range(count)]
    for result in results:
        result.get(timeout=120)
    return count / (time.monotonic() - started)


def time_sends(s: Stack, celery: Any, ids: list[int]) -> float:
    before = len(s.sink.messages)
    started = time.monotonic()
    for nid in ids:
        celery.send_task(SEND_NOTIFICATION, args=[nid])
    deadline = started + 300
    while len(s.sink.messages) < before + len(ids) and time.monotonic() < deadline:
        time.sleep(0.01)
    with s.sink.lock:
        last = max(m.at for m in s.sink.messages[before:])
    return len(ids) / (last - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="tasks per measure per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the result here (for bench/report.py)")
    args = parser.parse_args()

    noops: list[float] = []
    sends: list[float] = []
    with stack() as s:
        ids = fill_outbox(s, args.messages * args.rounds)
        s.start_worker(concurrency=1)
        celery = s.celery()
        celery.send_task(PING).get(timeout=60)  # up and consuming
        time_noops(celery, 50)  # warm up
        for r in range(args.rounds):
            noops.append(time_noops(celery, args.messages))
            sends.append(time_sends(s, celery, ids[r * args.messages : (r + 1) * args.messages]))
        time.sleep(0.5)
        accepted = [m.message_id for m in s.sink.messages]
        connections = len(s.sink.connections)
    lost = len(ids) - len(set(accepted))
    duplicated = len(accepted) - len(set(accepted))
    ratio = statistics.median(m / n for m, n in zip(sends, noops, strict=True))
    print(machine())
    print(
        f"one Celery worker, one pool process; {args.rounds} rounds of {args.messages} tasks each"
    )
    print(f"{'measure':<34}{'per second':>11}{'min - max':>16}")
    for name, values in (
        ("emails sent (send_notification)", sends),
        ("baseline: no-op task", noops),
    ):
        spread = f"{min(values):.0f} - {max(values):.0f}"
        print(f"{name:<34}{statistics.median(values):11.1f}{spread:>16}")
    print(f"emails ÷ no-op: {ratio:.3f}; SMTP connections opened: {connections}; "
          f"lost {lost}, duplicated {duplicated}")  # fmt: skip
    write_result(
        args.json,
        "worker",
        {
            "setup": {"messages": args.messages, "rounds": args.rounds, "pool_processes": 1},
            "sends_per_s": sends,
            "noops_per_s": noops,
            "ratio": ratio,
            "connections": connections,
            "lost": lost,
            "duplicated": duplicated,
        },
    )
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
