"""Demo data and user accounts: `flask seed-demo`, `flask create-user` (use cases in services).

The demo also gets an API client whose key is fixed and printed (like the demo password), so
that the API can be tried with one copied command; it is not created when APP_ENV=production.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from intake.models import Role
from intake.passwords import MIN_LENGTH
from intake.services import api_clients
from intake.services.demo import (
    DEMO_API_CLIENT,
    DEMO_API_KEY,
    DEMO_CLINICIANS,
    DEMO_PASSWORD,
    DEMO_STAFF,
    seed_demo,
    seed_demo_practice,
)
from intake.services.users import PasswordTooShort, UserExists, WeakPassword, upsert_user
from intake.services.users import create_user as create_account

__all__ = [
    "DEMO_API_CLIENT",
    "DEMO_API_KEY",
    "DEMO_CLINICIANS",
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "api_example",
    "register",
    "seed_demo",
    "seed_demo_practice",
    "upsert_user",
]


def api_example(base_url: str) -> str:
    """How to call the API as the demo client (README, "API", has a whole body)."""
    return (
        f"curl -i {base_url.rstrip('/')}/api/v1/intakes "
        f"-H 'Authorization: Bearer {DEMO_API_KEY}' -H 'Content-Type: application/json' "
        "-H 'Idempotency-Key: demo-1' -d @intake.json"
    )


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option(
        "--intakes/--no-intakes",
        default=True,
        help="Also add a few hundred made-up intakes in every state of the workflow.",
    )
    def seed_demo_command(intakes: bool) -> None:
        """Create demo clinics, clinicians, staff, an on-call rota and a working practice of
        made-up intakes (safe to run again: it adds only what is missing)."""
        created = seed_demo()
        if intakes:
            created |= seed_demo_practice()
        click.echo(
            "demo data: " + (", ".join(f"{v} {k}" for k, v in created.items()) or "already there")
        )
        if api_clients.find(DEMO_API_CLIENT) is not None:
            click.echo("API, as the demo client: " + api_example(current_app.config["BASE_URL"]))

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
        try:
            user = create_account(email, role, name, password)
        except PasswordTooShort:
            raise click.ClickException(
                f"The password must have at least {MIN_LENGTH} characters."
            ) from None
        except WeakPassword as exc:
            raise click.ClickException(exc.reason) from None
        except UserExists:
            raise click.ClickException(
                f"A user with email {email.strip().lower()} already exists."
            ) from None
        click.echo(f"created {role} user {user.id}")
