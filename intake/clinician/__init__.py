"""Clinicians see only their own assignments."""

from flask import Blueprint

bp = Blueprint("clinician", __name__, url_prefix="/clinician")

from intake.clinician import views  # noqa: E402,F401
