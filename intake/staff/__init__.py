"""Staff dashboard: queues, intake detail with scores and reasons, the rules in force."""

from intake.staff.views import bp

__all__ = ["bp"]
