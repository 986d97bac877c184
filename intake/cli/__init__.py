"""Flask commands: seed-demo, create-user, the on-call rota (oncall), the rules tools, the
API clients (api-clients), the FHIR export to files (export fhir), and synthetic volume for
benchmarks (bench seed) and the keys of the data at rest (keys generate | rotate | rehash)."""

from __future__ import annotations

from flask import Flask

from intake.cli import api_clients, audit, bench, demo, export, keys, oncall, rules, users
from intake.cli.demo import (
    DEMO_API_KEY,
    DEMO_CLINICIANS,
    DEMO_PASSWORD,
    DEMO_STAFF,
    api_example,
    seed_demo,
    upsert_user,
)


def init_app(app: Flask) -> None:
    for module in (demo, rules, oncall, api_clients, export, bench, keys, audit, users):
        module.register(app)


__all__ = [
    "DEMO_API_KEY",
    "DEMO_CLINICIANS",
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "api_example",
    "init_app",
    "seed_demo",
    "upsert_user",
]
