"""Task names and dispatch by name: the only place the web side touches Celery.

The web process never imports `workers/`; it sends tasks by name after the transaction that
wrote their outbox rows has committed. A failed send is logged and left to the outbox sweep.

Which dispatcher an app uses is a setting (`TASK_DISPATCHER`): `celery` publishes to the
broker; `record` (tests only) keeps what would have been published, so a test can assert on it
instead of switching dispatch off. Callers only ever call `dispatch` / `dispatch_notifications`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask, current_app

SEND_NOTIFICATION = "wayfinder.send_notification"
SWEEP_OUTBOX = "wayfinder.sweep_outbox"
CHECK_DEADLINES = "wayfinder.check_deadlines"
PURGE_DRAFTS = "wayfinder.purge_drafts"
UNASSIGNED_DIGEST = "wayfinder.unassigned_digest"
PURGE_IDEMPOTENCY_KEYS = "wayfinder.purge_idempotency_keys"
PING = "wayfinder.ping"  # a no-op, for the benchmark's baseline

log = logging.getLogger(__name__)

# Publishing to a broker that is down retries once, then gives up: the sweep covers it.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


class Dispatcher(Protocol):
    def send(self, name: str, ids: tuple[int, ...]) -> bool:
        """Hand task `name` with `ids` on; True when it was accepted."""
        ...


@dataclass
class CeleryDispatcher:
    """Publishes by name to the app's Celery broker.

    After a failed publish this dispatcher (one per app, so one per process) skips the fast
    path for `pause_seconds`, so that a broker outage costs one request a fraction of a second
    instead of every request (docs/reliability.md).
    """

    celery: Any
    pause_seconds: float
    paused_until: float = 0.0

    def send(self, name: str, ids: tuple[int, ...]) -> bool:
        if time.monotonic() < self.paused_until:
            return False
        try:
            self.celery.send_task(name, args=list(ids), retry=True, retry_policy=_RETRY_POLICY)
        except Exception as exc:  # broker down or unreachable: the outbox row stays pending
            self.paused_until = time.monotonic() + self.pause_seconds
            log.warning(
                "dispatch of %s%s failed (%s); the outbox sweep will retry",
                name,
                ids,
                type(exc).__name__,
            )
            return False
        return True


@dataclass
class RecordingDispatcher:
    """Tests: keeps each (task name, ids) in `sent`, in order, and publishes nothing."""

    sent: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

    def send(self, name: str, ids: tuple[int, ...]) -> bool:
        self.sent.append((name, ids))
        return True

    def ids(self, name: str = SEND_NOTIFICATION) -> list[int]:
        """The ids sent with task `name`, in order (one per task for send_notification)."""
        return [i for sent, ids in self.sent if sent == name for i in ids]


def init_app(app: Flask) -> None:
    """Give `app` the dispatcher its `TASK_DISPATCHER` setting names (after Celery is set up)."""
    dispatcher: Dispatcher
    if app.config["TASK_DISPATCHER"] == "record":
        dispatcher = RecordingDispatcher()
    else:
        dispatcher = CeleryDispatcher(
            app.extensions["celery"], float(app.config["DISPATCH_PAUSE_SECONDS"])
        )
    app.extensions["dispatcher"] = dispatcher


def dispatcher() -> Dispatcher:
    """The current app's dispatcher."""
    found: Dispatcher = current_app.extensions["dispatcher"]
    return found


def dispatch(name: str, *ids: int) -> bool:
    """Send task `name` with ids only. Returns False (and logs) when the broker refused it."""
    return dispatcher().send(name, ids)


def dispatch_notifications(notification_ids: Iterable[int]) -> int:
    """Fast path after commit: one send task per outbox row. Returns how many were accepted."""
    return sum(dispatch(SEND_NOTIFICATION, nid) for nid in notification_ids)
