"""Crisis alerts and their acknowledgement (clinical-rules.md section 6).

An alert goes at once to the on-call clinician, the backup and every coordinator; whoever of
them acknowledges it stops the escalations (intake.services.deadlines).
"""

from __future__ import annotations

import enum

from sqlalchemy import select

from intake import notifications
from intake.extensions import db
from intake.models import (
    Intake,
    Notification,
    NotificationKind,
    Role,
    User,
    utcnow,
)
from intake.notifications.messages import ACKNOWLEDGE_KINDS
from intake.services.common import audit, coordinators, on_call


def crisis_alert_rows(intake: Intake) -> list[Notification]:
    """Alert rows for the on-call clinician, the backup and every coordinator (deduplicated)."""
    recipients: dict[int, User] = {u.id: u for u in coordinators()}
    shift = on_call(utcnow())
    if shift is not None:
        for user in (shift.clinician, shift.backup):
            if user is not None and user.active:
                recipients[user.id] = user
    keys = {user_id: f"crisis:{intake.id}:{user_id}" for user_id in recipients}
    # A draft with a crisis answer has alerted already: its submit tells only who is new.
    sent = set(
        db.session.scalars(
            select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys.values()))
        )
    )
    rows = [
        notifications.add(NotificationKind.CRISIS_ALERT, intake, user, keys[user_id])
        for user_id, user in recipients.items()
        if keys[user_id] not in sent
    ]
    audit(
        "crisis.alerted",
        "intake",
        intake.id,
        recipients=sorted(recipients),
        shift=shift.id if shift else None,
    )
    return rows


class Ack(enum.StrEnum):
    DONE = "done"
    ALREADY = "already"
    NOT_FOUND = "not_found"  # no such crisis intake, or this user may not acknowledge it


def may_acknowledge(intake: Intake, user: User) -> bool:
    """Coordinators and admins; clinicians who were alerted about it or are on call now."""
    if intake.crisis_at is None:
        return False
    if user.has_role(Role.STAFF, Role.ADMIN):
        return True
    alerted = db.session.scalar(
        select(Notification.id).where(
            Notification.intake_id == intake.id,
            Notification.recipient_user_id == user.id,
            Notification.kind.in_(ACKNOWLEDGE_KINDS),
        )
    )
    if alerted is not None:
        return True
    shift = on_call(utcnow())
    return shift is not None and user.id in (shift.clinician_user_id, shift.backup_user_id)


def acknowledge_crisis(intake_id: int, actor: User, ip: str | None = None) -> Ack:
    """Record who took responsibility for a crisis alert; later escalations stop."""
    intake = db.session.scalar(
        select(Intake)
        .where(Intake.id == intake_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the view may have loaded it before the lock
    )
    if intake is None or not may_acknowledge(intake, actor):
        db.session.rollback()
        return Ack.NOT_FOUND
    if intake.acknowledged_at is not None:
        db.session.rollback()
        return Ack.ALREADY
    intake.acknowledged_at = utcnow()
    intake.acknowledged_by_user_id = actor.id
    audit(
        "crisis.acknowledged",
        "intake",
        intake.id,
        actor=actor,
        ip=ip,
        level=intake.escalation_level,
    )
    db.session.commit()
    return Ack.DONE
