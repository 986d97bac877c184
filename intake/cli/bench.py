"""Synthetic volume for load and query benchmarks: `flask bench seed --intakes N`.

Writes N intakes (with their assignments and some outreach attempts) into the configured
PostgreSQL database with COPY, in batches, behind a progress bar. The mix is meant to look like
two years of a busy practice, so that the planner sees what production would give it:

- submitted over the last two years, evenly, in id order; about 4% are drafts never submitted;
- urgency about 3% crisis, 35% urgent, 30% soon and the rest routine; service lines weighted
  toward anxiety and depression; modality mostly virtual or in person (emergency for a crisis);
- status by age: nearly everything older than three months is closed, while the last month is
  still mostly open work (new, offered, accepted, contacted);
- states weighted by population; a crisis acknowledged unless it is still new;
- an assignment per intake past `submitted` (to the demo clinicians, which the command creates
  if they are missing), some declined first, some offers overdue; outreach on a third of those
  contacted or closed.

Contact details are made up (example.org addresses, 555 numbers) and carry the keyed search
hashes (services.contact_keys), so search by email, phone, name and reference works on them.
What the app encrypts at rest is written encrypted, with the app's own keyring (intake.crypto:
the contact details, answers and decision, a decline reason), as the ORM would write it.

Refused on SQLite and when APP_ENV=production: it is for bench and scratch databases only.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select, text

from intake import crypto
from intake.extensions import db
from intake.models import ClinicianProfile, IntakeStatus, Role, User
from intake.services import contact_keys
from intake.services.demo import seed_demo
from intake.services.workspace import CHANNELS, CLOSE_REASONS, OUTCOMES
from intake.triage import URGENCIES

URGENCY_WEIGHTS = {"crisis": 3, "urgent": 35, "soon": 30, "routine": 32}
LINE_WEIGHTS = {
    "anxiety": 26,
    "depression": 24,
    "trauma": 12,
    "adhd": 9,
    "couples": 7,
    "addiction": 7,
    "ocd": 4,
    "bipolar": 4,
    "eating_disorders": 3,
    "other": 4,
}
# Roughly by population; every other state and DC share the rest.
STATE_WEIGHTS = {
    "CA": 12,
    "TX": 9,
    "FL": 7,
    "NY": 6,
    "PA": 4,
    "IL": 4,
    "OH": 3.5,
    "GA": 3.3,
    "NC": 3.2,
    "MI": 3,
    "NJ": 2.8,
    "VA": 2.6,
    "WA": 2.3,
    "AZ": 2.2,
    "MA": 2.1,
    "TN": 2.1,
    "IN": 2,
    "MD": 1.8,
    "MO": 1.8,
    "WI": 1.8,
    "CO": 1.8,
    "MN": 1.7,
}
OTHER_STATES = (
    "AL AK AR CT DE HI ID IA KS KY LA ME MS MT NE NV NH NM ND OK OR RI SC SD UT VT WV WY DC".split()
)
# Status by age (days since submitted): (up to this age, {status: weight}).
STATUS_BY_AGE = (
    (30, {"submitted": 12, "assigned": 13, "accepted": 25, "contacted": 25, "closed": 25}),
    (90, {"submitted": 1, "assigned": 2, "accepted": 7, "contacted": 15, "closed": 75}),
    (10_000, {"accepted": 1, "contacted": 2, "closed": 97}),
)
DRAFT_SHARE = 0.04
FIRST_NAMES = (
    "Alex Ana Ben Carmen Chris Dana Eli Fatima Grace Hugo Iris Jamal Kim Leo Maya Noah Olivia "
    "Priya Quinn Rosa Sam Tariq Uma Victor Wen Xavier Yara Zoe Jordan Taylor Morgan Avery"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill"
).split()
SPAN = timedelta(days=730)
INTAKE_COLUMNS = (
    "id reference status language contact answers decision urgency urgency_rank service_line "
    "modality ruleset_version source created_at updated_at submitted_at crisis_at queued_at "
    "closed_at acknowledged_at acknowledged_by_user_id escalation_level email_hash phone_hash "
    "name_hash state first_contact_at close_reason"
).split()
ASSIGNMENT_COLUMNS = (
    "intake_id clinician_id status reason created_at responded_at decline_reason accept_by "
    "escalated_at"
).split()
OUTREACH_COLUMNS = "intake_id user_id channel outcome note form_token at".split()
_REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # services.common.new_reference's alphabet
_REF_SPACE = len(_REF_ALPHABET) ** 8


class Refused(click.ClickException):
    pass


def reference_for(intake_id: int) -> str:
    """A reference unique to the id (a bijection of the id onto the reference space, so two
    seeded rows never collide), in new_reference()'s alphabet and shape."""
    n = (intake_id * 1_000_003 + 7) % _REF_SPACE  # 1,000,003 is prime, coprime with 30^8
    chars = []
    for _ in range(8):
        n, r = divmod(n, len(_REF_ALPHABET))
        chars.append(_REF_ALPHABET[r])
    body = "".join(chars)
    return f"WF-{body[:4]}-{body[4:]}"


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(tuple(weights), tuple(weights.values()))[0]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass
class Batch:
    intakes: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    outreach: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class People:
    clinicians: tuple[int, ...]  # clinician profile ids
    staff: tuple[int, ...]  # user ids of coordinators


