"""The coordinators' actions on an intake: override the route, assign to a chosen clinician,
record outreach and first contact, close and reopen.

Each function is one use case and one transaction: it locks the intake, checks, changes it,
writes its audit entry (ids and codes only: a reason or a note stays on its row, never in the
audit trail), commits and dispatches. Repeating an action that is already in effect changes
nothing and says so (`Result.UNCHANGED`), so a resubmitted form is harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from intake import jobs, notifications
from intake.extensions import db
from intake.matching import ineligible
from intake.models import (
    OPEN_ASSIGNMENT,
    AssignmentStatus,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Notification,
    OutreachAttempt,
    Role,
    User,
    utcnow,
)
from intake.services.common import audit, clinical_director, urgency_rank
from intake.services.crisis import crisis_alert_rows
from intake.services.offers import offer_to, withdraw_current
from intake.triage import SERVICE_LINES, URGENCIES

MODALITIES = ("in_person", "virtual", "either", "emergency")
CHANNELS = ("call", "text", "voicemail", "email")
OUTCOMES = ("reached", "no_answer", "left_message", "wrong_number")
CLOSE_REASONS = (
    "scheduled",
    "referred_out",
    "not_reachable",
    "declined_care",
    "duplicate",
    "other",
)
REASON_MAX = 2000


class Result(enum.StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"  # already so: nothing written
    NOT_FOUND = "not_found"  # no such submitted intake (or clinician)
    CONFLICT = "conflict"  # the intake's state does not allow it (closed, for instance)
    INVALID = "invalid"  # a value outside its list, or a required reason missing
    NEEDS_ROLE = "needs_role"  # lowering a crisis: a clinician, the director or an admin only
    NOT_ELIGIBLE = "not_eligible"  # that clinician is not eligible; "override eligibility"


def _reason(text: str | None) -> str | None:
    text = (text or "").strip()
    return text if 0 < len(text) <= REASON_MAX else None


def _locked(intake_id: int) -> Intake | None:
    intake: Intake | None = db.session.scalar(
        select(Intake).where(Intake.id == intake_id).with_for_update()
    )
    if intake is None or intake.submitted_at is None:
        return None
    return intake


def _stop(result: Result) -> Result:
    db.session.rollback()
    return result


def may_lower_crisis(user: User) -> bool:
    """A crisis decision is lowered by a clinician, the clinical director or an admin; never by
    a coordinator alone."""
    if user.role in (Role.CLINICIAN, Role.ADMIN):
        return True
    director = clinical_director()
    return director is not None and director.id == user.id


def override_route(
    intake_id: int,
    actor: User,
    *,
    reason: str | None,
    urgency: str | None = None,
    service_line: str | None = None,
    modality: str | None = None,
    ip: str | None = None,
) -> Result:
    """Change what applies to the intake (urgency, service line, modality) with a reason.

    `decision` keeps what the rules said; each override is appended to `overrides` with the
    values before and after, the reason, who and when. Raising to crisis starts the crisis
    protocol (alerts); lowering an intake the rules or a person made crisis needs
    `may_lower_crisis`. The current assignment is kept: reassign if it no longer fits.
    """
    why = _reason(reason)
    if (
        why is None
        or (urgency is not None and urgency not in URGENCIES)
        or (service_line is not None and service_line not in SERVICE_LINES)
        or (modality is not None and modality not in MODALITIES)
    ):
        return _stop(Result.INVALID)
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if intake.status == IntakeStatus.CLOSED:
        return _stop(Result.CONFLICT)
    wanted = {"urgency": urgency, "service_line": service_line, "modality": modality}
    fields = {
        name: {"from": getattr(intake, name), "to": value}
        for name, value in wanted.items()
        if value is not None and value != getattr(intake, name)
    }
    if not fields:
        return _stop(Result.UNCHANGED)
    direction = None
    if "urgency" in fields:
        before, after = urgency_rank(intake.urgency), urgency_rank(urgency)
        direction = "lower" if after > before else "raise"
        was_crisis = (
            intake.urgency == "crisis" or (intake.decision or {}).get("urgency") == "crisis"
        )
        if direction == "lower" and was_crisis and not may_lower_crisis(actor):
            return _stop(Result.NEEDS_ROLE)
    for name, change in fields.items():
        setattr(intake, name, change["to"])
    intake.urgency_rank = urgency_rank(intake.urgency)
    entry = {"fields": fields, "reason": why, "by": actor.id, "at": utcnow().isoformat()}
    intake.overrides = [*(intake.overrides or []), entry]  # a new list: JSON change is seen
    rows: list[Notification] = []
    if urgency == "crisis" and intake.crisis_at is None:
        intake.crisis_at = utcnow()
        rows = crisis_alert_rows(intake)
    audit(
        "intake.overridden",
        "intake",
        intake.id,
        actor=actor,
        ip=ip,
        fields=fields,
        direction=direction,
    )
    written = notifications.flush_ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Result.DONE


def eligibility(intake_id: int) -> dict[int, list[str]]:
    """For each active clinician (profile id), why they are not eligible (empty: eligible)."""
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        return {}
    profiles = db.session.scalars(
        select(ClinicianProfile)
        .join(User)
        .options(contains_eager(ClinicianProfile.user))
        .where(User.active.is_(True))
    ).all()
    return ineligible(intake, profiles)


def assign_to(
    intake_id: int,
    actor: User,
    clinician_id: int,
    *,
    reason: str | None,
    override_eligibility: bool = False,
    eligibility_reason: str | None = None,
    ip: str | None = None,
) -> Result:
    """Offer the intake to the clinician a coordinator chose, with a reason.

    Whoever held it loses access at once and is told it was withdrawn (`withdraw_current`).
    A clinician who is not eligible (license, modality, capacity, service line) is refused
    unless `override_eligibility` with its own reason; a disabled account never.
    """
    why = _reason(reason)
    if why is None:
        return _stop(Result.INVALID)
    override_why = _reason(eligibility_reason) if override_eligibility else None
    if override_eligibility and override_why is None:
        return _stop(Result.INVALID)
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if intake.status in (IntakeStatus.CLOSED, IntakeStatus.CONTACTED):
        return _stop(Result.CONFLICT)
    profile = db.session.get(ClinicianProfile, clinician_id)
    if profile is None or not profile.user.active:
        return _stop(Result.NOT_FOUND)
    current = intake.current_assignment
    if current is not None and current.clinician_id == profile.id:
        return _stop(Result.UNCHANGED)
    problems = ineligible(intake, [profile])[profile.id]
    if problems and not override_eligibility:
        return _stop(Result.NOT_ELIGIBLE)
    rows = withdraw_current(intake, actor, ip)
    text = f"Chosen by {actor.display_name}: {why}"
    if problems:
        text += f" Eligibility overridden ({'; '.join(problems)}): {override_why}"
    rows.append(
        offer_to(
            intake,
            profile,
            text[:4000],
            actor=actor,
            ip=ip,
            chosen=True,
            eligibility_overridden=bool(problems),
        )
    )
    written = notifications.flush_ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)
    return Result.DONE


def outreach_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The outreach form's fields (staff and clinicians post the same form)."""
    return {
        "channel": form.get("channel") or "",
        "outcome": form.get("outcome") or "",
        "note": form.get("note"),
        "form_token": form.get("form_token") or "",
    }


