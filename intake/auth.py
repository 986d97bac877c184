"""Sign-in for staff, clinicians and admins (Flask-Login, Argon2id, CSRF via Flask-WTF)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from intake import mfa, sessions
from intake.extensions import db, limiter, login_manager
from intake.models import Role, User
from intake.passwords import burn_time, verify_password
from intake.services import lockout, users

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session holds "id:session_version": bumping the version signs every copy out."""
    uid, _, version = user_id.partition(":")
    if not (uid.isascii() and uid.isdigit() and version.isascii() and version.isdigit()):
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


def _pending_key() -> str:
    """The second-factor limit's key: the account that gave its password (or the address)."""
    pending = session.get(PENDING)
    who = str(pending.get("user", "")).partition(":")[0] if isinstance(pending, dict) else ""
    return f"mfa-account:{who}" if who else f"mfa-addr:{request.remote_addr}"


def _account_key() -> str:
    """The per-account login limit's key: a hash of the email typed (any text; never stored)."""
    typed = str(request.form.get("email", "")).strip().lower()
    return "login-account:" + hashlib.sha256(typed.encode()).hexdigest()[:32]


# Sign-in attempts are counted per address and per account, in the rate limiter's storage:
# Redis whenever REDIS_URL is set, so every web process counts against one limit. Failures in a
# row for one email bring a growing delay, then a lock an admin lifts (services/lockout.py).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_account_key)
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        # Refused before any hash work, alike for every email, known or not.
        refusal = lockout.check(email, user)
        if refusal is not None:
            users.record_refused_sign_in(user, request.remote_addr, refusal.locked)
            return _refused(form, refusal)
        # The same hash work for an unknown, a disabled and a known account: timing tells
        # nothing about which emails exist or are active.
        if user is None or not user.active:
            burn_time(form.password.data)
        if (
            user is not None
            and user.active
            and verify_password(user.password_hash, form.password.data)
        ):
            lockout.succeeded(email)
            target = _safe_next(request.args.get("next"))
            if user.mfa_secret or current_app.config["MFA_REQUIRED"]:
                return _ask_second_factor(user, target)
            return _finish_sign_in(user, target)
        users.record_failed_sign_in(user, request.remote_addr)
        refusal = lockout.failed(email, user, request.remote_addr)
        flash(
            "That email and password don't match an active account."
            if refusal is None
            else refusal.message,
            "error",
        )
    return render_template("auth/login.html", form=form)


def _refused(form: LoginForm, refusal: lockout.Refusal) -> Any:
    """Refused before the password was looked at: wait (429 with Retry-After) or locked (429:
    ask an admin). The failure that brings the delay or the lock says so, with a 200."""
    flash(refusal.message, "error")
    response = current_app.make_response((render_template("auth/login.html", form=form), 429))
    if not refusal.locked:
        response.headers["Retry-After"] = str(refusal.wait_seconds)
    return response


def _finish_sign_in(user: User, target: str | None) -> Any:
    session.clear()  # no fixation: a fresh session, under a new id, on sign-in
    sessions.regenerate()
    login_user(user)
    users.record_sign_in(user, request.remote_addr)
    return redirect(target or home_for(user))


# Between the password and the second factor: who, which session version, since when, where to.
PENDING = "mfa_pending"
PENDING_SECONDS = 300


def _ask_second_factor(user: User, target: str | None) -> Any:
    session.clear()
    sessions.regenerate()
    session[PENDING] = {"user": user.get_id(), "at": int(time.time()), "next": target}
    if user.mfa_secret:
        return redirect(url_for("auth.second_factor"))
    return redirect(url_for("auth.enrol_second_factor"))


def _pending_user() -> User | None:
    """The user who gave the right password in the last 5 minutes and still needs a code."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user: User | None = load_user(str(pending.get("user", "")))
    return user


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


@bp.route("/mfa", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def second_factor() -> Any:
    """The code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if not user.mfa_secret:
        return redirect(url_for("auth.enrol_second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        if users.verify_second_factor(user, form.code.data, request.remote_addr):
            return _finish_sign_in(user, session[PENDING].get("next"))
        flash("That code is not right, or was used already. Try the next one.", "error")
    return render_template("auth/mfa.html", form=form)


@bp.route("/mfa/setup", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def enrol_second_factor() -> Any:
    """First sign-in where a second factor is required: scan the QR code, confirm a code."""
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.mfa_secret:
        return redirect(url_for("auth.second_factor"))
    secret = session.get("mfa_new_secret") or users.start_mfa_enrolment()
    session["mfa_new_secret"] = secret  # on the server (intake/sessions.py), never in the cookie
    form = CodeForm()
    if form.validate_on_submit():
        codes = users.enrol_mfa(user, secret, form.code.data, request.remote_addr)
        if codes is not None:
            target = session[PENDING].get("next")
            _finish_sign_in(user, target)
            return render_template(
                "auth/recovery_codes.html", codes=codes, next=target or home_for(user)
            )
        flash("That code is not right. Check the clock of the phone and try the next one.", "error")
    uri = mfa.provisioning_uri(secret, user.email)
    return render_template("auth/mfa_setup.html", form=form, qr=mfa.qr_data_uri(uri), secret=secret)


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
