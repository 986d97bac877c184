"""The coordinators' actions on an intake: override the route, assign to a chosen clinician,
record outreach and first contact, add an internal note, close and reopen; and what the intake
page reads beside them (its notes, its messages and its timeline from the audit trail).

Each function is one use case and one transaction: it locks the intake, checks, changes it,
writes its audit entry (ids and codes only: a reason or a note stays on its row, never in the
audit trail), commits and dispatches. Repeating an action that is already in effect changes
nothing and says so (`Result.UNCHANGED`), so a resubmitted form is harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from intake import jobs, notifications
from intake.extensions import db
from intake.matching import ineligible
from intake.models import (
    OPEN_ASSIGNMENT,
    AssignmentStatus,
    AuditEvent,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Note,
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
NOTE_MAX = 4000  # characters in one internal note
TOKEN_LENGTH = (16, 64)  # a form's one-time token (secrets.token_urlsafe(24) is 32)


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
    if channel not in CHANNELS or outcome not in OUTCOMES or not _token_ok(form_token):
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


def _token_ok(form_token: str) -> bool:
    return TOKEN_LENGTH[0] <= len(form_token) <= TOKEN_LENGTH[1]


def note_problem(body: str | None) -> str | None:
    """What is wrong with a note's text, as a sentence for the form; None when it is fine."""
    text = (body or "").strip()
    if not text:
        return "Write the note before saving it."
    if len(text) > NOTE_MAX:
        return f"A note holds at most {NOTE_MAX:,} characters; this one has {len(text):,}."
    return None


def add_note(
    intake_id: int,
    actor: User,
    *,
    body: str | None,
    form_token: str,
    ip: str | None = None,
) -> Result:
    """An internal note on the intake (staff and its clinician read it; never the person).

    The text stays on its row: the audit entry holds the note's id only. `form_token` is the
    form's one-time token: the same form sent twice adds one note. A closed intake still takes
    notes (what happened after closing is worth writing down).
    """
    if note_problem(body) is not None or not _token_ok(form_token):
        return _stop(Result.INVALID)
    intake = _locked(intake_id)
    if intake is None:
        return _stop(Result.NOT_FOUND)
    if db.session.scalar(select(Note.id).where(Note.form_token == form_token)) is not None:
        return _stop(Result.UNCHANGED)
    note = Note(
        intake_id=intake.id, user_id=actor.id, body=(body or "").strip(), form_token=form_token
    )
    db.session.add(note)
    db.session.flush()
    audit("intake.note_added", "intake", intake.id, actor=actor, ip=ip, note=note.id)
    db.session.commit()
    return Result.DONE


def notes_for(intake_id: int) -> list[Note]:
    """Every internal note on an intake, oldest first, with who wrote it."""
    return list(
        db.session.scalars(
            select(Note)
            .options(joinedload(Note.user))
            .where(Note.intake_id == intake_id)
            .order_by(Note.at, Note.id)
        )
    )


def notifications_for(intake_id: int) -> list[Notification]:
    """Every message the outbox holds about an intake, oldest first, with its recipient."""
    return list(
        db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.recipient))
            .where(Notification.intake_id == intake_id)
            .order_by(Notification.created_at, Notification.id)
        )
    )


# What each audited action on an intake means, in the words staff use. An action missing here
# is shown by its code, so a new one is never hidden from the timeline.
TIMELINE_WORDS = {
    "intake.submitted": "Submitted; the rules decided",
    "intake.queued": "Waiting in its queue for a clinician",
    "intake.assigned": "Offered to a clinician",
    "intake.reassigned": "Assignment ran again",
    "intake.modality_changed": "Modality switched",
    "intake.overridden": "Route overridden",
    "intake.outreach": "Outreach attempt recorded",
    "intake.note_added": "Internal note added",
    "intake.closed": "Closed",
    "intake.reopened": "Reopened",
    "intake.exported": "Exported (FHIR)",
    "crisis.alerted": "Crisis alert sent",
    "crisis.escalated": "Crisis alert escalated",
    "crisis.acknowledged": "Crisis alert acknowledged",
    "draft.crisis": "Crisis answer given in the form",
    "draft.crisis_text": "Crisis words typed in the form",
    "draft.unfinished_safety": "Coordinators told: form left unsubmitted",
    "assignment.accepted": "Clinician accepted",
    "assignment.declined": "Clinician declined",
    "assignment.released": "Taken back from the clinician",
    "assignment.overdue": "Offer not accepted in time: coordinators told",
    "notification.dead": "A message could not be delivered",
    "notification.retried": "A message was queued again",
}
# Not in the timeline: opening the record (the audit trail keeps every view).
TIMELINE_LEFT_OUT = ("intake.viewed",)
TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    who: str  # the actor's name, or "Wayfinder" for the system
    detail: str  # codes only (a channel, an outcome, a reason code), never free text


def _detail(event: AuditEvent) -> str:
    d = event.detail or {}
    parts = []
    if event.action == "intake.outreach":
        parts.append(f"{d.get('channel', '')}, {str(d.get('outcome', '')).replace('_', ' ')}")
        if d.get("first_contact"):
            parts.append("first contact")
    if event.action == "intake.closed" and d.get("reason"):
        parts.append(str(d["reason"]).replace("_", " "))
    if event.action == "intake.overridden":
        fields = d.get("fields") or {}
        parts += [
            f"{name.replace('_', ' ')}: {ch.get('from') or 'none'} to {ch.get('to')}"
            for name, ch in fields.items()
            if isinstance(ch, dict)
        ]
    if event.action == "crisis.escalated" and d.get("level"):
        parts.append(f"level {d['level']}")
    if event.action == "notification.dead" and d.get("kind"):
        parts.append(str(d["kind"]).replace("_", " "))
    return "; ".join(p for p in parts if p)


def timeline(intake: Intake) -> list[TimelineEntry]:
    """What happened to the intake, oldest first, from the audit trail: the intake's own
    entries (outreach and notes are among them), its assignments' and its messages'."""
    assignment_ids = [str(a.id) for a in intake.assignments]
    message_ids = [
        str(i)
        for i in db.session.scalars(
            select(Notification.id).where(Notification.intake_id == intake.id)
        )
    ]
    about = [and_(AuditEvent.object_type == "intake", AuditEvent.object_id == str(intake.id))]
    if assignment_ids:
        about.append(
            and_(AuditEvent.object_type == "assignment", AuditEvent.object_id.in_(assignment_ids))
        )
    if message_ids:
        about.append(
            and_(AuditEvent.object_type == "notification", AuditEvent.object_id.in_(message_ids))
        )
    rows = db.session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(or_(*about), AuditEvent.action.not_in(TIMELINE_LEFT_OUT))
        .order_by(AuditEvent.at, AuditEvent.id)
        .limit(TIMELINE_LIMIT)
    ).all()
    return [
        TimelineEntry(
            at=event.at,
            what=TIMELINE_WORDS.get(event.action, event.action),
            who=name or "Wayfinder",
            detail=_detail(event),
        )
        for event, name in rows
    ]


def close(intake_id: int, actor: User, reason: str, ip: str | None = None) -> Result:
    """Close the follow-up with a reason code. An offer nobody accepted is taken back (no
    message: nothing is asked of them any more); an accepted clinician keeps the intake to
    read, off their caseload (completed)."""
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
        elif assignment.status == AssignmentStatus.ACCEPTED:
            assignment.status = AssignmentStatus.COMPLETED
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
    for assignment in intake.assignments:  # back on the caseload of whoever held it
        if assignment.status == AssignmentStatus.COMPLETED:
            assignment.status = AssignmentStatus.ACCEPTED
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
