"""`flask export fhir --since DATE --out DIR`: one FHIR transaction Bundle file per intake.

For practices whose EHR imports files rather than calling the API: every intake submitted on or
after DATE (midnight UTC) is written to DIR as `<reference>-bundle.json`, the same document as
`GET /api/v1/intakes/<id>/bundle`, and each file written is audited. A file already there is
overwritten (the same intake gives the same Bundle, and its conditional creates make a second
import create nothing). Only counts and the folder are printed, never a name or an answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from intake import bundle
from intake.extensions import db
from intake.models import Intake, IntakeStatus
from intake.services import records


def _ids_since(since: datetime) -> list[int]:
    query = (
        select(Intake.id)
        .where(Intake.status != IntakeStatus.DRAFT, Intake.submitted_at >= since)
        .order_by(Intake.submitted_at, Intake.id)
    )
    return list(db.session.scalars(query))


def _write(intake_id: int, out: Path) -> None:
    intake = db.session.get(Intake, intake_id)
    if intake is None:  # deleted since the list was read
        return
    document = json.dumps(bundle.bundle(intake), ensure_ascii=False, indent=2)
    target = out / bundle.filename(intake)
    partial = target.with_name(target.name + ".part")
    partial.write_text(document + "\n", encoding="utf-8")
    partial.replace(target)  # an importer watching the folder never reads half a file
    records.record_exported_to_file(intake_id, "bundle")


def register(app: Flask) -> None:
    group = AppGroup("export", help="Export intakes to files for the practice's EHR.")
    app.cli.add_command(group)

    @group.command("fhir")
    @click.option(
        "--since",
        required=True,
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="Intakes submitted on or after this date (YYYY-MM-DD, from midnight UTC).",
    )
    @click.option(
        "--out",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for the files (created if missing).",
    )
    def export_fhir(since: datetime, out: Path) -> None:
        """Write one FHIR R4 transaction Bundle per intake submitted since DATE."""
        out.mkdir(parents=True, exist_ok=True)
        ids = _ids_since(since.replace(tzinfo=UTC))
        with click.progressbar(ids, label="Exporting FHIR bundles") as bar:
            for intake_id in bar:
                _write(intake_id, out)
        noun = "intake" if len(ids) == 1 else "intakes"
        click.echo(f"wrote {len(ids)} {noun} to {out}")
