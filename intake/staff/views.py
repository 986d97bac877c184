"""Thin views for coordinators and admins."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from intake import notifications, queries
from intake.auth import role_required
from intake.extensions import db
from intake.models import Intake, Role, utcnow
from intake.screening import INSTRUMENTS
from intake.services import audit
from intake.staff import bp
from intake.triage import default_ruleset

STAFF = (Role.STAFF, Role.ADMIN)


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
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.submitted_at is None:
        abort(404)
    audit("intake.viewed", "intake", intake.id, actor=current_user, ip=request.remote_addr)
    db.session.commit()
    return render_template(
        "staff/intake.html", intake=intake, instruments=INSTRUMENTS, now=utcnow()
    )


@bp.get("/rules")
@role_required(*STAFF)
def rules() -> Any:
    ruleset = default_ruleset()
    return render_template("staff/rules.html", ruleset=ruleset, rules=ruleset.describe())


@bp.post("/notifications/<int:notification_id>/retry")
@role_required(*STAFF)
def retry_notification(notification_id: int) -> Any:
    if notifications.retry_dead(notification_id, current_user):
        flash("The message was queued again.", "info")
    else:
        flash("That message is not waiting for a retry.", "error")
    return redirect(url_for("staff.dashboard"))
