"""JSON API for the practice's website and referral partners (contract.md, "The intake API")."""

from flask import Blueprint

from intake.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # JSON only, no cookie-authenticated writes: CSRF does not apply

from intake.api import documents, views  # noqa: E402,F401
