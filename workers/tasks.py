"""Thin task wrappers: ids in, a service call, nothing returned (results are not stored).

Each task is idempotent: the service claims its outbox row before any side effect, so a
re-delivered or duplicated message does nothing the second time.
"""

from __future__ import annotations

from celery import shared_task

from intake import jobs, notifications


@shared_task(name=jobs.SEND_NOTIFICATION, bind=True, max_retries=None)
def send_notification(self, notification_id: int) -> None:  # type: ignore[no-untyped-def]
    delay = notifications.deliver(notification_id)
    if delay is not None:
        # The row says 'retry' with its due time; the sweep re-dispatches it if this is lost.
        raise self.retry(countdown=delay)


@shared_task(name=jobs.SWEEP_OUTBOX)
def sweep_outbox() -> None:
    notifications.sweep_outbox()