def generate(
    first_id: int, count: int, total: int, offset: int, now: datetime, people: People, seed: int
) -> Batch:
    """Rows for intakes first_id .. first_id + count - 1, the `offset`-th .. of `total` in
    submission order (the oldest first), deterministic for a given seed."""
    rng = random.Random(seed * 1_000_003 + first_id)  # noqa: S311 (made-up data, not secrets)
    batch = Batch()
    start = now - SPAN
    other_weight = 100 - sum(STATE_WEIGHTS.values())
    for k in range(count):
        intake_id = first_id + k
        at = start + SPAN * ((offset + k + rng.random()) / total)
        age_days = (now - at).days
        urgency = _pick(rng, URGENCY_WEIGHTS)
        line = _pick(rng, LINE_WEIGHTS)
        if urgency == "crisis":
            modality = "emergency"
        else:
            modality = rng.choices(("virtual", "in_person", "either"), (55, 40, 5))[0]
        if rng.random() * 100 < other_weight:
            state = rng.choice(OTHER_STATES)
        else:
            state = _pick(rng, STATE_WEIGHTS)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{intake_id}@example.org".lower()
        phone = f"+1 {200 + intake_id % 700:03d} 555 {intake_id % 10_000:04d}"
        contact = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": f"{rng.randint(1950, 2007)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "email": email,
            "phone": phone,
            "preferred_contact": rng.choice(("phone", "email")),
        }
        answers = {
            "state": state,
            "concerns": [line],
            "modality_preference": modality if modality != "emergency" else "virtual",
            "safe_now": "no" if urgency == "crisis" else "yes",
        }
        draft = rng.random() < DRAFT_SHARE
        if draft:
            status = IntakeStatus.DRAFT.value
        else:
            status = next(_pick(rng, mix) for limit, mix in STATUS_BY_AGE if age_days < limit)
        submitted = None if draft else at
        crisis_at = at - timedelta(minutes=rng.randint(2, 30)) if urgency == "crisis" else None
        acknowledged = None
        acknowledger = None
        if crisis_at is not None and not draft:
            still_new = status in ("submitted", "assigned") and rng.random() < 0.3
            if not still_new:
                acknowledged = crisis_at + timedelta(minutes=rng.randint(3, 40))
                acknowledger = rng.choice(people.staff)
        first_contact = closed = None
        close_reason = None
        if status in ("contacted", "closed"):
            first_contact = at + timedelta(hours=rng.randint(2, 96))
        if status == "closed":
            closed = (first_contact or at) + timedelta(days=rng.randint(1, 45))
            close_reason = rng.choice(CLOSE_REASONS)
        decision = (
            None
            if draft
            else {"urgency": urgency, "service_line": line, "modality": modality, "flags": []}
        )
        batch.intakes.append(
            (
                intake_id,
                reference_for(intake_id),
                status,
                "es" if rng.random() < 0.15 else "en",
                crypto.encrypt_json(contact),
                crypto.encrypt_json(answers),
                crypto.encrypt_json(decision) if decision is not None else None,
                None if draft else urgency,
                9 if draft else URGENCIES.index(urgency),
                None if draft else line,
                None if draft else modality,
                None if draft else "bench",
                "api" if rng.random() < 0.2 else "web",
                _iso(at - timedelta(minutes=rng.randint(5, 40))),
                _iso(closed or first_contact or at),
                _iso(submitted),
                _iso(crisis_at),
                _iso(at) if status == "submitted" else None,
                _iso(closed),
                _iso(acknowledged),
                acknowledger,
                0,
                None if draft else contact_keys.email_key(email),
                None if draft else contact_keys.phone_key(phone),
                None if draft else contact_keys.name_key(f"{first} {last}"),
                state,
                _iso(first_contact),
                close_reason,
            )
        )
        if draft or status == "submitted":
            continue
        offered = at + timedelta(minutes=rng.randint(1, 20))
        if rng.random() < 0.05:  # declined once, then offered to someone else
            batch.assignments.append(
                (
                    intake_id,
                    rng.choice(people.clinicians),
                    "declined",
                    "bench: best match",
                    _iso(offered),
                    _iso(offered + timedelta(hours=3)),
                    crypto.encrypt_text("caseload full"),
                    _iso(offered + timedelta(days=1)),
                    None,
                )
            )
            offered += timedelta(hours=3)
        accept_by = offered + timedelta(days=1)
        overdue = status == "assigned" and accept_by < now and rng.random() < 0.25
        batch.assignments.append(
            (
                intake_id,
                rng.choice(people.clinicians),
                {"assigned": "offered", "closed": "completed"}.get(status, "accepted"),
                "bench: best match",
                _iso(offered),
                None if status == "assigned" else _iso(offered + timedelta(hours=5)),
                None,
                _iso(accept_by),
                _iso(accept_by) if overdue else None,
            )
        )
        if status in ("contacted", "closed") and rng.random() < 0.33:
            for attempt in range(rng.randint(1, 2)):
                batch.outreach.append(
                    (
                        intake_id,
                        rng.choice(people.staff),
                        rng.choice(CHANNELS),
                        rng.choice(OUTCOMES),
                        None,
                        f"bench-{intake_id}-{attempt}",
                        _iso(at + timedelta(hours=1 + attempt)),
                    )
                )
    return batch


