"""Tables and their invariants. Models hold data; services own transactions (never models)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, overload

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.crypto import EncryptedJSON, EncryptedText
from intake.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    STAFF = "staff"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class IntakeStatus(enum.StrEnum):
    DRAFT = "draft"  # being filled in; answers saved per step
    SUBMITTED = "submitted"  # decided, waiting in its queue (no clinician yet)
    ASSIGNED = "assigned"  # offered to a clinician
    ACCEPTED = "accepted"  # the clinician took it
    # Not set by any use case yet: the staff workspace will record first contact and closing.
    # Already read (escalation stops at CLOSED; neither is reassigned; the dashboard lists them)
    # so that those use cases only have to set them.
    CONTACTED = "contacted"  # first contact made
    CLOSED = "closed"  # follow-up finished


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    DEAD = "dead"


class NotificationKind(enum.StrEnum):
    ASSIGNMENT = "assignment"  # a clinician was given an intake
    # No longer written (the digest replaced it); kept so that rows already queued still send.
    QUEUE_UNASSIGNED = "queue_unassigned"  # coordinators: no eligible clinician
    UNASSIGNED_DIGEST = "unassigned_digest"  # coordinators: intakes waiting without a clinician
    CRISIS_ALERT = "crisis_alert"
    ESCALATION = "escalation"  # a crisis alert not acknowledged in time
    ASSIGNMENT_OVERDUE = "assignment_overdue"  # coordinators: an offer not accepted in time
    # A clinician: staff took an intake back from them, and their access to it ended.
    ASSIGNMENT_WITHDRAWN = "assignment_withdrawn"
    # Coordinators: a clinician declined an offer (it was offered again, or waits in its queue).
    ASSIGNMENT_DECLINED = "assignment_declined"
    UNFINISHED_SAFETY = "unfinished_safety"  # coordinators: a draft with crisis words left
    RESUME_LINK = "resume_link"
    PATIENT_CONFIRMATION = "patient_confirmation"
    DEAD_LETTER = "dead_letter"  # coordinators: a message could not be delivered
    # A new account or an admin's reset: a link to set a password (the link is the email's only).
    ACCOUNT_INVITE = "account_invite"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a message kind, not a secret


class AssignmentStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RELEASED = "released"  # taken back by staff (reassigned)
    # The intake was closed while accepted: off the clinician's caseload (capacity counts open
    # work only), still theirs to read; reopening makes it accepted again.
    COMPLETED = "completed"


# On the clinician's caseload: what capacity counts and their portal lists.
OPEN_ASSIGNMENT = (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)
# What gives a clinician access to the intake (its page, its notes).
HELD_ASSIGNMENT = (*OPEN_ASSIGNMENT, AssignmentStatus.COMPLETED)


@overload
def as_utc(dt: datetime) -> datetime: ...
@overload
def as_utc(dt: None) -> None: ...
def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, password or role change and disabling: a copied cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Second factor (intake/mfa.py): the TOTP secret once enrolled, the last time step used (a
    # code is good once), and SHA-256 hashes of the unused one-time recovery codes.
    mfa_secret: Mapped[str | None] = mapped_column(EncryptedText)
    mfa_last_step: Mapped[int | None]
    mfa_recovery: Mapped[list[str] | None] = mapped_column(JSON)
    # Sign-in locked after LOGIN_LOCK_AFTER failures in a row, until an admin lifts it
    # (intake/services/lockout.py).
    locked_at: Mapped[datetime | None]

    clinician: Mapped[ClinicianProfile | None] = relationship(back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


class Location(db.Model):  # type: ignore[name-defined,misc]
    """A clinic where in-person visits happen."""

    __tablename__ = "locations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(2))


class ClinicianProfile(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "clinician_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    service_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    license_states: Mapped[list[str]] = mapped_column(JSON, default=list)
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)  # in_person, virtual
    location_code: Mapped[str | None] = mapped_column(ForeignKey("locations.code"))
    capacity: Mapped[int] = mapped_column(default=10)  # open assignments at most
    accepting_new: Mapped[bool] = mapped_column(default=True)
    last_assigned_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="clinician")


class Intake(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "intakes"
    __table_args__ = (
        Index("ix_intakes_queue", "status", "urgency_rank", "submitted_at"),
        Index("ix_intakes_crisis_text_open", "status", "crisis_text_alerted_at", "crisis_text_at"),
        Index("ix_intakes_source", "source_key", "submitted_at"),
        # The staff list's keyset order: crisis first, then urgency, then the longest waiting.
        Index("ix_intakes_worklist", "urgency_rank", "submitted_at", "id"),
        # Open work only (0011; the statuses are queries.OPEN_STATUSES): the default list's
        # keyset order, the open counts per queue, and crisis alerts not acknowledged. Partial,
        # so their size and the time to read them follow the open work, not the closed years.
        Index(
            "ix_intakes_open_worklist",
            "urgency_rank",
            "submitted_at",
            "id",
            postgresql_where=db.text(
                "status IN ('submitted', 'assigned', 'accepted', 'contacted') "
                "AND submitted_at IS NOT NULL"
            ),
            sqlite_where=db.text(
                "status IN ('submitted', 'assigned', 'accepted', 'contacted') "
                "AND submitted_at IS NOT NULL"
            ),
        ),
        Index(
            "ix_intakes_open_queues",
            "service_line",
            "modality",
            "urgency",
            postgresql_where=db.text(
                "status IN ('submitted', 'assigned', 'accepted', 'contacted') "
                "AND submitted_at IS NOT NULL"
            ),
            sqlite_where=db.text(
                "status IN ('submitted', 'assigned', 'accepted', 'contacted') "
                "AND submitted_at IS NOT NULL"
            ),
        ),
        Index(
            "ix_intakes_crisis_open",
            "status",
            "submitted_at",
            postgresql_where=db.text(
                "crisis_at IS NOT NULL AND acknowledged_at IS NULL "
                "AND status IN ('submitted', 'assigned', 'accepted', 'contacted')"
            ),
            sqlite_where=db.text(
                "crisis_at IS NOT NULL AND acknowledged_at IS NULL "
                "AND status IN ('submitted', 'assigned', 'accepted', 'contacted')"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=IntakeStatus.DRAFT)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Contact and identity details (name, date of birth, email, phone, emergency contact).
    # Encrypted at rest (intake/crypto.py), like the answers, the decision, the crisis answers
    # and the overrides: health information and free text.
    contact: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # contract
    decision: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)  # Decision.to_dict()
    urgency: Mapped[str | None] = mapped_column(String(16))
    urgency_rank: Mapped[int] = mapped_column(default=9)  # 0 crisis .. 3 routine; 9 undecided
    service_line: Mapped[str | None] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(16))
    ruleset_version: Mapped[str | None] = mapped_column(String(64))
    draft_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="web")  # web, api
    # Who sent it, for the hourly cap on automatic assignment: "client:<api client id>" or
    # "addr:<keyed hash of the client address>". Never the address itself.
    source_key: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    crisis_at: Mapped[datetime | None]  # when a crisis answer was first saved
    # Every crisis answer ever given ({rule, keys, at}): a changed answer never lowers urgency.
    crisis_answers: Mapped[list[dict[str, Any]] | None] = mapped_column(EncryptedJSON)
    crisis_text_at: Mapped[datetime | None]  # crisis words first saved in a draft's free text
    crisis_text_alerted_at: Mapped[datetime | None]  # coordinators told it was left unsubmitted
    queued_at: Mapped[datetime | None]  # last left in its queue without a clinician (the digest)
    closed_at: Mapped[datetime | None]
    # Crisis protocol: who acknowledged the alert and when; how many escalations went out.
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    # Staff search: keyed hashes (services.common.keyed_hash) of the normalized email, phone
    # digits and full name, written at submit. Never a LIKE over the contact details.
    email_hash: Mapped[str | None] = mapped_column(String(40), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(40), index=True)
    name_hash: Mapped[str | None] = mapped_column(String(40), index=True)
    # The state the person is in during visits (a copy of the answer, for the staff filter).
    state: Mapped[str | None] = mapped_column(String(2))
    # Staff overrides of the route, oldest first ({fields: {name: {from, to}}, reason, by, at}):
    # `decision` keeps what the rules said; urgency/service_line/modality hold what applies.
    overrides: Mapped[list[dict[str, Any]] | None] = mapped_column(EncryptedJSON)
    first_contact_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(32))

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="intake", order_by="Assignment.id"
    )
    acknowledged_by: Mapped[User | None] = relationship()

    @property
    def queue(self) -> str:
        """Service line and modality, and for in-person care the clinic asked for."""
        queue = f"{self.service_line or 'unrouted'}/{self.modality or '-'}"
        location = (self.answers or {}).get("location")
        if self.modality == "in_person" and location:
            queue += f"/{location}"
        return queue

    @property
    def seen_by_staff(self) -> bool:
        """Submitted, or a draft staff were alerted about (a crisis answer, or crisis words
        left unsubmitted)."""
        return bool(self.submitted_at or self.crisis_at or self.crisis_text_alerted_at)

    @property
    def needs_acknowledgement(self) -> bool:
        return self.crisis_at is not None and self.acknowledged_at is None

    @property
    def current_assignment(self) -> Assignment | None:
        for assignment in reversed(self.assignments):
            if assignment.status in OPEN_ASSIGNMENT:
                return assignment
        return None

    def waiting_since(self) -> datetime:
        return as_utc(self.submitted_at or self.created_at)

    def waiting_since_crisis(self) -> datetime:
        """Since the crisis answer: asked only of intakes that gave one."""
        if self.crisis_at is None:
            raise ValueError(f"intake {self.id} has no crisis answer")
        return as_utc(self.crisis_at)


class Assignment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_open_due", "status", "accept_by"),
        # A clinician's caseload (capacity, eligibility) without reading their whole history.
        Index("ix_assignments_caseload", "clinician_id", "status"),
        # Offers overdue (the banner on every staff page, the needs-action tab): few rows.
        Index(
            "ix_assignments_overdue_offers",
            "intake_id",
            postgresql_where=db.text("status = 'offered' AND escalated_at IS NOT NULL"),
            sqlite_where=db.text("status = 'offered' AND escalated_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinician_profiles.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.OFFERED)
    reason: Mapped[str] = mapped_column(Text)  # why this clinician was chosen
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText)
    # Accept by this time (business hours from the urgency target) or coordinators are told.
    accept_by: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    intake: Mapped[Intake] = relationship(back_populates="assignments")
    clinician: Mapped[ClinicianProfile] = relationship()


class OutreachAttempt(db.Model):  # type: ignore[name-defined,misc]
    """One try at reaching the person (a call, a text, a voicemail, an email) and its outcome."""

    __tablename__ = "outreach_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    # The form's one-time token: a resubmitted form records the attempt once.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Note(db.Model):  # type: ignore[name-defined,misc]
    """An internal note on an intake, for staff and the assigned clinician; never shown to the
    person. Free text: encrypted at rest like the other free text."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    # The form's one-time token: a resubmitted form adds the note once.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """The outbox: one row per message to send, written in the transaction that needs it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "available_at"),
        Index("ix_notifications_recipient_key", "recipient_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Makes a second row for the same message impossible (e.g. "assignment:42").
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intakes.id"), index=True)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Patient-facing messages go to the intake's own address, read at send time.
    to_patient: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Codes that shape the message (e.g. {"level": 1, "minutes": 15}); never PHI.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Patient emails: a keyed hash of the address (never the address), for the hourly limit
    # per recipient across drafts.
    recipient_key: Mapped[str | None] = mapped_column(String(64))

    recipient: Mapped[User | None] = relationship()
    intake: Mapped[Intake | None] = relationship()


class OnCallShift(db.Model):  # type: ignore[name-defined,misc]
    """Who answers crisis alerts in a time slot: a clinician and a backup."""

    __tablename__ = "oncall_shifts"
    __table_args__ = (Index("ix_oncall_shifts_span", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    clinician_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    backup_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    clinician: Mapped[User] = relationship(foreign_keys=[clinician_user_id])
    backup: Mapped[User | None] = relationship(foreign_keys=[backup_user_id])


class ApiClient(db.Model):  # type: ignore[name-defined,misc]
    """A partner system that may POST intakes. Only a SHA-256 hash of its key is stored: keys
    are long random tokens, so a plain hash cannot be reversed or guessed."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Automatic assignments per hour from this client; None: AUTO_ASSIGN_PER_SOURCE_PER_HOUR.
    auto_assign_per_hour: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ApiIdempotencyKey(db.Model):  # type: ignore[name-defined,misc]
    """An Idempotency-Key one API client used, bound to its body; honoured for 24 hours."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    key_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the key as sent
    body_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body, canonical JSON
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebSession(db.Model):  # type: ignore[name-defined,misc]
    """A browser session kept on the server when there is no Redis (intake/sessions.py).

    The cookie holds a random id; this row is keyed by its SHA-256, so a copy of the table
    holds no usable cookie. `user_id` lets every session of a user be ended at once.
    """

    __tablename__ = "web_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which object. Ids and codes only, never PHI values."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash chain (PostgreSQL; filled by a trigger, migration 0010): the row's place in
    # commit order, the previous row's hash, and SHA-256(prev_hash + audit_event_body(row)).
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


__all__ = [
    "HELD_ASSIGNMENT",
    "OPEN_ASSIGNMENT",
    "ApiClient",
    "ApiIdempotencyKey",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "ClinicianProfile",
    "Intake",
    "IntakeStatus",
    "Location",
    "Note",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "OnCallShift",
    "OutreachAttempt",
    "Role",
    "as_utc",
    "User",
    "WebSession",
    "utcnow",
]
