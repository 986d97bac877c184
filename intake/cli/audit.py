"""`flask audit verify`: recompute the audit trail's hash chain (intake/audit.py)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from intake.audit import verify_chain


def register(app: Flask) -> None:
    group = AppGroup("audit", help="The audit trail: check that no row was changed or removed.")
    app.cli.add_command(group)

    @group.command("verify")
    def verify() -> None:
        """Walk the chain; exit 1 at the first broken or missing row, naming it."""
        report = verify_chain()
        if report.ok:
            click.echo(
                f"OK: {report.rows} audit rows, chain intact; "
                f"head {report.head_seq} {report.head_hash}"
            )
            return
        if not report.checked:
            click.echo(f"NOT CHECKED: {report.problem}", err=True)
            raise SystemExit(1)
        where = []
        if report.at_seq is not None:
            where.append(f"chain position {report.at_seq}")
        if report.at_id is not None:
            where.append(f"id {report.at_id}")
        click.echo(
            f"BROKEN: {report.problem}"
            + (f" at {', '.join(where)}" if where else "")
            + f"; {report.rows} rows intact before it",
            err=True,
        )
        raise SystemExit(1)
