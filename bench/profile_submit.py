"""Where a submit's time goes: POST /api/v1/intakes in process, under pyinstrument.

    python bench/profile_submit.py [--requests 300] [--html FILE] [--top 25]

On the stack of bench/stack.py (PostgreSQL, Redis as broker: the publish is real; nothing
consumes it), through the Flask test client, as the demo API client. Prints the SQL statements
of one submit, the wall time per request and pyinstrument's call tree (library frames folded);
--html writes the interactive report. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import machine, stack  # noqa: E402

from intake.cli import DEMO_API_KEY  # noqa: E402
from tests.factories import payload  # noqa: E402
from tests.support import count_queries  # noqa: E402


def submit(client: Any, body: dict[str, Any]) -> None:
    if client.post("/api/v1/intakes", json=body).status_code != 201:
        raise SystemExit("an intake was refused")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", help="write pyinstrument's HTML report here")
    args = parser.parse_args()
    from pyinstrument import Profiler

    with stack() as s:
        app = s.app()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {DEMO_API_KEY}"
        body = payload()
        for _ in range(30):  # warm up: imports, templates, the pool
            submit(client, body)
        with count_queries(app) as seen:
            submit(client, body)
        print(f"one submit sends {len(seen)} SQL statements:")
        for statement in seen:
            print("   ", " ".join(statement.split()[:6])[:90])
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        profiler.start()
        for _ in range(args.requests):
            submit(client, body)
        profiler.stop()
        elapsed = time.perf_counter() - started
        print(machine())
        print(
            f"{args.requests} submits in {elapsed:.2f} s: {elapsed / args.requests * 1000:.2f} ms "
            f"each ({args.requests / elapsed:.0f}/s in one process, profiler on)"
        )
        print(profiler.output_text(unicode=True, color=False, show_all=False, time="percent"))
        if args.html:
            Path(args.html).write_text(profiler.output_html())
        from intake.extensions import db

        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
