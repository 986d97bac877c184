"""On-call rota use cases: add a shift, remove one; each committed with its audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta

from intake.audit import audit
from intake.extensions import db
from intake.models import OnCallShift, User
from intake.services.errors import ServiceError


class ShiftNotFound(ServiceError):
    """No on-call shift has this id: nothing was written."""


class BadShift(ServiceError):
    """The shift is not possible (no length, or the backup is the clinician): nothing written."""


def add_shift(
    clinician: User, backup: User | None, starts_at: datetime, hours: float
) -> OnCallShift:
    """Put `clinician` (and a backup) on call from `starts_at` for `hours`, and commit."""
    if hours <= 0:
        raise BadShift("--hours must be positive")
    if backup is not None and backup.id == clinician.id:
        raise BadShift("the backup must be someone else")
    shift = OnCallShift(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        clinician_user_id=clinician.id,
        backup_user_id=backup.id if backup else None,
    )
    db.session.add(shift)
    db.session.flush()
    audit("oncall.added", "oncall_shift", shift.id, clinician=clinician.id)
    db.session.commit()
    return shift


def remove_shift(shift_id: int) -> None:
    """Delete a shift from the rota and commit; ShiftNotFound when there is none."""
    shift = db.session.get(OnCallShift, shift_id)
    if shift is None:
        raise ShiftNotFound(shift_id)
    db.session.delete(shift)
    audit("oncall.removed", "oncall_shift", shift_id)
    db.session.commit()
