"""The staff pages over HTTP at N intakes: p50/p95/p99/max per page against a budget.

    python bench/bench_dashboard.py --intakes 1000000   # seeds 4-8 min the first time only
    python bench/bench_dashboard.py --intakes 20000 --rounds 30   # a quick check

A PostgreSQL database of its own, `wayfinder_bench_1m` (or `wayfinder_bench_<N>`), is created,
migrated and filled with `flask bench seed` once; later runs reuse it when it was seeded with
exactly N intakes under the same migration files (a note left on the database: a load run may
add intakes), and only migrate it, so a million rows are not written again. No other database
is touched. gunicorn (the project's gunicorn.conf.py, -w 2) serves the app on a free port with
MFA off and no rate limits; one client signs in as the demo coordinator and requests every
page in turn, --rounds times, after a warm-up: the work queues with their counts, a page
10,000 rows deep (the `after=` cursor of the 10,000th open intake), each filter, search by
reference, email, phone and name, an intake page, the dashboard, and /staff/reports when it
exists. The baseline, measured in the same rounds, is /healthz.

Each page's p95 is checked against the budget (50 ms); the exit status is 1 if any is over or
failed. Then every SELECT each page runs is captured in-process and shown with EXPLAIN
(ANALYZE, BUFFERS) in docs/explain/dashboard-<N>.txt (the file docs/performance.md refers to).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from intake.cli import DEMO_PASSWORD, DEMO_STAFF  # noqa: E402
from tests.conftest import PG_ADMIN_URL  # noqa: E402
from tests.support import free_port  # noqa: E402

BUDGET_MS = 50.0
# A page slower than this on its first request is timed SLOW_ROUNDS times only.
SLOW_S = 1.0
SLOW_ROUNDS = 5
# Fixed, so that the keyed search hashes written by the seed still match on a later run.
BENCH_SECRET = "bench-only-secret-key-0123456789abcdef"  # noqa: S105 (a bench database's)
# The bench database's own keys (encryption at rest, search hashes): fixed for the same reason.
BENCH_ENCRYPTION_KEY = "zgNXlHtuCUiBdMYLFPDjUD3u8ogx3nyk-b2E9maoX3o="
BENCH_SEARCH_KEY = "bench-only-search-hash-key-0123456789abcdef"
COORDINATOR = DEMO_STAFF[0][0]


def label(n: int) -> str:
    return "1m" if n == 1_000_000 else str(n)


def bench_settings(url: str) -> dict[str, str]:
    return {
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": BENCH_SECRET,
        "ENCRYPTION_KEYS": BENCH_ENCRYPTION_KEY,
        "SEARCH_HASH_KEY": BENCH_SEARCH_KEY,
        "MFA_REQUIRED": "false",
        "RATELIMIT_ENABLED": "false",
        "DATABASE_STATEMENT_TIMEOUT": "0",
        "PYTHONUNBUFFERED": "1",
    }


def make_app(url: str) -> Any:
    from intake import create_app

    return create_app(
        {
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": BENCH_SECRET,
            "ENCRYPTION_KEYS": BENCH_ENCRYPTION_KEY,
            "SEARCH_HASH_KEY": BENCH_SEARCH_KEY,
            "MFA_REQUIRED": False,
            "RATELIMIT_ENABLED": False,
            "DATABASE_STATEMENT_TIMEOUT": 0,
        }
    )


def migrations_fingerprint() -> str:
    """A digest of the migration files: a seeded database made under others is made again."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def ensure_database(name: str, n: int) -> str:
    """The bench database's URL: created and seeded unless it already holds exactly n intakes."""
    from flask_migrate import upgrade

    from intake.cli import bench as bench_cli
    from intake.extensions import db

    if not re.fullmatch(r"wayfinder_bench_[a-z0-9_]+", name):
        raise SystemExit(f"refused: {name!r} is not a bench database name (wayfinder_bench_*)")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    schema = migrations_fingerprint()
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    rows = None
    if exists:
        # The seed's own note on the database (not a count of rows: a load run adds intakes).
        with admin.connect() as conn:
            note = conn.scalar(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :n"
                ),
                {"n": name},
            )
        found = re.fullmatch(r"bench seed: (\d+) intakes, migrations (\w+)", note or "")
        rows = int(found.group(1)) if found and found.group(2) == schema else None
        if rows != n:
            print(
                f"{name} was not seeded with {n:,} intakes under these migrations: "
                "dropping it and seeding again"
            )
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
    if not exists:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = make_app(url)
    with app.app_context():
        upgrade()
        if rows != n:
            started = time.monotonic()
            bench_cli.seed(n)
            print(f"seeded {n:,} intakes in {time.monotonic() - started:.0f} s")
            with admin.connect() as conn:
                conn.execute(
                    text(
                        f'COMMENT ON DATABASE "{name}" IS '
                        f"'bench seed: {n} intakes, migrations {schema}'"
                    )
                )
        else:
            print(f"reusing {name} ({n:,} intakes)")
        db.session.remove()
        db.engine.dispose()
    admin.dispose()
    return url


