"""Administration use cases: accounts (invite, role, enable, reset, set a password from a link),
clinician profiles, clinics, the on-call rota and API clients, and the audit log's pages.

Each change commits once with its audit entry (ids and codes only) and dispatches its emails
after the commit. A repeated request changes nothing the second time: the same value again is
`UNCHANGED`, an invitation for an email that has an account is a `CONFLICT`, and a reset carries
the form's one-time token (a double click sends one email). Bad input raises `Invalid` with one
sentence per problem, and nothing is written.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.exc import IntegrityError

from intake import jobs, notifications
from intake.audit import audit
from intake.extensions import db
from intake.models import (
    ApiClient,
    Assignment,
    AuditEvent,
    ClinicianProfile,
    Intake,
    Location,
    Notification,
    NotificationKind,
    OnCallShift,
    Role,
    User,
    as_utc,
    utcnow,
)
from intake.notifications.messages import password_fingerprint
from intake.passwords import hash_password
from intake.services import api_clients, lockout, oncall, users
from intake.services.errors import ServiceError
from intake.triage import MODALITIES, SERVICE_LINES, STATES

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
# What a clinician offers (intake.matching reads these two); the intake's other modalities,
# "either" and "emergency", describe a request, not a clinician.
PROFILE_MODALITIES: tuple[str, ...] = tuple(m for m in MODALITIES if m in ("in_person", "virtual"))
MAX_CAPACITY = 500
MAX_SHIFT = timedelta(days=14)
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
LOCATION_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
REFERENCE = re.compile(r"WF-[A-Z0-9]{4}-[A-Z0-9]{4}")
PAGE_SIZE = 50


class Result(enum.Enum):
    DONE = "done"
    UNCHANGED = "unchanged"  # it was so already (a repeated request)
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # not possible as things stand (the message says why)


class Invalid(ServiceError):
    """The input cannot be used (`problems`, one sentence each): nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def digits(value: str) -> bool:
    """0-9 only: `str.isdigit` also takes "²" and other digits that `int` refuses."""
    return value.isascii() and value.isdigit()


def _text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def _send(rows: list[Notification]) -> None:
    """Commit with the rows, then hand them to the workers."""
    written = notifications.flush_ids(rows)
    db.session.commit()
    jobs.dispatch_notifications(written)


# --- accounts ---------------------------------------------------------------------------------


def invite(
    name: str | None, email: str | None, role: str | None, actor: User, ip: str | None
) -> Result:
    """Make an account that has no usable password yet and email its owner a link to set one.

    A clinician's account gets an empty profile that is not accepting new patients, so the
    matcher passes it by until an admin fills it in."""
    name = _text(name, 120)
    email = (email or "").strip().lower()
    problems = []
    if not name:
        problems.append("Give the person's name.")
    if len(email) > 254 or not EMAIL.fullmatch(email):
        problems.append("Give an email address like name@example.org.")
    if role not in ROLES:
        problems.append(f"Choose a role: {', '.join(ROLES)}.")
    if problems:
        raise Invalid(problems)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        return Result.CONFLICT
    user = User(
        email=email,
        display_name=name,
        role=role,
        password_hash=hash_password(secrets.token_urlsafe(32)),  # nobody knows it
    )
    db.session.add(user)
    if role == Role.CLINICIAN:
        db.session.add(_empty_profile(user))
    try:
        db.session.flush()
    except IntegrityError:  # the same email at the same moment (a double click)
        db.session.rollback()
        return Result.CONFLICT
    audit("user.invited", "user", user.id, actor=actor, ip=ip, role=role)
    _send(
        [
            notifications.add(
                NotificationKind.ACCOUNT_INVITE, None, user, f"account_invite:{user.id}"
            )
        ]
    )
    return Result.DONE


def _empty_profile(user: User) -> ClinicianProfile:
    return ClinicianProfile(
        user=user, service_lines=[], license_states=[], modalities=[], accepting_new=False
    )


