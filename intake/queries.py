"""Read-side queries shared by the dashboards (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, func, literal, literal_column, or_, select, tuple_
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from intake.extensions import db
from intake.models import (
    HELD_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Notification,
    NotificationStatus,
    OutreachAttempt,
    User,
    as_utc,
)

# An intake's assignments with each clinician and their user: the pages that list assignees
# (or who declined) load them in two queries instead of one per assignment.
WITH_ASSIGNEES = (
    selectinload(Intake.assignments)
    .joinedload(Assignment.clinician)
    .joinedload(ClinicianProfile.user)
)

OPEN_STATUSES = (
    IntakeStatus.SUBMITTED,
    IntakeStatus.ASSIGNED,
    IntakeStatus.ACCEPTED,
    IntakeStatus.CONTACTED,
)


def dashboard_intakes(limit: int = 200) -> list[Intake]:
    """Open intakes, and drafts with a crisis answer or left with crisis words: crisis first,
    then by urgency, then the longest waiting.

    Two reads, each along an index, merged here: the open work in the staff list's order
    (ix_intakes_open_worklist, at most `limit` entries), and the drafts staff were alerted
    about (few). One query with an OR over both, ordered by an expression, read every open
    row of a large table first."""
    open_work = db.session.scalars(
        select(Intake)
        .options(WITH_ASSIGNEES)  # each row's assignee: two queries, not one per row
        .where(status_in(OPEN_STATUSES), _SUBMITTED)
        .order_by(Intake.urgency_rank, Intake.submitted_at, Intake.id)
        .limit(_limit(limit))
    ).all()
    alerted_drafts = db.session.scalars(
        select(Intake)
        .options(WITH_ASSIGNEES)
        .where(
            Intake.status == const(IntakeStatus.DRAFT),
            or_(Intake.crisis_at.is_not(None), Intake.crisis_text_alerted_at.is_not(None)),
        )
        .limit(_limit(limit))
    ).all()

    def order(intake: Intake) -> tuple[int, datetime, int]:
        since = intake.submitted_at or intake.crisis_at or intake.crisis_text_at
        return intake.urgency_rank, as_utc(since) or _EPOCH, intake.id

    return sorted([*open_work, *alerted_drafts], key=order)[:limit]


def intake_detail(intake_id: int) -> Intake | None:
    """One intake with its assignments (assignee, who declined) and whoever acknowledged it."""
    return db.session.scalar(
        select(Intake)
        .options(WITH_ASSIGNEES, joinedload(Intake.acknowledged_by))
        .where(Intake.id == intake_id)
    )


def dead_notifications(limit: int = 50) -> list[Notification]:
    """Messages that could not be delivered, newest first, with their intake and recipient."""
    return list(
        db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.intake), joinedload(Notification.recipient))
            .where(Notification.status == NotificationStatus.DEAD)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class OutboxBacklog:
    waiting: int  # pending, retry and sending rows: messages not yet out
    oldest: datetime | None  # when the oldest of them was written


def outbox_backlog() -> OutboxBacklog:
    """How many messages wait to go out and since when: an SMTP outage shows here first."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(Notification.created_at)).where(
            Notification.status.in_(
                (NotificationStatus.PENDING, NotificationStatus.RETRY, NotificationStatus.SENDING)
            )
        )
    ).one()
    return OutboxBacklog(int(count), as_utc(oldest))


# ---------------------------------------------------------------------------------------------
# The staff list (`GET /staff/intakes`): filters, tabs and keyset pagination.

PAGE_SIZE = 50

TABS = ("needs_action", "awaiting", "accepted", "contacted", "closed")


@dataclass(frozen=True)
class Cursor:
    """The last row of a page, in the list's sort order (urgency rank, submitted, id)."""

    rank: int
    submitted_at: datetime
    id: int

    def encode(self) -> str:
        micros = (as_utc(self.submitted_at) - _EPOCH) // timedelta(microseconds=1)
        return f"{self.rank}.{micros}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that is not a cursor this list wrote."""
        parts = text.split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 20 for p in parts):
            return None
        rank, micros, ident = (int(p) for p in parts)
        try:
            at = _EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(rank, at, ident)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class IntakeFilter:
    """Checked filter values (the view turns bad ones into a 400); None means any."""

    reference: str | None = None
    email_hash: str | None = None
    phone_hash: str | None = None
    name_hash: str | None = None
    urgency: str | None = None
    service_line: str | None = None
    modality: str | None = None
    statuses: tuple[str, ...] | None = OPEN_STATUSES  # None: every submitted intake
    tab: str | None = None
    state: str | None = None
    clinician_id: int | None = None
    submitted_from: datetime | None = None  # inclusive, UTC
    submitted_before: datetime | None = None  # exclusive, UTC


