"""API clients: `flask api-clients create NAME | list | revoke NAME | set-cap NAME N`.

`create` prints the new key once, as the last line of its output (so a script can take it with
`tail -n 1`); only its hash is stored, so a lost key is replaced by revoking the client and
creating another.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from intake.models import ApiClient
from intake.services import api_clients


def _cap(value: str) -> int | None:
    """'default' (the AUTO_ASSIGN_PER_SOURCE_PER_HOUR setting) or a whole number, 0 = no cap."""
    if value.strip().lower() == "default":
        return None
    try:
        cap = int(value)
    except ValueError:
        raise click.BadParameter("a whole number (0 = no cap) or 'default'") from None
    if cap < 0:
        raise click.BadParameter("a whole number (0 = no cap) or 'default'")
    return cap


def _describe_cap(client: ApiClient) -> str:
    cap = client.auto_assign_per_hour
    if cap is None:
        cap = int(current_app.config["AUTO_ASSIGN_PER_SOURCE_PER_HOUR"])
        own = " (the default)"
    else:
        own = " (its own)"
    return ("no cap" if cap == 0 else f"{cap} per hour") + own


def register(app: Flask) -> None:
    group = AppGroup("api-clients", help="Partner systems allowed to POST intakes.")
    app.cli.add_command(group)

    @group.command("create")
    @click.argument("name")
    @click.option(
        "--cap",
        default="default",
        help="Automatic assignments per hour from this client: a number (0 = no cap) or "
        "'default' (AUTO_ASSIGN_PER_SOURCE_PER_HOUR).",
    )
    def create(name: str, cap: str) -> None:
        """Create an API client and print its key (once: only a hash is kept)."""
        try:
            made = api_clients.create(name, cap=_cap(cap))
        except api_clients.ClientError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"created API client {made.client.name!r} (id {made.client.id}); "
            f"automatic assignments: {_describe_cap(made.client)}"
        )
        click.echo("Its key follows. It is shown this once: store it in the partner's secrets.")
        click.echo("Send it as the header 'Authorization: Bearer <key>'.")
        click.echo(made.key)

    @group.command("list")
    def list_clients() -> None:
        """Every client: name, id, created, state, cap (never a key)."""
        clients = api_clients.all_clients()
        if not clients:
            click.echo("no API clients")
        for client in clients:
            state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
            click.echo(
                f"{client.name:<24} id {client.id:<4} created {client.created_at:%Y-%m-%d}  "
                f"{state:<24} automatic assignments: {_describe_cap(client)}"
            )

    @group.command("revoke")
    @click.argument("name")
    def revoke(name: str) -> None:
        """Stop the client's key from working (at once; the client's record stays)."""
        try:
            client = api_clients.revoke(name)
        except api_clients.ClientError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"revoked API client {client.name!r} (id {client.id})")

    @group.command("set-cap")
    @click.argument("name")
    @click.argument("cap")
    def set_cap(name: str, cap: str) -> None:
        """Automatic assignments per hour for one trusted client: N (0 = no cap) or 'default'."""
        try:
            client = api_clients.set_cap(name, _cap(cap))
        except api_clients.ClientError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"API client {client.name!r}: automatic assignments {_describe_cap(client)}")
