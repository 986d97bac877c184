"""Wayfinder: patient intake and triage for a behavioral-health practice.

`create_app` builds the Flask app: config -> extensions -> blueprints -> errors -> cli. It does
no I/O beyond making the instance folder; only `wsgi.py` and `workers/celery_app.py` call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides environment variables, which override the defaults."""
    from intake import auth, cli, errors, ops, ratelimit, security
    from intake.admin import bp as admin_bp
    from intake.api import bp as api_bp
    from intake.clinician import bp as clinician_bp
    from intake.config import load_config
    from intake.dev import bp as dev_bp
    from intake.extensions import init_extensions
    from intake.public import bp as public_bp
    from intake.staff import bp as staff_bp

    # errors.App: Flask whose exception log never holds an exception's message (PHI).
    app: Flask = errors.App(__name__, template_folder=str(TEMPLATES), static_folder="static")
    app.config.from_mapping(load_config(app.instance_path, config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    init_extensions(app)
    ops.init_app(app)  # logging (text or JSON), /healthz /readyz /metrics, queues, beat lock
    ratelimit.init_app(app)  # the client address behind proxies; storage errors
    for blueprint in (public_bp, auth.bp, staff_bp, clinician_bp, api_bp, admin_bp):
        app.register_blueprint(blueprint)
    if app.config["SHOW_DEV_MAILBOX"]:
        app.register_blueprint(dev_bp)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
