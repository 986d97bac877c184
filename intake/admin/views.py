"""Thin views for administrators, under /admin, and the set-password page under /account.

Every /admin route is for the admin role: anyone else signed in gets a plain 403 page, and
someone not signed in is sent to sign in. Every change is a POST with the CSRF token (Flask-WTF,
app-wide), made by one use case of `intake.services.admin` (which commits with its audit entry),
and answered with a redirect back to the page with a one-line message.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

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
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake import validation
from intake.extensions import db, limiter
from intake.models import ClinicianProfile, Location, Role, User
from intake.notifications.messages import (
    SET_PASSWORD_MAX_AGE,
    SET_PASSWORD_PATH,
    set_password_claim,
)
from intake.passwords import MAX_LENGTH, MIN_LENGTH
from intake.services import admin, users
from intake.services import api_clients as clients_service
from intake.services.admin import digits
from intake.triage import SERVICE_LINES, STATES
from intake.validation import UNSTORABLE_MESSAGE, unstorable

bp = Blueprint("admin", __name__)

ROLE_NAMES = {
    Role.STAFF.value: "Coordinator",
    Role.CLINICIAN.value: "Clinician",
    Role.ADMIN.value: "Admin",
}
# The session's key: whom a used link is for, until the password is set.
SET_PASSWORD = "set_password"  # noqa: S105 - a key, not a secret


@bp.context_processor
def link_hours() -> dict[str, Any]:
    """How long a set-password link works (messages.py decides) and the password policy's
    lengths (passwords.py), as the pages say them."""
    return {
        "link_hours": int(SET_PASSWORD_MAX_AGE / timedelta(hours=1)),
        "min_length": MIN_LENGTH,
        "max_length": MAX_LENGTH,
    }


@bp.app_template_filter("role_name")
def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Admins only: any other signed-in role gets a plain 403 page; anonymous, the sign-in."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        return _refuse_unstorable() or view(*args, **kwargs)

    return wrapped


def _refuse_unstorable() -> Any:
    """A 400 (nothing done) for text that can be neither stored nor looked up (NUL, a lone
    surrogate) anywhere in the address, the query string or the form."""
    values = [
        *request.args.values(),
        *(value for _, value in request.form.items(multi=True)),
        *(str(value) for value in (request.view_args or {}).values()),
    ]
    if any(unstorable(value) for value in values):
        return render_template("admin/bad_request.html", problems=[UNSTORABLE_MESSAGE]), 400
    return None


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _int(value: str | None) -> int | None:
    return int(value) if value and digits(value) and len(value) <= 9 else None


REFUSED = {admin.Result.UNCHANGED: ("Nothing changed: that is already so.", "info")}


def _done(result: admin.Result, done: str, conflict: str, target: str) -> Any:
    if result is admin.Result.NOT_FOUND:
        abort(404)
    message, category = (
        (done, "info")
        if result is admin.Result.DONE
        else (conflict, "error")
        if result is admin.Result.CONFLICT
        else REFUSED[result]
    )
    flash(message, category)
    return redirect(target, code=303)


def _problems(template: str, problems: list[str], **context: Any) -> Any:
    """The page again with what was wrong (nothing was written), as a 400."""
    return render_template(template, problems=problems, **context), 400


# --- overview and accounts --------------------------------------------------------------------


@bp.get("/admin/")
@admin_only
def index() -> Any:
    return render_template("admin/index.html")


def _users_page(problems: list[str] | None = None, form: Any = None) -> Any:
    context = {"people": admin.all_users(), "roles": admin.ROLES, "form": form or {}}
    if problems:
        return _problems("admin/users.html", problems, **context)
    return render_template("admin/users.html", problems=[], **context)


@bp.get("/admin/users")
@admin_only
def users_list() -> Any:
    return _users_page()


@bp.post("/admin/users")
@admin_only
def invite() -> Any:
    form = request.form
    try:
        result = admin.invite(
            form.get("name"), form.get("email"), form.get("role"), _actor(), request.remote_addr
        )
    except admin.Invalid as exc:
        return _users_page(exc.problems, form)
    return _done(
        result,
        "Invited: the person was emailed a link to set their password.",
        "An account with this email exists already: nothing was sent.",
        url_for("admin.users_list"),
    )


@bp.get("/admin/users/<int:user_id>")
@admin_only
def user_detail(user_id: int) -> Any:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return render_template(
        "admin/user.html",
        person=user,
        roles=admin.ROLES,
        form_token=secrets.token_urlsafe(24),
    )


def _back_to(user_id: int) -> str:
    return url_for("admin.user_detail", user_id=user_id)


SELF = "You can't do that to your own account: ask another admin."


@bp.post("/admin/users/<int:user_id>/role")
@admin_only
def change_role(user_id: int) -> Any:
    try:
        result = admin.change_role(user_id, request.form.get("role"), _actor(), request.remote_addr)
    except admin.Invalid as exc:
        flash(" ".join(exc.problems), "error")
        return redirect(_back_to(user_id), code=303)
    return _done(result, "Role changed: their sessions ended.", SELF, _back_to(user_id))


@bp.post("/admin/users/<int:user_id>/disable")
@admin_only
def disable(user_id: int) -> Any:
    result = admin.set_active(user_id, False, _actor(), request.remote_addr)
    return _done(result, "Disabled: their sessions ended.", SELF, _back_to(user_id))


@bp.post("/admin/users/<int:user_id>/enable")
@admin_only
def enable(user_id: int) -> Any:
    result = admin.set_active(user_id, True, _actor(), request.remote_addr)
    return _done(result, "Enabled.", SELF, _back_to(user_id))


@bp.post("/admin/users/<int:user_id>/reset")
@admin_only
def reset(user_id: int) -> Any:
    try:
        result = admin.reset_password(
            user_id, request.form.get("form_token"), _actor(), request.remote_addr
        )
    except admin.Invalid as exc:
        flash(" ".join(exc.problems), "error")
        return redirect(_back_to(user_id), code=303)
    return _done(
        result,
        "Password reset: their sessions ended and they were emailed a link to set a new one.",
        "A disabled account cannot be reset: enable it first.",
        _back_to(user_id),
    )


@bp.post("/admin/users/<int:user_id>/lift-lock")
@admin_only
def lift_lock(user_id: int) -> Any:
    """Unlock an account locked after too many failed sign-ins (intake/services/lockout.py)."""
    result = admin.lift_lock(user_id, _actor())
    return _done(result, "The sign-in lock was lifted.", "", _back_to(user_id))


# --- clinician profiles -----------------------------------------------------------------------


@bp.get("/admin/clinicians")
@admin_only
def clinicians() -> Any:
    profiles = db.session.scalars(
        select(ClinicianProfile).join(User).order_by(User.display_name, ClinicianProfile.id)
    ).all()
    return render_template("admin/clinicians.html", profiles=profiles)


def _profile_page(profile: ClinicianProfile, problems: list[str], form: Any = None) -> Any:
    context = {
        "profile": profile,
        "service_lines": SERVICE_LINES,
        "modalities": admin.PROFILE_MODALITIES,
        "states": sorted(STATES),
        "locations": db.session.scalars(select(Location).order_by(Location.name)).all(),
        "form": form,
    }
    if problems:
        return _problems("admin/profile.html", problems, **context)
    return render_template("admin/profile.html", problems=[], **context)


@bp.get("/admin/clinicians/<int:profile_id>")
@admin_only
def profile(profile_id: int) -> Any:
    found = db.session.get(ClinicianProfile, profile_id)
    if found is None:
        abort(404)
    return _profile_page(found, [])


@bp.post("/admin/clinicians/<int:profile_id>")
@admin_only
def save_profile(profile_id: int) -> Any:
    form = request.form
    fields = admin.ProfileForm(
        service_lines=form.getlist("service_lines"),
        license_states=re.split(r"[\s,;]+", (form.get("license_states") or "")[:400]),
        modalities=form.getlist("modalities"),
        location_code=form.get("location_code") or None,
        capacity=form.get("capacity"),
        accepting_new=form.get("accepting_new") == "yes",
    )
    try:
        result = admin.save_profile(profile_id, fields, _actor(), request.remote_addr)
    except admin.Invalid as exc:
        found = db.session.get(ClinicianProfile, profile_id)
        if found is None:
            abort(404)
        return _profile_page(found, exc.problems, fields)
    if result is admin.Result.NOT_FOUND:
        abort(404)
    return _done(result, "Profile saved.", "", url_for("admin.profile", profile_id=profile_id))


# --- clinics ----------------------------------------------------------------------------------


def _locations_page(problems: list[str] | None = None, form: Any = None) -> Any:
    context = {
        "locations": db.session.scalars(select(Location).order_by(Location.code)).all(),
        "states": sorted(STATES),
        "form": form or {},
    }
    if problems:
        return _problems("admin/locations.html", problems, **context)
    return render_template("admin/locations.html", problems=[], **context)


@bp.get("/admin/locations")
@admin_only
def locations() -> Any:
    return _locations_page()


@bp.post("/admin/locations")
@admin_only
def add_location() -> Any:
    form = request.form
    try:
        result = admin.add_location(
            form.get("code"), form.get("name"), form.get("state"), _actor(), request.remote_addr
        )
    except admin.Invalid as exc:
        return _locations_page(exc.problems, form)
    return _done(
        result,
        "Clinic added.",
        "A clinic with this code exists already: edit it instead.",
        url_for("admin.locations"),
    )


@bp.get("/admin/locations/<code>")
@admin_only
def location(code: str) -> Any:
    found = db.session.get(Location, code[:32])
    if found is None:
        abort(404)
    return render_template(
        "admin/location.html", location=found, states=sorted(STATES), problems=[], form={}
    )


@bp.post("/admin/locations/<code>")
@admin_only
def update_location(code: str) -> Any:
    form = request.form
    try:
        result = admin.update_location(
            code[:32], form.get("name"), form.get("state"), _actor(), request.remote_addr
        )
    except admin.Invalid as exc:
        found = db.session.get(Location, code[:32])
        if found is None:
            abort(404)
        return _problems(
            "admin/location.html", exc.problems, location=found, states=sorted(STATES), form=form
        )
    if result is admin.Result.NOT_FOUND:
        abort(404)
    return _done(result, "Clinic saved.", "", url_for("admin.locations"))


# --- the on-call rota -------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BUSINESS_TZ"])


def _local_time(text: str | None) -> datetime | None:
    """A date and time as typed (the practice's time zone), in UTC; None if not one."""
    raw = (text or "").strip()[:32]
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone())
    try:
        return value.astimezone(ZoneInfo("UTC"))
    except (OverflowError, ValueError):  # the first or last moment a datetime can hold
        return None


