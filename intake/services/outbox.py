"""Outbox use cases: claim and deliver one row, give back a claim, retry a dead row, sweep.

Each owns its transaction and its audit entries (a dead message, a staff retry) and dispatches
only after its commit. The rows and their guarded claim are `intake.notifications.outbox`; a
row is claimed before any side effect, so a re-delivered or duplicated task sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased, joinedload

from intake import jobs
from intake.audit import audit
from intake.extensions import db
from intake.models import (
    Intake,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
    as_utc,
    utcnow,
)
from intake.notifications.mailers import DeliveryError, mailer
from intake.notifications.messages import compose, message_id, recipient_address
from intake.notifications.outbox import (
    CLAIMABLE,
    add,
    backoff_seconds,
    due_for_sweep,
    flush_ids,
    lease,
)
from intake.staffing import coordinators

log = logging.getLogger(__name__)


def commit_keeping_loaded() -> None:
    """Commit, leaving what the session has loaded as it is rather than expired.

    For a use case that reads its objects again right after its own commit (to dispatch, to
    answer): what it wrote is what the database now holds, and reading it back would cost a
    query per object. Objects that nothing refers to any more may be gone from the session's
    identity map; a caller that needs them keeps a reference until it is done.
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@dataclass(frozen=True)
class Claim:
    claimed: bool
    busy_for: float = 0.0  # another run holds a live lease for this many seconds
    row: Notification | None = None  # the claimed row, with its intake and recipient loaded


def claim(notification_id: int) -> Claim:
    """pending/retry (or a stale sending lease) -> sending, atomically, in its own commit.

    On PostgreSQL one statement claims the row and reads it with its intake, the intake's
    offers and the recipient (an UPDATE ... RETURNING in a CTE, joined); the commit leaves what
    it read loaded, so composing the message asks the database nothing more.
    """
    now = utcnow()
    taking = (
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.status.in_(CLAIMABLE),
                (Notification.status == NotificationStatus.SENDING)
                & (Notification.claimed_at < now - lease()),
            ),
        )
        .values(
            status=NotificationStatus.SENDING, claimed_at=now, attempts=Notification.attempts + 1
        )
    )
    # The intake's offers too: an assignment message states its accept-by time.
    if db.session.get_bind().dialect.name == "postgresql":
        claimed = taking.returning(*Notification.__table__.c).cte("claimed")
        row_of = aliased(Notification, claimed)
        found = select(row_of).options(
            joinedload(row_of.intake).joinedload(Intake.assignments),
            joinedload(row_of.recipient),
        )
    else:  # SQLite (the embedded default) takes no UPDATE in a WITH: two statements there
        taken = db.session.execute(
            taking.returning(Notification.id).execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        found = (
            select(Notification)
            .where(Notification.id == taken)
            .options(
                joinedload(Notification.intake).joinedload(Intake.assignments),
                joinedload(Notification.recipient),
            )
        )
    row = db.session.scalars(found.execution_options(populate_existing=True)).unique().one_or_none()
    commit_keeping_loaded()
    if row is not None:
        return Claim(True, row=row)
    status, claimed_at = db.session.execute(
        select(Notification.status, Notification.claimed_at).where(
            Notification.id == notification_id
        )
    ).one_or_none() or (None, None)
    if status == NotificationStatus.SENDING and claimed_at is not None:
        lease_ends = as_utc(claimed_at) + lease()
        return Claim(False, max(1.0, (lease_ends - now).total_seconds() + 1))
    return Claim(False)


def deliver(notification_id: int) -> float | None:
    """Send one outbox row. Returns None when done (sent, dead or not ours), else a retry delay.

    A row another run is sending (a duplicated task, or the redelivery of a task whose worker
    was killed) is looked at again when that run's lease ends. On success, two statements: the
    claim that reads everything the message needs, and marking the row sent.
    """
    taken = claim(notification_id)
    row = taken.row
    if row is None:
        if taken.busy_for:
            log.info("notification %s: being sent elsewhere, look again later", notification_id)
            return taken.busy_for
        log.info("notification %s: already handled, nothing sent", notification_id)
        return None
    try:
        if row.attempts > current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            # Runs that died mid-send (killed, out of memory) count too: no endless loop.
            raise DeliveryError("too many attempts", transient=False)
        if not recipient_address(row):
            raise DeliveryError("no recipient address", transient=False)
        try:
            message = compose(row)
        except Exception as exc:  # a broken template will not mend itself by retrying
            # No traceback: a rendering error can quote the values it was rendering.
            log.error("notification %s: cannot compose (%s)", row.id, type(exc).__name__)
            raise DeliveryError(f"compose {type(exc).__name__}", transient=False) from None
        mailer().send(message)
    except DeliveryError as exc:
        return _failed(row, exc)
    kind, attempts = row.kind, row.attempts  # read before the commit expires them
    row.status = NotificationStatus.SENT
    row.sent_at = utcnow()
    row.message_id = message_id(row)
    row.last_error = None
    db.session.commit()
    log.info("notification %s (%s) sent, attempt %s", notification_id, kind, attempts)
    return None


def release(notification_id: int, error: str) -> float | None:
    """Give back a claim this run cannot finish (soft time limit): retry after a backoff."""
    db.session.rollback()
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None or row.status != NotificationStatus.SENDING:
        return None
    return _failed(row, DeliveryError(error, transient=True))


def _failed(row: Notification, exc: DeliveryError) -> float | None:
    cfg = current_app.config
    row.last_error = exc.code[:255]
    if exc.transient and row.attempts < cfg["NOTIFY_MAX_ATTEMPTS"]:
        delay = backoff_seconds(row.attempts, float(cfg["NOTIFY_BACKOFF_CAP"]))
        row.status = NotificationStatus.RETRY
        row.available_at = utcnow() + timedelta(seconds=delay)
        db.session.commit()
        log.warning("notification %s: %s, retry %s in %.1fs", row.id, exc.code, row.attempts, delay)
        return delay
    row.status = NotificationStatus.DEAD
    log.error("notification %s: %s after %s attempt(s): dead", row.id, exc.code, row.attempts)
    new = flush_ids(_dead_letter_alerts(row))
    audit("notification.dead", "notification", row.id, kind=row.kind, error=row.last_error)
    db.session.commit()
    jobs.dispatch_notifications(new)
    return None


def _dead_letter_alerts(row: Notification) -> list[Notification]:
    """Tell coordinators that a message is dead (never about a dead-letter alert itself)."""
    if row.kind == NotificationKind.DEAD_LETTER:
        return []
    return [
        add(
            NotificationKind.DEAD_LETTER,
            row.intake,
            user,
            f"dead:{row.id}:{user.id}:{row.attempts}",
            context={"notification": row.id},
        )
        for user in coordinators()
        if user.id != row.recipient_user_id
    ]


def sweep_outbox() -> int:
    """Re-dispatch rows the fast path lost; push their next sweep time out by the grace period."""
    ids = due_for_sweep()
    if not ids:
        db.session.commit()
        return 0
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status.in_(CLAIMABLE))
        .values(available_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    sent = jobs.dispatch_notifications(ids)
    log.info("outbox sweep: %s row(s) re-dispatched, %s accepted by the broker", len(ids), sent)
    return len(ids)


def retry_dead(notification_id: int, actor: User) -> bool:
    """Staff: put a dead row back to pending and dispatch it again."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.status != NotificationStatus.DEAD:
        return False
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.available_at = utcnow()
    audit("notification.retried", "notification", row.id, actor=actor)
    db.session.commit()
    jobs.dispatch_notifications([row.id])
    return True