def _people() -> People:
    """The demo clinicians and coordinators (created if missing): assignees and actors."""
    seed_demo()
    clinicians = tuple(
        db.session.scalars(select(ClinicianProfile.id).order_by(ClinicianProfile.id))
    )
    staff = tuple(
        db.session.scalars(
            select(User.id).where(User.role.in_((Role.STAFF, Role.ADMIN))).order_by(User.id)
        )
    )
    if not clinicians or not staff:
        raise Refused("no clinicians or coordinators to assign to")
    return People(clinicians, staff)


def check_target() -> None:
    """Refuse anything but a PostgreSQL database outside production."""
    if current_app.config["APP_ENV"] == "production":
        raise Refused("refused: APP_ENV=production (bench data is for bench databases only)")
    dialect = db.engine.dialect.name
    if dialect != "postgresql":
        raise Refused(f"refused: the database is {dialect}; bench seed needs PostgreSQL (COPY)")


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(total: int, batch_size: int = 20_000, seed_value: int = 1) -> int:
    """Write `total` intakes; returns the first id written. Each batch is its own
    transaction; the tables are analysed (and vacuumed, for index-only scans) at the end."""
    check_target()
    people = _people()
    db.session.commit()
    now = datetime.now(UTC)
    # Reserve the ids: the sequence moves past them first, so the app's own inserts (if any)
    # never collide with the rows written here.
    last = db.session.scalar(
        text(
            "SELECT setval(pg_get_serial_sequence('intakes', 'id'), "
            "greatest((SELECT coalesce(max(id), 0) FROM intakes), "
            "(SELECT last_value FROM intakes_id_seq)) + :n)"
        ),
        {"n": total},
    )
    db.session.commit()
    first_id = int(last or 0) - total + 1
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        if connection is None:
            raise Refused("no database connection")
        with click.progressbar(length=total, label="intakes", show_pos=True) as bar:
            for offset in range(0, total, batch_size):
                count = min(batch_size, total - offset)
                rows = generate(first_id + offset, count, total, offset, now, people, seed_value)
                with connection.cursor() as cursor:
                    _copy(cursor, "intakes", INTAKE_COLUMNS, rows.intakes)
                    _copy(cursor, "assignments", ASSIGNMENT_COLUMNS, rows.assignments)
                    _copy(cursor, "outreach_attempts", OUTREACH_COLUMNS, rows.outreach)
                connection.commit()
                bar.update(count)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for table in ("intakes", "assignments", "outreach_attempts"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        connection.autocommit = False
    finally:
        raw.close()
    return first_id


def register(app: Flask) -> None:
    group = AppGroup("bench", help="Synthetic data for benchmarks (PostgreSQL, never production).")
    app.cli.add_command(group)

    @group.command("seed")
    @click.option("--intakes", "total", type=click.IntRange(1), required=True)
    @click.option("--batch", "batch_size", type=click.IntRange(100), default=20_000)
    @click.option("--seed", "seed_value", type=int, default=1, help="Random seed of the mix.")
    def seed_command(total: int, batch_size: int, seed_value: int) -> None:
        """Write N synthetic intakes (two years of a busy practice) with COPY."""
        check_target()
        first = seed(total, batch_size, seed_value)
        click.echo(f"{total:,} intakes written (ids {first:,} to {first + total - 1:,})")


__all__ = ["LINE_WEIGHTS", "check_target", "generate", "reference_for", "register", "seed"]
