"""Emails the public side can make us send (resume links, confirmations): limited per recipient.

Anyone can type someone else's address into the form, start many drafts and ask for links, so
the limit is per address, across drafts: at most EMAILS_PER_RECIPIENT_PER_HOUR patient emails
to one address in any hour (0: no limit). The rows carry a keyed hash of the address, never the
address (that stays on the intake, read when the message is sent).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from intake import notifications
from intake.extensions import db
from intake.models import Intake, Notification, utcnow
from intake.services.common import audit, keyed_hash, serialize
from intake.services.errors import RecipientLimited

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)


def recipient_key(address: str) -> str:
    return keyed_hash("recipient", address.strip().lower())


def patient_email(kind: str, intake: Intake, key: str) -> Notification | None:
    """Add a patient email about `intake` to the outbox (the caller commits and dispatches).

    None when the intake has no address; RecipientLimited when that address had its share in
    the last hour (serialized per address, so concurrent requests cannot both slip under it).
    """
    address = (intake.contact or {}).get("email")
    if not address:
        return None
    rkey = recipient_key(address)
    limit = int(current_app.config["EMAILS_PER_RECIPIENT_PER_HOUR"])
    if limit:
        serialize(f"recipient:{rkey}")
        recent = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.recipient_key == rkey,
                Notification.created_at > utcnow() - WINDOW,
            )
        )
        if (recent or 0) >= limit:
            log.info("intake %s: %s not sent, hourly limit of its recipient", intake.id, kind)
            audit("notification.limited", "intake", intake.id, kind=kind)
            raise RecipientLimited(intake.id)
    row = notifications.add(kind, intake, None, key, to_patient=True)
    row.recipient_key = rkey
    return row
