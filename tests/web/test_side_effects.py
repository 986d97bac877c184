"""The side effects each app gets from its settings: the mailer (MAILER) and the task
dispatcher (TASK_DISPATCHER); the stand-ins tests use, and that nothing else may; and the
password hash cost, lowered for tests only."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from intake import jobs
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import Notification
from intake.notifications import mailers
from intake.passwords import COST, hash_password, verify_password
from tests import factories
from tests.support import api_client


def _config(tmp_path: Path, **settings: Any) -> dict[str, Any]:
    return load_config(str(tmp_path), {"APP_ENV": "testing", **settings}, {})


@pytest.mark.parametrize(
    ("settings", "mailer"),
    [
        ({}, "mailbox"),
        ({"SMTP_HOST": "mail.example"}, "smtp"),
        ({"SMTP_HOST": "mail.example", "MAILER": "mailbox"}, "mailbox"),
        ({"MAILER": "memory"}, "memory"),
    ],
)
def test_the_mailer_is_chosen_by_setting_defaulting_as_before(
    tmp_path: Path, settings: dict[str, Any], mailer: str
) -> None:
    assert _config(tmp_path, **settings)["MAILER"] == mailer


@pytest.mark.parametrize(
    "bad",
    [
        {"MAILER": "carrier-pigeon"},
        {"MAILER": "smtp"},  # without SMTP_HOST
        {"TASK_DISPATCHER": "nowhere"},
    ],
)
def test_unknown_side_effects_are_refused(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        _config(tmp_path, **bad)


@pytest.mark.parametrize("env", ["development", "production"])
@pytest.mark.parametrize(
    "stand_in",
    [
        {"MAILER": "memory"},
        {"TASK_DISPATCHER": "record"},
        {"PASSWORD_HASH_COST": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}},
    ],
)
def test_the_test_stand_ins_are_refused_outside_tests(
    tmp_path: Path, env: str, stand_in: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"APP_ENV": env, "SECRET_KEY": "s" * 32, **stand_in}, {})


def test_the_environment_chooses_them_too(tmp_path: Path) -> None:
    cfg = load_config(
        str(tmp_path), {}, {"APP_ENV": "testing", "MAILER": "memory", "TASK_DISPATCHER": "record"}
    )
    assert (cfg["MAILER"], cfg["TASK_DISPATCHER"]) == ("memory", "record")


def test_each_app_has_its_own_memory_mailbox(make_app: Any) -> None:
    first, second = make_app(), make_app()
    message = EmailMessage()
    message["Message-ID"] = "<wayfinder-notification-1@wayfinder.test>"
    with first.app_context():
        mailers.mailer().send(message)
    assert mailers.memory(first).messages == [message]
    assert mailers.memory(second).messages == []


def test_the_mailbox_mailer_writes_one_file_per_message(make_app: Any, tmp_path: Path) -> None:
    app = make_app(MAILBOX_DIR=str(tmp_path / "box"))
    message = EmailMessage()
    message["Message-ID"] = "<wayfinder-notification-7@wayfinder.test>"
    with app.app_context():
        mailers.mailer().send(message)
        mailers.mailer().send(message)  # idempotent: the same file
    assert [p.name for p in (tmp_path / "box").iterdir()] == ["wayfinder-notification-7.eml"]


def test_a_submit_dispatches_one_send_per_outbox_row_after_its_commit(
    app: Flask, demo: Any
) -> None:
    dispatcher = app.extensions["dispatcher"]
    assert isinstance(dispatcher, jobs.RecordingDispatcher) and dispatcher.sent == []
    assert api_client(app).post("/api/v1/intakes", json=factories.payload()).status_code == 201
    with app.app_context():
        rows = list(db.session.scalars(select(Notification.id).order_by(Notification.id)))
    assert rows and dispatcher.sent == [(jobs.SEND_NOTIFICATION, (nid,)) for nid in rows]


class _DownBroker:
    def __init__(self) -> None:
        self.calls = 0

    def send_task(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        raise ConnectionError("broker down")


def test_after_a_failed_publish_the_celery_dispatcher_pauses_then_tries_again() -> None:
    broker = _DownBroker()
    dispatcher = jobs.CeleryDispatcher(broker, pause_seconds=60)
    assert dispatcher.send(jobs.SEND_NOTIFICATION, (1,)) is False
    assert dispatcher.send(jobs.SEND_NOTIFICATION, (2,)) is False
    assert broker.calls == 1  # the second one did not wait for the broker
    dispatcher.paused_until = 0.0  # the pause is over
    assert dispatcher.send(jobs.SEND_NOTIFICATION, (3,)) is False
    assert broker.calls == 2


def test_the_pause_belongs_to_one_app(make_app: Any) -> None:
    first = make_app(TASK_DISPATCHER="celery")
    second = make_app(TASK_DISPATCHER="celery")
    first.extensions["dispatcher"].paused_until = float("inf")
    assert second.extensions["dispatcher"].paused_until == 0.0


def test_tests_hash_passwords_cheaply_and_deployments_at_owasp_cost(app: Flask) -> None:
    with app.app_context():
        cheap = hash_password("correct horse battery")
        assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert verify_password(cheap, "correct horse battery")
        assert not verify_password(cheap, "wrong horse battery")
    full = hash_password("correct horse battery")  # no app: the deployment's cost
    params = PasswordHasher(**COST).hash("x").split("$")[3]
    assert full.split("$")[3] == params == "m=19456,t=2,p=1"
    with app.app_context():  # a stored hash carries its own cost
        assert verify_password(full, "correct horse battery")