def change_role(user_id: int, role: str | None, actor: User, ip: str | None) -> Result:
    """Another role (their sessions end: users.change_role). Never one's own: another admin
    does that, so the practice is never left without one by a slip. A clinician's profile
    stays (their past assignments name it) but stops accepting new patients; someone made a
    clinician gets an empty profile."""
    if role not in ROLES:
        raise Invalid([f"Choose a role: {', '.join(ROLES)}."])
    user = _user(user_id)
    if user is None:
        return Result.NOT_FOUND
    if user.role == role:
        return Result.UNCHANGED
    if user.id == actor.id:
        return Result.CONFLICT
    if role == Role.CLINICIAN and user.clinician is None:
        db.session.add(_empty_profile(user))
    elif role != Role.CLINICIAN and user.clinician is not None:
        # The matcher reads profiles, not roles: no new offers once they are not a clinician.
        user.clinician.accepting_new = False
    users.change_role(user, role, actor=actor)
    return Result.DONE


def set_active(user_id: int, active: bool, actor: User, ip: str | None) -> Result:
    """Enable or disable an account (disabling ends its sessions); never one's own."""
    user = _user(user_id)
    if user is None:
        return Result.NOT_FOUND
    if user.active == active:
        return Result.UNCHANGED
    if user.id == actor.id:
        return Result.CONFLICT
    users.set_active(user, active, actor=actor)
    return Result.DONE


def reset_password(user_id: int, form_token: str | None, actor: User, ip: str | None) -> Result:
    """The old password stops working, every session ends, and the owner is emailed a link to
    set a new one. The form's one-time token makes a double click send one email."""
    token = (form_token or "").strip()
    if not 16 <= len(token) <= 128:
        raise Invalid(["The form was incomplete: reload the page and try again."])
    user = _user(user_id)
    if user is None:
        return Result.NOT_FOUND
    if not user.active:
        return Result.CONFLICT
    key = f"password_reset:{user.id}:{hashlib.sha256(token.encode()).hexdigest()[:32]}"
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return Result.UNCHANGED
    users.replace_with_unusable_password(user)
    audit("user.password_reset", "user", user.id, actor=actor, ip=ip)
    row = notifications.add(NotificationKind.PASSWORD_RESET, None, user, key)
    try:
        _send([row])
    except IntegrityError:  # the same form sent twice at the same moment
        db.session.rollback()
        return Result.UNCHANGED
    return Result.DONE


def lift_lock(user_id: int, actor: User) -> Result:
    """Unlock an account locked after too many failed sign-ins (services.lockout audits and
    commits); an account that is not locked is UNCHANGED."""
    user = _user(user_id)
    if user is None:
        return Result.NOT_FOUND
    if user.locked_at is None:
        return Result.UNCHANGED
    lockout.lift(user.id, actor)
    return Result.DONE


def set_password(
    user_id: int, fingerprint: str, password: str, confirm: str, ip: str | None
) -> Result:
    """From a set-password link: the password it was issued for must still be the account's
    (so each link works once); the new one must pass the policy (intake/passwords.py).
    Raises users.WeakPassword or Invalid; NOT_FOUND when the link is no longer good."""
    user = _user(user_id)
    if user is None or not user.active:
        return Result.NOT_FOUND
    if not hmac.compare_digest(password_fingerprint(user), fingerprint):
        return Result.NOT_FOUND
    if password != confirm:
        raise Invalid(["The two passwords are not the same."])
    users.change_password(user, password, actor=user)  # checks the policy, ends sessions, audits
    return Result.DONE


# --- clinician profiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileForm:
    service_lines: list[str]
    license_states: list[str]
    modalities: list[str]
    location_code: str | None
    capacity: str | None
    accepting_new: bool


def save_profile(profile_id: int, form: ProfileForm, actor: User, ip: str | None) -> Result:
    profile = db.session.get(ClinicianProfile, profile_id)
    if profile is None:
        return Result.NOT_FOUND
    problems = []
    lines = [line for line in SERVICE_LINES if line in form.service_lines]
    if len(lines) != len(set(form.service_lines)):
        problems.append("Choose service lines from the list.")
    states = sorted({s.strip().upper() for s in form.license_states if s.strip()})
    if any(s not in STATES for s in states):
        problems.append("License states are two-letter US state codes, like NY.")
    modalities = [m for m in PROFILE_MODALITIES if m in form.modalities]
    if len(modalities) != len(set(form.modalities)):
        problems.append("Choose modalities from the list.")
    location = form.location_code or None
    if location is not None and db.session.get(Location, location) is None:
        problems.append("Choose a clinic from the list.")
    raw = (form.capacity or "").strip()
    capacity = int(raw) if digits(raw) and len(raw) <= 4 else -1
    if not 0 <= capacity <= MAX_CAPACITY:
        problems.append(f"Capacity is a whole number from 0 to {MAX_CAPACITY}.")
    if problems:
        raise Invalid(problems)
    wanted: dict[str, Any] = {
        "service_lines": lines,
        "license_states": states,
        "modalities": modalities,
        "location_code": location,
        "capacity": capacity,
        "accepting_new": form.accepting_new,
    }
    changed = [name for name, value in wanted.items() if getattr(profile, name) != value]
    if not changed:
        return Result.UNCHANGED
    for name in changed:
        setattr(profile, name, wanted[name])
    audit(
        "clinician_profile.updated",
        "clinician_profile",
        profile.id,
        actor=actor,
        ip=ip,
        user=profile.user_id,
        fields=changed,
    )
    db.session.commit()
    return Result.DONE


