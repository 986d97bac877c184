"""Account use cases: create a user, sign-in and sign-out as the audit trail records them.

Each commits its own transaction with its audit entry; the views and commands around them only
read the form or the terminal and render the result.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from intake import mfa, sessions
from intake.audit import audit
from intake.extensions import db
from intake.models import User
from intake.passwords import MIN_LENGTH, hash_password, password_problem
from intake.services.errors import ServiceError


class UserExists(ServiceError):
    """An account with this email exists already: nothing was written."""


class WeakPassword(ServiceError):
    """The password may not be used (`reason` says why, for the person): nothing was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PasswordTooShort(WeakPassword):
    """The password has fewer than MIN_LENGTH characters: nothing was written."""


def check_password(password: str, *, avoid: tuple[str, ...] = ()) -> None:
    """Raise WeakPassword (PasswordTooShort when short) unless `password` may be used."""
    problem = password_problem(password, avoid=avoid)
    if problem is None:
        return
    if len(password) < MIN_LENGTH:
        raise PasswordTooShort(problem)
    raise WeakPassword(problem)


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
    """Create an account (email lower-cased; the name defaults to the email) and commit.

    The password must pass `check_password` (12-128 characters, not a common one)."""
    email = email.strip().lower()
    check_password(password, avoid=(email, name or ""))
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise UserExists(email)
    user, _ = upsert_user(email, name or email, role, password)
    # At the terminal (`flask create-user`): also the emergency access procedure (docs/security.md).
    audit("user.created", "user", user.id, role=str(role))
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


def record_refused_sign_in(user: User | None, ip: str | None, locked: bool) -> None:
    """Audit an attempt refused before its password was checked (locked, or too soon after
    the last failures: intake/services/lockout.py), and commit."""
    audit(
        "auth.login_refused",
        "user",
        user.id if user else None,
        ip=ip,
        reason="locked" if locked else "delay",
    )
    db.session.commit()


def sign_out(user: User, ip: str | None) -> None:
    """End every session of `user` (any copied cookie stops working), audit it, commit."""
    _end_sessions(user)
    audit("auth.logout", "user", user.id, actor=user, ip=ip)
    db.session.commit()


def _end_sessions(user: User) -> None:
    """Every session of `user` ends: the stored sessions are deleted, and
    `intake.auth.load_user` refuses a cookie of the old version as well."""
    user.session_version += 1
    sessions.end_user_sessions(user.id)


def change_password(user: User, password: str, actor: User | None = None) -> None:
    """Set a new password and end every session of the user (a stolen cookie with it); commit."""
    check_password(password, avoid=(user.email, user.display_name))
    user.password_hash = hash_password(password)
    _end_sessions(user)
    audit("user.password_changed", "user", user.id, actor=actor)
    db.session.commit()


def change_role(user: User, role: str, actor: User | None = None) -> None:
    """Give the user another role; their sessions end so the next one starts fresh; commit."""
    old = user.role
    user.role = role
    _end_sessions(user)
    audit("user.role_changed", "user", user.id, actor=actor, old=str(old), new=str(role))
    db.session.commit()


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Enable or disable the account; disabling ends every session; commit."""
    user.active = active
    _end_sessions(user)
    audit("user.enabled" if active else "user.disabled", "user", user.id, actor=actor)
    db.session.commit()


def start_mfa_enrolment() -> str:
    """A new TOTP secret to show (not stored until a code from it is confirmed)."""
    return mfa.new_secret()


def enrol_mfa(user: User, secret: str, code: str, ip: str | None) -> list[str] | None:
    """Store `secret` as the user's second factor if `code` is from it, with new recovery
    codes (returned, to be shown once); None (nothing written) if the code is wrong."""
    step = mfa.matching_step(secret, code, None)
    if step is None:
        return None
    codes = mfa.new_recovery_codes()
    user.mfa_secret = secret
    user.mfa_last_step = step
    user.mfa_recovery = [mfa.recovery_hash(c) for c in codes]
    audit("auth.mfa_enrolled", "user", user.id, actor=user, ip=ip)
    db.session.commit()
    return codes


def verify_second_factor(user: User, code: str, ip: str | None) -> bool:
    """A TOTP code (each step once) or an unused recovery code (then spent); audited, commit."""
    ok = False
    if user.mfa_secret:
        step = mfa.matching_step(user.mfa_secret, code, user.mfa_last_step)
        if step is not None:
            user.mfa_last_step = step
            ok = True
    if not ok and user.mfa_recovery:
        digest = mfa.recovery_hash(code)
        if digest in user.mfa_recovery:
            user.mfa_recovery = [h for h in user.mfa_recovery if h != digest]
            ok = True
            audit(
                "auth.mfa_recovery_used",
                "user",
                user.id,
                actor=user,
                ip=ip,
                left=len(user.mfa_recovery),
            )
    audit("auth.mfa_ok" if ok else "auth.mfa_failed", "user", user.id, ip=ip)
    db.session.commit()
    return ok


def replace_with_unusable_password(user: User) -> None:
    """The password stops working (a random one nobody knows takes its place) and every
    session of the user ends; not committed: the caller commits with its audit entry."""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    _end_sessions(user)
