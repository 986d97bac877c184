"""Seeing the practice: the figures behind /staff/reports and /staff/reports.csv.

Read-only and de-identified: counts, shares and durations per week, service line, queue,
urgency and rule; never a reference, a name or an answer. Weeks start on Monday in the
practice's time zone (BUSINESS_TZ). The response-time targets are the rules file's
([targets], read through intake.escalation.targets): the same deadlines escalation enforces.

Each figure reads only the narrow columns it needs for the chosen date range and groups them
here, so the cost follows the range, not the table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from intake import validation
from intake.escalation import hours, targets
from intake.extensions import db
from intake.models import Intake, IntakeStatus, as_utc
from intake.triage import URGENCIES, default_ruleset

DEFAULT_WEEKS = 12
MAX_DAYS = 731  # the widest range a report covers (two years)
OPEN = (
    IntakeStatus.SUBMITTED,
    IntakeStatus.ASSIGNED,
    IntakeStatus.ACCEPTED,
    IntakeStatus.CONTACTED,
)
# Queue ageing: how long open intakes have waited since they were submitted.
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 1 day", timedelta(days=1)),
    ("1 to 3 days", timedelta(days=3)),
    ("3 to 7 days", timedelta(days=7)),
    ("7 to 14 days", timedelta(days=14)),
    ("14 days or more", None),
)
# Which section of the rules decides each field a coordinator can override.
OVERRIDE_SECTIONS = {
    "urgency": ("Urgency", "Urgency raise"),
    "service_line": ("Service line",),
    "modality": ("Modality",),
}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BUSINESS_TZ"])


def _calendar() -> hours.BusinessCalendar:
    cfg = current_app.config
    return hours.calendar(cfg["BUSINESS_HOURS"], cfg["BUSINESS_DAYS"], cfg["BUSINESS_TZ"])


def week_of(day: date) -> date:
    """The Monday starting `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Range:
    """Practice-local days, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:  # UTC, inclusive
        return datetime.combine(self.first, time(0), _zone()).astimezone(UTC)

    @property
    def end(self) -> datetime:  # UTC, exclusive
        return datetime.combine(self.last + timedelta(days=1), time(0), _zone()).astimezone(UTC)

    def weeks(self) -> list[date]:
        monday, out = week_of(self.first), []
        while monday <= self.last:
            out.append(monday)
            monday += timedelta(days=7)
        return out


def today() -> date:
    return datetime.now(_zone()).date()


def default_range(on: date | None = None) -> Range:
    """The last DEFAULT_WEEKS weeks: from the Monday DEFAULT_WEEKS - 1 weeks back to today."""
    on = on or today()
    return Range(week_of(on) - timedelta(weeks=DEFAULT_WEEKS - 1), on)


def parse_range(first: str | None, last: str | None) -> tuple[Range, list[str]]:
    """The report's `from` and `to` (YYYY-MM-DD, practice days); the default for a missing one,
    and what was wrong (sentences) with a bad one."""
    default = default_range()
    problems: list[str] = []
    days = {"from": default.first, "to": default.last}
    for name, raw in (("from", first), ("to", last)):
        day = validation.iso_day(name, raw, problems)
        if day is not None:
            days[name] = day
    if not problems and days["from"] > days["to"]:
        problems.append("from must be on or before to.")
    elif not problems and (days["to"] - days["from"]).days > MAX_DAYS:
        problems.append(f"A report covers at most {MAX_DAYS} days: choose a shorter range.")
    return Range(days["from"], days["to"]), problems


def _utc(moment: datetime | None) -> datetime:
    """A time the query's condition guarantees is there (NOT NULL), as aware UTC."""
    if moment is None:
        raise ValueError("a time the report's query requires is missing")
    return as_utc(moment)


def _local_day(moment: datetime | None) -> date:
    return _utc(moment).astimezone(_zone()).date()


def queue_of(service_line: str | None, modality: str | None) -> str:
    """A queue as the reports group it: service line and modality (no clinic)."""
    return f"{service_line or 'unrouted'}/{modality or '-'}"


# --- intakes per service line per week -------------------------------------------------------


@dataclass(frozen=True)
class Weekly:
    weeks: list[date]
    lines: list[str]
    counts: dict[tuple[str, date], int]

    def total(self, week: date) -> int:
        return sum(self.counts.get((line, week), 0) for line in self.lines)

    def line_total(self, line: str) -> int:
        return sum(self.counts.get((line, week), 0) for week in self.weeks)

    @property
    def grand_total(self) -> int:
        return sum(self.counts.values())


def weekly_intakes(r: Range) -> Weekly:
    """Submitted intakes per service line per week (the line that applies now)."""
    counts: Counter[tuple[str, date]] = Counter()
    for line, submitted in db.session.execute(
        select(Intake.service_line, Intake.submitted_at).where(
            Intake.submitted_at >= r.start, Intake.submitted_at < r.end
        )
    ):
        counts[(line or "unrouted", week_of(_local_day(submitted)))] += 1
    lines = sorted({line for line, _ in counts})
    return Weekly(r.weeks(), lines, dict(counts))


# --- time from submit to first contact, per queue, against its target ------------------------


def first_contact_due(urgency: str | None, submitted: datetime) -> datetime | None:
    """When first contact is promised: the rules file's `first_contact` for the urgency (in
    business hours; a crisis in clock time, the last escalation step)."""
    start = as_utc(submitted)
    if urgency == "crisis":
        return start + timedelta(seconds=targets.crisis_escalation_seconds()[-1])
    return targets.accept_deadline(urgency, start, _calendar())


@dataclass
class QueueContact:
    queue: str
    submitted: int = 0
    contacted: int = 0
    met: int = 0  # first contact by the target
    late: int = 0  # contacted after the target, or not yet contacted and past it
    hours: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return round(median(self.hours), 1) if self.hours else None

    @property
    def met_share(self) -> float | None:
        decided = self.met + self.late
        return round(100 * self.met / decided, 1) if decided else None


def first_contact(r: Range, now: datetime) -> list[QueueContact]:
    """Intakes submitted in the range, per queue: how many were contacted, the median time to
    first contact, and how many met or missed their urgency's target (open ones past it count
    as missed; open ones not yet due are left out of the share)."""
    by_queue: dict[str, QueueContact] = {}
    for line, modality, urgency, submitted, contacted, status in db.session.execute(
        select(
            Intake.service_line,
            Intake.modality,
            Intake.urgency,
            Intake.submitted_at,
            Intake.first_contact_at,
            Intake.status,
        ).where(Intake.submitted_at >= r.start, Intake.submitted_at < r.end)
    ):
        name = queue_of(line, modality)
        row = by_queue.setdefault(name, QueueContact(name))
        row.submitted += 1
        due = first_contact_due(urgency, _utc(submitted))
        if contacted is not None:
            row.contacted += 1
            row.hours.append((as_utc(contacted) - _utc(submitted)).total_seconds() / 3600)
            if due is not None:
                if as_utc(contacted) <= due:
                    row.met += 1
                else:
                    row.late += 1
        elif due is not None and due < now and status != IntakeStatus.CLOSED:
            row.late += 1
    return sorted(by_queue.values(), key=lambda q: (-q.submitted, q.queue))


def target_texts() -> list[tuple[str, str]]:
    """(urgency, first-contact target) as the rules file states them, most urgent first."""
    found = default_ruleset().targets
    return [(u, str(found[u].first_contact)) for u in URGENCIES if u in found]


# --- queue ageing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ageing:
    buckets: list[str]
    rows: list[tuple[str, list[int]]]  # queue, count per bucket

    @property
    def totals(self) -> list[int]:
        return [sum(r[1][i] for r in self.rows) for i in range(len(self.buckets))]


def _bucket(age: timedelta) -> int:
    for i, (_, below) in enumerate(AGE_BUCKETS):
        if below is None or age < below:
            return i
    return len(AGE_BUCKETS) - 1  # pragma: no cover - the last bucket has no bound


def queue_ageing(now: datetime) -> Ageing:
    """Open intakes now, per queue, by how long they have waited since submitting."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    for line, modality, submitted in db.session.execute(
        select(Intake.service_line, Intake.modality, Intake.submitted_at).where(
            Intake.status.in_(OPEN), Intake.submitted_at.is_not(None)
        )
    ):
        counts[queue_of(line, modality)][_bucket(now - _utc(submitted))] += 1
    rows = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    return Ageing([label for label, _ in AGE_BUCKETS], rows)


# --- crisis alerts acknowledged in time ------------------------------------------------------


@dataclass
class CrisisAck:
    week: date | None  # None: the whole range
    crises: int = 0
    in_time: int = 0
    late: int = 0
    not_acknowledged: int = 0

    @property
    def share(self) -> float | None:
        return round(100 * self.in_time / self.crises, 1) if self.crises else None


def acknowledge_seconds() -> int:
    """The rules file's `targets.crisis.acknowledge_within`, in seconds."""
    return targets.crisis_escalation_seconds()[0]


def crisis_acknowledged(r: Range) -> tuple[CrisisAck, list[CrisisAck]]:
    """Crisis alerts raised in the range (submitted intakes): acknowledged within the target,
    late, or not at all; for the whole range and per week."""
    limit = timedelta(seconds=acknowledge_seconds())
    whole = CrisisAck(None)
    weeks = {w: CrisisAck(w) for w in r.weeks()}
    for crisis_at, acknowledged in db.session.execute(
        select(Intake.crisis_at, Intake.acknowledged_at).where(
            Intake.crisis_at >= r.start,
            Intake.crisis_at < r.end,
            Intake.submitted_at.is_not(None),
        )
    ):
        week = weeks.setdefault(
            week_of(_local_day(crisis_at)), CrisisAck(week_of(_local_day(crisis_at)))
        )
        for row in (whole, week):
            row.crises += 1
            if acknowledged is None:
                row.not_acknowledged += 1
            elif as_utc(acknowledged) - _utc(crisis_at) <= limit:
                row.in_time += 1
            else:
                row.late += 1
    return whole, [weeks[w] for w in sorted(weeks)]


# --- overrides of the rules, by rule and by direction ----------------------------------------


@dataclass
class RuleOverrides:
    rule: str
    field: str
    decided: int = 0  # intakes submitted in the range where this rule fired
    raised: int = 0
    lowered: int = 0
    changed: int = 0  # a service line or modality replaced

    @property
    def total(self) -> int:
        return self.raised + self.lowered + self.changed

    @property
    def share(self) -> float | None:
        return round(100 * self.total / self.decided, 1) if self.decided else None


def _sections() -> dict[str, str]:
    return {rule: section for section, rule, _ in default_ruleset().describe()}


def overrides(r: Range) -> tuple[list[RuleOverrides], Counter[str]]:
    """Overrides made in the range, per rule of the overridden field that fired for the intake
    (an override of urgency counts against each urgency rule that matched), and per direction
    overall (raise, lower, change)."""
    sections = _sections()
    field_of = {s: f for f, names in OVERRIDE_SECTIONS.items() for s in names}
    table: dict[tuple[str, str], RuleOverrides] = {}
    directions: Counter[str] = Counter()
    start, end = r.start, r.end

    def fired(decision: dict[str, Any] | None) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for reason in (decision or {}).get("reasons") or []:
            rule = str(reason.get("rule") or "")
            name = field_of.get(sections.get(rule, ""))
            if name is not None:
                found[name].add(rule)
        return found

    # How many intakes each rule decided: those submitted in the range.
    for (decision,) in db.session.execute(
        select(Intake.decision).where(Intake.submitted_at >= start, Intake.submitted_at < end)
    ):
        for name, rules in fired(decision).items():
            for rule in rules:
                table.setdefault((rule, name), RuleOverrides(rule, name)).decided += 1
    # The overrides made in the range, on intakes submitted up to MAX_DAYS before it.
    for decision, made in db.session.execute(
        select(Intake.decision, Intake.overrides).where(
            Intake.overrides.is_not(None),
            Intake.submitted_at >= start - timedelta(days=MAX_DAYS),
            Intake.submitted_at < end,
        )
    ):
        by_field = fired(decision)
        for entry in made or []:
            try:
                at = as_utc(datetime.fromisoformat(str(entry.get("at"))))
            except ValueError:
                continue
            if not start <= at < end:
                continue
            for name, change in (entry.get("fields") or {}).items():
                direction = _direction(name, change)
                directions[direction] += 1
                for rule in sorted(by_field.get(name) or {"(no rule)"}):
                    row = table.setdefault((rule, name), RuleOverrides(rule, name))
                    setattr(row, direction, getattr(row, direction) + 1)
    rows = sorted(
        (row for row in table.values() if row.total),
        key=lambda row: (-row.total, row.field, row.rule),
    )
    return rows, directions


def _direction(name: str, change: Any) -> str:
    if name != "urgency" or not isinstance(change, dict):
        return "changed"
    rank = {u: i for i, u in enumerate(URGENCIES)}
    before = rank.get(str(change.get("from")), 9)
    after = rank.get(str(change.get("to")), 9)
    return "lowered" if after > before else "raised"


# --- all of it, and as CSV rows --------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    range: Range
    now: datetime
    weekly: Weekly
    contact: list[QueueContact]
    ageing: Ageing
    crisis: CrisisAck
    crisis_weeks: list[CrisisAck]
    override_rows: list[RuleOverrides]
    directions: Counter[str]
    targets: list[tuple[str, str]]


def build(r: Range, now: datetime) -> Report:
    crisis, crisis_weeks = crisis_acknowledged(r)
    override_rows, directions = overrides(r)
    return Report(
        range=r,
        now=now,
        weekly=weekly_intakes(r),
        contact=first_contact(r, now),
        ageing=queue_ageing(now),
        crisis=crisis,
        crisis_weeks=crisis_weeks,
        override_rows=override_rows,
        directions=directions,
        targets=target_texts(),
    )


CSV_HEADER = ("figure", "week", "group", "measure", "value")


def csv_rows(report: Report) -> Iterator[tuple[str, str, str, str, str]]:
    """The same figures as the page, one number a row: (figure, week, group, measure, value)."""

    def num(value: float | int | None) -> str:
        return "" if value is None else str(value)

    for week in report.weekly.weeks:
        for line in report.weekly.lines:
            n = report.weekly.counts.get((line, week), 0)
            yield ("intakes_per_week", week.isoformat(), line, "submitted", str(n))
    for q in report.contact:
        for measure, value in (
            ("submitted", q.submitted),
            ("contacted", q.contacted),
            ("median_hours_to_first_contact", q.median_hours),
            ("met_target", q.met),
            ("missed_target", q.late),
            ("met_target_percent", q.met_share),
        ):
            yield ("first_contact", "", q.queue, measure, num(value))
    for queue, counts in report.ageing.rows:
        for label, n in zip(report.ageing.buckets, counts, strict=True):
            yield ("queue_ageing", "", queue, label, str(n))
    for c in (report.crisis, *report.crisis_weeks):
        shown = c.week.isoformat() if c.week else ""
        for measure, value in (
            ("crisis_alerts", c.crises),
            ("acknowledged_in_time", c.in_time),
            ("acknowledged_late", c.late),
            ("not_acknowledged", c.not_acknowledged),
            ("in_time_percent", c.share),
        ):
            yield (
                "crisis_acknowledged",
                shown,
                "all" if c.week is None else "week",
                measure,
                num(value),
            )
    for o in report.override_rows:
        group = f"{o.field}:{o.rule}"
        for measure, value in (
            ("decided_by_rule", o.decided),
            ("raised", o.raised),
            ("lowered", o.lowered),
            ("changed", o.changed),
            ("override_percent", o.share),
        ):
            yield ("overrides", "", group, measure, num(value))
    for direction in ("raised", "lowered", "changed"):
        yield ("overrides", "", "all", direction, str(report.directions.get(direction, 0)))
