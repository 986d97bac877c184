"""Public pages, no account needed: the intake form, its confirmation, crisis help."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from intake.public import views  # noqa: E402,F401