def const(value: str) -> Any:
    """A value from a fixed vocabulary (a status) written into the statement as a literal.

    psycopg prepares a statement on the server after a few runs, and PostgreSQL may then plan
    it once for any parameter values (a generic plan): `status = $1` is then guessed to match
    a third of the rows, and a count that should read a few thousand index entries scans a
    whole index. With the value in the text, every plan knows it (and can use a partial index).
    """
    return literal(value, literal_execute=True)


def status_in(statuses: tuple[str, ...]) -> Any:
    """`status IN (...)` written with literal values, not parameters: a prepared statement's
    generic plan can then still prove the predicate of a partial index over open work (0011)."""
    return Intake.status.in_(
        bindparam(None, list(statuses), expanding=True, literal_execute=True, unique=True)
    )


def _overdue_offer() -> Any:
    return (
        select(Assignment.id)
        .where(
            Assignment.intake_id == Intake.id,
            Assignment.status == AssignmentStatus.OFFERED,
            Assignment.escalated_at.is_not(None),
        )
        .exists()
    )


def _tab_condition(tab: str) -> Any:
    """needs_action: open, and a crisis not acknowledged, an offer overdue, or nobody assigned
    (new, declined or taken back); the others are one status each."""
    if tab == "needs_action":
        return status_in(OPEN_STATUSES) & or_(
            Intake.crisis_at.is_not(None) & Intake.acknowledged_at.is_(None),
            Intake.status == IntakeStatus.SUBMITTED,
            _overdue_offer(),
        )
    return Intake.status == const(
        {
            "awaiting": IntakeStatus.ASSIGNED,
            "accepted": IntakeStatus.ACCEPTED,
            "contacted": IntakeStatus.CONTACTED,
            "closed": IntakeStatus.CLOSED,
        }[tab]
    )


def _filtered(f: IntakeFilter) -> Any:
    query = select(Intake).where(Intake.submitted_at.is_not(None))
    exact = {
        Intake.reference: f.reference,
        Intake.email_hash: f.email_hash,
        Intake.phone_hash: f.phone_hash,
        Intake.name_hash: f.name_hash,
        Intake.urgency: f.urgency,
        Intake.service_line: f.service_line,
        Intake.modality: f.modality,
        Intake.state: f.state,
    }
    for column, value in exact.items():
        if value is not None:
            query = query.where(column == value)
    if f.statuses is not None:
        query = query.where(status_in(f.statuses))
    if f.tab is not None:
        query = query.where(_tab_condition(f.tab))
    if f.clinician_id is not None:
        query = query.where(
            select(Assignment.id)
            .where(
                Assignment.intake_id == Intake.id,
                Assignment.clinician_id == f.clinician_id,
                Assignment.status.in_(HELD_ASSIGNMENT),
            )
            .exists()
        )
    if f.submitted_from is not None:
        query = query.where(Intake.submitted_at >= f.submitted_from)
    if f.submitted_before is not None:
        query = query.where(Intake.submitted_at < f.submitted_before)
    return query


def list_query(f: IntakeFilter, after: Cursor | None = None, limit: int = PAGE_SIZE) -> Any:
    """The page's statement: crisis first, then urgency, then the longest waiting, then id.

    Keyset pagination: rows after `after` in that order, read through ix_intakes_worklist;
    never an OFFSET, never a count.
    """
    query = _filtered(f)
    if after is not None:
        query = query.where(
            tuple_(Intake.urgency_rank, Intake.submitted_at, Intake.id)
            > tuple_(
                literal(after.rank),
                literal(after.submitted_at, DateTime(timezone=True)),
                literal(after.id),
            )
        )
    return query.order_by(Intake.urgency_rank, Intake.submitted_at, Intake.id).limit(limit)


@dataclass(frozen=True)
class Page:
    rows: list[Intake]
    next_cursor: str | None  # None: this is the last page


