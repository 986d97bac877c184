"""The API's blueprint, in a module of its own so that the route modules import it without
importing the package that imports them (no import circle)."""

from flask import Blueprint

from intake.extensions import csrf

bp = Blueprint("api", "intake.api", url_prefix="/api/v1")
csrf.exempt(bp)  # JSON only, no cookie-authenticated writes: CSRF does not apply
