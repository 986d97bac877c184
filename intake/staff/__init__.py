"""Staff dashboard: queues, intake detail with scores and reasons, the rules in force."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from intake.staff import views  # noqa: E402,F401
