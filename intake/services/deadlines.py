"""The deadline check that beat runs: escalate what nobody answered in time.

- A crisis alert not acknowledged `targets.crisis.acknowledge_within` after the crisis answer
  (15 min, rules.toml) goes to the backup and the clinical director; at the next step, when the
  promised first contact is due (`first_contact`, 30 min), to the on-call clinician, the backup,
  the director and every coordinator. One level per step (`intake.escalation.targets`).
- A draft whose free text matched the crisis words, not submitted within
  `targets.urgent.unfinished_alert_after` (an hour) of the words being saved, goes to every
  coordinator once, so an abandoned form still reaches someone.
- An offer not accepted by its `accept_by` (business hours, from the urgency's target) goes to
  the coordinators, who can reassign it.

Rows are deduplicated per level and recipient (their dedupe keys), the intake and assignment
rows are locked while they are looked at (two checks running at once do not both escalate),
and every escalation is in the audit log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake import jobs, notifications
from intake.audit import audit
from intake.escalation.targets import crisis_escalation_seconds, unfinished_alert_seconds
from intake.extensions import db
from intake.models import (
    Assignment,
    AssignmentStatus,
    Intake,
    IntakeStatus,
    Notification,
    NotificationKind,
    User,
)
from intake.staffing import clinical_director, coordinators, on_call

log = logging.getLogger(__name__)
BATCH = 100


def check_deadlines(now: datetime) -> int:
    """Write and dispatch the escalations due at `now`; returns how many rows were written."""
    written = notifications.flush_ids(
        _escalate_crises(now) + _alert_unfinished_safety(now) + _escalate_overdue_offers(now)
    )
    db.session.commit()
    if written:
        log.info("deadline check: %s escalation message(s)", len(written))
    jobs.dispatch_notifications(written)
    return len(written)


def due_level(age: timedelta, thresholds: tuple[int, ...]) -> int:
    """How many escalation thresholds an unacknowledged alert of this age has passed."""
    return sum(1 for t in thresholds if age >= timedelta(seconds=t))


def _crisis_recipients(level: int, now: datetime) -> dict[int, User]:
    shift = on_call(now)
    people: list[User | None] = [shift.backup if shift else None, clinical_director()]
    if level >= 2:
        people += [shift.clinician if shift else None, *coordinators()]
    found = {u.id: u for u in people if u is not None and u.active}
    if not found:  # no rota and no director: coordinators are always there to be told
        found = {u.id: u for u in coordinators()}
    return found


def _escalate_crises(now: datetime) -> list[Notification]:
    thresholds = crisis_escalation_seconds()
    first = now - timedelta(seconds=thresholds[0])
    intakes = db.session.scalars(
        select(Intake)
        .where(
            Intake.crisis_at <= first,
            Intake.acknowledged_at.is_(None),
            Intake.escalation_level < len(thresholds),
            Intake.status != IntakeStatus.CLOSED,
        )
        .order_by(Intake.crisis_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    rows: list[Notification] = []
    by_level: dict[int, dict[int, User]] = {}  # the same people for every intake at a level
    for intake in intakes:
        level = due_level(now - intake.waiting_since_crisis(), thresholds)
        if level <= intake.escalation_level:
            continue
        if level not in by_level:
            by_level[level] = _crisis_recipients(level, now)
        recipients = by_level[level]
        # No row for this level can exist yet: they are written in the transaction that raises
        # escalation_level, which never goes down (the unique dedupe key is the backstop).
        rows += [
            notifications.add(
                NotificationKind.ESCALATION,
                intake,
                user,
                f"escalation:{intake.id}:{level}:{user.id}",
                context={"level": level, "minutes": thresholds[level - 1] // 60},
            )
            for user in recipients.values()
        ]
        intake.escalation_level = level
        audit("crisis.escalated", "intake", intake.id, level=level, recipients=sorted(recipients))
    return rows


def _alert_unfinished_safety(now: datetime) -> list[Notification]:
    due = now - timedelta(seconds=unfinished_alert_seconds())
    drafts = db.session.scalars(
        select(Intake)
        .where(
            Intake.status == IntakeStatus.DRAFT,
            Intake.crisis_text_alerted_at.is_(None),
            Intake.crisis_text_at <= due,
        )
        .order_by(Intake.crisis_text_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    rows: list[Notification] = []
    staff = coordinators()
    for draft in drafts:
        # As below: crisis_text_alerted_at is set in the transaction that writes these rows.
        rows += [
            notifications.add(
                NotificationKind.UNFINISHED_SAFETY,
                draft,
                user,
                f"unfinished-safety:{draft.id}:{user.id}",
            )
            for user in staff
        ]
        draft.crisis_text_alerted_at = now
        audit("draft.unfinished_safety", "intake", draft.id, recipients=[u.id for u in staff])
    return rows


def _escalate_overdue_offers(now: datetime) -> list[Notification]:
    offers = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.status == AssignmentStatus.OFFERED,
            Assignment.accept_by.is_not(None),
            Assignment.accept_by <= now,
            Assignment.escalated_at.is_(None),
        )
        .order_by(Assignment.accept_by)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
        .options(selectinload(Assignment.intake))
    ).all()
    rows: list[Notification] = []
    staff = coordinators()
    for offer in offers:
        # As above: escalated_at is set in the transaction that writes these rows, never reset.
        rows += [
            notifications.add(
                NotificationKind.ASSIGNMENT_OVERDUE,
                offer.intake,
                user,
                f"overdue:{offer.id}:{user.id}",
                context={"assignment": offer.id},
            )
            for user in staff
        ]
        offer.escalated_at = now
        audit(
            "assignment.overdue",
            "assignment",
            offer.id,
            intake=offer.intake_id,
            recipients=[u.id for u in staff],
        )
    return rows
