"""PHI-free messages built from templates/email/<kind>.txt and .html.

A message to staff carries a reference, a deadline and a link to sign in, and nothing else:
no service line, queue name, urgency word or instrument, and never a name, contact detail,
answer, score or free text (design.md: a mailbox is read on phones, forwarded and kept by a
mail provider). A crisis alert says "Safety alert: acknowledge by 14:35 EST". Deadlines are
shown in the practice's time zone (BUSINESS_TZ).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template

from intake.escalation.targets import acknowledge_minutes, crisis_escalation_seconds
from intake.extensions import db
from intake.models import Assignment, Notification, NotificationKind, as_utc
from intake.tokens import resume_url

SUBJECTS: dict[str, str] = {  # by NotificationKind; {deadline} is filled in where known
    NotificationKind.ASSIGNMENT: "Intake assigned to you: accept by {deadline}",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting for a clinician since {deadline}",
    NotificationKind.UNASSIGNED_DIGEST: "Intakes waiting for a clinician",
    NotificationKind.CRISIS_ALERT: "Safety alert: acknowledge by {deadline}",
    NotificationKind.ESCALATION: "Safety alert not acknowledged (due {deadline})",
    NotificationKind.ASSIGNMENT_OVERDUE: "Assignment not accepted by {deadline}",
    NotificationKind.ASSIGNMENT_WITHDRAWN: "An intake was withdrawn from you",
    NotificationKind.UNFINISHED_SAFETY: "Safety alert: review by {deadline}",
    NotificationKind.RESUME_LINK: "Your link to continue your Wayfinder form",
    NotificationKind.PATIENT_CONFIRMATION: "We received your request",
    NotificationKind.DEAD_LETTER: "A notification could not be delivered",
}
# The same subject when the deadline is unknown (e.g. an offer without an accept-by time).
UNDATED_SUBJECTS: dict[str, str] = {
    NotificationKind.ASSIGNMENT: "Intake assigned to you: please accept or decline",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting for a clinician",
    NotificationKind.CRISIS_ALERT: "Safety alert: acknowledge now",
    NotificationKind.ESCALATION: "Safety alert not acknowledged",
    NotificationKind.ASSIGNMENT_OVERDUE: "Assignment not accepted in time",
    NotificationKind.UNFINISHED_SAFETY: "Safety alert: review now",
}
# Messages whose link goes to the acknowledge page rather than the intake.
ACKNOWLEDGE_KINDS = (NotificationKind.CRISIS_ALERT, NotificationKind.ESCALATION)
# Messages to someone who no longer has the intake: the reference only, no deadline.
REFERENCE_ONLY_KINDS = (NotificationKind.ASSIGNMENT_WITHDRAWN,)


def message_id(row: Notification) -> str:
    """Stable per outbox row, so a resend after an unknown outcome can be deduplicated."""
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "wayfinder.invalid"
    return f"<wayfinder-notification-{row.id}@{domain}>"


def recipient_address(row: Notification) -> str | None:
    if row.to_patient:
        return (row.intake.contact or {}).get("email") if row.intake else None
    return row.recipient.email if row.recipient else None


def subject(row: Notification) -> str:
    """What the message is, its deadline and the reference; no urgency, queue or instrument."""
    when = deadline(row)
    if when is not None and row.kind in SUBJECTS:
        text = SUBJECTS[row.kind].format(deadline=show_time(when))
    else:
        text = UNDATED_SUBJECTS.get(row.kind) or SUBJECTS.get(row.kind, "Wayfinder notification")
    if row.intake is not None:
        return f"{text} ({row.intake.reference})"
    return text


def compose(row: Notification) -> EmailMessage:
    """Build the multipart (text + HTML) message; ids and codes only."""
    msg = EmailMessage()
    msg["Subject"] = subject(row)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = recipient_address(row) or ""
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(row)
    msg["Auto-Submitted"] = "auto-generated"
    context = _context(row)
    msg.set_content(render_template(f"email/{row.kind}.txt", **context))
    msg.add_alternative(render_template(f"email/{row.kind}.html", **context), subtype="html")
    return msg


def _context(row: Notification) -> dict[str, Any]:
    """What the templates may say: the kind, the reference, the deadline, the link and counts.

    Nothing clinical is passed, so no template can show it (tests render every kind)."""
    intake = row.intake
    extra = row.context or {}
    if row.kind == NotificationKind.UNASSIGNED_DIGEST:  # references and waiting times only
        return {
            "kind": row.kind,
            "items": extra.get("items") or [],
            "total": int(extra.get("total") or 0),
            "link": link(row),
            "notification_id": row.id,
        }
    when = None if row.kind in REFERENCE_ONLY_KINDS else deadline(row)
    return {
        "kind": row.kind,
        "reference": intake.reference if intake else None,
        "deadline": show_time(when) if when is not None else None,
        "link": link(row),
        "practice_phone": current_app.config["PRACTICE_PHONE"],
        "ack_minutes": _ack_minutes(),
        "notification_id": row.id,
        "level": extra.get("level"),
    }


def deadline(row: Notification) -> datetime | None:
    """The time the message asks its reader to act by (or, for a wait, since when); UTC.

    Crisis alert and escalation: the acknowledgement due time (the first escalation step after
    the crisis answer); unfinished safety: now; an offer and an overdue offer: its accept-by
    time; a queued intake: since when it waits. None when unknown.
    """
    intake = row.intake
    if intake is None or row.to_patient:
        return None
    kind = row.kind
    if kind in (NotificationKind.CRISIS_ALERT, NotificationKind.ESCALATION):
        if intake.crisis_at is None:
            return None
        return as_utc(intake.crisis_at) + timedelta(seconds=crisis_escalation_seconds()[0])
    if kind == NotificationKind.UNFINISHED_SAFETY:
        return as_utc(row.created_at)
    if kind in (NotificationKind.ASSIGNMENT, NotificationKind.ASSIGNMENT_OVERDUE):
        offer = _offer(row)
        return as_utc(offer.accept_by) if offer is not None and offer.accept_by else None
    if kind == NotificationKind.QUEUE_UNASSIGNED:
        return intake.waiting_since()
    return None


def _offer(row: Notification) -> Assignment | None:
    """The offer a message is about: context {"assignment": id} or the key "assignment:<id>"."""
    found = (row.context or {}).get("assignment")
    if found is None and row.dedupe_key.startswith("assignment:"):
        found = row.dedupe_key.split(":", 1)[1]
    try:
        return db.session.get(Assignment, int(found)) if found is not None else None
    except (TypeError, ValueError):
        return None


def show_time(when: datetime) -> str:
    """A deadline as the practice reads it: "14:35 EST" today, "Tue 1 Dec 14:35 EST" later."""
    zone = ZoneInfo(current_app.config["BUSINESS_TZ"])
    local = as_utc(when).astimezone(zone)
    now = datetime.now(zone)
    clock = local.strftime("%H:%M %Z")
    if local.date() == now.date():
        return clock
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')} {clock}"


def link(row: Notification) -> str:
    """Where the message sends its reader: an opaque id behind sign-in, never PHI."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if row.kind == NotificationKind.RESUME_LINK and row.intake is not None:
        return resume_url(row.intake)
    if row.to_patient:
        return f"{base}/"
    if row.intake is None:
        return f"{base}/staff/"
    if row.kind == NotificationKind.ASSIGNMENT_WITHDRAWN:
        return f"{base}/clinician/"  # the intake itself is a 404 for them now
    if row.kind == NotificationKind.ASSIGNMENT:
        return f"{base}/clinician/intakes/{row.intake.id}"
    if row.kind in ACKNOWLEDGE_KINDS:
        return f"{base}/staff/intakes/{row.intake.id}/acknowledge"
    return f"{base}/staff/intakes/{row.intake.id}"


def _ack_minutes() -> int:
    """Minutes until an unacknowledged crisis alert escalates (the first escalation step)."""
    return acknowledge_minutes()
