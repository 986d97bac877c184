"""Thin views for clinicians: their own assignments only (anything else is a 404)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from intake.auth import role_required
from intake.clinician import bp
from intake.extensions import db
from intake.models import OPEN_ASSIGNMENT, Assignment, ClinicianProfile, Intake, Role, utcnow
from intake.screening import INSTRUMENTS
from intake.services import audit


def _profile() -> ClinicianProfile:
    profile = current_user.clinician
    if profile is None:
        abort(404)
    return profile


@bp.get("/")
@role_required(Role.CLINICIAN)
def assignments() -> Any:
    profile = _profile()
    rows = db.session.scalars(
        select(Assignment)
        .join(Intake)
        .where(Assignment.clinician_id == profile.id, Assignment.status.in_(OPEN_ASSIGNMENT))
        .order_by(Intake.urgency_rank, Intake.submitted_at)
    ).all()
    return render_template("clinician/assignments.html", assignments=rows, now=utcnow())


@bp.get("/intakes/<int:intake_id>")
@role_required(Role.CLINICIAN)
def intake_detail(intake_id: int) -> Any:
    profile = _profile()
    assignment = db.session.scalar(
        select(Assignment)
        .where(Assignment.intake_id == intake_id, Assignment.clinician_id == profile.id)
        .order_by(Assignment.id.desc())
    )
    if assignment is None:
        abort(404)
    audit("intake.viewed", "intake", intake_id, actor=current_user, ip=request.remote_addr)
    db.session.commit()
    return render_template(
        "staff/intake.html", intake=assignment.intake, instruments=INSTRUMENTS, now=utcnow()
    )
