"""The operations routes: `/healthz`, `/readyz` (intake.ops.health) and `/metrics`
(intake.ops.metrics). No CSRF (GET only) and no rate limit: probes and scrapers call them
often, from inside the deployment."""

from __future__ import annotations

from flask import Blueprint

from intake.extensions import csrf, limiter
from intake.ops import health, metrics

bp = Blueprint("ops", __name__)
bp.add_url_rule("/healthz", "healthz", health.healthz, methods=["GET"])
bp.add_url_rule("/readyz", "readyz", health.readyz, methods=["GET"])
bp.add_url_rule("/metrics", "metrics", metrics.metrics, methods=["GET"])
csrf.exempt(bp)
limiter.exempt(bp)
