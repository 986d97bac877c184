"""Flask commands: seed-demo, create-user, the on-call rota, and the rules tools."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from intake.extensions import db
from intake.models import ClinicianProfile, Intake, Location, OnCallShift, Role, User, utcnow
from intake.passwords import MIN_LENGTH, hash_password
from intake.services import audit
from intake.triage import RulesetError, default_ruleset, load_ruleset, triage

DEMO_PASSWORD = "wayfinder-demo-2026"  # noqa: S105 - printed by `make run`; demo data only
LINES = (
    "anxiety",
    "trauma",
    "couples",
    "depression",
    "adhd",
    "ocd",
    "bipolar",
    "eating_disorders",
    "addiction",
    "other",
)
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
        LINES[:5],
        ["NY", "NJ", "FL"],
        ["in_person", "virtual"],
        "nyc-midtown",
        12,
    ),
    (
        "sam.okafor@demo.wayfinder",
        "Sam Okafor, LCSW",
        LINES[5:],
        ["NY", "CA", "TX", "FL"],
        ["virtual"],
        None,
        12,
    ),
    (
        "mei.chen@demo.wayfinder",
        "Dr. Mei Chen",
        LINES,
        ["CA", "TX"],
        ["in_person", "virtual"],
        "la-westside",
        15,
    ),
    (
        "jordan.blake@demo.wayfinder",
        "Jordan Blake, PMHNP",
        LINES,
        ["TX", "FL", "NY", "CA"],
        ["in_person", "virtual"],
        "austin-central",
        15,
    ),
    (
        "lucia.mendez@demo.wayfinder",
        "Dr. Lucia Mendez",
        LINES,
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


def upsert_user(email: str, name: str, role: str, password: str) -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, display_name=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user, True


def seed_demo() -> dict[str, int]:
    """Demo clinics, clinicians (every line in NY, CA, TX, FL; both modalities), staff, rota."""
    created = Counter[str]()
    for code, name, state in DEMO_LOCATIONS:
        if db.session.get(Location, code) is None:
            db.session.add(Location(code=code, name=name, state=state))
            created["locations"] += 1
    db.session.flush()
    director = current_app.config.get("CLINICAL_DIRECTOR_EMAIL") or "director@demo.wayfinder"
    for email, name, role in (*DEMO_STAFF, (director, DEMO_DIRECTOR_NAME, Role.ADMIN)):
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
    return dict(created)


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create demo clinics, clinicians, staff and an on-call rota (safe to run again)."""
        created = seed_demo()
        click.echo(
            "demo data: " + (", ".join(f"{v} {k}" for k, v in created.items()) or "already there")
        )

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", default=None, help="Display name (default: the email).")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(email: str, role: str, name: str | None, password_stdin: bool) -> None:
        """Create a staff, clinician or admin account."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < MIN_LENGTH:
            raise click.ClickException(f"The password must have at least {MIN_LENGTH} characters.")
        email = email.strip().lower()
        if db.session.scalar(select(User).where(User.email == email)) is not None:
            raise click.ClickException(f"A user with email {email} already exists.")
        user, _ = upsert_user(email, name or email, role, password)
        db.session.commit()
        click.echo(f"created {role} user {user.id}")

    init_oncall(app)

    rules = AppGroup("rules", help="Validate, explain and replay the triage rules.")
    app.cli.add_command(rules)

    @rules.command("check")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
    def rules_check(path: str | None) -> None:
        """Validate a rules file (default: the one in force) and print its version."""
        try:
            ruleset = load_ruleset(Path(path)) if path else default_ruleset()
        except RulesetError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"ok: {ruleset.version}")

    @rules.command("explain")
    @click.argument("answers_file", type=click.File("r"))
    def rules_explain(answers_file: Any) -> None:
        """Answers (JSON, contract vocabulary) in, decision JSON out."""
        try:
            answers = json.load(answers_file)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"not JSON: {exc}") from None
        click.echo(json.dumps(triage(answers).to_dict(), indent=2, sort_keys=True))

    @rules.command("replay")
    @click.option("--rules", "draft", required=True, type=click.Path(exists=True, dir_okay=False))
    def rules_replay(draft: str) -> None:
        """Re-decide every stored intake with a draft rules file; print what would change."""
        try:
            ruleset = load_ruleset(Path(draft))
        except RulesetError as exc:
            raise click.ClickException(str(exc)) from None
        total, changed, changes = 0, 0, Counter[str]()
        rows = db.session.execute(
            select(Intake.answers, Intake.urgency, Intake.service_line).where(
                Intake.submitted_at.is_not(None)
            )
        )
        for answers, urgency, line in rows:
            total += 1
            new = triage(answers or {}, ruleset)
            changed += new.urgency != urgency or new.service_line != line
            if new.urgency != urgency:
                changes[f"urgency {urgency} -> {new.urgency}"] += 1
            if new.service_line != line:
                changes[f"service line {line} -> {new.service_line}"] += 1
        click.echo(f"draft {ruleset.version}: {total} intakes re-decided, nothing written")
        click.echo(
            f"{changed} of {total} decision(s) would change"
            if changed
            else "no decision would change"
        )
        for what, count in changes.most_common():
            click.echo(f"  {count:6d}  {what}")


def _user(email: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"no active user {email}")
    return user


def _when(text: str) -> datetime:
    """ISO date-time; without an offset it is read in BUSINESS_TZ."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {text}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config["BUSINESS_TZ"]))
    return value


