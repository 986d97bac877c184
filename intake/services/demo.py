"""The demo data: clinics, clinicians, staff, a month of on-call rota and an API client; and
a working practice to look at (`seed_demo_practice`).

`seed_demo` is safe to run again (it adds only what is missing) and commits once. The demo
API client's key is fixed and printed (like the demo password) so the API can be tried with one
copied command; it is not created when APP_ENV=production.

`seed_demo_practice` adds DEMO_INTAKES made-up intakes spread over the last ten weeks, each
decided by the real triage rules from generated answers, and taken through the workflow as far
as its age makes likely: offers (some declined), acceptances, outreach attempts, first
contact, closing, crisis alerts acknowledged (a few late, one or two not yet), notes and staff
overrides, with the audit trail that tells their timeline. It is deterministic (a seeded
random generator; times are relative to now), writes no outbox rows (nobody is emailed about
the past), commits once, and does nothing when its intakes are already there.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    OPEN_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Location,
    Note,
    OnCallShift,
    OutreachAttempt,
    Role,
    User,
    utcnow,
)
from intake.services import api_clients
from intake.services.common import urgency_rank
from intake.services.contact_keys import apply_search_columns
from intake.services.offers import accept_deadline
from intake.services.users import upsert_user
from intake.services.workspace import CLOSE_REASONS
from intake.triage import SERVICE_LINES, triage

DEMO_PASSWORD = "wayfinder-demo-2026"  # noqa: S105 - printed by `make run`; demo data only
DEMO_API_CLIENT = "demo-website"
DEMO_API_KEY = "wf_demo-website-key-printed-by-make-run"  # noqa: S105 - demo data only
DEMO_LOCATIONS = (
    ("nyc-midtown", "New York - Midtown", "NY"),
    ("la-westside", "Los Angeles - Westside", "CA"),
    ("austin-central", "Austin - Central", "TX"),
    ("miami-brickell", "Miami - Brickell", "FL"),
)
# (email, name, service lines, license states, modalities, location, capacity)
DEMO_CLINICIANS = (
    (
        "ana.rivera@demo.wayfinder",
        "Dr. Ana Rivera",
        SERVICE_LINES[:5],
        ["NY", "NJ", "FL"],
        ["in_person", "virtual"],
        "nyc-midtown",
        12,
    ),
    (
        "sam.okafor@demo.wayfinder",
        "Sam Okafor, LCSW",
        SERVICE_LINES[5:],
        ["NY", "CA", "TX", "FL"],
        ["virtual"],
        None,
        12,
    ),
    (
        "mei.chen@demo.wayfinder",
        "Dr. Mei Chen",
        SERVICE_LINES,
        ["CA", "TX"],
        ["in_person", "virtual"],
        "la-westside",
        15,
    ),
    (
        "jordan.blake@demo.wayfinder",
        "Jordan Blake, PMHNP",
        SERVICE_LINES,
        ["TX", "FL", "NY", "CA"],
        ["in_person", "virtual"],
        "austin-central",
        15,
    ),
    (
        "lucia.mendez@demo.wayfinder",
        "Dr. Lucia Mendez",
        SERVICE_LINES,
        ["FL", "NY"],
        ["in_person", "virtual"],
        "miami-brickell",
        15,
    ),
)
DEMO_STAFF = (
    ("coordinator@demo.wayfinder", "Casey Coordinator", Role.STAFF),
    ("admin@demo.wayfinder", "Avery Admin", Role.ADMIN),
)
DEMO_DIRECTOR_NAME = "Dr. Dana Whitfield, Clinical Director"


def seed_demo() -> dict[str, int]:
    """Demo clinics, clinicians (every line in NY, CA, TX, FL; both modalities), staff, rota."""
    created = Counter[str]()
    for code, name, state in DEMO_LOCATIONS:
        if db.session.get(Location, code) is None:
            db.session.add(Location(code=code, name=name, state=state))
            created["locations"] += 1
    db.session.flush()
    director = current_app.config["CLINICAL_DIRECTOR_EMAIL"]  # unset: no director to seed
    people = (*DEMO_STAFF, (director, DEMO_DIRECTOR_NAME, Role.ADMIN)) if director else DEMO_STAFF
    for email, name, role in people:
        if upsert_user(email, name, role, DEMO_PASSWORD)[1]:
            created["users"] += 1
    clinicians = []
    for email, name, lines, states, modalities, location, capacity in DEMO_CLINICIANS:
        user, new = upsert_user(email, name, Role.CLINICIAN, DEMO_PASSWORD)
        if new:
            created["users"] += 1
        if user.clinician is None:
            db.session.add(
                ClinicianProfile(
                    user=user,
                    service_lines=list(lines),
                    license_states=states,
                    modalities=modalities,
                    location_code=location,
                    capacity=capacity,
                )
            )
            created["clinicians"] += 1
        clinicians.append(user)
    if db.session.scalar(select(OnCallShift.id).limit(1)) is None:
        start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        for day in range(30):  # a month of 24-hour shifts, rotating
            on, backup = clinicians[day % len(clinicians)], clinicians[(day + 1) % len(clinicians)]
            db.session.add(
                OnCallShift(
                    starts_at=start + timedelta(days=day),
                    ends_at=start + timedelta(days=day + 1),
                    clinician_user_id=on.id,
                    backup_user_id=backup.id,
                )
            )
            created["oncall_shifts"] += 1
    db.session.commit()
    demo_client = api_clients.find(DEMO_API_CLIENT)
    if demo_client is None and current_app.config["APP_ENV"] != "production":
        api_clients.create(DEMO_API_CLIENT, key=DEMO_API_KEY)
        created["api_clients"] += 1
    return dict(created)


# --- a working practice -----------------------------------------------------------------------

DEMO_INTAKES = 320
DEMO_WEEKS = 10
DEMO_REFERENCE = "WF-DEMO-{:04d}"  # a reference no real intake gets (those are random)
_FIRST_NAMES = (
    "Alex", "Jamie", "Riley", "Morgan", "Taylor", "Jordan", "Casey", "Avery", "Quinn", "Rowan",
    "Maria", "Jose", "Aisha", "Wei", "Priya", "Daniel", "Sofia", "Liam", "Noah", "Emma",
)  # fmt: skip
_LAST_NAMES = (
    "Garcia", "Smith", "Nguyen", "Johnson", "Patel", "Brown", "Kim", "Lopez", "Williams",
    "Davis", "Martinez", "Chen", "Okafor", "Wilson", "Rossi", "Cohen", "Silva", "Ahmed",
)  # fmt: skip
_CONCERNS = (
    ("anxiety", 24), ("depression", 24), ("trauma", 9), ("couples", 7), ("adhd", 8),
    ("ocd", 5), ("bipolar", 4), ("eating", 4), ("substance", 6), ("relationships", 4),
    ("not_sure", 5),
)  # fmt: skip
_CLINIC_IN = {
    "NY": "nyc-midtown",
    "CA": "la-westside",
    "TX": "austin-central",
    "FL": "miami-brickell",
}
_NOTES = (
    "Prefers a call after 5pm on weekdays.",
    "Left a voicemail with the callback number; will try again tomorrow morning.",
    "Asked about evening appointments; passed on to scheduling.",
    "Insurance card photo requested by email.",
    "Spoke briefly; wants a clinician who speaks Spanish if possible.",
    "Discussed with the clinical director: keep the current route.",
)
_DECLINES = (
    "At capacity this week.",
    "Outside my licensed states for this modality.",
    "Conflict of interest: known to me socially.",
    "On leave until next Monday.",
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _answers(rng: random.Random, crisis: bool) -> dict[str, Any]:
    """A plausible adult's answers in the contract's vocabulary."""
    state = rng.choice(("NY", "NY", "CA", "TX", "FL"))
    preference = rng.choice(("virtual", "virtual", "in_person", "no_preference"))
    answers: dict[str, Any] = {
        "state": state,
        "age": rng.randint(19, 72),
        "concerns": [_pick(rng, _CONCERNS)],
        "modality_preference": preference,
        "asq_1": "no",
        "asq_2": "no",
        "asq_3": "no",
        "asq_4": "no",
        "safe_now": "yes",
    }
    if preference == "in_person":
        answers["location"] = _CLINIC_IN[state]
    if crisis:
        answers.update(asq_1="yes", asq_2="yes", asq_5="yes", safe_now="not_sure")
    elif rng.random() < 0.08:
        answers.update(asq_1="yes", asq_5="no")
    weights = (4, 4, 3, 2) if rng.random() < 0.7 else (1, 2, 3, 3)
    for i in range(1, 10):
        answers[f"phq9_{i}"] = rng.choices(range(4), weights)[0]
    answers["phq9_9"] = 1 if rng.random() < 0.06 else 0
    for i in range(1, 8):
        answers[f"gad7_{i}"] = rng.choices(range(4), weights)[0]
    return answers


class _Practice:
    """Builds one demo intake's history: rows and backdated audit entries."""

    def __init__(self, rng: random.Random, now: datetime, staff: list[User]) -> None:
        self.rng, self.now, self.staff = rng, now, staff
        self.clinicians = list(
            db.session.scalars(select(ClinicianProfile).join(User).where(User.active.is_(True)))
        )
        self.tokens = 0
        self.entries: list[tuple[datetime, str, str, Any, User | None, dict[str, Any]]] = []

    def audit(
        self,
        at: datetime,
        action: str,
        kind: str,
        about: Any,
        actor: User | None,
        **detail: Any,
    ) -> None:
        """An audit entry at the time it happened (the demo's past), ids and codes only.

        Kept until the rows have ids (`write_audit`, after one flush): `about` is the row the
        entry is about, and a detail may be a callable that reads an id then.
        """
        self.entries.append((at, action, kind, about, actor, detail))

    def write_audit(self) -> None:
        for at, action, kind, about, actor, detail in sorted(self.entries, key=lambda e: e[0]):
            db.session.add(
                AuditEvent(
                    at=at,
                    action=action,
                    object_type=kind,
                    object_id=str(about.id),
                    actor_user_id=actor.id if actor is not None else None,
                    detail={k: v() if callable(v) else v for k, v in detail.items()},
                )
            )

    def token(self) -> str:
        self.tokens += 1
        return f"demo-form-{self.tokens:06d}-token"

    def later(self, start: datetime, low: float, high: float) -> datetime:
        """A moment `low` to `high` hours after `start`, never in the future."""
        return min(start + timedelta(hours=self.rng.uniform(low, high)), self.now)

    def coordinator(self) -> User:
        return self.rng.choice(self.staff)

    def clinician_for(self, intake: Intake, but: set[int]) -> ClinicianProfile:
        fits = [
            c
            for c in self.clinicians
            if c.id not in but and intake.service_line in (c.service_lines or [])
        ]
        return self.rng.choice(fits or [c for c in self.clinicians if c.id not in but])

    def stage(self, age: timedelta, urgency: str) -> int:
        """How far along: 0 waiting, 1 offered, 2 accepted, 3 contacted, 4 closed."""
        days = age.total_seconds() / 86400
        if urgency == "crisis":
            days *= 4  # a crisis moves fast
        weights = (
            (25, 35, 30, 10, 0)
            if days < 1
            else (6, 14, 30, 35, 15)
            if days < 5
            else (2, 4, 12, 27, 55)
            if days < 14
            else (0, 1, 5, 14, 80)
        )
        return self.rng.choices(range(5), weights)[0]

    def contact_delay(self, urgency: str) -> tuple[float, float]:
        return {
            "crisis": (0.15, 0.7),
            "urgent": (2, 30),
            "soon": (4, 80),
        }.get(urgency, (10, 140))

    def build(self, number: int) -> Intake:
        rng = self.rng
        # The first is a crisis alert twenty minutes old, not yet acknowledged (the banner).
        crisis = number == 1 or rng.random() < 0.04
        answers = _answers(rng, crisis)
        decision = triage(answers)
        submitted = self.now - timedelta(
            days=rng.triangular(0, DEMO_WEEKS * 7, 0), minutes=rng.randint(0, 600)
        )
        if number == 1:
            submitted = self.now - timedelta(minutes=20)
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        contact = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": f"{submitted.year - answers['age']}-{rng.randint(1, 12):02d}-15",
            "email": f"{first}.{last}.{number}@example.org".lower(),
            "phone": f"+1 212 555 {number % 10000:04d}",
            "preferred_contact": rng.choice(("phone", "email", "text")),
        }
        intake = Intake(
            reference=DEMO_REFERENCE.format(number),
            status=IntakeStatus.SUBMITTED,
            contact=contact,
            answers=answers,
            decision=decision.to_dict(),
            urgency=decision.urgency,
            urgency_rank=urgency_rank(decision.urgency),
            service_line=decision.service_line,
            modality=decision.modality,
            ruleset_version=decision.ruleset_version,
            source=rng.choice(("web", "web", "web", "api")),
            created_at=submitted - timedelta(minutes=rng.randint(6, 40)),
            submitted_at=submitted,
        )
        apply_search_columns(intake, contact, answers)
        if decision.urgency == "crisis":
            intake.crisis_at = submitted
        db.session.add(intake)
        self.audit(submitted, "intake.submitted", "intake", intake, None,
                   source=intake.source, urgency=intake.urgency,
                   ruleset=intake.ruleset_version)  # fmt: skip
        return intake

    def follow(self, intake: Intake) -> None:
        """What happened after submitting (the intake has its id)."""
        rng, urgency = self.rng, intake.urgency or "routine"
        submitted = intake.waiting_since()
        stage = self.stage(self.now - submitted, urgency)
        if intake.crisis_at is not None:
            self.acknowledge(intake, submitted)
        if rng.random() < 0.05:
            self.override(intake, submitted)
        if stage == 0:
            intake.queued_at = submitted
            self.audit(submitted, "intake.queued", "intake", intake, None,
                       queue=intake.queue, why="no eligible")  # fmt: skip
            return
        offered_at = self.later(submitted, 0, 0.2)
        declined: set[int] = set()
        if rng.random() < 0.12:  # the first clinician declines
            first = self.offer(intake, offered_at, declined)
            first.status = AssignmentStatus.DECLINED
            first.responded_at = self.later(offered_at, 0.5, 6)
            first.decline_reason = rng.choice(_DECLINES)
            declined.add(first.clinician.id)
            self.audit(first.responded_at, "assignment.declined", "assignment", first,
                       first.clinician.user)  # fmt: skip
            offered_at = first.responded_at
        offer = self.offer(intake, offered_at, declined)
        intake.status = IntakeStatus.ASSIGNED
        if stage == 1:
            if offer.accept_by is not None and offer.accept_by < self.now:
                offer.escalated_at = offer.accept_by
                self.audit(offer.accept_by, "assignment.overdue", "assignment", offer, None,
                           intake=lambda: intake.id)  # fmt: skip
            return
        offer.status = AssignmentStatus.ACCEPTED
        offer.responded_at = self.later(offered_at, 0.1, 8)
        intake.status = IntakeStatus.ACCEPTED
        self.audit(offer.responded_at, "assignment.accepted", "assignment", offer,
                   offer.clinician.user)  # fmt: skip
        if rng.random() < 0.3:
            self.note(intake, offer.responded_at, offer.clinician.user)
        if stage == 2:
            if rng.random() < 0.5:
                self.outreach(intake, offer, offer.responded_at, "no_answer")
            return
        low, high = self.contact_delay(urgency)
        reached = self.later(submitted, low, high)
        for _ in range(rng.choice((0, 0, 1, 2))):
            self.outreach(intake, offer, submitted + (reached - submitted) / 2, "left_message")
        self.outreach(intake, offer, reached, "reached")
        intake.first_contact_at = reached
        intake.status = IntakeStatus.CONTACTED
        if stage == 4:
            closed = self.later(reached, 4, 240)
            intake.status = IntakeStatus.CLOSED
            offer.status = AssignmentStatus.COMPLETED  # off the caseload, as closing does
            intake.closed_at = closed
            intake.close_reason = rng.choices(CLOSE_REASONS, (60, 12, 8, 10, 4, 6))[0]
            self.audit(closed, "intake.closed", "intake", intake, self.coordinator(),
                       reason=intake.close_reason)  # fmt: skip

    def offer(self, intake: Intake, at: datetime, but: set[int]) -> Assignment:
        profile = self.clinician_for(intake, but)
        offer = Assignment(
            intake=intake,
            clinician=profile,
            reason=f"Demo: licensed in {intake.state}, sees {intake.service_line}, has capacity.",
            created_at=at,
            accept_by=accept_deadline(intake.urgency, at),
        )
        db.session.add(offer)
        self.audit(at, "intake.assigned", "intake", intake, None, assignment=lambda: offer.id,
                   clinician=profile.id)  # fmt: skip
        return offer

    def outreach(self, intake: Intake, offer: Assignment, at: datetime, outcome: str) -> None:
        who = offer.clinician.user if self.rng.random() < 0.6 else self.coordinator()
        attempt = OutreachAttempt(
            intake_id=intake.id,
            user_id=who.id,
            channel="call" if outcome != "left_message" else "voicemail",
            outcome=outcome,
            form_token=self.token(),
            at=at,
        )
        db.session.add(attempt)
        self.audit(at, "intake.outreach", "intake", intake, who, attempt=lambda: attempt.id,
                   channel=attempt.channel, outcome=outcome,
                   first_contact=outcome == "reached")  # fmt: skip

    def note(self, intake: Intake, after: datetime, who: User) -> None:
        at = self.later(after, 0.1, 20)
        note = Note(
            intake_id=intake.id,
            user_id=who.id,
            body=self.rng.choice(_NOTES),
            form_token=self.token(),
            at=at,
        )
        db.session.add(note)
        self.audit(at, "intake.note_added", "intake", intake, who, note=lambda: note.id)

    def acknowledge(self, intake: Intake, submitted: datetime) -> None:
        self.audit(submitted, "crisis.alerted", "intake", intake, None, recipients=[])
        if self.now - submitted < timedelta(hours=1):
            return  # still waiting: the banner shows it
        minutes = self.rng.choice((3, 5, 7, 9, 11, 12, 14, 22))  # one in eight late
        who = self.coordinator()
        intake.acknowledged_at = submitted + timedelta(minutes=minutes)
        intake.acknowledged_by_user_id = who.id
        self.audit(intake.acknowledged_at, "crisis.acknowledged", "intake", intake, who,
                   level=0)  # fmt: skip

    def override(self, intake: Intake, submitted: datetime) -> None:
        rng = self.rng
        who = self.coordinator()
        at = self.later(submitted, 0.5, 20)
        if rng.random() < 0.6 and intake.urgency in ("soon", "routine"):
            to = "urgent" if intake.urgency == "soon" else "soon"
            fields = {"urgency": {"from": intake.urgency, "to": to}}
            direction: str | None = "raise"
        elif intake.urgency == "urgent":
            fields = {"urgency": {"from": "urgent", "to": "soon"}}
            direction = "lower"
        else:
            line = rng.choice([x for x in SERVICE_LINES if x != intake.service_line])
            fields = {"service_line": {"from": intake.service_line or "", "to": line}}
            direction = None
        for name, change in fields.items():
            setattr(intake, name, change["to"])
        intake.urgency_rank = urgency_rank(intake.urgency)
        reason = "Demo: the person described more (or less) than the screens picked up."
        intake.overrides = [
            {"fields": fields, "reason": reason, "by": who.id, "at": at.isoformat()}
        ]
        self.audit(at, "intake.overridden", "intake", intake, who, fields=fields,
                   direction=direction)  # fmt: skip