def find_intakes(f: IntakeFilter, after: Cursor | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the staff list, with its assignees loaded, and the cursor of the next."""
    rows = list(db.session.scalars(list_query(f, after, size + 1).options(WITH_ASSIGNEES)))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more and rows else None
    cursor = (
        Cursor(last.urgency_rank, as_utc(last.submitted_at), last.id).encode()
        if last is not None and last.submitted_at is not None
        else None
    )
    return Page(rows, cursor)


# ---------------------------------------------------------------------------------------------
# The counts beside the list: capped, so that each costs at most COUNT_CAP index entries read
# however many intakes there are (`Count` shows "10,000+" past the cap). Each part is read
# through an index whose predicate matches it (0011): a tab's status in ix_intakes_queue, open
# crisis alerts in ix_intakes_crisis_open, open work in ix_intakes_open_queues.

COUNT_CAP = 10_000


class Count(int):
    """A count that stops at a cap: `capped` when there are more (it then holds the cap, and
    reads "10,000+"); below the cap it is exact. Compares and adds as the number it holds."""

    capped: bool

    def __new__(cls, n: int, capped: bool = False) -> Count:
        made = super().__new__(cls, n)
        made.capped = capped
        return made

    def __str__(self) -> str:
        return f"{int(self):,}+" if self.capped else f"{int(self):,}"

    __repr__ = __str__


def _capped(where: Any, cap: int) -> int:
    """How many intakes match `where`, reading at most cap + 1 of them."""
    rows = select(literal(1)).select_from(Intake).where(*where).limit(_limit(cap + 1)).subquery()
    return int(db.session.scalar(select(func.count()).select_from(rows)) or 0)


def _limit(n: int) -> Any:
    """LIMIT n as a literal: a generic plan guesses a parameter's LIMIT (see `const`)."""
    return literal_column(str(int(n)))


def _count(n: int, cap: int) -> Count:
    return Count(cap, capped=True) if n > cap else Count(n)


_SUBMITTED = Intake.submitted_at.is_not(None)
_CRISIS_OPEN = (
    Intake.crisis_at.is_not(None),
    Intake.acknowledged_at.is_(None),
    status_in(OPEN_STATUSES),
)


def _needs_action_count(cap: int) -> int:
    """The needs_action tab in three parts that do not overlap, each read through its own
    index and capped: new (status submitted); a crisis not acknowledged on an intake past
    submitted; an overdue offer on one of the rest. Their sum is the tab's count (up to cap+1)."""
    taken = (IntakeStatus.ASSIGNED, IntakeStatus.ACCEPTED, IntakeStatus.CONTACTED)
    total = _capped((_SUBMITTED, Intake.status == const(IntakeStatus.SUBMITTED)), cap)
    if total <= cap:
        total += _capped((_SUBMITTED, *_CRISIS_OPEN, status_in(taken)), cap - total)
    if total <= cap:
        overdue = (
            select(Intake.id)
            .join(Assignment, Assignment.intake_id == Intake.id)
            .where(
                Assignment.status == const(AssignmentStatus.OFFERED),
                Assignment.escalated_at.is_not(None),
                _SUBMITTED,
                status_in(taken),
                or_(Intake.crisis_at.is_(None), Intake.acknowledged_at.is_not(None)),
            )
            .distinct()  # an intake with two overdue offers is one intake
            .limit(_limit(cap - total + 1))
            .subquery()
        )
        total += int(db.session.scalar(select(func.count()).select_from(overdue)) or 0)
    return total


def tab_counts(cap: int | None = None) -> dict[str, Count]:
    """How many intakes each tab holds, exact up to `cap` (COUNT_CAP) and "cap+" past it: each
    tab reads at most cap + 1 entries of an index that matches its condition, never the whole
    table."""
    cap = COUNT_CAP if cap is None else cap
    counts = {"needs_action": _count(_needs_action_count(cap), cap)}
    for tab in TABS[1:]:
        counts[tab] = _count(_capped((_SUBMITTED, _tab_condition(tab)), cap), cap)
    return counts


def open_breakdown(
    cap: int | None = None,
) -> list[tuple[str | None, str | None, str | None, Count]]:
    """Open intakes per service line x modality x urgency, largest first (each exact up to
    `cap`, COUNT_CAP). Read from ix_intakes_open_queues, which holds open work only: the cost
    follows the open work, never the closed history."""
    cap = COUNT_CAP if cap is None else cap
    return [
        (line, modality, urgency, _count(int(n), cap))
        for line, modality, urgency, n in db.session.execute(
            select(Intake.service_line, Intake.modality, Intake.urgency, func.count())
            .where(status_in(OPEN_STATUSES), _SUBMITTED)
            .group_by(Intake.service_line, Intake.modality, Intake.urgency)
            .order_by(func.count().desc())
        ).all()
    ]


def outreach_for(intake_id: int) -> list[OutreachAttempt]:
    """Every outreach attempt on an intake, oldest first, with who made it."""
    return list(
        db.session.scalars(
            select(OutreachAttempt)
            .options(joinedload(OutreachAttempt.user))
            .where(OutreachAttempt.intake_id == intake_id)
            .order_by(OutreachAttempt.id)
        )
    )


def clinicians() -> list[ClinicianProfile]:
    """Active clinicians, by name (the reassign form and the clinician filter)."""
    return list(
        db.session.scalars(
            select(ClinicianProfile)
            .join(User)
            .options(contains_eager(ClinicianProfile.user))
            .where(User.active.is_(True))
            .order_by(User.display_name, ClinicianProfile.id)
        )
    )


def alert_counts() -> dict[str, int]:
    """For the banner on every staff page: crisis alerts not acknowledged, offers overdue."""
    crisis = db.session.scalar(select(func.count()).select_from(Intake).where(*_CRISIS_OPEN))
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(
            Assignment.status == const(AssignmentStatus.OFFERED),
            Assignment.escalated_at.is_not(None),
        )
    )
    return {"crisis": int(crisis or 0), "overdue": int(overdue or 0)}
