"""Running it as a service: health and readiness, metrics, structured logs, the crisis queue and
the single-beat lock.

An entry-layer package (beside the web blueprints and the worker tasks): it reads the models
and the settings and is read by nothing below it. `init_app` is called by `create_app`, so the
web, worker and beat processes all get the same logging, routing and beat scheduler.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Logging first (so later set-up logs in the chosen format), then the routes and hooks."""
    from intake.ops import logs, metrics, queues
    from intake.ops.views import bp

    logs.init_app(app)
    queues.init_app(app)
    app.register_blueprint(bp)
    metrics.init_app(app)
