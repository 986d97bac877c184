"""PHI-free messages, the mailers behind one small interface, and outbox delivery.

A message says what kind of event happened, its urgency and queue, the reference number and a
link to sign in; never a name, contact detail, answer, score or free text. Delivery claims the
outbox row with a guarded status change, so a re-delivered or duplicated task sends nothing.
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from intake.extensions import db
from intake.models import Notification, NotificationKind, NotificationStatus, User, utcnow

log = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.ASSIGNMENT: "New intake assigned to you",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting in a queue with no eligible clinician",
    NotificationKind.CRISIS_ALERT: "CRISIS intake: acknowledge now",
    NotificationKind.ESCALATION: "ESCALATION: crisis intake not acknowledged",
    NotificationKind.RESUME_LINK: "Your link to continue your Wayfinder form",
    NotificationKind.PATIENT_CONFIRMATION: "We received your request",
    NotificationKind.DEAD_LETTER: "A notification could not be delivered",
}


class DeliveryError(Exception):
    """Sending failed. `transient` errors are retried; the others end in the dead state."""

    def __init__(self, code: str, *, transient: bool) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpMailer:
    host: str
    port: int
    timeout: float
    starttls: bool = False

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"smtp {codes[0]}", transient=all(400 <= c < 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"smtp {exc.smtp_code}", transient=400 <= exc.smtp_code < 500
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(type(exc).__name__, transient=True) from None


@dataclass
class MailboxMailer:
    """Development: each message becomes one .eml file, named by its Message-ID (idempotent)."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").split("@")[0]
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


def mailer() -> Mailer:
    cfg = current_app.config
    if cfg["SMTP_HOST"]:
        return SmtpMailer(
            cfg["SMTP_HOST"],
            int(cfg["SMTP_PORT"]),
            float(cfg["SMTP_TIMEOUT"]),
            bool(cfg["SMTP_STARTTLS"]),
        )
    return MailboxMailer(Path(cfg["MAILBOX_DIR"]))


def message_id(row: Notification) -> str:
    """Stable per outbox row, so a resend after an unknown outcome can be deduplicated."""
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "wayfinder.invalid"
    return f"<wayfinder-notification-{row.id}@{domain}>"


def recipient_address(row: Notification) -> str | None:
    if row.to_patient:
        return (row.intake.contact or {}).get("email") if row.intake else None
    return row.recipient.email if row.recipient else None


def compose(row: Notification) -> EmailMessage:
    """Build the message from templates/email/<kind>.txt and .html; ids and codes only."""
    base = current_app.config["BASE_URL"].rstrip("/")
    intake = row.intake
    context = {
        "kind": row.kind,
        "reference": intake.reference if intake else None,
        "urgency": intake.urgency if intake else None,
        "queue": intake.queue if intake else None,
        "service_line": intake.service_line if intake else None,
        "modality": intake.modality if intake else None,
        "link": _link(base, row),
        "practice_phone": current_app.config["PRACTICE_PHONE"],
        "notification_id": row.id,
    }
    msg = EmailMessage()
    subject = SUBJECTS.get(row.kind, "Wayfinder notification")
    if intake is not None and not row.to_patient:
        subject = f"[{(intake.urgency or 'new').upper()}] {subject} ({intake.reference})"
    elif intake is not None:
        subject = f"{subject} ({intake.reference})"
    msg["Subject"] = subject
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = recipient_address(row) or ""
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(row)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render_template(f"email/{row.kind}.txt", **context))
    msg.add_alternative(render_template(f"email/{row.kind}.html", **context), subtype="html")
    return msg


def _link(base: str, row: Notification) -> str:
    if row.to_patient:
        return f"{base}/"
    if row.kind == NotificationKind.ASSIGNMENT and row.intake:
        return f"{base}/clinician/intakes/{row.intake.id}"
    if row.intake:
        return f"{base}/staff/intakes/{row.intake.id}"
    return f"{base}/staff/"


