"""The staff list's counts: capped ("10,000+") past the cap and exact below it, always the
count of what the list shows; keyset pages; the bench seed command; the load file parses."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from intake import queries
from intake.extensions import db
from intake.models import Assignment, ClinicianProfile, Intake, User
from intake.services import contact_keys
from intake.triage import SERVICE_LINES
from tests.conftest import scratch_pg_database, settings
from tests.support import sign_in

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_refs = itertools.count(1)


def _intake(status: str, urgency: str = "routine", **extra: Any) -> Intake:
    n = next(_refs)
    rank = ("crisis", "urgent", "soon", "routine").index(urgency)
    fields: dict[str, Any] = {
        "reference": f"WF-TEST-{n:04d}",
        "status": status,
        "urgency": urgency,
        "urgency_rank": rank,
        "service_line": "anxiety" if n % 2 else "trauma",
        "modality": "virtual" if n % 3 else "in_person",
        "submitted_at": NOW - timedelta(hours=n),
        "contact": {},
        "answers": {},
        **extra,
    }
    intake = Intake(**fields)
    db.session.add(intake)
    return intake


def _offer(intake: Intake, clinician_id: int, *, overdue: bool) -> None:
    db.session.add(
        Assignment(
            intake=intake,
            clinician_id=clinician_id,
            status="offered",
            reason="test",
            accept_by=NOW,
            escalated_at=NOW if overdue else None,
        )
    )


def _fill(app: Flask) -> dict[str, int]:
    """Every way into needs_action, and the other tabs; what each tab should count."""
    clinician = db.session.scalar(select(ClinicianProfile.id).limit(1))
    if clinician is None:
        user = User(email="c@test", display_name="C", password_hash="x", role="clinician")
        profile = ClinicianProfile(user=user)
        db.session.add(profile)
        db.session.flush()
        clinician = profile.id
    for _ in range(3):
        _intake("submitted")
    _intake("submitted", "crisis", crisis_at=NOW)  # new and a crisis: counted once
    _intake("assigned", "crisis", crisis_at=NOW)  # a crisis not acknowledged
    acked = _intake("assigned", "crisis", crisis_at=NOW, acknowledged_at=NOW)
    _offer(acked, clinician, overdue=True)  # acknowledged, but the offer is overdue
    both = _intake("assigned", "urgent", crisis_at=NOW)
    _offer(both, clinician, overdue=True)  # a crisis and an overdue offer: counted once
    _offer(_intake("assigned"), clinician, overdue=False)  # waiting, not overdue: not counted
    for _ in range(4):
        _intake("accepted")
    _intake("contacted", "soon", crisis_at=NOW, acknowledged_at=NOW)
    for _ in range(7):
        _intake("closed")
    _intake("closed", "crisis", crisis_at=NOW)  # closed: not needing action
    _intake("draft", submitted_at=None)  # never counted
    db.session.flush()
    return {"needs_action": 7, "awaiting": 4, "accepted": 4, "contacted": 1, "closed": 8}


def _listed(flt: queries.IntakeFilter) -> int:
    return len(list(db.session.scalars(queries.list_query(flt, limit=10_000))))


def test_count_reads_as_a_number_or_more_than_the_cap() -> None:
    assert str(queries.Count(9_999)) == "9,999" and queries.Count(12) == 12
    over = queries.Count(10_000, capped=True)
    assert str(over) == "10,000+" and f"{over}" == "10,000+" and over.capped
    assert not queries.Count(3).capped


def test_tab_counts_are_exact_below_the_cap_and_match_the_list(app: Flask, demo: Any) -> None:
    with app.app_context():
        expected = _fill(app)
        counts = queries.tab_counts()
        assert counts == expected
        assert not any(c.capped for c in counts.values())
        for tab, count in counts.items():
            assert count == _listed(queries.IntakeFilter(statuses=None, tab=tab)), tab


@pytest.mark.parametrize("cap", [1, 3, 4, 6, 7])
def test_tab_counts_past_the_cap_say_so(app: Flask, demo: Any, cap: int) -> None:
    with app.app_context():
        expected = _fill(app)
        counts = queries.tab_counts(cap=cap)
        for tab, want in expected.items():
            if want > cap:
                assert counts[tab].capped and counts[tab] == cap, tab
                assert str(counts[tab]) == f"{cap}+"
            else:
                assert not counts[tab].capped and counts[tab] == want, tab


def test_open_breakdown_matches_the_filtered_lists(app: Flask, demo: Any) -> None:
    with app.app_context():
        _fill(app)
        groups = queries.open_breakdown()
        assert sum(n for *_, n in groups) == _listed(queries.IntakeFilter())
        for line, modality, urgency, n in groups:
            shown = queries.IntakeFilter(service_line=line, modality=modality, urgency=urgency)
            assert n == _listed(shown)
        capped = queries.open_breakdown(cap=1)
        assert all(str(n) == "1+" for *_, n in capped if n.capped)
        assert any(n.capped for *_, n in capped)


def test_the_page_shows_capped_counts(
    app: Flask, client: Any, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        _fill(app)
        db.session.commit()  # the test's savepoint: rolled back at the end
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    sign_in(client, "coordinator@demo.wayfinder")
    page = client.get("/staff/intakes")
    assert page.status_code == 200
    assert 'Closed <span class="count">(5+)</span>' in page.text
    assert 'Accepted <span class="count">(4)</span>' in page.text
    assert "Counts stop at 5" in page.text


def test_keyset_pages_walk_the_whole_list_once(app: Flask, demo: Any) -> None:
    with app.app_context():
        _fill(app)
        flt = queries.IntakeFilter(statuses=None)
        everything = [i.id for i in db.session.scalars(queries.list_query(flt, limit=1000))]
        seen: list[int] = []
        after = None
        while True:
            page = queries.find_intakes(flt, after, size=4)
            seen += [i.id for i in page.rows]
            if page.next_cursor is None:
                break
            after = queries.Cursor.decode(page.next_cursor)
        assert seen == everything and len(everything) == 21


def test_partial_indexes_hold_the_open_statuses() -> None:
    """The 0011 indexes' predicates name exactly queries.OPEN_STATUSES."""
    names = {"ix_intakes_open_worklist", "ix_intakes_open_queues", "ix_intakes_crisis_open"}
    indexes = [i for i in Intake.__table__.indexes if i.name in names]
    assert len(indexes) == 3
    for index in indexes:
        for dialect in ("postgresql", "sqlite"):
            where = str(index.dialect_options[dialect]["where"])
            listed = where.split("status IN (", 1)[1].split(")", 1)[0]
            assert sorted(s.strip(" '") for s in listed.split(",")) == sorted(queries.OPEN_STATUSES)


