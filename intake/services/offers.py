"""Offering an intake to a clinician, and what follows: accept, decline, reassign.

Every offer records why that clinician was chosen and when it must be accepted by (business
hours, from the urgency's target); an intake nobody can take waits in its queue, and the
coordinators' digest lists it. Each public function is one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from intake import jobs, notifications
from intake.escalation import hours, targets
from intake.extensions import db
from intake.matching import choose_clinician
from intake.models import (
    HELD_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Notification,
    NotificationKind,
    User,
    utcnow,
)
from intake.services.common import audit
from intake.staffing import coordinators
from intake.triage.sections import PREFERENCES


def accept_deadline(urgency: str | None, start: datetime) -> datetime | None:
    """When an offer of this urgency must be accepted (the rules file's first-contact target,
    in business hours); None for crisis (its own protocol)."""
    cfg = current_app.config
    cal = hours.calendar(cfg["BUSINESS_HOURS"], cfg["BUSINESS_DAYS"], cfg["BUSINESS_TZ"])
    return targets.accept_deadline(urgency, start, cal)


def queue_for_coordinators(intake: Intake, why: str) -> list[Notification]:
    """Leave `intake` in its queue for a coordinator; returns the rows to dispatch (none).

    Coordinators are not emailed per intake (a flood of intakes would be a flood of email):
    the digest (`intake.services.digest`) lists every intake waiting without a clinician, at
    most once every 15 minutes, and `queued_at` makes this one news for the next digest. The
    list is kept so that every routing outcome hands its caller rows alike.
    """
    intake.queued_at = utcnow()
    audit("intake.queued", "intake", intake.id, queue=intake.queue, why=why)
    return []


def offer_or_queue(intake: Intake, *, exclude: Collection[int] = ()) -> list[Notification]:
    """Offer `intake` to the best eligible clinician, or leave it queued and tell coordinators.

    The caller holds the transaction: it commits, then dispatches the returned rows.
    """
    choice = choose_clinician(intake, exclude=exclude)
    if choice is None:
        intake.status = IntakeStatus.SUBMITTED
        return queue_for_coordinators(intake, "no eligible")
    return [offer_to(intake, choice.clinician, choice.reason)]


def offer_to(
    intake: Intake,
    clinician: ClinicianProfile,
    reason: str,
    *,
    actor: User | None = None,
    ip: str | None = None,
    **detail: Any,
) -> Notification:
    """Offer `intake` to `clinician` (audited with `detail`); returns the row to dispatch.

    The caller holds the transaction: it commits, then dispatches the returned row.
    """
    now = utcnow()
    assignment = Assignment(
        intake=intake,
        clinician=clinician,
        reason=reason,
        accept_by=accept_deadline(intake.urgency, now),
    )
    clinician.last_assigned_at = now
    intake.status = IntakeStatus.ASSIGNED
    db.session.add(assignment)
    db.session.flush()
    audit(
        "intake.assigned",
        "intake",
        intake.id,
        actor=actor,
        ip=ip,
        assignment=assignment.id,
        clinician=clinician.id,
        **detail,
    )
    return notifications.add(
        NotificationKind.ASSIGNMENT, intake, clinician.user, f"assignment:{assignment.id}"
    )


class Outcome(enum.StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"  # not this user's (or no longer: declined, taken back), or none
    CONFLICT = "conflict"  # no longer in a state that allows it


def _held(profile_id: int, intake_id: int | None, assignment_id: int | None) -> Select[Assignment]:
    query = select(Assignment).where(
        Assignment.clinician_id == profile_id, Assignment.status.in_(HELD_ASSIGNMENT)
    )
    if intake_id is not None:
        query = query.where(Assignment.intake_id == intake_id)
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    return query.order_by(Assignment.id.desc()).limit(1)


def held_assignment(
    user: User, *, intake_id: int | None = None, assignment_id: int | None = None
) -> Assignment | None:
    """`user`'s assignment on that intake, or with that id, while they hold it (offered,
    accepted, or completed by the intake's closing); None is a 404 for them.

    The one rule for what a clinician may reach: access ends with the assignment. Once they
    declined it, or staff took it back, that intake and that assignment are gone for them.
    """
    profile = user.clinician
    if profile is None:
        return None
    return db.session.scalar(_held(profile.id, intake_id, assignment_id))


def _own_offer(assignment_id: int, user: User) -> Assignment | None:
    """As `held_assignment`, locked for the change that follows."""
    profile = user.clinician
    if profile is None:
        return None
    return db.session.scalar(_held(profile.id, None, assignment_id).with_for_update())


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
    """Back to the queue with a reason; assignment runs again without whoever declined it.

    Their access to the intake ends here (`held_assignment`). They are not emailed about it:
    they have just declined it themselves, and the page tells them it went back to its queue.
    Every coordinator is told (ASSIGNMENT_DECLINED): the reference, and the new offer's
    accept-by time when it was offered again; never the reason (it stays on the assignment).
    """
    assignment = _own_offer(assignment_id, user)
    if assignment is None:
        db.session.rollback()
        return Outcome.NOT_FOUND
    assignment.status = AssignmentStatus.DECLINED
    assignment.responded_at = utcnow()
    assignment.decline_reason = reason.strip()[:2000]
    audit("assignment.declined", "assignment", assignment.id, actor=user, ip=ip)
    intake = assignment.intake
    rows = offer_or_queue(intake, exclude=_declined_by(intake))
    rows += declined_rows(intake, assignment)
    written = notifications.flush_ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Outcome.DONE


def declined_rows(intake: Intake, declined: Assignment) -> list[Notification]:
    """Tell every coordinator that `declined` was declined, once each. The message's deadline
    is the accept-by time of the offer that followed, if the intake was offered again."""
    offer = intake.current_assignment
    context = {"assignment": offer.id} if offer is not None and offer.id is not None else None
    return [
        notifications.add(
            NotificationKind.ASSIGNMENT_DECLINED,
            intake,
            user,
            f"declined:{declined.id}:{user.id}",
            context=context,
        )
        for user in coordinators()
    ]


def withdraw_current(intake: Intake, actor: User, ip: str | None) -> list[Notification]:
    """Take the intake back from its clinician, if it has one; returns the message to them.

    Their access ends now (see held_assignment) and they are told, once per assignment: its
    reference and nothing else (ASSIGNMENT_WITHDRAWN). The caller holds the transaction.
    """
    current = intake.current_assignment
    if current is None:
        return []
    current.status = AssignmentStatus.RELEASED
    current.responded_at = utcnow()
    audit("assignment.released", "assignment", current.id, actor=actor, ip=ip)
    return [
        notifications.add(
            NotificationKind.ASSIGNMENT_WITHDRAWN,
            intake,
            current.clinician.user,
            f"withdrawn:{current.id}",
        )
    ]


def reassign(
    intake_id: int, actor: User, *, modality: str | None = None, ip: str | None = None
) -> Outcome:
    """Staff: take the intake back from its clinician (if any) and offer it to someone else.

    The clinician it is taken from loses access to it at once (`held_assignment`) and gets a
    message saying so: its reference and nothing else (ASSIGNMENT_WITHDRAWN, one per
    assignment). `modality` switches the intake to the other modality first (offered to the
    patient when nobody was eligible for the one they asked for).
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
        exclude.add(current.clinician_id)
    withdrawn = withdraw_current(intake, actor, ip)
    if modality is not None and modality != intake.modality:
        audit("intake.modality_changed", "intake", intake.id, actor=actor, ip=ip, to=modality)
        intake.modality = modality
    rows = withdrawn + offer_or_queue(intake, exclude=exclude)
    audit("intake.reassigned", "intake", intake.id, actor=actor, ip=ip)
    written = notifications.flush_ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Outcome.DONE
