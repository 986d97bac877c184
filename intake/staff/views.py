"""Thin views for coordinators and admins (and the crisis acknowledgement, also for clinicians)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from intake import notifications, queries, services
from intake.auth import role_required
from intake.extensions import db
from intake.models import Intake, NotificationStatus, Role, as_utc, utcnow
from intake.screening import INSTRUMENTS
from intake.services import outbox as outbox_service
from intake.services import records
from intake.triage import default_ruleset

bp = Blueprint("staff", "intake.staff", url_prefix="/staff")

STAFF = (Role.STAFF, Role.ADMIN)
# SQLite hands back naive datetimes (every stored time is UTC): `{{ t|as_utc }}` before arithmetic.
bp.add_app_template_filter(as_utc, "as_utc")


@bp.get("/")
@role_required(*STAFF)
def dashboard() -> Any:
    intakes = queries.dashboard_intakes()
    return render_template(
        "staff/dashboard.html", intakes=intakes, now=utcnow(), dead=queries.dead_notifications()
    )


@bp.get("/intakes/<int:intake_id>")
@role_required(*STAFF)
def intake_detail(intake_id: int) -> Any:
    intake = queries.intake_detail(intake_id)
    if intake is None or not intake.seen_by_staff:
        abort(404)
    records.record_viewed(intake.id, current_user, request.remote_addr)
    # The commit expires what was loaded; the reload keeps the query's eager-load options.
    return render_template(
        "staff/intake.html", intake=intake, instruments=INSTRUMENTS, now=utcnow(), staff=True
    )


@bp.route("/intakes/<int:intake_id>/acknowledge", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN, Role.CLINICIAN)
def acknowledge(intake_id: int) -> Any:
    """GET shows a confirm button (the link in the alert email); only POST changes anything."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not services.may_acknowledge(intake, current_user):
        abort(404)
    if request.method == "GET":
        return render_template("staff/acknowledge.html", intake=intake, now=utcnow())
    result = services.acknowledge_crisis(intake_id, current_user, request.remote_addr)
    if result is services.Ack.NOT_FOUND:
        abort(404)
    flash(
        "Acknowledged: escalation stopped. Start outreach now."
        if result is services.Ack.DONE
        else "This alert was already acknowledged.",
        "info",
    )
    return redirect(url_for("staff.acknowledge", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/reassign")
@role_required(*STAFF)
def reassign(intake_id: int) -> Any:
    modality = request.form.get("modality") or None
    result = services.reassign(intake_id, current_user, modality=modality, ip=request.remote_addr)
    if result is services.Outcome.NOT_FOUND:
        abort(404)
    flash(
        "Assignment ran again." if result is services.Outcome.DONE else "It cannot be reassigned.",
        "info" if result is services.Outcome.DONE else "error",
    )
    return redirect(url_for("staff.intake_detail", intake_id=intake_id))


@bp.get("/rules")
@role_required(*STAFF)
def rules() -> Any:
    ruleset = default_ruleset()
    return render_template("staff/rules.html", ruleset=ruleset, rules=ruleset.describe())


@bp.get("/outbox")
@role_required(*STAFF)
def outbox() -> Any:
    """Dead letters (with a retry button) and how many messages wait in each state."""
    return render_template(
        "staff/outbox.html",
        dead=queries.dead_notifications(limit=200),
        counts=notifications.status_counts(),
        statuses=list(NotificationStatus),
        now=utcnow(),
    )


@bp.post("/notifications/<int:notification_id>/retry")
@role_required(*STAFF)
def retry_notification(notification_id: int) -> Any:
    if outbox_service.retry_dead(notification_id, current_user):
        flash("The message was queued again.", "info")
    else:
        flash("That message is not waiting for a retry.", "error")
    back = "staff.outbox" if request.form.get("back") == "outbox" else "staff.dashboard"
    return redirect(url_for(back))
