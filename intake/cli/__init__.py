"""Flask commands: seed-demo, create-user, the on-call rota (oncall), and the rules tools."""

from __future__ import annotations

from flask import Flask

from intake.cli import demo, oncall, rules
from intake.cli.demo import DEMO_CLINICIANS, DEMO_PASSWORD, DEMO_STAFF, seed_demo, upsert_user


def init_app(app: Flask) -> None:
    for module in (demo, rules, oncall):
        module.register(app)


__all__ = ["DEMO_CLINICIANS", "DEMO_PASSWORD", "DEMO_STAFF", "init_app", "seed_demo", "upsert_user"]
