"""Offering an intake to a clinician, and what follows: accept, decline, reassign.

Every offer records why that clinician was chosen and when it must be accepted by (business
hours, from the urgency's target); an intake nobody can take waits in its queue and the
coordinators are told. Each public function is one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from intake import jobs, notifications
from intake.assignment import choose_clinician
from intake.escalation import hours
from intake.extensions import db
from intake.models import (
    OPEN_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    Intake,
    IntakeStatus,
    Notification,
    NotificationKind,
    User,
    utcnow,
)
from intake.services.common import audit, coordinators
from intake.triage.sections import PREFERENCES


def accept_deadline(urgency: str | None, start: datetime) -> datetime | None:
    """When an offer of this urgency must be accepted; None for crisis (its own protocol)."""
    cfg = current_app.config
    days = hours.parse_targets(cfg["ACCEPT_TARGET_DAYS"]).get(urgency or "")
    if days is None:
        return None
    cal = hours.calendar(cfg["BUSINESS_HOURS"], cfg["BUSINESS_DAYS"], cfg["BUSINESS_TZ"])
    return hours.add_business_days(start, days, cal)


def queue_for_coordinators(intake: Intake, why: str) -> list[Notification]:
    """Leave `intake` in its queue and tell every coordinator (one row each per routing round)."""
    round_ = len(intake.assignments)
    audit("intake.queued", "intake", intake.id, queue=intake.queue, why=why)
    return [
        notifications.add(
            NotificationKind.QUEUE_UNASSIGNED,
            intake,
            user,
            f"unassigned:{intake.id}:{user.id}:{round_}",
        )
        for user in coordinators()
    ]


def route(intake: Intake, *, exclude: Collection[int] = ()) -> list[Notification]:
    """Offer `intake` to the best eligible clinician, or leave it queued and tell coordinators.

    The caller holds the transaction: it commits, then dispatches the returned rows.
    """
    choice = choose_clinician(intake, exclude=exclude)
    if choice is None:
        intake.status = IntakeStatus.SUBMITTED
        return queue_for_coordinators(intake, "no eligible")
    now = utcnow()
    assignment = Assignment(
        intake=intake,
        clinician=choice.clinician,
        reason=choice.reason,
        accept_by=accept_deadline(intake.urgency, now),
    )
    choice.clinician.last_assigned_at = now
    intake.status = IntakeStatus.ASSIGNED
    db.session.add(assignment)
    db.session.flush()
    audit(
        "intake.assigned",
        "intake",
        intake.id,
        assignment=assignment.id,
        clinician=choice.clinician.id,
    )
    return [
        notifications.add(
            NotificationKind.ASSIGNMENT,
            intake,
            choice.clinician.user,
            f"assignment:{assignment.id}",
        )
    ]


class Outcome(enum.StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"  # not this user's, or no such thing
    CONFLICT = "conflict"  # no longer in a state that allows it


def _own_offer(assignment_id: int, user: User) -> Assignment | None:
    profile = user.clinician
    if profile is None:
        return None
    return db.session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id, Assignment.clinician_id == profile.id)
        .with_for_update()
    )


def accept(assignment_id: int, user: User, ip: str | None = None) -> Outcome:
    """The clinician takes the intake."""
    assignment = _own_offer(assignment_id, user)
    if assignment is None:
        db.session.rollback()
        return Outcome.NOT_FOUND
    if assignment.status != AssignmentStatus.OFFERED:
        db.session.rollback()
        return Outcome.CONFLICT
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.responded_at = utcnow()
    assignment.intake.status = IntakeStatus.ACCEPTED
    audit("assignment.accepted", "assignment", assignment.id, actor=user, ip=ip)
    db.session.commit()
    return Outcome.DONE


def _declined_by(intake: Intake) -> set[int]:
    return {a.clinician_id for a in intake.assignments if a.status == AssignmentStatus.DECLINED}


def decline(assignment_id: int, user: User, reason: str, ip: str | None = None) -> Outcome:
    """Back to the queue with a reason; assignment runs again without whoever declined it."""
    assignment = _own_offer(assignment_id, user)
    if assignment is None:
        db.session.rollback()
        return Outcome.NOT_FOUND
    if assignment.status not in OPEN_ASSIGNMENT:
        db.session.rollback()
        return Outcome.CONFLICT
    assignment.status = AssignmentStatus.DECLINED
    assignment.responded_at = utcnow()
    assignment.decline_reason = reason.strip()[:2000]
    audit("assignment.declined", "assignment", assignment.id, actor=user, ip=ip)
    intake = assignment.intake
    written = notifications.ids(route(intake, exclude=_declined_by(intake)))
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Outcome.DONE


def reassign(
    intake_id: int, actor: User, *, modality: str | None = None, ip: str | None = None
) -> Outcome:
    """Staff: take the intake back from its clinician (if any) and offer it to someone else.

    `modality` switches the intake to the other modality first (offered to the patient when
    nobody was eligible for the one they asked for).
    """
    intake = db.session.scalar(select(Intake).where(Intake.id == intake_id).with_for_update())
    if intake is None or intake.submitted_at is None:
        db.session.rollback()
        return Outcome.NOT_FOUND
    if intake.status in (IntakeStatus.CLOSED, IntakeStatus.CONTACTED) or (
        modality is not None and modality not in PREFERENCES
    ):
        db.session.rollback()
        return Outcome.CONFLICT
    exclude = _declined_by(intake)
    current = intake.current_assignment
    if current is not None:
        current.status = AssignmentStatus.RELEASED
        current.responded_at = utcnow()
        exclude.add(current.clinician_id)
        audit("assignment.released", "assignment", current.id, actor=actor, ip=ip)
    if modality is not None and modality != intake.modality:
        audit("intake.modality_changed", "intake", intake.id, actor=actor, ip=ip, to=modality)
        intake.modality = modality
    rows = route(intake, exclude=exclude)
    audit("intake.reassigned", "intake", intake.id, actor=actor, ip=ip)
    written = notifications.ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Outcome.DONE
