"""The audit trail: one row per action worth answering for, ids and codes only.

Below the services (which own the transaction that writes each row) and the outbox (which
records a dead message), so neither imports the other to reach it.

On PostgreSQL every row is also a link of a hash chain, written by the database itself
(migration 0010: a BEFORE INSERT trigger under an advisory lock) whoever inserts it;
`verify_chain` (`flask audit verify`) recomputes it here and names the first row changed or
missing. The table refuses UPDATE and DELETE (migration 0007).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, SessionTransaction

from intake.extensions import db
from intake.models import AuditEvent, User

_PENDING = "wayfinder.audit_pending"


def audit(
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Add an audit row to the current transaction (the caller commits). Ids and codes only.

    The row is inserted when the transaction commits, after everything else it holds: on
    PostgreSQL the chain's lock is taken by that insert and held until the commit, so it is
    held for the commit alone, not for the whole of the work (concurrent submits would queue
    behind each other from their first audit row on). A transaction rolled back writes none.
    """
    row = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        actor_user_id=actor.id if actor is not None else None,
        ip=ip,
        detail=detail,
    )
    db.session.info.setdefault(_PENDING, []).append(row)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.add_all(rows)
        session.flush()


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed or rolled back
        session.info.pop(_PENDING, None)


GENESIS = "0" * 64  # the prev_hash of the first row of the chain
_BATCH = 5000


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found: `ok`, how many rows it checked, the head (last seq and hash:
    keep it somewhere else, so that a cut tail shows next time), and the first fault."""

    ok: bool
    rows: int
    head_seq: int = 0
    head_hash: str = GENESIS
    problem: str | None = None
    at_seq: int | None = None
    at_id: int | None = None
    checked: bool = True  # False: no chain to check (SQLite, development only)


def _digest(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def verify_chain() -> ChainReport:
    """Walk audit_events in chain order and recompute every hash (PostgreSQL).

    Each row's `row_hash` must be SHA-256(prev_hash + audit_event_body(row)), computed here
    (not by the database), its `prev_hash` the hash of the row before, and the sequence must
    run 1, 2, 3 without a gap; and no row may be left out of the chain."""
    if db.session.get_bind().dialect.name != "postgresql":
        return ChainReport(
            False, 0, problem="the audit chain is kept on PostgreSQL only", checked=False
        )
    unchained = db.session.scalar(
        select(func.min(AuditEvent.id)).where(AuditEvent.chain_seq.is_(None))
    )
    if unchained is not None:
        return ChainReport(False, 0, problem="a row outside the chain", at_id=unchained)
    body = text("audit_event_body(audit_events)")
    prev, expected, rows, last = GENESIS, 1, 0, 0
    while True:
        batch = db.session.execute(
            select(
                AuditEvent.id, AuditEvent.chain_seq, AuditEvent.prev_hash, AuditEvent.row_hash, body
            )
            .where(AuditEvent.chain_seq > last)
            .order_by(AuditEvent.chain_seq)
            .limit(_BATCH)
        ).all()
        if not batch:
            return ChainReport(True, rows, expected - 1, prev)
        for row_id, seq, prev_hash, row_hash, text_of_row in batch:
            fault = None
            if seq != expected:
                fault = f"row {expected} of the chain is missing"
            elif prev_hash != prev:
                fault = "the link to the row before is broken (a row removed or changed)"
            elif row_hash != _digest(prev_hash, text_of_row):
                fault = "the row does not match its hash (changed after it was written)"
            if fault is not None:
                return ChainReport(False, rows, expected - 1, prev, fault, seq, row_id)
            prev, expected, rows, last = row_hash, expected + 1, rows + 1, seq
