"""Thin task wrappers: ids in, a service call, nothing returned (results are not stored).

Each task is idempotent: the service claims its outbox row before any side effect, so a
re-delivered or duplicated message does nothing the second time. Arguments and log lines hold
ids only.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from intake import jobs
from intake.models import utcnow
from intake.services import drafts, idempotency, outbox
from intake.services.deadlines import check_deadlines as check_deadlines_at
from intake.services.digest import send_unassigned_digests


@shared_task(name=jobs.SEND_NOTIFICATION, bind=True, max_retries=None)
def send_notification(self, notification_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        delay = outbox.deliver(notification_id)
    except SoftTimeLimitExceeded:
        # Give the claim back now rather than when its lease runs out.
        delay = outbox.release(notification_id, "time limit")
    if delay is not None:
        # The row says 'retry' with its due time; the sweep re-dispatches it if this is lost.
        raise self.retry(countdown=delay)


@shared_task(name=jobs.SWEEP_OUTBOX)
def sweep_outbox() -> None:
    outbox.sweep_outbox()


@shared_task(name=jobs.CHECK_DEADLINES)
def check_deadlines() -> None:
    check_deadlines_at(utcnow())


@shared_task(name=jobs.PURGE_DRAFTS)
def purge_drafts() -> None:
    """Drafts untouched for 30 days go (crisis drafts stay for staff)."""
    drafts.purge_stale_drafts(utcnow())


@shared_task(name=jobs.UNASSIGNED_DIGEST)
def unassigned_digest() -> None:
    """At most one email per coordinator per 15 minutes listing intakes with no clinician."""
    send_unassigned_digests(utcnow())


@shared_task(name=jobs.PURGE_IDEMPOTENCY_KEYS)
def purge_idempotency_keys() -> None:
    """API clients' Idempotency-Keys older than 24 hours go."""
    idempotency.purge_expired(utcnow())


@shared_task(name=jobs.PING, ignore_result=False)
def ping() -> None:
    """No-op: the benchmark's baseline for a Celery round trip (its result is kept, if a
    result backend is configured, so the caller can wait for it)."""