# --- clinics ----------------------------------------------------------------------------------


def _location_fields(name: str | None, state: str | None) -> tuple[str, str, list[str]]:
    problems = []
    name = _text(name, 120)
    state = (state or "").strip().upper()
    if not name:
        problems.append("Give the clinic's name.")
    if state not in STATES:
        problems.append("The state is a two-letter US state code, like NY.")
    return name, state, problems


def add_location(
    code: str | None, name: str | None, state: str | None, actor: User, ip: str | None
) -> Result:
    code = (code or "").strip().lower()
    name, state, problems = _location_fields(name, state)
    if not LOCATION_CODE.fullmatch(code):
        problems.insert(0, "The code is 1-32 lower-case letters, digits or '-', like nyc-midtown.")
    if problems:
        raise Invalid(problems)
    found = db.session.get(Location, code)
    if found is not None:
        return Result.UNCHANGED if (found.name, found.state) == (name, state) else Result.CONFLICT
    db.session.add(Location(code=code, name=name, state=state))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return Result.UNCHANGED
    audit("location.added", "location", code, actor=actor, ip=ip, state=state)
    db.session.commit()
    return Result.DONE


def update_location(
    code: str, name: str | None, state: str | None, actor: User, ip: str | None
) -> Result:
    location = db.session.get(Location, code)
    if location is None:
        return Result.NOT_FOUND
    name, state, problems = _location_fields(name, state)
    if problems:
        raise Invalid(problems)
    if (location.name, location.state) == (name, state):
        return Result.UNCHANGED
    location.name, location.state = name, state
    audit("location.updated", "location", code, actor=actor, ip=ip, state=state)
    db.session.commit()
    return Result.DONE


# --- on-call rota -----------------------------------------------------------------------------


def upcoming_shifts(limit: int = 200) -> list[OnCallShift]:
    """Shifts that have not ended, soonest first."""
    return list(
        db.session.scalars(
            select(OnCallShift)
            .where(OnCallShift.ends_at > utcnow())
            .order_by(OnCallShift.starts_at, OnCallShift.id)
            .limit(limit)
        )
    )


