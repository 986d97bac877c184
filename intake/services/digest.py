"""The coordinators' digest of intakes waiting without a clinician (beat, every minute).

Instead of an email per intake (a flood of intakes would be a flood of email), each coordinator
gets at most one email every 15 minutes listing the intakes waiting in a queue with nobody
offered them: the reference and how long each has waited, oldest first, and nothing else (no
queue, service line, urgency or other health information; the dashboard has those behind
sign-in). A digest goes out only when an intake entered a queue since that coordinator's last
one: nothing new, no email. Crisis alerts are not part of this; they go out at once.

Runs are serialized (an advisory lock on PostgreSQL), and each row's dedupe key names the
coordinator and the 15-minute window, so a duplicated run writes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from intake import jobs, notifications
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Notification, NotificationKind, as_utc
from intake.services.common import serialize
from intake.staffing import coordinators

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=15)
LISTED = 50  # references in one email at most; the rest are counted


def _waiting() -> tuple[datetime | None, list[tuple[str, datetime]], int]:
    """When an intake last entered a queue; the oldest waiting ones; how many wait."""
    unassigned = (Intake.status == IntakeStatus.SUBMITTED, Intake.submitted_at.is_not(None))
    latest, total = db.session.execute(
        select(func.max(Intake.queued_at), func.count()).where(*unassigned)
    ).one()
    oldest = db.session.execute(
        select(Intake.reference, Intake.submitted_at)
        .where(*unassigned)
        .order_by(Intake.submitted_at, Intake.id)
        .limit(LISTED)
    ).all()
    return as_utc(latest), [(ref, as_utc(at)) for ref, at in oldest if at is not None], int(total)


def _last_digests() -> dict[int, datetime]:
    rows = db.session.execute(
        select(Notification.recipient_user_id, func.max(Notification.created_at))
        .where(Notification.kind == NotificationKind.UNASSIGNED_DIGEST)
        .group_by(Notification.recipient_user_id)
    ).all()
    return {user_id: as_utc(at) for user_id, at in rows if user_id is not None}


def send_unassigned_digests(now: datetime) -> int:
    """Write and dispatch the digests due at `now`; returns how many were written."""
    serialize("unassigned-digest")
    latest, oldest, total = _waiting()
    if latest is None:  # nothing waits that entered a queue since digests began
        db.session.commit()
        return 0
    last = _last_digests()
    due = [
        user
        for user in coordinators()
        if (sent := last.get(user.id)) is None or (sent <= now - EVERY and latest > sent)
    ]
    if not due:
        db.session.commit()
        return 0
    items = [
        {"reference": reference, "waiting_minutes": max(0, int((now - at).total_seconds() // 60))}
        for reference, at in oldest
    ]
    window = int(now.timestamp() // EVERY.total_seconds())
    rows = [
        notifications.add(
            NotificationKind.UNASSIGNED_DIGEST,
            None,
            user,
            f"digest:{user.id}:{window}",
            context={"items": items, "total": total},
        )
        for user in due
    ]
    written = notifications.flush_ids(rows)
    db.session.commit()
    log.info("unassigned digest: %s message(s), %s intake(s) waiting", len(written), total)
    jobs.dispatch_notifications(written)
    return len(written)
