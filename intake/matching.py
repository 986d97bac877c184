"""Who gets an intake: the least-loaded eligible clinician, recorded with the reason why.

Eligible: an active clinician, accepting new patients, offering the service line and the
modality, licensed in the patient's state for virtual care or working at the chosen clinic (or
a clinic in the patient's state) for in-person care, and under capacity. Ties go to whoever
waited longest since their last assignment. On PostgreSQL the candidates' rows are locked
(in id order, so two submits cannot deadlock) before loads are counted, so concurrent submits
never put a clinician over capacity.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from intake.extensions import db
from intake.models import (
    OPEN_ASSIGNMENT,
    Assignment,
    ClinicianProfile,
    Intake,
    Location,
    Role,
    User,
    as_utc,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Choice:
    clinician: ClinicianProfile
    reason: str


def _modality_fits(
    profile: ClinicianProfile,
    modality: str,
    state: str | None,
    location: str | None,
    clinic_states: dict[str, str],
) -> str | None:
    """The way this clinician can see the patient ('virtual' / 'in_person'), or None."""
    virtual_ok = "virtual" in profile.modalities and state in profile.license_states
    in_person_ok = (
        "in_person" in profile.modalities
        and profile.location_code is not None
        and (
            profile.location_code == location
            if location
            else clinic_states.get(profile.location_code) == state
        )
    )
    if modality == "virtual":
        return "virtual" if virtual_ok else None
    if modality == "in_person":
        return "in_person" if in_person_ok else None
    # either / emergency (a clinician sets the follow-up): whichever is possible
    if virtual_ok:
        return "virtual"
    return "in_person" if in_person_ok else None


def choose_clinician(intake: Intake, *, exclude: Collection[int] = ()) -> Choice | None:
    """Pick and lock the clinician for `intake`; None when nobody is eligible right now.

    `exclude` holds clinician profile ids not to offer it to (they declined it, or staff took
    it back from them).
    """
    answers = intake.answers or {}
    state = answers.get("state")
    location = answers.get("location")
    line = intake.service_line
    modality = intake.modality or "either"
    # One query: each clinician with their account (the offer's email needs it) and the state
    # of their clinic.
    rows = db.session.execute(
        select(ClinicianProfile, Location.state)
        .join(ClinicianProfile.user)
        .outerjoin(Location, Location.code == ClinicianProfile.location_code)
        .options(contains_eager(ClinicianProfile.user))
        .where(
            ClinicianProfile.accepting_new.is_(True),
            User.active.is_(True),
            User.role == Role.CLINICIAN,  # a profile left behind by a change of role is not
        )
        .order_by(ClinicianProfile.id)
    ).all()
    profiles = [profile for profile, _ in rows]
    clinic_states = {p.location_code: st for p, st in rows if p.location_code and st}
    fits = {
        p.id: how
        for p in profiles
        if p.id not in exclude
        and line in p.service_lines
        and (how := _modality_fits(p, modality, state, location, clinic_states)) is not None
    }
    if not fits:
        return None
    # Lock the candidates, then read what may have changed meanwhile and count loads: a
    # concurrent submit waits here. (Columns, not objects: the profiles already loaded keep
    # their accounts, which the offer's email needs.)
    fresh = {
        row.id: row
        for row in db.session.execute(
            select(
                ClinicianProfile.id,
                ClinicianProfile.capacity,
                ClinicianProfile.accepting_new,
                ClinicianProfile.last_assigned_at,
            )
            .where(ClinicianProfile.id.in_(fits))
            .order_by(ClinicianProfile.id)
            .with_for_update()
        )
    }
    loads = dict(
        db.session.execute(
            select(Assignment.clinician_id, func.count())
            .where(Assignment.clinician_id.in_(fits), Assignment.status.in_(OPEN_ASSIGNMENT))
            .group_by(Assignment.clinician_id)
        ).all()
    )
    open_ = [
        p
        for p in profiles
        if p.id in fresh and fresh[p.id].accepting_new and loads.get(p.id, 0) < fresh[p.id].capacity
    ]
    if not open_:
        return None

    def rank(p: ClinicianProfile) -> tuple[int, datetime, int]:
        return loads.get(p.id, 0), as_utc(fresh[p.id].last_assigned_at) or _EPOCH, p.id

    best = min(open_, key=rank)
    load = loads.get(best.id, 0)
    how = fits[best.id]
    where = f"licensed in {state}" if how == "virtual" else f"at clinic {best.location_code}"
    reason = (
        f"Offers {line} ({how.replace('_', '-')}, {where}); accepting new patients; "
        f"least loaded of {len(open_)} eligible ({load} of {fresh[best.id].capacity} open)."
    )
    return Choice(best, reason)


def ineligible(intake: Intake, profiles: Collection[ClinicianProfile]) -> dict[int, list[str]]:
    """For each of `profiles` (with their users loaded), why it could not be chosen for
    `intake` (empty: eligible), in a coordinator's words: the same tests as `choose_clinician`.
    Two queries whatever the number of clinicians."""
    answers = intake.answers or {}
    clinic_states = dict(db.session.execute(select(Location.code, Location.state)).all())
    ids = [p.id for p in profiles]
    loads = dict(
        db.session.execute(
            select(Assignment.clinician_id, func.count())
            .where(Assignment.clinician_id.in_(ids), Assignment.status.in_(OPEN_ASSIGNMENT))
            .group_by(Assignment.clinician_id)
        ).all()
    )
    state, location = answers.get("state"), answers.get("location")
    out: dict[int, list[str]] = {}
    for profile in profiles:
        why: list[str] = []
        if not profile.user.active:
            why.append("account disabled")
        if not profile.accepting_new:
            why.append("not accepting new patients")
        if intake.service_line not in profile.service_lines:
            why.append("does not offer this service line")
        modality = intake.modality or "either"
        if _modality_fits(profile, modality, state, location, clinic_states) is None:
            why.append("not licensed or located for this modality")
        if loads.get(profile.id, 0) >= profile.capacity:
            why.append("at capacity")
        out[profile.id] = why
    return out