def seed_demo_practice(count: int = DEMO_INTAKES, seed: int = 2026) -> dict[str, int]:
    """A few hundred intakes in every state of the workflow (see the module's docstring);
    nothing when they are there already. Run after `seed_demo` (it needs the demo people)."""
    if db.session.scalar(select(Intake.id).where(Intake.reference == DEMO_REFERENCE.format(1))):
        return {}
    staff = list(
        db.session.scalars(
            select(User).where(User.email.in_([email for email, _, _ in DEMO_STAFF]))
        )
    )
    if not staff:
        return {}
    practice = _Practice(random.Random(seed), utcnow(), staff)  # noqa: S311 - demo data
    if not practice.clinicians:
        return {}
    with db.session.no_autoflush:  # three flushes in all: intakes, what followed, the audit
        intakes = [practice.build(number) for number in range(1, count + 1)]
        db.session.flush()
        for intake in intakes:
            practice.follow(intake)
        db.session.flush()
        practice.write_audit()
    # Room for new work: each demo clinician's caseload as built, plus ten (a practice where
    # everyone is full would leave every new intake waiting in its queue).
    loads = dict(
        db.session.execute(
            select(Assignment.clinician_id, func.count())
            .where(Assignment.status.in_(OPEN_ASSIGNMENT))
            .group_by(Assignment.clinician_id)
        ).all()
    )
    for profile in practice.clinicians:
        profile.capacity = max(profile.capacity, loads.get(profile.id, 0) + 10)
    db.session.commit()
    return {"intakes": count}