def record_outreach(
    intake_id: int,
    actor: User,
    *,
    channel: str,
    outcome: str,
    note: str | None,
    form_token: str,
    ip: str | None = None,
) -> Result:
    """One attempt at reaching the person; "reached" is the first contact (status contacted).

    `form_token` is the form's one-time token: the same form sent twice records one attempt.
    """
    note = (note or "").strip()[:REASON_MAX] or None
    if channel not in CHANNELS or outcome not in OUTCOMES or not 16 <= len(form_token) <= 64:
        return _stop(Result.INVALID)
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if intake.status == IntakeStatus.CLOSED:
        return _stop(Result.CONFLICT)
    seen = db.session.scalar(
        select(OutreachAttempt.id).where(OutreachAttempt.form_token == form_token)
    )
    if seen is not None:
        return _stop(Result.UNCHANGED)
    attempt = OutreachAttempt(
        intake_id=intake.id,
        user_id=actor.id,
        channel=channel,
        outcome=outcome,
        note=note,
        form_token=form_token,
    )
    db.session.add(attempt)
    first = outcome == "reached" and intake.first_contact_at is None
    if first:
        intake.first_contact_at = attempt.at = utcnow()
        intake.status = IntakeStatus.CONTACTED
    db.session.flush()
    audit(
        "intake.outreach",
        "intake",
        intake.id,
        actor=actor,
        ip=ip,
        attempt=attempt.id,
        channel=channel,
        outcome=outcome,
        first_contact=first,
    )
    db.session.commit()
    return Result.DONE


def close(intake_id: int, actor: User, reason: str, ip: str | None = None) -> Result:
    """Close the follow-up with a reason code. An offer nobody accepted is taken back (no
    message: nothing is asked of them any more); an accepted clinician keeps the intake."""
    if reason not in CLOSE_REASONS:
        return _stop(Result.INVALID)
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if intake.status == IntakeStatus.CLOSED:
        return _stop(Result.UNCHANGED)
    now = utcnow()
    for assignment in intake.assignments:
        if assignment.status == AssignmentStatus.OFFERED:
            assignment.status = AssignmentStatus.RELEASED
            assignment.responded_at = now
    intake.status = IntakeStatus.CLOSED
    intake.closed_at = now
    intake.close_reason = reason
    audit("intake.closed", "intake", intake.id, actor=actor, ip=ip, reason=reason)
    db.session.commit()
    return Result.DONE


def reopen(intake_id: int, actor: User, ip: str | None = None) -> Result:
    """Back to where its follow-up stood: contacted, accepted, or waiting in its queue."""
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if intake.status != IntakeStatus.CLOSED:
        return _stop(Result.UNCHANGED)
    held = [a for a in intake.assignments if a.status in OPEN_ASSIGNMENT]
    if intake.first_contact_at is not None:
        intake.status = IntakeStatus.CONTACTED
    elif held:
        intake.status = IntakeStatus.ACCEPTED
    else:
        intake.status = IntakeStatus.SUBMITTED
        intake.queued_at = utcnow()
    intake.closed_at = None
    intake.close_reason = None
    audit("intake.reopened", "intake", intake.id, actor=actor, ip=ip)
    db.session.commit()
    return Result.DONE
