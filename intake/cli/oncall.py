"""The on-call rota: `flask oncall list | add | remove` (the changes: `services.oncall`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from intake.extensions import db
from intake.models import OnCallShift, User, utcnow
from intake.services import oncall as oncall_service


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


def register(app: Flask) -> None:
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
        try:
            shift = oncall_service.add_shift(clinician, backup, _when(start), hours)
        except oncall_service.BadShift as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"added on-call shift {shift.id}")

    @oncall.command("remove")
    @click.argument("shift_id", type=int)
    def oncall_remove(shift_id: int) -> None:
        """Delete a shift from the rota."""
        try:
            oncall_service.remove_shift(shift_id)
        except oncall_service.ShiftNotFound:
            raise click.ClickException(f"no on-call shift {shift_id}") from None
        click.echo(f"removed on-call shift {shift_id}")