def sample_values(url: str) -> dict[str, Any]:
    """Real values to search and page by: an open intake's reference, email and phone, the
    cursor of the 10,000th row of open work, a clinician with open work."""
    from intake import queries
    from intake.extensions import db
    from intake.models import Intake

    app = make_app(url)
    with app.app_context():
        row = db.session.scalars(
            queries.list_query(queries.IntakeFilter(), limit=1)
            .order_by(None)
            .order_by(Intake.id.desc())
        ).first()
        if row is None:
            raise SystemExit("no open intake in the bench database")
        cursor = None
        deep_args: dict[str, str] = {}
        # The 10,000th row of open work; of every submitted intake if open work is shorter.
        for statuses, extra in ((queries.OPEN_STATUSES, {}), (None, {"status": "all"})):
            deep = db.session.scalars(
                queries.list_query(queries.IntakeFilter(statuses=statuses), limit=1).offset(9_999)
            ).first()
            if deep is not None and deep.submitted_at is not None:
                cursor = queries.Cursor(deep.urgency_rank, deep.submitted_at, deep.id).encode()
                deep_args = extra
                break
        clinician = db.session.scalar(
            text(
                "SELECT clinician_id FROM assignments WHERE status IN ('offered', 'accepted') "
                "GROUP BY clinician_id ORDER BY count(*) DESC LIMIT 1"
            )
        )
        contact = row.contact or {}
        values = {
            "id": row.id,
            "reference": row.reference,
            "email": contact.get("email"),
            "phone": contact.get("phone"),
            "name": f"{contact.get('first_name')} {contact.get('last_name')}",
            "cursor": cursor,
            "deep_args": deep_args,
            "clinician": clinician,
        }
        db.session.remove()
        db.engine.dispose()
    return values


def pages(v: dict[str, Any]) -> dict[str, str]:
    today = datetime.now(UTC).date()
    month_ago = today - timedelta(days=30)

    def q(**params: Any) -> str:
        return "/staff/intakes?" + urlencode(params)

    found = {
        "baseline: /healthz": "/healthz",
        "work queues, open work (page 1)": "/staff/intakes",
        **{f"tab {t}": q(tab=t) for t in ("needs_action", "awaiting", "accepted", "contacted")},
        "tab closed": q(tab="closed"),
        "page 10,000 rows deep": q(after=v["cursor"], **v["deep_args"]) if v["cursor"] else "",
        "filter urgency=urgent": q(urgency="urgent"),
        "filter service_line=trauma": q(service_line="trauma"),
        "filter modality=in_person": q(modality="in_person"),
        "filter status=assigned": q(status="assigned"),
        "filter status=all": q(status="all"),
        "filter state=CA": q(state="CA"),
        "filter clinician": q(clinician=v["clinician"]) if v["clinician"] else "",
        "filter from/to (last 30 days)": q(**{"from": month_ago.isoformat(), "to": today}),
        "search by reference": q(q=v["reference"]),
        "search by email": q(q=v["email"]),
        "search by phone": q(q=v["phone"]),
        "search by full name": q(q=v["name"]),
        "intake page": f"/staff/intakes/{v['id']}",
        "dashboard /staff/": "/staff/",
        "reports /staff/reports": "/staff/reports",
    }
    return {name: path for name, path in found.items() if path}


