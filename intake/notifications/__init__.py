"""Notifications: PHI-free messages, the mailers, and the outbox rows that carry them.

`messages` composes, `mailers` sends (SMTP or a development mailbox folder), `outbox` writes
rows with the change that needs them and finds those due. Claiming, delivering, retrying
and sweeping are use cases: `intake.services.outbox`.
"""

from intake.notifications.messages import compose
from intake.notifications.outbox import (
    add,
    due_for_sweep,
    flush_ids,
    status_counts,
)

__all__ = [
    "add",
    "compose",
    "due_for_sweep",
    "flush_ids",
    "status_counts",
]
