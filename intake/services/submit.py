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
from intake.models import Intake, IntakeStatus, Notification, NotificationKind, utcnow
from intake.services.common import audit, new_reference, urgency_rank
from intake.services.contact_keys import apply_search_columns
from intake.services.crisis import crisis_alert_rows
from intake.services.errors import RecipientLimited
from intake.services.idempotency import ClientKey, earlier, remember
from intake.services.offers import offer_or_queue, queue_for_coordinators
from intake.services.outbox import commit_keeping_loaded
from intake.services.recipients import patient_email
from intake.services.sources import Origin, hold_for_volume, over_cap
from intake.triage import Decision, default_ruleset, triage_with_history
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
    client_key: ClientKey | None = None,
    origin: Origin | None = None,
    draft: Intake | None = None,
    today: date | None = None,
) -> Submitted:
    """Validate, decide, assign and write the outbox in one transaction; then dispatch.

    Raises ValidationFailed with field-level errors (and writes nothing) on bad input.
    A repeated `idempotency_key` (the web form's) returns the intake it created the first time;
    so does an API client's repeated `client_key` with the same body (KeyReused with another).
    `origin` is who sent it: past its hourly cap, the intake waits for a coordinator.
    """
    if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
        return Submitted(existing, created=False)
    if client_key is not None and (existing := earlier(client_key)) is not None:
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

    # A draft remembers every crisis answer it was given: a changed answer never lowers it.
    decision = triage_with_history(cleaned_answers, (draft.crisis_answers if draft else None) or ())
    intake = draft or Intake(reference=new_reference())
    intake.contact = clean
    apply_search_columns(intake, clean, cleaned_answers)
    intake.answers = cleaned_answers
    intake.language = language
    intake.source = source
    intake.idempotency_key = idempotency_key
    intake.source_key = origin.key if origin else None
    intake.draft_token = None
    _apply_decision(intake, decision)
    intake.submitted_at = utcnow()
    intake.status = IntakeStatus.SUBMITTED
    if decision.urgency == "crisis" and intake.crisis_at is None:
        intake.crisis_at = intake.submitted_at
    try:
        rows = _write(intake, decision, source, origin)
        written = notifications.flush_ids(rows)
        if client_key is not None:
            remember(client_key, intake)
        # The answer and the dispatch read the intake and its rows again: left loaded by the
        # commit, they cost no query (the task router reads each row's kind).
        commit_keeping_loaded()
    except IntegrityError:
        # Two requests with one idempotency key raced: the other one won. (The unique key
        # can refuse the intake's own insert, so everything from the first flush is in here.)
        db.session.rollback()
        if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
            return Submitted(existing, created=False)
        if client_key is not None and (existing := earlier(client_key)) is not None:
            return Submitted(existing, created=False)
        raise
    log.info("intake %s submitted: urgency=%s queue=%s", intake.id, intake.urgency, intake.queue)
    jobs.dispatch_notifications(written)
    return Submitted(intake, created=True)


def store_as_is(document: dict[str, Any]) -> str:
    """The benchmark's baseline for a submit: the same JSON stored in one INSERT, committed.

    No validation, decision, assignment, outbox or audit: what a submit would cost if it did
    nothing but keep the body. Reached only through the endpoint BENCH_BASELINE_ENDPOINT
    enables (never in production). Returns the reference of the row, a draft.
    """
    contact, answers = document.get("contact"), document.get("answers")
    intake = Intake(
        reference=new_reference(),
        contact=contact if isinstance(contact, dict) else {},
        answers=answers if isinstance(answers, dict) else {},
        source="api",
    )
    db.session.add(intake)
    commit_keeping_loaded()
    return intake.reference


def _write(
    intake: Intake, decision: Decision, source: str, origin: Origin | None
) -> list[Notification]:
    """Add the intake, its audit entry and its notifications; the rows to dispatch after commit.

    Crisis alerts go out whatever the source's cap: only the automatic assignment is held.
    """
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
    if _needs_staff_first(decision):
        rows += queue_for_coordinators(intake, "staff pathway")
    elif over_cap(intake, origin):
        rows += hold_for_volume(intake)
    else:
        rows += offer_or_queue(intake)
    try:
        confirmation = patient_email(
            NotificationKind.PATIENT_CONFIRMATION, intake, f"confirmation:{intake.id}"
        )
    except RecipientLimited:
        confirmation = None  # the intake stands; only the courtesy email is not sent
    if confirmation is not None:
        rows.append(confirmation)
    return rows


def _apply_decision(intake: Intake, decision: Decision) -> None:
    intake.decision = decision.to_dict()
    intake.urgency = decision.urgency
    intake.urgency_rank = urgency_rank(decision.urgency)
    intake.service_line = decision.service_line
    intake.modality = decision.modality
    intake.ruleset_version = decision.ruleset_version


def _needs_staff_first(decision: Decision) -> bool:
    """Flags the rules file holds for a coordinator (a minor, an incomplete intake, couples work
    with the partner-violence screen unanswered) go to coordinators, not to a clinician."""
    return not default_ruleset().hold_flags.isdisjoint(decision.flags)
