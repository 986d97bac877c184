"""Read-only API documents: the OpenAPI description, the FHIR Questionnaire, and (staff only)
one intake as a FHIR QuestionnaireResponse or as a transaction Bundle for the EHR."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, json, request
from flask_login import current_user

from intake import bundle, fhir
from intake.api.blueprint import bp
from intake.api.openapi import document
from intake.auth import role_required
from intake.extensions import db
from intake.models import Intake, IntakeStatus
from intake.services import records


def _json(body: dict[str, Any], mimetype: str) -> Response:
    return Response(json.dumps(body), mimetype=mimetype)


@bp.get("/openapi.json")
def openapi() -> Response:
    return _json(document(), "application/json")


@bp.get("/questionnaire")
def questionnaire() -> Response:
    return _json(fhir.questionnaire(), "application/fhir+json")


@bp.get("/intakes/<int:intake_id>/questionnaire-response")
@role_required("staff", "admin")
def questionnaire_response(intake_id: int) -> Response:
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.status == IntakeStatus.DRAFT:
        abort(404)
    records.record_exported(intake.id, current_user, request.remote_addr)
    response = _json(fhir.questionnaire_response(intake), "application/fhir+json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{intake.reference}-questionnaire-response.json"'
    )
    return response


@bp.get("/intakes/<int:intake_id>/bundle")
@role_required("staff", "admin")
def intake_bundle(intake_id: int) -> Response:
    """The intake as a FHIR R4 transaction Bundle for the practice's EHR (intake/bundle.py)."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.status == IntakeStatus.DRAFT:
        abort(404)
    records.record_exported(intake.id, current_user, request.remote_addr, document="bundle")
    response = _json(bundle.bundle(intake), "application/fhir+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{bundle.filename(intake)}"'
    return response
