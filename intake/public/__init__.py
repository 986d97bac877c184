"""Public pages, no account needed: the intake form, its confirmation, crisis help."""

from intake.public.views import bp

__all__ = ["bp"]
