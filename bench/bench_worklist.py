"""The staff list at scale: the keyset queries and the tab counts over N intakes (PostgreSQL).

    python bench/bench_worklist.py [--intakes 1000000] [--rounds 5]

A scratch PostgreSQL database (created, migrated, filled with N synthetic intakes, dropped).
Each query is timed by PostgreSQL (EXPLAIN ANALYZE execution time, median of the rounds) and
printed with the first scan of its plan and its ratio to a baseline measured in the same run: 51
rows read by primary key. Figures for docs/performance.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from intake import create_app, queries  # noqa: E402
from intake.extensions import db  # noqa: E402
from tests.conftest import scratch_pg_database, settings  # noqa: E402

FILL = """
INSERT INTO intakes (reference, status, language, contact, answers, urgency, urgency_rank,
  service_line, modality, source, created_at, updated_at, submitted_at, escalation_level, state,
  phone_hash)
SELECT 'WF-' || lpad(g::text, 9, '0'),
  (ARRAY['submitted','assigned','accepted','contacted',
         'closed','closed','closed','closed'])[1 + g % 8],
  'en', '{}', '{}',
  (ARRAY['crisis','urgent','soon','routine'])[1 + r.rank], r.rank,
  (ARRAY['anxiety','trauma','couples','depression','adhd','ocd','bipolar','eating_disorders',
         'addiction','other'])[1 + g % 10],
  (ARRAY['virtual','in_person'])[1 + g % 2], 'web',
  now() - (g || ' seconds')::interval, now(), now() - (g || ' seconds')::interval, 0,
  (ARRAY['NY','CA','TX','FL'])[1 + g % 4], md5(g::text)
FROM generate_series(1, :n) g,
  LATERAL (SELECT CASE WHEN g % 500 = 0 THEN 0 WHEN g % 7 = 0 THEN 1
                       WHEN g % 3 = 0 THEN 2 ELSE 3 END AS rank) r
"""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_pg_database("wayfinder_bench") as url:
        app = create_app(settings(url, Path(tmp), DATABASE_STATEMENT_TIMEOUT=0))
        with app.app_context():
            upgrade()
            started = time.monotonic()
            db.session.execute(text(FILL), {"n": args.intakes})
            db.session.commit()
            db.session.execute(text("ANALYZE intakes"))
            db.session.commit()
            print(f"{args.intakes:,} intakes written in {time.monotonic() - started:.1f} s")
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
            walls = []
            for _ in range(args.rounds):
                started = time.monotonic()
                queries.tab_counts()
                walls.append((time.monotonic() - started) * 1000)
            ms = statistics.median(walls)
            print(f"{'tab counts (wall)':28} {ms:10.1f} {ms / base:11.1f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
