"""Thin views for clinicians: their own open assignments only (anything else is a 404).

Access ends with the assignment: an intake they declined, or that staff took back from them, is
a 404 on every page here (`services.held_assignment`).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from intake import queries, services
from intake.auth import role_required
from intake.extensions import db
from intake.models import OPEN_ASSIGNMENT, Assignment, ClinicianProfile, Intake, Role, utcnow
from intake.screening import INSTRUMENTS
from intake.services import records, workspace

bp = Blueprint("clinician", "intake.clinician", url_prefix="/clinician")

# services.decline stores at most 2,000 characters (`reason.strip()[:2000]`) and exposes no
# constant for it; keep this equal to that cut, so a reason the form accepts is kept whole.
DECLINE_REASON_MAX = 2000


def _profile() -> ClinicianProfile:
    profile: ClinicianProfile | None = current_user.clinician
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
        .options(contains_eager(Assignment.intake))  # one query, not one per row
        .where(Assignment.clinician_id == profile.id, Assignment.status.in_(OPEN_ASSIGNMENT))
        .order_by(Intake.urgency_rank, Intake.submitted_at)
    ).all()
    return render_template("clinician/assignments.html", assignments=rows, now=utcnow())


@bp.get("/intakes/<int:intake_id>")
@role_required(Role.CLINICIAN)
def intake_detail(intake_id: int) -> Any:
    _profile()
    # Only while their assignment is open: once declined or taken back, the intake is a 404.
    assignment = services.held_assignment(current_user, intake_id=intake_id)
    if assignment is None:
        abort(404)
    records.record_viewed(intake_id, current_user, request.remote_addr)
    return render_template(
        "staff/intake.html",
        intake=assignment.intake,
        assignment=assignment,
        instruments=INSTRUMENTS,
        now=utcnow(),
        decline_reason_max=DECLINE_REASON_MAX,
        outreach=queries.outreach_for(intake_id),
        form_token=secrets.token_urlsafe(24),
        channels=workspace.CHANNELS,
        outcomes=workspace.OUTCOMES,
        notes=workspace.notes_for(intake_id),
        note_max=workspace.NOTE_MAX,
        note_token=secrets.token_urlsafe(24),
        note_action=url_for("clinician.add_note", intake_id=intake_id),
        timeline=workspace.timeline(assignment.intake),
    )


@bp.post("/intakes/<int:intake_id>/notes")
@role_required(Role.CLINICIAN)
def add_note(intake_id: int) -> Any:
    """An internal note on an intake they hold (offered or accepted); anything else a 404."""
    if services.held_assignment(current_user, intake_id=intake_id) is None:
        abort(404)
    back = url_for("clinician.intake_detail", intake_id=intake_id, _anchor="h-notes")
    problem = workspace.note_problem(request.form.get("body"))
    if problem is not None:
        flash(problem, "error")
        return redirect(back)
    result = workspace.add_note(
        intake_id,
        current_user,
        body=request.form.get("body"),
        form_token=request.form.get("form_token") or "",
        ip=request.remote_addr,
    )
    if result is workspace.Result.NOT_FOUND:
        abort(404)
    if result is workspace.Result.INVALID:
        flash("The form expired: write the note again and save it.", "error")
    else:
        flash(
            "Note saved." if result is workspace.Result.DONE else "That note was already saved.",
            "info",
        )
    return redirect(back)


@bp.post("/intakes/<int:intake_id>/outreach")
@role_required(Role.CLINICIAN)
def outreach(intake_id: int) -> Any:
    """Record a try at reaching the person, or first contact made: their own intakes only."""
    if services.held_assignment(current_user, intake_id=intake_id) is None:
        abort(404)
    result = workspace.record_outreach(
        intake_id,
        current_user,
        **workspace.outreach_fields(request.form),
        ip=request.remote_addr,
    )
    if result is workspace.Result.NOT_FOUND:
        abort(404)
    if result is workspace.Result.DONE:
        flash("Outreach recorded.", "info")
    elif result is not workspace.Result.UNCHANGED:
        flash("Choose a channel and an outcome from the lists.", "error")
    return redirect(url_for("clinician.intake_detail", intake_id=intake_id))


def _after(result: services.Outcome, done: str) -> Any:
    if result is services.Outcome.NOT_FOUND:
        abort(404)
    if result is services.Outcome.DONE:
        flash(done, "info")
    else:
        flash("This assignment is no longer open.", "error")
    return redirect(url_for("clinician.assignments"))


@bp.post("/assignments/<int:assignment_id>/accept")
@role_required(Role.CLINICIAN)
def accept(assignment_id: int) -> Any:
    result = services.accept(assignment_id, current_user, request.remote_addr)
    return _after(result, "Accepted. The intake is yours.")


@bp.post("/assignments/<int:assignment_id>/decline")
@role_required(Role.CLINICIAN)
def decline(assignment_id: int) -> Any:
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > DECLINE_REASON_MAX:
        assignment = services.held_assignment(current_user, assignment_id=assignment_id)
        if assignment is None:
            abort(404)  # before the flash: a 404 must not leave a message for a later page
        flash(f"Give a reason for declining (at most {DECLINE_REASON_MAX} characters).", "error")
        return redirect(url_for("clinician.intake_detail", intake_id=assignment.intake_id))
    result = services.decline(assignment_id, current_user, reason, request.remote_addr)
    return _after(result, "Declined. The intake went back to its queue.")
