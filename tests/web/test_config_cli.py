"""Configuration rules and the flask commands."""

from __future__ import annotations

from typing import Any

import pytest

from intake import create_app
from intake.config import ConfigError
from intake.extensions import db
from intake.models import User


def test_production_refuses_the_development_secret(tmp_path: Any) -> None:
    with pytest.raises(ConfigError):
        create_app({"APP_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})


def test_environment_overrides_defaults_and_mapping_overrides_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("BASE_URL", "https://env.example")
    monkeypatch.setenv("SMTP_PORT", "2525")
    app = create_app({"APP_ENV": "testing", "SMTP_PORT": 1025})
    assert app.config["BASE_URL"] == "https://env.example"
    assert app.config["SMTP_PORT"] == 1025
    assert app.config["BROKER_URL"].startswith("sqla+sqlite")


def test_seed_demo_is_idempotent(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "clinicians" in first.output
    assert second.exit_code == 0 and "already there" in second.output


def test_create_user_reads_password_from_stdin(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "New@Example.org", "--role", "staff", "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(User).filter_by(email="new@example.org", role="staff").count() == 1
    short = runner.invoke(
        args=["create-user", "b@example.org", "--role", "staff", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least" in short.output


def test_rules_check_prints_version(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["rules", "check"])
    assert result.exit_code == 0 and result.output.startswith("ok: ")


def test_the_development_mailbox_shows_one_message(make_app: Any, tmp_path: Any) -> None:
    from email.message import EmailMessage

    app = make_app(SHOW_DEV_MAILBOX=True, MAILBOX_DIR=str(tmp_path / "box"))
    (tmp_path / "box").mkdir()
    msg = EmailMessage()
    msg["Subject"], msg["To"] = "New intake assigned to you (WF-TEST-0001)", "a@b.example"
    msg.set_content("Reference: WF-TEST-0001")
    (tmp_path / "box" / "wayfinder-notification-7.eml").write_bytes(bytes(msg))
    client = app.test_client()
    assert "WF-TEST-0001" in client.get("/dev/mailbox").text
    assert "Reference: WF-TEST-0001" in client.get("/dev/mailbox/wayfinder-notification-7").text
    assert client.get("/dev/mailbox/..%2Fsecret").status_code == 404
    assert client.get("/dev/mailbox/nothing-here").status_code == 404


def test_every_setting_read_from_the_environment_is_in_env_example() -> None:
    """.env.example is where a deployer learns the settings: each one the app reads is there."""
    from pathlib import Path

    from intake import config

    listed = Path(__file__).resolve().parents[2].joinpath(".env.example").read_text()
    read = (*config._ENV_STRINGS, *config._ENV_INTS, *config._ENV_FLOATS, *config._ENV_BOOLS)
    missing = [name for name in read if f"\n{name}=" not in listed]
    assert missing == []
