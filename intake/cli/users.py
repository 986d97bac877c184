"""`flask users unlock EMAIL`: lift the sign-in lock of an account (intake/services/lockout.py)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import User
from intake.services import lockout


def register(app: Flask) -> None:
    group = AppGroup("users", help="Staff accounts.")
    app.cli.add_command(group)

    @group.command("unlock")
    @click.argument("email")
    def unlock(email: str) -> None:
        """Let EMAIL sign in again after too many failed attempts (audited)."""
        typed = email.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == typed))
        if user is None:
            raise click.ClickException(f"no user {email}")
        lifted = lockout.lift(user.id, None)
        click.echo(f"{user.email}: {'unlocked' if lifted else 'was not locked; counts cleared'}")
