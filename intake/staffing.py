"""Who is there to be told: the coordinators, the clinical director, the on-call shift.

Read-only lookups shared by the use cases (escalation, crisis alerts) and the outbox (dead
letters go to coordinators); they sit below both.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import OnCallShift, Role, User


def coordinators() -> list[User]:
    """Active intake coordinators: told about every queue's unassigned and overdue items."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.STAFF, User.active.is_(True)).order_by(User.id)
        )
    )


def clinical_director() -> User | None:
    """The user named by CLINICAL_DIRECTOR_EMAIL, if active."""
    email = (current_app.config.get("CLINICAL_DIRECTOR_EMAIL") or "").strip().lower()
    if not email:
        return None
    return db.session.scalar(
        select(User).where(func.lower(User.email) == email, User.active.is_(True))
    )


def on_call(at: datetime) -> OnCallShift | None:
    """The shift covering `at` (the latest-starting one when shifts overlap), or None."""
    return db.session.scalar(
        select(OnCallShift)
        .where(OnCallShift.starts_at <= at, OnCallShift.ends_at > at)
        .order_by(OnCallShift.starts_at.desc(), OnCallShift.id.desc())
    )