def init_oncall(app: Flask) -> None:
    oncall = AppGroup("oncall", help="The on-call rota: who answers crisis alerts, and when.")
    app.cli.add_command(oncall)

    @oncall.command("list")
    @click.option("--days", default=7, show_default=True, help="How far ahead to show.")
    def oncall_list(days: int) -> None:
        """Shifts that have not ended, up to --days ahead (coordinators are always alerted)."""
        now = utcnow()
        shifts = db.session.scalars(
            select(OnCallShift)
            .where(OnCallShift.ends_at > now, OnCallShift.starts_at < now + timedelta(days=days))
            .order_by(OnCallShift.starts_at)
        )
        for shift in shifts:
            backup = shift.backup.email if shift.backup else "-"
            span = f"{shift.starts_at:%Y-%m-%d %H:%M} -> {shift.ends_at:%Y-%m-%d %H:%M} UTC"
            click.echo(f"{shift.id:5d}  {span}  {shift.clinician.email}  backup {backup}")

    @oncall.command("add")
    @click.argument("clinician_email")
    @click.option("--backup", "backup_email", default=None, help="The backup's email.")
    @click.option("--start", "start", required=True, help="ISO date-time (BUSINESS_TZ if naive).")
    @click.option("--hours", default=24.0, show_default=True, help="Length of the shift.")
    def oncall_add(
        clinician_email: str, backup_email: str | None, start: str, hours: float
    ) -> None:
        """Put a clinician (and a backup) on call for a time slot."""
        if hours <= 0:
            raise click.BadParameter("--hours must be positive")
        clinician = _user(clinician_email)
        backup = _user(backup_email) if backup_email else None
        if backup is not None and backup.id == clinician.id:
            raise click.ClickException("the backup must be someone else")
        begins = _when(start)
        shift = OnCallShift(
            starts_at=begins,
            ends_at=begins + timedelta(hours=hours),
            clinician_user_id=clinician.id,
            backup_user_id=backup.id if backup else None,
        )
        db.session.add(shift)
        db.session.flush()
        audit("oncall.added", "oncall_shift", shift.id, clinician=clinician.id)
        db.session.commit()
        click.echo(f"added on-call shift {shift.id}")

    @oncall.command("remove")
    @click.argument("shift_id", type=int)
    def oncall_remove(shift_id: int) -> None:
        """Delete a shift from the rota."""
        shift = db.session.get(OnCallShift, shift_id)
        if shift is None:
            raise click.ClickException(f"no on-call shift {shift_id}")
        db.session.delete(shift)
        audit("oncall.removed", "oncall_shift", shift_id)
        db.session.commit()
        click.echo(f"removed on-call shift {shift_id}")
