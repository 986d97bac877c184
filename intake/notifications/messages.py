"""PHI-free messages built from templates/email/<kind>.txt and .html.

A message says what kind of event happened, its urgency and queue, the reference number and a
link to sign in; never a name, contact detail, answer, score or free text.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import current_app, render_template

from intake.escalation.targets import acknowledge_minutes
from intake.models import Notification, NotificationKind
from intake.tokens import resume_url

SUBJECTS: dict[str, str] = {  # by NotificationKind
    NotificationKind.ASSIGNMENT: "New intake assigned to you",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting in a queue with no eligible clinician",
    NotificationKind.UNASSIGNED_DIGEST: "Intakes waiting without a clinician",
    NotificationKind.CRISIS_ALERT: "CRISIS intake: acknowledge now",
    NotificationKind.ESCALATION: "ESCALATION: crisis intake not acknowledged",
    NotificationKind.ASSIGNMENT_OVERDUE: "ESCALATION: assignment not accepted in time",
    NotificationKind.ASSIGNMENT_WITHDRAWN: "An intake was withdrawn from you",
    NotificationKind.UNFINISHED_SAFETY: "Safety follow-up: an unfinished form needs review",
    NotificationKind.RESUME_LINK: "Your link to continue your Wayfinder form",
    NotificationKind.PATIENT_CONFIRMATION: "We received your request",
    NotificationKind.DEAD_LETTER: "A notification could not be delivered",
}
# Messages whose link goes to the acknowledge page rather than the intake.
ACKNOWLEDGE_KINDS = (NotificationKind.CRISIS_ALERT, NotificationKind.ESCALATION)
# Messages to someone who no longer has the intake: the reference only, neither in the subject
# nor in the body an urgency, queue, service line or modality.
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
    text = SUBJECTS.get(row.kind, "Wayfinder notification")
    intake = row.intake
    if intake is not None and not row.to_patient and row.kind not in REFERENCE_ONLY_KINDS:
        return f"[{(intake.urgency or 'new').upper()}] {text} ({intake.reference})"
    if intake is not None:
        return f"{text} ({intake.reference})"
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
    if row.kind in REFERENCE_ONLY_KINDS:
        return {
            "kind": row.kind,
            "reference": intake.reference if intake else None,
            "link": link(row),
            "notification_id": row.id,
        }
    return {
        "kind": row.kind,
        "reference": intake.reference if intake else None,
        "urgency": intake.urgency if intake else None,
        "queue": intake.queue if intake else None,
        "service_line": intake.service_line if intake else None,
        "modality": intake.modality if intake else None,
        "link": link(row),
        "practice_phone": current_app.config["PRACTICE_PHONE"],
        "ack_minutes": _ack_minutes(),
        "notification_id": row.id,
        "level": extra.get("level"),
        "minutes": extra.get("minutes"),
    }


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
