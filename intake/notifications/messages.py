"""PHI-free messages built from templates/email/<kind>.txt and .html.

A message to staff carries a reference, a deadline and a link to sign in, and nothing else:
no service line, queue name, urgency word or instrument, and never a name, contact detail,
answer, score or free text (design.md: a mailbox is read on phones, forwarded and kept by a
mail provider). A crisis alert says "Safety alert: acknowledge by 14:35 EST". Deadlines are
shown in the practice's time zone (BUSINESS_TZ).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from itsdangerous import BadData, URLSafeSerializer

from intake.escalation.targets import acknowledge_minutes, crisis_escalation_seconds
from intake.extensions import LANGUAGES, db
from intake.models import Assignment, Notification, NotificationKind, User, as_utc
from intake.tokens import resume_url

SUBJECTS: dict[str, str] = {  # by NotificationKind; {deadline} is filled in where known
    NotificationKind.ASSIGNMENT: "Intake assigned to you: accept by {deadline}",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting for a clinician since {deadline}",
    NotificationKind.UNASSIGNED_DIGEST: "Intakes waiting for a clinician",
    NotificationKind.CRISIS_ALERT: "Safety alert: acknowledge by {deadline}",
    NotificationKind.ESCALATION: "Safety alert not acknowledged (due {deadline})",
    NotificationKind.ASSIGNMENT_OVERDUE: "Assignment not accepted by {deadline}",
    NotificationKind.ASSIGNMENT_WITHDRAWN: "An intake was withdrawn from you",
    NotificationKind.ASSIGNMENT_DECLINED: "Intake declined: offered again, accept by {deadline}",
    NotificationKind.UNFINISHED_SAFETY: "Safety alert: review by {deadline}",
    NotificationKind.RESUME_LINK: "Your link to continue your Wayfinder form",
    NotificationKind.PATIENT_CONFIRMATION: "We received your request",
    NotificationKind.DEAD_LETTER: "A notification could not be delivered",
    NotificationKind.ACCOUNT_INVITE: "Your Wayfinder account: set your password",
    NotificationKind.PASSWORD_RESET: "Wayfinder: set a new password",
}
# The same subject when the deadline is unknown (e.g. an offer without an accept-by time).
UNDATED_SUBJECTS: dict[str, str] = {
    NotificationKind.ASSIGNMENT: "Intake assigned to you: please accept or decline",
    NotificationKind.QUEUE_UNASSIGNED: "Intake waiting for a clinician",
    NotificationKind.CRISIS_ALERT: "Safety alert: acknowledge now",
    NotificationKind.ESCALATION: "Safety alert not acknowledged",
    NotificationKind.ASSIGNMENT_OVERDUE: "Assignment not accepted in time",
    NotificationKind.ASSIGNMENT_DECLINED: "Intake declined: back in its queue",
    NotificationKind.UNFINISHED_SAFETY: "Safety alert: review now",
}
# Messages whose link sets the recipient's password (the link is the message's only secret).
SET_PASSWORD_KINDS = (NotificationKind.ACCOUNT_INVITE, NotificationKind.PASSWORD_RESET)
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
    if row.to_patient:  # in the language of the intake (the Spanish: intake/public/spanish.py)
        text = gettext(text)
    if row.intake is not None:
        return f"{text} ({row.intake.reference})"
    return text


def compose(row: Notification) -> EmailMessage:
    """Build the multipart (text + HTML) message; ids and codes only."""
    msg = EmailMessage()
    # A patient reads their email in the language of their intake; staff messages are English.
    language = patient_language(row) if row.to_patient else "en"
    with force_locale(language):
        msg["Subject"] = subject(row)
        context = {**_context(row), "language": language}
        text = render_template(f"email/{row.kind}.txt", **context)
        html = render_template(f"email/{row.kind}.html", **context)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = recipient_address(row) or ""
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(row)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if language != "en":  # after the parts: setting the content clears Content-* headers
        msg["Content-Language"] = language
    return msg


def patient_language(row: Notification) -> str:
    """The language of the intake a patient message is about (`Intake.language`), if offered."""
    language = row.intake.language if row.intake is not None else None
    return language if language in LANGUAGES else "en"


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
    if row.kind in SET_PASSWORD_KINDS:  # the link and when it stops working; no name
        return {
            "kind": row.kind,
            "link": link(row),
            "expires": show_time(set_password_expiry(row)),
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
    time; a declined offer: the accept-by time of the offer that followed it; a queued intake:
    since when it waits. None when unknown.
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
    if kind in (
        NotificationKind.ASSIGNMENT,
        NotificationKind.ASSIGNMENT_OVERDUE,
        NotificationKind.ASSIGNMENT_DECLINED,
    ):
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
    if row.kind in SET_PASSWORD_KINDS and row.recipient is not None:
        return set_password_url(row.recipient, set_password_expiry(row))
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


# --- Set-password links (an invitation, an admin's reset) -------------------------------------
#
# The token is signed {user id, fingerprint of the user's password hash, expiry}; nothing about
# it is stored. Setting a password changes the hash, so a link works once; an invitation or a
# reset gives the account a new random password, so it also ends every older link. The link is
# signed when the email is composed (a retried send carries the same link); its expiry counts
# from when the outbox row was written.
SET_PASSWORD_SALT = "wayfinder.set-password.v1"  # noqa: S105 - a purpose, not a secret
SET_PASSWORD_MAX_AGE = timedelta(hours=72)
SET_PASSWORD_PATH = "/account/set-password/"  # noqa: S105 - intake/admin/views.py


def _set_password_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SET_PASSWORD_SALT)


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does (each hash has its own salt): binds a link to it."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:24]


def set_password_expiry(row: Notification) -> datetime:
    return as_utc(row.created_at) + SET_PASSWORD_MAX_AGE


def set_password_token(user: User, expires: datetime) -> str:
    payload = {"u": user.id, "f": password_fingerprint(user), "x": int(expires.timestamp())}
    return str(_set_password_serializer().dumps(payload))


def set_password_url(user: User, expires: datetime) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}{SET_PASSWORD_PATH}{set_password_token(user, expires)}"


def set_password_claim(token: str) -> tuple[User, str, int] | None:
    """(the active user, their password fingerprint, the expiry in epoch seconds) a link names,
    or None: bad signature, expired, used (the password changed since), or a disabled account."""
    if not isinstance(token, str) or len(token) > 512:
        return None
    try:
        data = _set_password_serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict) or type(data.get("u")) is not int:
        return None
    expires = data.get("x")
    if type(expires) is not int or expires <= datetime.now(UTC).timestamp():
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(data.get("f")), password_fingerprint(user)):
        return None
    return user, password_fingerprint(user), expires
