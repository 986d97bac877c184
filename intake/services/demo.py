"""The demo data: clinics, clinicians, staff, a month of on-call rota and an API client.

`seed_demo` is safe to run again (it adds only what is missing) and commits once. The demo
API client's key is fixed and printed (like the demo password) so the API can be tried with one
copied command; it is not created when APP_ENV=production.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.models import ClinicianProfile, Location, OnCallShift, Role, utcnow
from intake.services import api_clients
from intake.services.users import upsert_user
from intake.triage import SERVICE_LINES

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