def _claim(notification_id: int) -> bool:
    """pending/retry (or a stale sending lease) -> sending, atomically; False if not ours."""
    now = utcnow()
    lease = now - timedelta(seconds=current_app.config["SEND_LEASE_SECONDS"])
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.RETRY)),
                (Notification.status == NotificationStatus.SENDING)
                & (Notification.claimed_at < lease),
            ),
        )
        .values(
            status=NotificationStatus.SENDING, claimed_at=now, attempts=Notification.attempts + 1
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff_seconds(attempt: int, cap: float = 600.0) -> float:
    """Exponential backoff with full jitter: 2, 4, 8 ... seconds, at most `cap`."""
    return random.uniform(1.0, min(cap, 2.0 ** max(attempt, 1)))  # noqa: S311 - jitter, not crypto


def deliver(notification_id: int) -> float | None:
    """Send one outbox row. Returns None when done (sent, dead or not ours), else a retry delay."""
    if not _claim(notification_id):
        log.info("notification %s: already handled, nothing sent", notification_id)
        return None
    row = db.session.get(Notification, notification_id, populate_existing=True)
    assert row is not None  # noqa: S101 - claimed just above
    address = recipient_address(row)
    try:
        if not address:
            raise DeliveryError("no recipient address", transient=False)
        mailer().send(compose(row))
    except DeliveryError as exc:
        return _failed(row, exc)
    row.status = NotificationStatus.SENT
    row.sent_at = utcnow()
    row.message_id = message_id(row)
    row.last_error = None
    db.session.commit()
    log.info("notification %s (%s) sent, attempt %s", row.id, row.kind, row.attempts)
    return None


def _failed(row: Notification, exc: DeliveryError) -> float | None:
    row.last_error = exc.code[:255]
    if exc.transient and row.attempts < current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        delay = backoff_seconds(row.attempts)
        row.status = NotificationStatus.RETRY
        row.available_at = utcnow() + timedelta(seconds=delay)
        db.session.commit()
        log.warning("notification %s: %s, retry %s in %.1fs", row.id, exc.code, row.attempts, delay)
        return delay
    row.status = NotificationStatus.DEAD
    log.error("notification %s: %s after %s attempt(s): dead", row.id, exc.code, row.attempts)
    new_ids = _dead_letter_alerts(row)
    db.session.commit()
    from intake import jobs

    jobs.dispatch_notifications(new_ids)
    return None


def _dead_letter_alerts(row: Notification) -> list[int]:
    """Tell coordinators that a message is dead (never about a dead-letter alert itself)."""
    if row.kind == NotificationKind.DEAD_LETTER:
        return []
    from intake.services import coordinators

    ids = []
    for user in coordinators():
        alert = Notification(
            kind=NotificationKind.DEAD_LETTER,
            intake_id=row.intake_id,
            recipient_user_id=user.id,
            dedupe_key=f"dead:{row.id}:{user.id}:{row.attempts}",
        )
        db.session.add(alert)
        db.session.flush()
        ids.append(alert.id)
    return ids


def due_for_sweep(limit: int = 200) -> list[int]:
    """Rows the fast path may have lost: pending/retry past their time, or a stale 'sending'."""
    now = utcnow()
    grace = now - timedelta(seconds=current_app.config["OUTBOX_GRACE_SECONDS"])
    lease = now - timedelta(seconds=current_app.config["SEND_LEASE_SECONDS"])
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                or_(
                    Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.RETRY))
                    & (Notification.available_at < grace),
                    (Notification.status == NotificationStatus.SENDING)
                    & (Notification.claimed_at < lease),
                )
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def sweep_outbox() -> int:
    """Re-dispatch rows the fast path lost; push their next sweep time out by the grace period."""
    from intake import jobs

    ids = due_for_sweep()
    if not ids:
        return 0
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(available_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    sent = jobs.dispatch_notifications(ids)
    log.info("outbox sweep: %s row(s) re-dispatched, %s accepted by the broker", len(ids), sent)
    return len(ids)


def retry_dead(notification_id: int, actor: User) -> bool:
    """Staff: put a dead row back to pending and dispatch it again."""
    from intake import jobs
    from intake.services import audit

    row = db.session.get(Notification, notification_id)
    if row is None or row.status != NotificationStatus.DEAD:
        return False
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.available_at = utcnow()
    audit("notification.retried", "notification", row.id, actor=actor)
    db.session.commit()
    jobs.dispatch_notifications([row.id])
    return True
