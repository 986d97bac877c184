"""Two Celery queues, so that a crisis alert never waits behind routine mail.

`send_notification` for a crisis alert or an escalation goes to the `crisis` queue, which a
worker of its own serves (docker-compose.yml: `worker-crisis`, `-Q crisis`); everything else
goes to the default queue. A worker started without `-Q` (`make run`, the tests) serves both.
The route is chosen when the task is published, from the outbox row's kind (the task itself
carries only the row's id); when the kind cannot be read, the crisis queue is chosen, since
it is the one that is never behind.

Beat runs under `intake.ops.beat.LockedScheduler`, which refuses to run while another beat
holds the lock.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_app_context
from kombu.entity import Queue

from intake import jobs
from intake.models import NotificationKind

DEFAULT_QUEUE = "celery"
CRISIS_QUEUE = "crisis"
CRISIS_KINDS = frozenset({NotificationKind.CRISIS_ALERT, NotificationKind.ESCALATION})


def notification_queue(notification_id: int) -> str:
    """The queue for outbox row `notification_id` (needs an app context)."""
    from intake.extensions import db
    from intake.models import Notification

    kind = db.session.get(Notification, notification_id)
    if kind is None:
        return CRISIS_QUEUE
    return CRISIS_QUEUE if kind.kind in CRISIS_KINDS else DEFAULT_QUEUE


def route(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any) -> Any:
    """Celery router: crisis notifications to the crisis queue; None leaves the default."""
    if name != jobs.SEND_NOTIFICATION or not args:
        return None
    if not has_app_context():
        return {"queue": CRISIS_QUEUE}
    try:
        return {"queue": notification_queue(int(args[0]))}
    except Exception:  # the database is unreachable: publish anyway, on the fast queue
        return {"queue": CRISIS_QUEUE}


def init_app(app: Flask) -> None:
    celery = app.extensions["celery"]
    celery.conf.update(
        task_default_queue=DEFAULT_QUEUE,
        task_queues=(
            Queue(DEFAULT_QUEUE),  # type: ignore[no-untyped-call]
            Queue(CRISIS_QUEUE),  # type: ignore[no-untyped-call]
        ),
        task_routes=(route,),
        beat_scheduler="intake.ops.beat:LockedScheduler",
        # The scheduler wakes at least this often, so the beat lock is renewed well in time.
        beat_max_loop_interval=10,
    )
