"""The practice reports (/staff/reports and its CSV): known answers on intakes made here, a date
range far from any other data, the targets of the rules file, and nothing identifying."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from intake import reports
from intake.extensions import db
from intake.models import Intake, IntakeStatus, utcnow
from intake.services.common import new_reference
from tests.support import sign_in

COORDINATOR = "coordinator@demo.wayfinder"
NY = ZoneInfo("America/New_York")
# Two weeks of January 2025 (Mondays 6 and 13): nothing else in the test database is there.
FIRST, LAST = date(2025, 1, 6), date(2025, 1, 19)
SPAN = reports.Range(FIRST, LAST)
QUERY = "from=2025-01-06&to=2025-01-19"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in January 2025, New York clock, as UTC."""
    return datetime(2025, 1, day, hour, minute, tzinfo=NY).astimezone(UTC)


def _intake(
    submitted: datetime,
    *,
    urgency: str = "routine",
    line: str = "depression",
    modality: str = "virtual",
    status: str = IntakeStatus.ACCEPTED,
    contacted: datetime | None = None,
    crisis_ack: timedelta | None = None,
    reasons: tuple[str, ...] = (),
    overrides: list[dict[str, Any]] | None = None,
) -> Intake:
    intake = Intake(
        reference=new_reference(),
        status=status,
        urgency=urgency,
        service_line=line,
        modality=modality,
        submitted_at=submitted,
        first_contact_at=contacted,
        decision={"urgency": urgency, "reasons": [{"rule": r, "text": r} for r in reasons]},
        overrides=overrides,
        contact={"first_name": "Canary", "last_name": "Zebrafinch"},
    )
    if urgency == "crisis":
        intake.crisis_at = submitted
        if crisis_ack is not None:
            intake.acknowledged_at = submitted + crisis_ack
    db.session.add(intake)
    return intake


def _seed() -> None:
    """Week of 6 Jan: 3 depression/virtual routine, 1 anxiety/in_person; week of 13 Jan: 1
    crisis (depression/virtual) and 1 soon anxiety/in_person, and one outside the range."""
    monday = 6
    # Routine: 3 business days. Contacted the next day (met), 10 days later (missed), never
    # (past due: missed).
    _intake(_at(monday, 10), contacted=_at(monday + 1, 10), reasons=("R1", "SL1"))
    _intake(_at(monday, 11), contacted=_at(monday + 10, 11), reasons=("R1", "SL1"))
    _intake(
        _at(monday, 12),
        status=IntakeStatus.SUBMITTED,
        reasons=("R1", "SL1"),
        overrides=[
            {
                "fields": {"urgency": {"from": "routine", "to": "urgent"}},
                "reason": "x",
                "by": 1,
                "at": _at(monday, 13).isoformat(),
            }
        ],
    )
    _intake(
        _at(8, 9, 30),
        line="anxiety",
        modality="in_person",
        contacted=_at(8, 15),
        reasons=("R1", "SL2"),
        overrides=[
            {
                "fields": {"service_line": {"from": "depression", "to": "anxiety"}},
                "reason": "x",
                "by": 1,
                "at": _at(9, 9).isoformat(),
            }
        ],
    )
    # Crisis: 30 minutes to first contact, 15 to acknowledge. Contacted in 20 minutes (met),
    # acknowledged in 20 (late).
    _intake(
        _at(14, 3),
        urgency="crisis",
        contacted=_at(14, 3, 20),
        crisis_ack=timedelta(minutes=20),
        reasons=("C1", "SL1"),
    )
    _intake(
        _at(15, 10),
        urgency="soon",
        line="anxiety",
        modality="in_person",
        status=IntakeStatus.CLOSED,
        reasons=("S1a", "SL2"),
    )
    _intake(_at(20, 10), reasons=("R1",))  # the day after the range
    db.session.flush()


def test_the_figures_have_known_answers(app: Any, demo: Any) -> None:
    with app.test_request_context():
        _seed()
        report = reports.build(SPAN, utcnow())
    weekly = report.weekly
    assert weekly.weeks == [FIRST, date(2025, 1, 13)]
    assert weekly.counts == {
        ("depression", FIRST): 3,
        ("anxiety", FIRST): 1,
        ("depression", date(2025, 1, 13)): 1,
        ("anxiety", date(2025, 1, 13)): 1,
    }
    assert weekly.grand_total == 6
    by_queue = {q.queue: q for q in report.contact}
    dep = by_queue["depression/virtual"]
    assert (dep.submitted, dep.contacted, dep.met, dep.late) == (4, 3, 2, 2)
    assert dep.met_share == 50.0
    assert dep.median_hours == 24.0  # 0.33, 24 and 216 hours
    anx = by_queue["anxiety/in_person"]
    # Contacted the same day (met); the closed one never contacted is not counted as missed.
    assert (anx.submitted, anx.contacted, anx.met, anx.late) == (2, 1, 1, 0)
    crisis = report.crisis
    assert (crisis.crises, crisis.in_time, crisis.late, crisis.not_acknowledged) == (1, 0, 1, 0)
    assert crisis.share == 0.0
    rows = {(o.rule, o.field): o for o in report.override_rows}
    assert (rows["R1", "urgency"].raised, rows["R1", "urgency"].decided) == (1, 4)
    assert rows["R1", "urgency"].share == 25.0
    assert rows["SL2", "service_line"].changed == 1
    assert rows["SL2", "service_line"].decided == 2
    assert report.directions == {"raised": 1, "changed": 1}
    assert report.targets[0] == ("crisis", "30 minutes")


