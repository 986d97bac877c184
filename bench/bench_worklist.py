"""The staff list at scale: the keyset queries and the tab counts over N intakes (PostgreSQL).

    python bench/bench_worklist.py [--intakes 1000000] [--rounds 5]
    python bench/bench_worklist.py --database wayfinder_bench_1m   # reuse bench_dashboard's

A scratch PostgreSQL database (created, migrated, filled with N intakes by `flask bench seed`'s
mix, dropped). Each query is timed by PostgreSQL (EXPLAIN ANALYZE execution time, median of the
rounds) and printed with the first scan of its plan and its ratio to a baseline measured in the
same run: 51 rows read by primary key. The counts beside the list (tabs, open work per queue,
the banner) are timed from Python, wall clock. Figures for docs/performance.md; the pages over
HTTP are bench/bench_dashboard.py. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from intake import create_app, queries  # noqa: E402
from intake.cli import bench  # noqa: E402
from intake.extensions import db  # noqa: E402
from tests.conftest import PG_ADMIN_URL, scratch_pg_database, settings  # noqa: E402

BASELINE = "SELECT * FROM intakes WHERE id BETWEEN 1000 AND 1050"


def execution_ms(sql: str) -> tuple[float, str]:
    """PostgreSQL's own execution time of `sql` and the first scan of its plan."""
    plan = db.session.execute(text(f"EXPLAIN (ANALYZE) {sql}")).scalars().all()
    found = next(line for line in plan if line.startswith("Execution Time"))
    ms = re.search(r"([\d.]+) ms", found)
    if ms is None:
        raise RuntimeError(f"no execution time in the plan: {found}")
    scan = next((line for line in plan if "Scan" in line), plan[0])
    return float(ms.group(1)), re.sub(r"\s+\(.*", "", scan.strip().removeprefix("->  "))


@contextmanager
def _database(name: str | None) -> Iterator[str]:
    if name is None:
        with scratch_pg_database("wayfinder_bench") as url:
            yield url
        return
    if not name.startswith("wayfinder_bench_"):
        raise SystemExit(f"refused: {name!r} is not a bench database (wayfinder_bench_*)")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--database",
        help="an existing bench database to read instead of a scratch one (e.g. "
        "wayfinder_bench_1m, kept by bench_dashboard.py): migrated, not seeded, not dropped",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _database(args.database) as url:
        app = create_app(settings(url, Path(tmp), DATABASE_STATEMENT_TIMEOUT=0))
        with app.app_context():
            upgrade()
            if args.database is None:
                started = time.monotonic()
                bench.seed(args.intakes)
                print(f"{args.intakes:,} intakes written in {time.monotonic() - started:.1f} s")
            else:
                total = db.session.scalar(text("SELECT count(*) FROM intakes"))
                print(f"{args.database}: {total:,} intakes")
            cursor = queries.Cursor(3, datetime(2026, 1, 1, tzinfo=UTC), 0)
            cases = {
                "open work, first page": queries.list_query(queries.IntakeFilter()),
                "open work, after a cursor": queries.list_query(queries.IntakeFilter(), cursor),
                "urgent in CA": queries.list_query(
                    queries.IntakeFilter(urgency="urgent", state="CA")
                ),
                "search by phone hash": queries.list_query(queries.IntakeFilter(phone_hash="0")),
            }
            sql = {
                name: str(q.compile(db.engine, compile_kwargs={"literal_binds": True}))
                for name, q in cases.items()
            }
            base = statistics.median(execution_ms(BASELINE)[0] for _ in range(args.rounds))
            print(f"baseline (51 rows by primary key): {base:.3f} ms")
            print(f"{'query':28} {'median ms':>10} {'x baseline':>11}  plan")
            for name, statement in sql.items():
                runs = [execution_ms(statement) for _ in range(args.rounds)]
                ms = statistics.median(r[0] for r in runs)
                print(f"{name:28} {ms:10.3f} {ms / base:11.1f}  {runs[0][1]}")
            counts = {
                "tab counts (wall)": queries.tab_counts,
                "open per queue (wall)": queries.open_breakdown,
                "banner alerts (wall)": queries.alert_counts,
            }
            for name, count in counts.items():
                walls = []
                for _ in range(args.rounds):
                    started = time.monotonic()
                    count()
                    walls.append((time.monotonic() - started) * 1000)
                ms = statistics.median(walls)
                print(f"{name:28} {ms:10.1f} {ms / base:11.1f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
