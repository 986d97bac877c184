"""Notifications: PHI-free messages, the mailers, and the outbox that delivers them.

`messages` composes, `mailers` sends (SMTP or a development mailbox folder), `outbox` writes
rows with the change that needs them and delivers each one once.
"""

from intake.notifications.messages import compose
from intake.notifications.outbox import (
    add,
    claim,
    deliver,
    due_for_sweep,
    ids,
    release,
    retry_dead,
    status_counts,
    sweep_outbox,
)

__all__ = [
    "add",
    "claim",
    "compose",
    "deliver",
    "due_for_sweep",
    "ids",
    "release",
    "retry_dead",
    "status_counts",
    "sweep_outbox",
]
