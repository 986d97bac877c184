"""One SMTP connection per worker process, kept across messages, on real parts: PostgreSQL, our
own redis-server, a Celery worker (prefork), aiosmtpd on loopback.

Every message still goes exactly once: each outbox row ends 'sent' after one attempt, and its
Message-ID is accepted once, also when the server hangs up on the kept connection mid-run.
"""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.integration.conftest import API, Rig, all_sent, assert_once_each, rows, wait_until
from tests.support import api_client, stop

UNCAPPED = {"AUTO_ASSIGN_PER_SOURCE_PER_HOUR": "0"}  # every intake gets its offer email


def submit(r: Rig, count: int) -> None:
    client = api_client(r.app)
    for _ in range(count):
        assert client.post(API, json=factories.payload()).status_code == 201


def sent(r: Rig, count: int) -> bool:
    return len(r.sink.messages) >= count and all_sent(r)


def test_one_worker_process_sends_every_message_over_one_connection(rig: Any) -> None:
    r: Rig = rig(**UNCAPPED)
    worker = r.start_worker(concurrency=1, beat=False)
    submit(r, 20)
    assert wait_until(lambda: sent(r, 20), timeout=60), r.worker_log()[-3000:]
    assert len(r.sink.connections) == 1
    assert_once_each(r)
    assert {n.attempts for n in rows(r)} == {1}
    stop(worker)  # a warm shutdown: the pool process says QUIT and closes its connection
    assert wait_until(lambda: r.sink.connections[0].transport is None, timeout=10)


def test_a_dropped_connection_is_replaced_and_nothing_is_lost_or_repeated(rig: Any) -> None:
    r: Rig = rig(**UNCAPPED)
    r.start_worker(concurrency=1, beat=False)
    submit(r, 10)
    assert wait_until(lambda: sent(r, 10), timeout=60), r.worker_log()[-3000:]
    r.sink.drop_connections()  # the server hangs up on the worker's idle connection
    submit(r, 10)
    assert wait_until(lambda: sent(r, 20), timeout=60), r.worker_log()[-3000:]
    assert len(r.sink.connections) == 2
    assert_once_each(r)
    assert {n.attempts for n in rows(r)} == {1}  # the reconnect cost no retry


def test_each_pool_process_has_a_connection_of_its_own(rig: Any) -> None:
    r: Rig = rig(**UNCAPPED)
    r.start_worker(concurrency=2, beat=False)
    submit(r, 20)
    assert wait_until(lambda: sent(r, 20), timeout=60), r.worker_log()[-3000:]
    assert 1 <= len(r.sink.connections) <= 2  # never more than one per pool process
    assert_once_each(r)
    assert {n.attempts for n in rows(r)} == {1}
