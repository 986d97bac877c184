"""Refused requests on the protected parts of the site, as the audit trail records them.

A 401, 403 or 404 on a staff, clinician or API route is a row in the audit trail: who (the
signed-in user, if any), which route (its rule, e.g. "/staff/intakes/<int:intake_id>", and the
ids in it), the outcome and the client address; never the raw path or query, which could
carry anything the client typed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from intake.audit import audit
from intake.extensions import db
from intake.models import User

log = logging.getLogger(__name__)


def record_denied(
    user: User | None,
    ip: str | None,
    route: str | None,
    ids: dict[str, Any],
    status: int,
    method: str,
) -> None:
    """Audit a refused request and commit; a database that cannot take it is logged, not
    raised (the refusal itself must still reach the client)."""
    safe_ids = {k: v for k, v in ids.items() if isinstance(v, int)}
    try:
        db.session.rollback()  # nothing of the refused request is kept with it
        audit(
            "access.denied",
            "route",
            route,
            actor=user,
            ip=ip,
            status=status,
            method=method,
            **safe_ids,
        )
        db.session.commit()
    except SQLAlchemyError:
        log.warning("could not audit a refused request (status %s)", status)
        db.session.rollback()