def _oncall_page(problems: list[str] | None = None, form: Any = None) -> Any:
    context = {
        "shifts": admin.upcoming_shifts(),
        "people": admin.rota_people(),
        "form": form or {},
        "zone": current_app.config["BUSINESS_TZ"],
    }
    if problems:
        return _problems("admin/oncall.html", problems, **context)
    return render_template("admin/oncall.html", problems=[], **context)


@bp.get("/admin/oncall")
@admin_only
def oncall() -> Any:
    return _oncall_page()


@bp.post("/admin/oncall")
@admin_only
def add_shift() -> Any:
    form = request.form
    backup = form.get("backup") or None
    try:
        result = admin.add_shift(
            _int(form.get("clinician")),
            None if backup is None else (_int(backup) or -1),
            _local_time(form.get("starts_at")),
            _local_time(form.get("ends_at")),
        )
    except admin.Invalid as exc:
        return _oncall_page(exc.problems, form)
    return _done(result, "Shift added.", "", url_for("admin.oncall"))


@bp.post("/admin/oncall/<int:shift_id>/remove")
@admin_only
def remove_shift(shift_id: int) -> Any:
    result = admin.remove_shift(shift_id)
    if result is admin.Result.UNCHANGED:
        flash("That shift was removed already.", "info")
        return redirect(url_for("admin.oncall"), code=303)
    return _done(result, "Shift removed.", "", url_for("admin.oncall"))


