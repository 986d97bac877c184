"""Sign-in for staff, clinicians and admins (Flask-Login, Argon2id, CSRF via Flask-WTF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from intake.extensions import db, limiter, login_manager
from intake.models import Role, User
from intake.passwords import burn_time, verify_password
from intake.services import users

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session holds "id:session_version": bumping the version signs every copy out."""
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def home_for(user: User) -> str:
    return (
        url_for("clinician.assignments")
        if user.role == Role.CLINICIAN
        else url_for("staff.dashboard")
    )


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read a backslash as a slash, so "/" + "\\evil.example" would leave the site.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            burn_time(form.password.data)
        if (
            user is not None
            and user.active
            and verify_password(user.password_hash, form.password.data)
        ):
            session.clear()  # no fixation: a fresh session on sign-in
            login_user(user)
            users.record_sign_in(user, request.remote_addr)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        users.record_failed_sign_in(user, request.remote_addr)
        flash("That email and password don't match an active account.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    user = current_user._get_current_object()
    users.sign_out(user, request.remote_addr)  # any copied cookie stops working
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Login plus one of `roles`; others get a 404 (no hint that the page exists)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorate
