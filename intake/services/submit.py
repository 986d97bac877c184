"""Submitting an intake: validate, decide, assign, write the outbox, commit once, dispatch."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake import jobs, notifications
from intake.extensions import db
from intake.models import Intake, IntakeStatus, NotificationKind, utcnow
from intake.services.assignments import queue_for_coordinators, route
from intake.services.common import audit, new_reference, urgency_rank
from intake.services.crisis import crisis_alert_rows
from intake.triage import Decision, triage
from intake.validation import ValidationFailed, age_on, clean_answers, clean_contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    intake: Intake
    created: bool  # False: the same idempotency key was seen before; nothing new was written


def _by_key(idempotency_key: str) -> Intake | None:
    return db.session.scalar(select(Intake).where(Intake.idempotency_key == idempotency_key))


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
    if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
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
    try:
        written = _write(intake, decision, clean, source)
        db.session.commit()
    except IntegrityError:
        # Two requests with one idempotency key raced: the other one won. (The unique key
        # can refuse the intake's own insert, so everything from the first flush is in here.)
        db.session.rollback()
        if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
            return Submitted(existing, created=False)
        raise
    log.info("intake %s submitted: urgency=%s queue=%s", intake.id, intake.urgency, intake.queue)
    jobs.dispatch_notifications(written)
    return Submitted(intake, created=True)


def _write(intake: Intake, decision: Decision, clean: dict[str, Any], source: str) -> list[int]:
    """Add the intake, its audit entry and its notifications; the ids to dispatch after commit."""
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
    # Crisis alerts first: they are dispatched first, so they reach the worker first.
    rows = crisis_alert_rows(intake) if decision.urgency == "crisis" else []
    rows += (
        queue_for_coordinators(intake, "staff pathway")
        if _needs_staff_first(decision)
        else route(intake)
    )
    if clean.get("email"):
        rows.append(
            notifications.add(
                NotificationKind.PATIENT_CONFIRMATION,
                intake,
                None,
                f"confirmation:{intake.id}",
                to_patient=True,
            )
        )
    return notifications.ids(rows)


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
