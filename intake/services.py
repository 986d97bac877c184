"""Use cases and the transaction boundary.

Each public function here is one use case: it validates, changes rows, commits once, and
only then dispatches tasks by name (the outbox rows it wrote make the dispatch safe to lose).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake import jobs
from intake.assignment import choose_clinician
from intake.extensions import db
from intake.models import (
    Assignment,
    AuditEvent,
    Intake,
    IntakeStatus,
    Notification,
    NotificationKind,
    OnCallShift,
    Role,
    User,
    utcnow,
)
from intake.triage import URGENCIES, Decision, triage
from intake.validation import ValidationFailed, age_on, clean_answers, clean_contact

log = logging.getLogger(__name__)

_REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def new_reference() -> str:
    body = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"WF-{body[:4]}-{body[4:]}"


def urgency_rank(urgency: str | None) -> int:
    return URGENCIES.index(urgency) if urgency in URGENCIES else 9


def audit(
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Add an audit row to the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            actor_user_id=actor.id if actor is not None else None,
            ip=ip,
            detail=detail,
        )
    )


@dataclass(frozen=True)
class Submitted:
    intake: Intake
    created: bool  # False: the same idempotency key was seen before; nothing new was written


def submit_intake(
    contact: Any,
    answers: Any,
    *,
    language: str = "en",
    source: str = "web",
    idempotency_key: str | None = None,
    draft: Intake | None = None,
    today: date | None = None,
) -> Submitted:
    """Validate, decide, assign and write the outbox in one transaction; then dispatch.

    Raises ValidationFailed with field-level errors (and writes nothing) on bad input.
    A repeated `idempotency_key` returns the intake it created the first time.
    """
    if idempotency_key:
        existing = db.session.scalar(
            select(Intake).where(Intake.idempotency_key == idempotency_key)
        )
        if existing is not None:
            return Submitted(existing, created=False)
    today = today or datetime.now(UTC).date()
    clean, errors = clean_contact(contact, today)
    age = (
        age_on(date.fromisoformat(clean["date_of_birth"]), today)
        if "date_of_birth" in clean
        else None
    )
    cleaned_answers, answer_errors = clean_answers(answers, age)
    errors += answer_errors
    if errors:
        raise ValidationFailed(errors)

    decision = triage(cleaned_answers)
    intake = draft or Intake(reference=new_reference())
    intake.contact = clean
    intake.answers = cleaned_answers
    intake.language = language
    intake.source = source
    intake.idempotency_key = idempotency_key
    intake.draft_token = None
    _apply_decision(intake, decision)
    intake.submitted_at = utcnow()
    intake.status = IntakeStatus.SUBMITTED
    if decision.urgency == "crisis" and intake.crisis_at is None:
        intake.crisis_at = intake.submitted_at
    db.session.add(intake)
    db.session.flush()
    audit(
        "intake.submitted",
        "intake",
        intake.id,
        source=source,
        urgency=decision.urgency,
        ruleset=decision.ruleset_version,
    )

    rows = _route(intake, decision)
    if decision.urgency == "crisis":
        rows += crisis_alert_rows(intake)
    if clean.get("email"):
        rows.append(
            _notification(
                NotificationKind.PATIENT_CONFIRMATION,
                intake,
                None,
                f"confirmation:{intake.id}",
                to_patient=True,
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        # Two requests with one idempotency key raced: the other one won.
        db.session.rollback()
        if idempotency_key:
            existing = db.session.scalar(
                select(Intake).where(Intake.idempotency_key == idempotency_key)
            )
            if existing is not None:
                return Submitted(existing, created=False)
        raise
    log.info("intake %s submitted: urgency=%s queue=%s", intake.id, intake.urgency, intake.queue)
    jobs.dispatch_notifications(n.id for n in rows)
    return Submitted(intake, created=True)


def _apply_decision(intake: Intake, decision: Decision) -> None:
    intake.decision = decision.to_dict()
    intake.urgency = decision.urgency
    intake.urgency_rank = urgency_rank(decision.urgency)
    intake.service_line = decision.service_line
    intake.modality = decision.modality
    intake.ruleset_version = decision.ruleset_version


def _needs_staff_first(decision: Decision) -> bool:
    """Minors and incomplete intakes go to coordinators, not straight to a clinician."""
    return bool({"minor", "incomplete"} & set(decision.flags))


def _route(intake: Intake, decision: Decision) -> list[Notification]:
    """Assign to a clinician (with an email to them), or leave in the queue and tell staff."""
    choice = None if _needs_staff_first(decision) else choose_clinician(intake)
    if choice is None:
        why = "staff pathway" if _needs_staff_first(decision) else "no eligible clinician"
        audit("intake.queued", "intake", intake.id, queue=intake.queue, why=why)
        return [
            _notification(
                NotificationKind.QUEUE_UNASSIGNED, intake, user, f"unassigned:{intake.id}:{user.id}"
            )
            for user in coordinators()
        ]
    assignment = Assignment(intake=intake, clinician=choice.clinician, reason=choice.reason)
    choice.clinician.last_assigned_at = utcnow()
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
        _notification(
            NotificationKind.ASSIGNMENT,
            intake,
            choice.clinician.user,
            f"assignment:{assignment.id}",
        )
    ]


def coordinators() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.STAFF, User.active.is_(True)).order_by(User.id)
        )
    )


def on_call(at: datetime) -> OnCallShift | None:
    return db.session.scalar(
        select(OnCallShift)
        .where(OnCallShift.starts_at <= at, OnCallShift.ends_at > at)
        .order_by(OnCallShift.starts_at.desc())
    )


def crisis_alert_rows(intake: Intake) -> list[Notification]:
    """Alert rows for the on-call clinician, the backup and every coordinator (deduplicated)."""
    recipients: dict[int, User] = {u.id: u for u in coordinators()}
    shift = on_call(utcnow())
    if shift is not None:
        for uid in (shift.clinician_user_id, shift.backup_user_id):
            if uid is not None and (user := db.session.get(User, uid)) is not None:
                recipients[uid] = user
    rows = []
    for user in recipients.values():
        key = f"crisis:{intake.id}:{user.id}"
        if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is None:
            rows.append(_notification(NotificationKind.CRISIS_ALERT, intake, user, key))
    audit("crisis.alerted", "intake", intake.id, recipients=sorted(recipients))
    return rows


def _notification(
    kind: str, intake: Intake, recipient: User | None, key: str, *, to_patient: bool = False
) -> Notification:
    row = Notification(
        kind=kind, intake=intake, recipient=recipient, dedupe_key=key, to_patient=to_patient
    )
    db.session.add(row)
    db.session.flush()
    return row
