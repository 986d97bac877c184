"""Task names and dispatch by name: the only place the web side touches Celery.

The web process never imports `workers/`; it sends tasks by name after the transaction that
wrote their outbox rows has committed. A failed send is logged and left to the outbox sweep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from flask import current_app

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
# After a failed publish this process skips the fast path for DISPATCH_PAUSE_SECONDS, so that
# a broker outage costs one request a fraction of a second instead of every request.
_paused_until = 0.0


def dispatch(name: str, *ids: int) -> bool:
    """Send task `name` with ids only. Returns False (and logs) when the broker refused it."""
    global _paused_until
    if not current_app.config["DISPATCH_TASKS"]:
        return False
    if time.monotonic() < _paused_until:
        return False
    celery = current_app.extensions["celery"]
    try:
        celery.send_task(name, args=list(ids), retry=True, retry_policy=_RETRY_POLICY)
    except Exception as exc:  # broker down or unreachable: the outbox row stays pending
        _paused_until = time.monotonic() + float(current_app.config["DISPATCH_PAUSE_SECONDS"])
        log.warning(
            "dispatch of %s%s failed (%s); the outbox sweep will retry",
            name,
            ids,
            type(exc).__name__,
        )
        return False
    return True


def dispatch_notifications(notification_ids: Iterable[int]) -> int:
    """Fast path after commit: one send task per outbox row. Returns how many were accepted."""
    return sum(dispatch(SEND_NOTIFICATION, nid) for nid in notification_ids)