# --- API clients ------------------------------------------------------------------------------


def _clients_page(problems: list[str] | None = None, form: Any = None) -> Any:
    context = {"clients": clients_service.all_clients(), "form": form or {}}
    if problems:
        return _problems("admin/api_clients.html", problems, **context)
    return render_template("admin/api_clients.html", problems=[], **context)


@bp.get("/admin/api-clients")
@admin_only
def api_clients() -> Any:
    return _clients_page()


@bp.post("/admin/api-clients")
@admin_only
def create_api_client() -> Any:
    form = request.form
    try:
        made = admin.create_api_client(form.get("name"), form.get("cap"))
    except admin.Invalid as exc:
        return _clients_page(exc.problems, form)
    if isinstance(made, admin.Result):
        return _clients_page(
            [
                "An API client with this name exists already. If its key was not shown to you "
                "(a second click), revoke it and create another."
            ],
            form,
        )
    # Shown in this response only (never stored, never in a URL): the page is not cached.
    return render_template("admin/api_client_created.html", client=made.client, key=made.key)


@bp.post("/admin/api-clients/<int:client_id>/revoke")
@admin_only
def revoke_api_client(client_id: int) -> Any:
    result = admin.revoke_api_client(client_id)
    if result is admin.Result.NOT_FOUND:
        abort(404)
    return _done(result, "Revoked: its key stopped working.", "", url_for("admin.api_clients"))