# --- flask bench seed ----------------------------------------------------------------------


def test_bench_seed_writes_searchable_intakes_on_postgresql(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from intake import create_app

    with scratch_pg_database("wayfinder_seed") as url:
        app = create_app(settings(url, tmp_path))
        try:
            with app.app_context():
                upgrade()
            result = app.test_cli_runner().invoke(args=["bench", "seed", "--intakes", "500"])
            assert result.exit_code == 0, result.output
            assert "500 intakes written" in result.output
            with app.app_context():
                assert db.session.scalar(select(func.count()).select_from(Intake)) == 500
                refs = db.session.scalar(select(func.count(func.distinct(Intake.reference))))
                assert refs == 500
                urgencies = dict(
                    db.session.execute(
                        select(Intake.urgency, func.count()).group_by(Intake.urgency)
                    ).all()
                )
                assert urgencies.get("routine", 0) > urgencies.get("crisis", 0)
                lines = {line for line in db.session.scalars(select(Intake.service_line))}
                assert lines - {None} <= set(SERVICE_LINES)
                row = db.session.scalars(
                    select(Intake).where(Intake.status == "closed").limit(1)
                ).one()
                contact = row.contact
                stored = db.session.scalar(
                    text("SELECT contact FROM intakes WHERE id = :id"), {"id": row.id}
                )
                # Encrypted at rest, as the app writes it (a Fernet token).
                assert stored.startswith("gAAAAA") and contact["email"] not in stored
                for term in (
                    row.reference,
                    contact["email"],
                    contact["phone"],
                    f"{contact['first_name']} {contact['last_name']}",
                ):
                    found = contact_keys.search_term(term)
                    assert found is not None
                    flt = queries.IntakeFilter(
                        reference=found.reference,
                        email_hash=found.email_hash,
                        phone_hash=found.phone_hash,
                        name_hash=found.name_hash,
                        statuses=None,
                    )
                    assert row.id in {i.id for i in db.session.scalars(queries.list_query(flt))}
                for tab, count in queries.tab_counts().items():
                    assert count == len(
                        list(
                            db.session.scalars(
                                queries.list_query(
                                    queries.IntakeFilter(statuses=None, tab=tab), limit=1000
                                )
                            )
                        )
                    ), tab
                db.session.remove()
        finally:
            with app.app_context():
                db.engine.dispose()


def test_bench_seed_refuses_sqlite_and_production(tmp_path: Path) -> None:
    from intake import create_app

    app = create_app(settings(f"sqlite:///{tmp_path / 'seed.sqlite'}", tmp_path))
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--intakes", "10"])
    assert result.exit_code != 0 and "needs PostgreSQL" in result.output
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--intakes", "10"])
    assert result.exit_code != 0 and "APP_ENV=production" in result.output


def test_the_load_file_parses() -> None:
    """Locust loads bench/locustfile.py and finds its user class (in a process of its own:
    importing locust patches the standard library with gevent)."""
    result = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Coordinator" in result.stdout


def test_counts_are_kept_for_a_few_seconds_and_the_list_stays_live(
    make_app: Any, demo: Any, monkeypatch: Any
) -> None:
    """COUNTS_MAX_AGE_SECONDS: the tab counts are read at most that often; the rows are not."""
    from intake.staff import views

    app = make_app(COUNTS_MAX_AGE_SECONDS=10)
    client = app.test_client()
    sign_in(client, "coordinator@demo.wayfinder")
    clock = [1000.0]
    monkeypatch.setattr(views, "monotonic", lambda: clock[0])
    monkeypatch.setattr(views, "_RECENT", {})
    reads: list[str] = []
    real = queries.tab_counts
    monkeypatch.setattr(queries, "tab_counts", lambda: reads.append("read") or real())
    for _ in range(3):
        page = client.get("/staff/intakes")
        assert page.status_code == 200 and "Counts are at most 10 s old" in page.text
    assert reads == ["read"]
    clock[0] += 10
    client.get("/staff/intakes")
    assert reads == ["read", "read"]
