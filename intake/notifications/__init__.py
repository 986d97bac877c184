"""Notifications: PHI-free messages, the mailers, and the outbox that delivers them.

`messages` composes, `mailers` sends (SMTP or a development mailbox folder), `outbox` writes
rows with the change that needs them and delivers each one once.
"""

from intake.notifications.mailers import (
    DeliveryError,
    MailboxMailer,
    Mailer,
    SmtpMailer,
    mailer,
)
from intake.notifications.messages import SUBJECTS, compose, link, message_id, recipient_address
from intake.notifications.outbox import (
    add,
    backoff_seconds,
    claim,
    deliver,
    due_for_sweep,
    exists,
    release,
    retry_dead,
    status_counts,
    sweep_outbox,
)

__all__ = [
    "SUBJECTS",
    "DeliveryError",
    "MailboxMailer",
    "Mailer",
    "SmtpMailer",
    "add",
    "backoff_seconds",
    "claim",
    "compose",
    "deliver",
    "due_for_sweep",
    "exists",
    "link",
    "mailer",
    "message_id",
    "recipient_address",
    "release",
    "retry_dead",
    "status_counts",
    "sweep_outbox",
]
