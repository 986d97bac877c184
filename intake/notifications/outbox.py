"""The outbox: rows written with the change that needs them, delivered at least once, sent once.

This module adds the rows and finds those due; the use cases that claim, deliver, retry and
sweep them (each in its own transaction) are `intake.services.outbox`. Delivery claims a row
with a guarded status change (pending/retry -> sending, or a 'sending' lease older than
SEND_LEASE_SECONDS), so a re-delivered or duplicated task sends nothing. The one window left is
the SMTP server accepting the message and the connection (or this process) dying before the
row says 'sent': then the message goes again, with the same Message-ID.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from intake.extensions import db
from intake.models import (
    Intake,
    Notification,
    NotificationStatus,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

CLAIMABLE = (NotificationStatus.PENDING, NotificationStatus.RETRY)


def add(
    kind: str,
    intake: Intake | None,
    recipient: User | None,
    key: str,
    *,
    to_patient: bool = False,
    context: dict[str, Any] | None = None,
) -> Notification:
    """Add one outbox row to the current transaction (the caller commits, then dispatches).

    Not flushed here: a caller adding many rows sends them in one batch when the session
    flushes (at its next query, `flush_ids`, or the commit), and the unique dedupe key refuses a
    second row for the same message then.
    """
    row = Notification(
        kind=kind,
        intake=intake,
        recipient=recipient,
        dedupe_key=key,
        to_patient=to_patient,
        context=context,
    )
    db.session.add(row)
    return row


def flush_ids(rows: Iterable[Notification]) -> list[int]:
    """The ids of rows added in this transaction (one flush for all), read before the commit
    expires them: after it, each `row.id` would cost a query of its own."""
    db.session.flush()
    return [row.id for row in rows]


def lease() -> timedelta:
    """How long a 'sending' claim is held before another run may take the row again."""
    return timedelta(seconds=current_app.config["SEND_LEASE_SECONDS"])


def backoff_seconds(attempt: int, cap: float) -> float:
    """Exponential backoff with equal jitter: about 2, 4, 8 ... seconds, at most `cap`."""
    base = min(cap, 2.0 ** max(attempt, 1))
    return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not crypto


def due_for_sweep(limit: int = 200) -> list[int]:
    """Rows the fast path may have lost: pending/retry past their time, or a stale 'sending'."""
    now = utcnow()
    grace = now - timedelta(seconds=current_app.config["OUTBOX_GRACE_SECONDS"])
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                or_(
                    Notification.status.in_(CLAIMABLE) & (Notification.available_at < grace),
                    (Notification.status == NotificationStatus.SENDING)
                    & (Notification.claimed_at < now - lease()),
                )
            )
            .order_by(Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def status_counts() -> dict[str, int]:
    """How many outbox rows are in each state (the dashboard's view of the backlog)."""
    rows = db.session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    ).all()
    return {str(status): int(count) for status, count in rows}
