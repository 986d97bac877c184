"""End-to-end capacity: from a submit's 201 to the clinician's email, at steps of a fixed rate.

    python bench/bench_capacity.py [--rates 10 20 35 50 75 100] [--seconds 60] [--web-workers 2]
                                   [--worker-processes 2] [--json FILE]

The production shape on this machine (bench/stack.py): PostgreSQL, Redis as broker, gunicorn
(sync, --web-workers processes), one Celery worker (prefork, --worker-processes, no beat: the
fast path alone must deliver), aiosmtpd in this process; everything on the same cores.

Open loop: for each rate the send times are fixed in advance (start + i / rate) and a pool of
threads sends each POST /api/v1/intakes at its time, whatever the earlier ones are doing, so
a slow server makes requests late and queued rather than making the generator slow down. A send
that leaves more than 10 ms after its scheduled time is counted late; once the sends are more
than 5 s behind, the rest of that step is abandoned (counted, not sent). For each intake:
submit (scheduled send -> 201), email (201 -> the SMTP server's acceptance of the assignment
email that carries its reference number; the issue's measure) and end to end (scheduled send ->
email accepted). Lost: a 201 with no email within --drain seconds; duplicated: an email accepted
twice. Baseline in the same run: a no-op Celery task's round trip, sampled every 100 ms.

A rate holds when: no errors, nothing lost or duplicated, email p99 <= --target-p99-ms (250),
and the submits kept up (submit p99 <= 1 s, so the rate was really offered). The knee is the
last rate before the end-to-end p99 at least doubles from one step to the next.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, distribution, machine, stack, write_result  # noqa: E402

from intake.cli import DEMO_API_KEY  # noqa: E402
from intake.jobs import PING  # noqa: E402
from tests.factories import payload  # noqa: E402

REFERENCE = re.compile(r"\((WF-[A-Z0-9]{4}-[A-Z0-9]{4})\)")
LATE = 0.010  # s after its scheduled time: a send that left later than this is late
SUBMIT_KEPT_UP = 1.0  # s: submit p99 above this means the rate was not really offered
GIVE_UP = 5.0  # s behind schedule: the rest of the step is not sent (the rate does not hold)


@dataclass
class Step:
    rate: float
    scheduled: list[float] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)
    created: dict[str, tuple[int, float]] = field(default_factory=dict)  # reference -> (i, 201)
    errors: list[str] = field(default_factory=list)
    abandoned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def accepted(stack_: Stack) -> dict[str, list[float]]:
    """When each assignment email was accepted, by the reference number in its subject."""
    with stack_.sink.lock:
        messages = list(stack_.sink.messages)
    found: dict[str, list[float]] = {}
    for message in messages:
        match = REFERENCE.search(message.subject)
        if match and message.subject.startswith("Intake assigned to you"):
            found.setdefault(match.group(1), []).append(message.at)
    return found


def run_step(s: Stack, rate: float, seconds: float, threads: int, drain: float) -> dict[str, Any]:
    body = json.dumps(payload()).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO_API_KEY}"}
    total = max(1, int(rate * seconds))
    step = Step(rate)
    start = time.monotonic() + 0.5
    step.scheduled = [start + i / rate for i in range(total)]
    following = iter(range(total))
    take = threading.Lock()

    def sender() -> None:
        while True:
            with take:
                i = next(following, None)
            if i is None:
                return
            delay = step.scheduled[i] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif -delay > GIVE_UP:  # far behind: this step has failed, end it on time
                with step.lock:
                    step.abandoned += 1
                continue
            conn = http.client.HTTPConnection("127.0.0.1", s.web_port, timeout=30)
            left = time.monotonic()
            try:
                conn.request("POST", "/api/v1/intakes", body, headers)
                response = conn.getresponse()
                data = response.read()
                at = time.monotonic()
            except (OSError, http.client.HTTPException) as exc:
                with step.lock:
                    step.errors.append(type(exc).__name__)
                continue
            finally:
                conn.close()
            with step.lock:
                step.sent_at[i] = left
                if response.status == 201:
                    step.created[json.loads(data)["reference"]] = (i, at)
                else:
                    step.errors.append(str(response.status))

    celery = s.celery()
    baseline: list[float] = []
    stop = threading.Event()

    def sample_baseline() -> None:
        while not stop.is_set():
            began = time.monotonic()
            celery.send_task(PING).get(timeout=30)
            baseline.append(time.monotonic() - began)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample_baseline)
    pool = [threading.Thread(target=sender) for _ in range(threads)]
    sampler.start()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    ended = time.monotonic()
    deadline = ended + drain
    while time.monotonic() < deadline:
        if set(step.created) <= set(accepted(s)):
            break
        time.sleep(0.05)
    stop.set()
    sampler.join()

    emails = accepted(s)
    email, end_to_end, submit = [], [], []
    for ref, (i, created_at) in step.created.items():
        submit.append(created_at - step.scheduled[i])
        if ref in emails:
            email.append(emails[ref][0] - created_at)
            end_to_end.append(emails[ref][0] - step.scheduled[i])
    lateness = [step.sent_at[i] - step.scheduled[i] for i in step.sent_at]
    lost = sum(1 for ref in step.created if ref not in emails)
    duplicated = sum(len(emails[ref]) - 1 for ref in step.created if ref in emails)
    span = max(step.sent_at.values(), default=start) - start
    return {
        "rate": rate,
        "seconds": seconds,
        "offered": total,
        "created": len(step.created),
        "achieved_rate": len(step.sent_at) / span if span > 0 else 0.0,
        "abandoned": step.abandoned,
        "errors": len(step.errors),
        "error_kinds": sorted(set(step.errors)),
        "lost": lost,
        "duplicated": duplicated,
        "late_sends": sum(1 for x in lateness if x > LATE),
        "late_max_ms": max(lateness, default=0.0) * 1000,
        "email": distribution(email),
        "end_to_end": distribution(end_to_end),
        "submit": distribution(submit),
        "baseline": distribution(baseline),
    }


def holds(row: dict[str, Any], target_ms: float) -> bool:
    return (
        row["errors"] == 0
        and row["lost"] == 0
        and row["duplicated"] == 0
        and row["created"] == row["offered"]
        and row["email"]["p99"] <= target_ms
        and row["submit"]["p99"] <= SUBMIT_KEPT_UP * 1000
    )


def knee(rows: list[dict[str, Any]]) -> float | None:
    """The last rate before the end-to-end p99 at least doubles; None if it never does."""
    for before, after in zip(rows, rows[1:], strict=False):
        if after["end_to_end"]["p99"] >= 2 * max(before["end_to_end"]["p99"], 1.0):
            return float(before["rate"])
    return None


def warm_up(s: Stack, count: int = 40) -> None:
    """Each web process and its pool, the worker and the templates, before anything counts."""
    body = json.dumps(payload()).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO_API_KEY}"}
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", s.web_port, timeout=30)
        conn.request("POST", "/api/v1/intakes", body, headers)
        conn.getresponse().read()
        conn.close()
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 20, 35, 50, 75, 100])
    parser.add_argument("--seconds", type=float, default=60.0, help="per rate")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=64, help="sending threads (open loop)")
    parser.add_argument("--drain", type=float, default=20.0, help="s to wait for the last emails")
    parser.add_argument("--target-p99-ms", type=float, default=250.0)
    parser.add_argument("--json", help="also write the result here (for bench/report.py)")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    with stack() as s:
        s.start_worker(args.worker_processes)
        s.start_web(args.web_workers)
        s.celery().send_task(PING).get(timeout=60)  # the worker is up and consuming
        warm_up(s)
        time.sleep(2)
        print(machine())
        print(
            f"gunicorn -w {args.web_workers}, Celery prefork -c {args.worker_processes}, "
            "PostgreSQL, Redis, aiosmtpd; all on this machine"
        )
        print(
            f"{'rate/s':>7} {'sent/s':>7} {'late':>5} {'aband':>5} {'err':>4} "
            f"{'lost':>4} {'dup':>4}  "
            f"{'email p50':>9} {'p95':>7} {'p99':>7} {'max':>7}  {'e2e p99':>8} "
            f"{'submit p99':>10} {'no-op p99':>9}  holds"
        )
        for rate in args.rates:
            row = run_step(s, rate, args.seconds, args.threads, args.drain)
            row["holds"] = holds(row, args.target_p99_ms)
            rows.append(row)
            e = row["email"]
            print(
                f"{rate:7g} {row['achieved_rate']:7.1f} {row['late_sends']:5d} "
                f"{row['abandoned']:5d} "
                f"{row['errors']:4d} {row['lost']:4d} {row['duplicated']:4d}  "
                f"{e['p50']:9.1f} {e['p95']:7.1f} {e['p99']:7.1f} {e['max']:7.1f}  "
                f"{row['end_to_end']['p99']:8.1f} {row['submit']['p99']:10.1f} "
                f"{row['baseline']['p99']:9.1f}  {'yes' if row['holds'] else 'no'}",
                flush=True,
            )
            time.sleep(2)  # let the queues settle between steps
    held = [r["rate"] for r in rows if r["holds"]]
    best = max(held, default=None)
    found_knee = knee(rows)
    print("(ms; email: 201 -> accepted by SMTP; e2e: scheduled send -> accepted; no-op: Celery)")
    print(f"highest rate that holds (email p99 <= {args.target_p99_ms:g} ms, nothing lost or")
    print(f"duplicated, submits kept up): {best if best is not None else 'none'}/s")
    print(f"knee: {f'{found_knee:g}/s' if found_knee is not None else 'beyond the highest rate'}")
    write_result(
        args.json,
        "capacity",
        {
            "setup": {
                "web_workers": args.web_workers,
                "worker_processes": args.worker_processes,
                "threads": args.threads,
                "target_p99_ms": args.target_p99_ms,
            },
            "rows": rows,
            "highest_holding_rate": best,
            "knee": found_knee,
        },
    )
    return 0 if rows and rows[0]["lost"] == 0 and rows[0]["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