def test_queue_ageing_counts_open_intakes_by_wait(app: Any, demo: Any) -> None:
    now = utcnow()
    with app.test_request_context():
        _intake(now - timedelta(hours=2), status=IntakeStatus.SUBMITTED)
        _intake(now - timedelta(days=2), status=IntakeStatus.ASSIGNED)
        _intake(now - timedelta(days=20), status=IntakeStatus.CONTACTED)
        _intake(now - timedelta(days=20), status=IntakeStatus.CLOSED)
        db.session.flush()
        ageing = reports.queue_ageing(now)
    assert dict(ageing.rows)["depression/virtual"] == [1, 1, 0, 0, 1]


def test_the_page_shows_charts_with_tables_and_the_csv_the_same_numbers(
    app: Any, client: Any, demo: Any
) -> None:
    with app.app_context():
        _seed()
        db.session.commit()
    sign_in(client, COORDINATOR)
    page = client.get(f"/staff/reports?{QUERY}")
    assert page.status_code == 200
    html = page.text
    assert '<svg viewBox="0 0' in html and 'role="img"' in html and "<title id=" in html
    assert "<desc id=" in html and "<caption" in html
    assert "Canary" not in html and "WF-" not in html
    got = client.get(f"/staff/reports.csv?{QUERY}")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == list(reports.CSV_HEADER)
    found = {(r[0], r[1], r[2], r[3]): r[4] for r in rows[1:]}
    assert found["intakes_per_week", "2025-01-06", "depression", "submitted"] == "3"
    assert found["first_contact", "", "depression/virtual", "met_target_percent"] == "50.0"
    assert found["crisis_acknowledged", "", "all", "crisis_alerts"] == "1"
    assert found["overrides", "", "all", "raised"] == "1"
    assert "Canary" not in got.text and "WF-" not in got.text


def test_the_default_range_is_the_last_twelve_weeks(app: Any) -> None:
    with app.app_context():
        span = reports.default_range(date(2026, 11, 30))  # a Monday
    assert span == reports.Range(date(2026, 9, 14), date(2026, 11, 30))
    assert len(span.weeks()) == reports.DEFAULT_WEEKS


@pytest.mark.parametrize(
    "query",
    ["from=yesterday", "from=2025-02-01&to=2025-01-01", "from=2020-01-01&to=2025-01-01"],
)
def test_a_bad_range_is_a_clear_400(client: Any, demo: Any, query: str) -> None:
    sign_in(client, COORDINATOR)
    for path in ("/staff/reports", "/staff/reports.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert "from" in response.text or "range" in response.text


def test_reports_are_for_staff_only(client: Any, demo: Any) -> None:
    sign_in(client, "ana.rivera@demo.wayfinder")
    assert client.get("/staff/reports").status_code == 403
    assert client.get("/staff/reports.csv").status_code == 403


def test_the_demo_practice_covers_the_workflow_once_and_the_pages_show_it(
    app: Any, client: Any, demo: Any
) -> None:
    from sqlalchemy import func, select

    from intake.models import Note, OutreachAttempt
    from intake.services.demo import seed_demo_practice

    with app.app_context():
        assert seed_demo_practice() == {"intakes": 320}
        assert seed_demo_practice() == {}  # already there: nothing added
        statuses = dict(
            db.session.execute(select(Intake.status, func.count()).group_by(Intake.status)).all()
        )
        assert set(statuses) == {"submitted", "assigned", "accepted", "contacted", "closed"}
        assert sum(statuses.values()) == 320
        crisis = db.session.scalars(select(Intake).where(Intake.crisis_at.is_not(None))).all()
        assert any(i.acknowledged_at is None for i in crisis)
        assert any(i.acknowledged_at is not None for i in crisis)
        assert db.session.scalar(select(func.count()).select_from(Note))
        assert db.session.scalar(select(func.count()).select_from(OutreachAttempt))
        assert db.session.scalar(select(func.count(Intake.id)).where(Intake.overrides.is_not(None)))
        one = db.session.scalars(
            select(Intake).where(Intake.status == "closed").order_by(Intake.id)
        ).first()
        assert one is not None
        one_id = one.id
    sign_in(client, COORDINATOR)
    page = client.get("/staff/reports")
    assert page.status_code == 200 and "No intakes were submitted" not in page.text
    detail = client.get(f"/staff/intakes/{one_id}").text
    assert "Submitted; the rules decided" in detail and "Closed" in detail
