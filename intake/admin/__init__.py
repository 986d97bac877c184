"""Administration: accounts and roles, clinician profiles, clinics, the on-call rota, API
clients and the audit log (admins only), and the public page where a set-password link from an
invitation or a reset is used."""

from intake.admin.views import bp

__all__ = ["bp"]