class Client:
    """One keep-alive HTTP connection with the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            key, _, value = pair.partition("=")
            self.cookies[key.strip()] = value.strip()
        return response.status, data

    def sign_in(self, email: str, password: str) -> None:
        status, page = self.request("GET", "/auth/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        form = {"email": email, "password": password}
        if token:
            form["csrf_token"] = token.group(1)
        status, _ = self.request("POST", "/auth/login", urlencode(form))
        if status != 302:
            raise SystemExit(f"sign-in failed: {status}")


@contextmanager
def server(url: str, workers: int, log: Path) -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY", "FLASK_"))}
    env.pop("REDIS_URL", None)
    env.update(bench_settings(url))
    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        + ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(
    port: int, paths: dict[str, str], rounds: int, warmup: int, failed: list[str]
) -> dict[str, list[float]]:
    client = Client(port)
    client.sign_in(COORDINATOR, DEMO_PASSWORD)
    slow = set()
    for name, path in list(paths.items()):
        started = time.perf_counter()
        status, _ = client.request("GET", path)
        if time.perf_counter() - started > SLOW_S:
            slow.add(name)  # far over budget: a few requests tell as much, and take less time
        if status == 404 and "reports" in name:
            print(f"{path}: 404, not there yet: left out")
            del paths[name]
        elif status != 200:
            print(f"{name} {path}: HTTP {status}: left out (see the gunicorn log)")
            del paths[name]
            failed.append(name)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(warmup + rounds):
        for name, path in paths.items():  # every page once per round: noise falls evenly
            if name in slow and not warmup <= round_ < warmup + SLOW_ROUNDS:
                continue
            started = time.perf_counter()
            status, _ = client.request("GET", path)
            took = (time.perf_counter() - started) * 1000
            if status != 200:
                raise SystemExit(f"{name}: HTTP {status}")
            if round_ >= warmup:
                times[name].append(took)
    return times


def report(times: dict[str, list[float]]) -> bool:
    base = statistics.median(times["baseline: /healthz"])
    print(
        f"{'page':34} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'p50/base':>9}"
        "  budget p95<=50"
    )
    ok = True
    for name, values in times.items():
        p50, p95 = statistics.median(values), percentile(values, 95)
        within = p95 <= BUDGET_MS
        ok &= within or name.startswith("baseline")
        verdict = "" if name.startswith("baseline") else "ok" if within else "OVER"
        print(
            f"{name:34} {len(values):4} {p50:7.1f} {p95:7.1f} {percentile(values, 99):7.1f}"
            f" {max(values):7.1f}"
            f" {p50 / base:9.1f}  {verdict}"
        )
    return ok


def explain(url: str, paths: dict[str, str], out: Path, n: int) -> None:
    """Every SELECT each page runs (captured in-process), with EXPLAIN (ANALYZE, BUFFERS)."""
    from intake.extensions import db

    app = make_app(url)
    app.config["WTF_CSRF_ENABLED"] = False
    captured: list[tuple[str, Any]] = []
    lines = [
        f"EXPLAIN (ANALYZE, BUFFERS) of the queries behind each staff page, {n:,} intakes.",
        f"Written by: python bench/bench_dashboard.py --intakes {n} "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC).",
        "The session, user and audit statements every page runs are left out.",
        "",
    ]
    with app.app_context():
        engine = db.engine

        def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, params))

        event.listen(engine, "before_cursor_execute", record)
        client = app.test_client()
        client.post("/auth/login", data={"email": COORDINATOR, "password": DEMO_PASSWORD})
        for name, path in paths.items():
            if name.startswith("baseline"):
                continue
            captured.clear()
            client.get(path)
            lines += ["=" * 100, f"{name}: GET {path}", "=" * 100]
            seen = set()
            for statement, params in list(captured):
                if re.search(r"\bFROM (web_sessions|users|api_clients)\b", statement) and (
                    "intakes" not in statement
                ):
                    continue
                if statement in seen:
                    continue
                seen.add(statement)
                with engine.connect() as conn:
                    plan = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                    ).scalars()
                    lines += ["", statement.strip(), f"-- parameters: {params}", *plan]
            lines.append("")
        event.remove(engine, "before_cursor_execute", record)
        db.session.remove()
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"EXPLAIN (ANALYZE, BUFFERS) of each page's queries: {out.relative_to(ROOT)}")


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds through `server`, which stops gunicorn


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200, help="requests per page, counted")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn -w")
    parser.add_argument("--database", help="default wayfinder_bench_1m or wayfinder_bench_<N>")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    name = args.database or f"wayfinder_bench_{label(args.intakes)}"
    url = ensure_database(name, args.intakes)
    values = sample_values(url)
    paths = pages(values)
    log = Path(tempfile.gettempdir()) / f"{name}-gunicorn.log"
    failed: list[str] = []
    with server(url, args.workers, log) as port:
        times = measure(port, paths, args.rounds, args.warmup, failed)
    print(
        f"\n{args.intakes:,} intakes; gunicorn -w {args.workers}; {args.rounds} requests per page "
        f"after {args.warmup} warm-up rounds, one client; ms"
    )
    ok = report(times) and not failed
    if failed:
        print(f"failed (not timed): {', '.join(failed)}; the server's log: {log}")
    if not args.no_explain:
        explain(
            url,
            paths,
            ROOT / "docs" / "explain" / f"dashboard-{label(args.intakes)}.txt",
            args.intakes,
        )
    print("every page within budget" if ok else "some pages are over the 50 ms p95 budget")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
