"""Rate limits on a real redis-server of the test's own: one count across processes, per client
address (and behind a proxy, per forwarded address), failing closed for the login and the API
and open for the crisis pages when Redis is gone."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from intake import ratelimit
from intake.extensions import db
from intake.models import Intake
from tests import factories
from tests.conftest import need, settings
from tests.support import (
    ROOT,
    RedisServer,
    api_key,
    free_port,
    redis_server_binary,
    worker_env,
)
from tests.web.questionnaire_helpers import SAFETY, location, post, start

WRONG = {"email": "nobody@test.example", "password": "not-the-password-1"}


def wrong(n: int) -> dict[str, str]:
    """A failed sign-in to account n: these tests count per address, so each attempt names
    another account (sign-in is also limited per account, five a minute)."""
    return {**WRONG, "email": f"nobody{n}@test.example"}


LOGIN_PER_MINUTE = 10  # auth.login: "10 per minute; 50 per hour"

# Another process: its own app (its own Limiter), posting `n` failed logins from one address.
OTHER_PROCESS = """
import json, sys
from intake import create_app
config, n, address = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
client = create_app(config).test_client()
codes = [
    client.post(
        "/auth/login",
        data={"email": f"other{i}@test.example", "password": "not-the-password-1"},
        environ_base={"REMOTE_ADDR": address},
    ).status_code
    for i in range(n)
]
print(json.dumps(codes))
"""


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if redis_server_binary() is None:
        need("Redis", "the redis-server binary is not installed (this test starts its own)")
    server = RedisServer(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


def _logins(app: Flask, n: int, address: str = "192.0.2.10") -> list[int]:
    client = app.test_client()
    return [
        client.post("/auth/login", data=wrong(i), environ_base={"REMOTE_ADDR": address}).status_code
        for i in range(n)
    ]


def _in_another_process(config: dict[str, Any], n: int, address: str = "192.0.2.10") -> list[int]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(config), str(n), address],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_two_processes_share_one_count_in_redis(
    make_app: Any, migrated_pg: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, REDIS_URL=redis_server.url)
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_server.url
    assert _logins(app, 6) == [200] * 6
    other = settings(migrated_pg, tmp_path / "other", RATELIMIT_ENABLED=True)
    other["REDIS_URL"] = redis_server.url
    # The other process has its own memory: only Redis can tell it about the first six.
    assert _in_another_process(other, 5) == [200] * 4 + [429]
    assert _logins(app, 1) == [429]  # and it told this one about its own
    # Counted per client address: another address has its own count.
    assert _logins(app, 1, address="192.0.2.99") == [200]
    assert _in_another_process(other, 1, address="192.0.2.98") == [200]


def test_without_redis_each_process_counts_alone(
    make_app: Any, migrated_pg: str, tmp_path: Path
) -> None:
    """The embedded default (memory://) is per process: why production sets REDIS_URL."""
    app = make_app(RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert _logins(app, LOGIN_PER_MINUTE) == [200] * LOGIN_PER_MINUTE
    other = settings(migrated_pg, tmp_path / "other", RATELIMIT_ENABLED=True)
    assert _in_another_process(other, 1) == [200]


def test_redis_down_closes_the_login_and_the_api_but_never_the_crisis_help(
    make_app: Any, redis_server: RedisServer, caplog: Any
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, REDIS_URL=redis_server.url)
    from intake.cli import seed_demo

    with app.app_context():
        seed_demo()
    key = api_key(app)
    browser = app.test_client()
    location(start(browser))  # a draft, while Redis is up
    assert _logins(app, 1) == [200]
    redis_server.stop()
    ratelimit._last_logged.clear()  # another test's outage may have been logged this minute
    caplog.set_level(logging.INFO)

    # Fail closed: the login and the API refuse (503, never 500), nothing is done.
    assert _logins(app, 2) == [503, 503]
    api = app.test_client().post(
        "/api/v1/intakes",
        json=factories.payload(),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "60"

    # Fail open: the safety step saves the crisis answer and shows crisis help; the next
    # saves go through as well.
    crisis = post(browser, "safety", {**SAFETY, "safe_now": "no"})
    assert location(crisis).endswith("/crisis")
    page = browser.get("/crisis")
    assert page.status_code == 200 and "988" in page.text
    assert location(post(browser, "safety", {**SAFETY, "safe_now": "no"}))
    assert browser.get("/crisis").status_code == 200
    with app.app_context():  # saved, and the alarm raised, during the outage
        draft = db.session.scalar(select(Intake).where(Intake.status == "draft"))
        assert draft is not None and draft.crisis_at is not None
    whole = app.test_client().post("/", data=factories.form_data(safe_now="no"))
    assert whole.status_code == 303  # the whole-form post is a crisis page too

    opened = [r for r in caplog.records if "crisis pages served without limits" in r.getMessage()]
    closed = [r for r in caplog.records if "limited requests refused" in r.getMessage()]
    assert len(opened) == 1 and len(closed) == 1  # one line a minute, not one per request
    assert opened[0].levelno == logging.WARNING


def test_proxy_hops_decide_whose_address_is_counted(make_app: Any) -> None:
    """Behind one proxy the forwarded address is counted; with no proxy configured, a client
    cannot pick its own address with X-Forwarded-For."""
    behind = make_app(RATELIMIT_ENABLED=True, PROXY_FIX_HOPS=1)

    def logins(app: Flask, forwarded: str, n: int) -> list[int]:
        client = app.test_client()
        headers = {"X-Forwarded-For": forwarded}
        return [
            client.post(
                "/auth/login",
                data=wrong(i),
                headers=headers,
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
            ).status_code
            for i in range(n)
        ]

    assert logins(behind, "198.51.100.1", LOGIN_PER_MINUTE + 1)[-1] == 429
    assert logins(behind, "198.51.100.2", 1) == [200]  # another client behind the same proxy

    direct = make_app(RATELIMIT_ENABLED=True)  # PROXY_FIX_HOPS=0: the header is not trusted
    spoofed = [logins(direct, f"198.51.100.{i}", 1)[0] for i in range(10, 11 + LOGIN_PER_MINUTE)]
    assert spoofed[-1] == 429


def test_rate_limit_settings(tmp_path: Path) -> None:
    """Redis whenever there is one (an explicit storage wins); storage errors always raised as
    StorageError (what fail open/closed catch); negative caps and hops refused."""
    from intake.config import ConfigError, load_config

    def load(**overrides: Any) -> dict[str, Any]:
        return load_config(str(tmp_path), {"APP_ENV": "testing", **overrides}, {})

    assert load()["RATELIMIT_STORAGE_URI"] == "memory://"
    with_redis = load(REDIS_URL="redis://cache:6379/0")
    assert with_redis["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert with_redis["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] == 1
    explicit = load(REDIS_URL="redis://cache:6379/0", RATELIMIT_STORAGE_URI="redis://other/1")
    assert explicit["RATELIMIT_STORAGE_URI"] == "redis://other/1"
    mine = load(RATELIMIT_STORAGE_OPTIONS={"wrap_exceptions": False, "socket_timeout": 3})
    assert mine["RATELIMIT_STORAGE_OPTIONS"]["wrap_exceptions"] is True
    from_env = load_config(
        str(tmp_path),
        {"APP_ENV": "testing"},
        {"PROXY_FIX_HOPS": "2", "AUTO_ASSIGN_PER_SOURCE_PER_HOUR": "7"},
    )
    assert from_env["PROXY_FIX_HOPS"] == 2 and from_env["AUTO_ASSIGN_PER_SOURCE_PER_HOUR"] == 7
    for name in (
        "PROXY_FIX_HOPS",
        "AUTO_ASSIGN_PER_SOURCE_PER_HOUR",
        "EMAILS_PER_RECIPIENT_PER_HOUR",
    ):
        with pytest.raises(ConfigError, match=name):
            load(**{name: -1})