# --- the audit log ----------------------------------------------------------------------------

AUDIT_PARAMS = ("user", "intake", "action", "from", "to")


def _audit_filter(args: MultiDict[str, str]) -> tuple[admin.AuditFilter, list[str]]:
    problems: list[str] = []
    actor = None
    if args.get("user"):
        actor = _int(args.get("user"))
        if actor is None:
            problems.append("user must be an account from the list.")
    intake_id = None
    if (args.get("intake") or "").strip():
        intake_id = admin.intake_id_for(args["intake"][:32])
        if intake_id is None:
            problems.append("intake must be an intake's number or reference, like WF-AB2C-3DEF.")
    action = (args.get("action") or "").strip()[:64] or None
    if action is not None and not all(c.isalnum() or c in "._" for c in action):
        problems.append("action is a code like user.role_changed, or a prefix like user.")
        action = None
    bounds, wrong_days = validation.day_bounds(args, _zone())
    problems += wrong_days
    return (
        admin.AuditFilter(
            actor_id=actor,
            intake_id=intake_id,
            action=action,
            since=bounds["from"],
            before=bounds["to"],
        ),
        problems,
    )


@bp.get("/admin/audit")
@admin_only
def audit_log() -> Any:
    """Newest first, filtered by account, intake, action and dates; keyset pages (`after=`)."""
    flt, problems = _audit_filter(request.args)
    after = None
    if request.args.get("after"):
        after = admin.AuditCursor.decode(request.args["after"][:64])
        if after is None:
            problems.append("after is not a page marker from this log: start again from page 1.")
    kept = {k: request.args[k] for k in AUDIT_PARAMS if request.args.get(k)}
    context = {"args": kept, "people": admin.all_users()}
    if problems:
        return _problems("admin/audit.html", problems, page=None, **context)
    page = admin.audit_page(flt, after)
    return render_template("admin/audit.html", problems=[], page=page, **context)


# --- setting a password from a link (public) --------------------------------------------------


def _link_refused() -> Any:
    session.pop(SET_PASSWORD, None)
    return render_template("admin/set_password_invalid.html"), 410


@bp.get(SET_PASSWORD_PATH + "<token>")
def use_set_password_link(token: str) -> Any:
    """Exchange the link's token for a mark in this browser's session, then show the form at
    an address without the token (so it is not left in the history or a Referer)."""
    refused = _refuse_unstorable()
    if refused is not None:
        return refused
    claim = set_password_claim(token)
    if claim is None:
        return _link_refused()
    user, fingerprint, expires = claim
    session[SET_PASSWORD] = {"u": user.id, "f": fingerprint, "x": expires}
    return redirect(url_for("admin.set_password"), code=303)


def _pending_claim() -> tuple[User, dict[str, Any]] | None:
    mark = session.get(SET_PASSWORD)
    if not isinstance(mark, dict) or type(mark.get("u")) is not int:
        return None
    if type(mark.get("x")) is not int or mark["x"] <= time.time():
        return None
    user = db.session.get(User, mark["u"])
    if user is None or not user.active:
        return None
    return user, mark


@bp.route("/account/set-password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def set_password() -> Any:
    pending = _pending_claim()
    if pending is None:
        return _link_refused()
    refused = _refuse_unstorable()
    if refused is not None:
        return refused
    user, mark = pending
    if request.method == "GET":
        return render_template("admin/set_password.html", person=user, problems=[])
    try:
        result = admin.set_password(
            user.id,
            str(mark.get("f")),
            request.form.get("password") or "",
            request.form.get("confirm") or "",
            request.remote_addr,
        )
    except (admin.Invalid, users.WeakPassword) as exc:
        problems = exc.problems if isinstance(exc, admin.Invalid) else [exc.reason]
        return _problems("admin/set_password.html", problems, person=user)
    if result is not admin.Result.DONE:
        return _link_refused()
    session.pop(SET_PASSWORD, None)
    flash("Your password is set. Sign in with it now.", "info")
    return redirect(url_for("auth.login"), code=303)
