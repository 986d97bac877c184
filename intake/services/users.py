"""Account use cases: create a user, sign-in and sign-out as the audit trail records them.

Each commits its own transaction with its audit entry; the views and commands around them only
read the form or the terminal and render the result.
"""

from __future__ import annotations

from sqlalchemy import select

from intake.audit import audit
from intake.extensions import db
from intake.models import User
from intake.passwords import MIN_LENGTH, hash_password
from intake.services.errors import ServiceError


class UserExists(ServiceError):
    """An account with this email exists already: nothing was written."""


class PasswordTooShort(ServiceError):
    """The password has fewer than MIN_LENGTH characters: nothing was written."""


def upsert_user(email: str, name: str, role: str, password: str) -> tuple[User, bool]:
    """The user with `email`, created (flushed, not committed) if missing; and whether it was."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, display_name=name, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user, True


def create_user(email: str, role: str, name: str | None, password: str) -> User:
    """Create an account (email lower-cased; the name defaults to the email) and commit."""
    if len(password) < MIN_LENGTH:
        raise PasswordTooShort(MIN_LENGTH)
    email = email.strip().lower()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise UserExists(email)
    user, _ = upsert_user(email, name or email, role, password)
    db.session.commit()
    return user


def record_sign_in(user: User, ip: str | None) -> None:
    """Audit a successful sign-in and commit."""
    audit("auth.login", "user", user.id, actor=user, ip=ip)
    db.session.commit()


def record_failed_sign_in(user: User | None, ip: str | None) -> None:
    """Audit a refused sign-in (the user, when the email names one) and commit."""
    audit("auth.login_failed", "user", user.id if user else None, ip=ip)
    db.session.commit()


def sign_out(user: User, ip: str | None) -> None:
    """End every session of `user` (any copied cookie stops working), audit it, commit."""
    user.session_version += 1
    audit("auth.logout", "user", user.id, actor=user, ip=ip)
    db.session.commit()