def rota_people() -> list[User]:
    """Active clinicians, by name: who may be on call or back up."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.CLINICIAN, User.active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


def add_shift(
    clinician_id: int | None,
    backup_id: int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> Result:
    """Put a clinician (and a backup) on call (services.oncall writes it). The same shift
    again is UNCHANGED."""
    people = {u.id: u for u in rota_people()}
    clinician = people.get(clinician_id) if clinician_id is not None else None
    backup = people.get(backup_id) if backup_id is not None else None
    problems = []
    if clinician is None:
        problems.append("Choose the clinician on call from the list.")
    if backup_id is not None and backup is None:
        problems.append("Choose the backup from the list, or no backup.")
    if clinician is not None and backup is not None and backup.id == clinician.id:
        problems.append("The backup must be someone else.")
    if starts_at is None or ends_at is None:
        problems.append("Give the start and the end, like 2026-12-01 08:00.")
    elif ends_at <= starts_at:
        problems.append("The end must be after the start.")
    elif ends_at - starts_at > MAX_SHIFT:
        problems.append("A shift is at most 14 days long.")
    if problems or clinician is None or starts_at is None or ends_at is None:
        raise Invalid(problems)
    same = db.session.scalar(
        select(OnCallShift.id).where(
            OnCallShift.starts_at == starts_at,
            OnCallShift.ends_at == ends_at,
            OnCallShift.clinician_user_id == clinician.id,
            OnCallShift.backup_user_id.is_(None)
            if backup is None
            else OnCallShift.backup_user_id == backup.id,
        )
    )
    if same is not None:
        return Result.UNCHANGED
    hours = (ends_at - starts_at) / timedelta(hours=1)
    try:
        oncall.add_shift(clinician, backup, starts_at, hours)
    except oncall.BadShift as exc:
        raise Invalid([str(exc)]) from None
    return Result.DONE


def remove_shift(shift_id: int) -> Result:
    """Removing a shift that is gone already is UNCHANGED (a repeated request)."""
    try:
        oncall.remove_shift(shift_id)
    except oncall.ShiftNotFound:
        return Result.UNCHANGED
    return Result.DONE


# --- API clients ------------------------------------------------------------------------------


def create_api_client(name: str | None, cap: str | None) -> api_clients.NewClient | Result:
    """A new client and its key (to show once), or CONFLICT when the name is taken."""
    name = (name or "").strip()
    raw = (cap or "").strip()
    limit = None
    if raw:
        if not digits(raw) or len(raw) > 6:
            raise Invalid(["The cap is a whole number (0 = no cap), or empty for the default."])
        limit = int(raw)
    if api_clients.find(name) is not None:
        return Result.CONFLICT
    try:
        return api_clients.create(name, cap=limit)
    except api_clients.ClientError as exc:
        raise Invalid([str(exc)[:1].upper() + str(exc)[1:] + "."]) from None


def revoke_api_client(client_id: int) -> Result:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        return Result.NOT_FOUND
    if client.revoked_at is not None:
        return Result.UNCHANGED
    api_clients.revoke(client.name)
    return Result.DONE


# --- the audit log ----------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AuditCursor:
    """The last row of a page, in the log's order (newest first: time, then id)."""

    at: datetime
    id: int

    def encode(self) -> str:
        return f"{(as_utc(self.at) - _EPOCH) // timedelta(microseconds=1)}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> AuditCursor | None:
        parts = text.split(".")
        if len(parts) != 2 or not all(digits(p) and len(p) <= 20 for p in parts):
            return None
        try:
            at = _EPOCH + timedelta(microseconds=int(parts[0]))
        except OverflowError:
            return None
        return cls(at, int(parts[1]))


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    intake_id: int | None = None
    action: str | None = None  # exact, or a prefix when it ends with "." ("user.")
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEvent]
    actors: dict[int, User]
    next_cursor: str | None


def intake_id_for(text: str) -> int | None:
    """An intake's id from its id or its reference (WF-XXXX-XXXX); None if there is none."""
    text = text.strip().upper()
    if digits(text) and len(text) <= 9:
        return int(text)
    if REFERENCE.fullmatch(text):
        found: int | None = db.session.scalar(select(Intake.id).where(Intake.reference == text))
        return found
    return None


def audit_page(f: AuditFilter, after: AuditCursor | None, size: int = PAGE_SIZE) -> AuditPage:
    """One page of the log, newest first; keyset pages (time, id), never an OFFSET."""
    query = select(AuditEvent)
    if f.actor_id is not None:
        query = query.where(AuditEvent.actor_user_id == f.actor_id)
    if f.intake_id is not None:  # the intake's own entries, and those of its offers
        offers = select(cast(Assignment.id, String)).where(Assignment.intake_id == f.intake_id)
        query = query.where(
            or_(
                and_(AuditEvent.object_type == "intake", AuditEvent.object_id == str(f.intake_id)),
                and_(AuditEvent.object_type == "assignment", AuditEvent.object_id.in_(offers)),
            )
        )
    if f.action:
        if f.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.since is not None:
        query = query.where(AuditEvent.at >= f.since)
    if f.before is not None:
        query = query.where(AuditEvent.at < f.before)
    if after is not None:
        query = query.where(
            or_(
                AuditEvent.at < after.at,
                and_(AuditEvent.at == after.at, AuditEvent.id < after.id),
            )
        )
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(size + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    cursor = AuditCursor(rows[-1].at, rows[-1].id).encode() if more and rows else None
    ids = {r.actor_user_id for r in rows if r.actor_user_id is not None}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    )
    return AuditPage(rows, actors, cursor)


def all_users() -> list[User]:
    """Every account, by name (the list and the audit log's filter)."""
    return list(db.session.scalars(select(User).order_by(User.display_name, User.id)))
