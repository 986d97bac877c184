"""Submit throughput: POST /api/v1/intakes against a baseline storing the same JSON in one insert.

    python bench/bench_throughput.py [--seconds 5] [--rounds 3] [--clients 8] [--web-workers 2]
                                     [--with-worker] [--json FILE]

The production shape on this machine (bench/stack.py): PostgreSQL, Redis as broker, gunicorn
(sync, --web-workers processes), with BENCH_BASELINE_ENDPOINT=true, which opens the baseline,
POST /api/v1/bench/baseline: the same body parsed and stored in one INSERT, nothing else. The
full path validates, decides, assigns, writes the outbox and the audit, commits and publishes
the send task to Redis. By default no Celery worker runs, so the two measures share the cores
with nothing else (the tasks wait in Redis); --with-worker starts one (prefork, 2 processes)
and lets it send the emails meanwhile, the whole production shape.

Closed loop, --clients threads each sending one request after another (a new connection each:
gunicorn's sync workers close it), for --seconds; the two endpoints in turn, round after round,
so that a change in the host's speed shows in both. Prints requests per second (median of the
rounds), the median of the per-round ratios, errors and the latency distribution of each.
Target: the full path at 0.7 of the baseline or more, with no errors. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, distribution, machine, stack, write_result  # noqa: E402

from intake.cli import DEMO_API_KEY  # noqa: E402
from intake.jobs import PING  # noqa: E402
from tests.factories import payload  # noqa: E402

SUBMIT = "/api/v1/intakes"
BASELINE = "/api/v1/bench/baseline"
TARGET = 0.7


def measure(s: Stack, path: str, seconds: float, clients: int) -> dict[str, Any]:
    """Requests per second of `path` from `clients` threads in a closed loop, and latencies."""
    body = json.dumps(payload()).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO_API_KEY}"}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def client() -> None:
        mine: list[float] = []
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", s.web_port, timeout=30)
            began = time.monotonic()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                continue
            finally:
                conn.close()
            if status == 201:
                mine.append(time.monotonic() - began)
            else:
                with lock:
                    errors.append(str(status))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"rps": len(latencies) / elapsed, "errors": errors, "latencies": latencies}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measure per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--with-worker", action="store_true", help="a Celery worker sends too")
    parser.add_argument("--json", help="also write the result here (for bench/report.py)")
    args = parser.parse_args()

    paths = {"full submit": SUBMIT, "baseline: one insert": BASELINE}
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
    with stack(BENCH_BASELINE_ENDPOINT="true") as s:
        if args.with_worker:
            s.start_worker(2)
            s.celery().send_task(PING).get(timeout=60)
        s.start_web(args.web_workers)
        for path in paths.values():  # warm up each web process and its pool
            measure(s, path, 1.0, args.clients)
        for _ in range(args.rounds):
            for name, path in paths.items():
                rounds[name].append(measure(s, path, args.seconds, args.clients))
    full, base = rounds["full submit"], rounds["baseline: one insert"]
    ratio = statistics.median(f["rps"] / b["rps"] for f, b in zip(full, base, strict=True))
    errors = sum(len(r["errors"]) for runs in rounds.values() for r in runs)
    print(machine())
    print(
        f"gunicorn -w {args.web_workers}, {args.clients} clients, {args.rounds} rounds of "
        f"{args.seconds:g} s per endpoint; Celery worker: {'yes' if args.with_worker else 'no'}"
    )
    print(
        f"{'endpoint':<22}{'req/s':>8}{'min - max':>16}{'errors':>8}   latency ms p50/p95/p99/max"
    )
    rows = []
    for name, runs in rounds.items():
        rps = [r["rps"] for r in runs]
        lat = distribution([x for r in runs for x in r["latencies"]])
        errs = [e for r in runs for e in r["errors"]]
        rows.append(
            {"endpoint": name, "rps": statistics.median(rps), "rps_rounds": rps,
             "errors": len(errs), "error_kinds": sorted(set(errs)), "latency": lat}
        )  # fmt: skip
        print(
            f"{name:<22}{statistics.median(rps):8.1f}{f'{min(rps):.0f} - {max(rps):.0f}':>16}"
            f"{len(errs):8d}   {lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f} / "
            f"{lat['max']:.1f}"
        )
    met = ratio >= TARGET and errors == 0
    print(
        f"full ÷ baseline: {ratio:.3f} (target {TARGET} or more, no errors): "
        f"{'met' if met else 'NOT met'}"
    )
    write_result(
        args.json,
        "throughput",
        {
            "setup": {
                "web_workers": args.web_workers,
                "clients": args.clients,
                "rounds": args.rounds,
                "seconds": args.seconds,
                "with_worker": args.with_worker,
            },  # fmt: skip
            "rows": rows,
            "ratio": ratio,
            "target": TARGET,
            "met": met,
        },
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
