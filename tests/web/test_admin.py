"""Administration: who reaches /admin, and each action's effect, audit entry, CSRF refusal and
repeat; invitations and resets by email with a one-time set-password link; the audit log's
filters and keyset pages."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from intake.cli import DEMO_PASSWORD
from intake.extensions import db
from intake.models import (
    ApiClient,
    AuditEvent,
    ClinicianProfile,
    Intake,
    Location,
    Notification,
    NotificationKind,
    OnCallShift,
    Role,
    User,
)
from intake.notifications import mailers
from intake.notifications.messages import set_password_token
from intake.services import outbox, submit_intake
from tests import factories
from tests.support import count_queries, sign_in

ADMIN = "admin@demo.wayfinder"
COORDINATOR = "coordinator@demo.wayfinder"
CLINICIAN = "ana.rivera@demo.wayfinder"
NOT_CHANGES = ("auth.login", "access.denied")
GOOD_PASSWORD = "harbor lantern quietly orbit"  # noqa: S105 - a test password


def _user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _audits(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def _admin(app: Flask) -> Any:
    client = app.test_client()
    sign_in(client, ADMIN)
    return client


# --- 1. who reaches what ----------------------------------------------------------------------

GETS = [
    "/admin/",
    "/admin/users",
    "/admin/users/{admin}",
    "/admin/clinicians",
    "/admin/clinicians/{profile}",
    "/admin/locations",
    "/admin/locations/nyc-midtown",
    "/admin/oncall",
    "/admin/api-clients",
    "/admin/audit",
]
POSTS = [
    "/admin/users",
    "/admin/users/{admin}/role",
    "/admin/users/{admin}/disable",
    "/admin/users/{admin}/enable",
    "/admin/users/{admin}/reset",
    "/admin/users/{admin}/lift-lock",
    "/admin/clinicians/{profile}",
    "/admin/locations",
    "/admin/locations/nyc-midtown",
    "/admin/oncall",
    "/admin/oncall/1/remove",
    "/admin/api-clients",
    "/admin/api-clients/1/revoke",
]


def _fill(app: Flask, path: str) -> str:
    with app.app_context():
        profile = db.session.scalars(select(ClinicianProfile.id).order_by(ClinicianProfile.id))
        return path.format(admin=_user_id(app, ADMIN), profile=profile.first())


@pytest.mark.parametrize("path", GETS)
def test_every_page_is_for_admins_only(app: Flask, demo: Any, path: str) -> None:
    path = _fill(app, path)
    assert _admin(app).get(path).status_code == 200
    for who in (COORDINATOR, CLINICIAN):
        client = app.test_client()
        sign_in(client, who)
        response = client.get(path)
        assert response.status_code == 403, (who, path)
        assert "have access" in response.text and "<form" not in response.text.split("<main")[1]
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


@pytest.mark.parametrize("path", POSTS)
def test_every_action_is_for_admins_only(app: Flask, demo: Any, path: str) -> None:
    path = _fill(app, path)
    before = _count(app, AuditEvent, AuditEvent.action.not_in(NOT_CHANGES))
    for who in (COORDINATOR, CLINICIAN):
        client = app.test_client()
        sign_in(client, who)
        assert client.post(path, data={"role": "admin", "name": "x"}).status_code == 403
    anonymous = app.test_client().post(path)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    # Only sign-ins (and refusals) were audited: no refused request changed anything.
    assert _count(app, AuditEvent, AuditEvent.action.not_in(NOT_CHANGES)) == before


def test_the_admin_link_is_in_the_navigation_for_admins_only(app: Flask, demo: Any) -> None:
    assert 'href="/admin/"' in _admin(app).get("/staff/").text
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR)
    assert 'href="/admin/"' not in coordinator.get("/staff/").text


# --- 2. CSRF ----------------------------------------------------------------------------------


def _csrf_admin(make_app: Any) -> tuple[Flask, Any, str]:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/auth/login").text)
    assert token is not None
    response = client.post(
        "/auth/login",
        data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 302
    page = client.get("/admin/users").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return app, client, found[1]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/admin/users",
            {"name": "New Person", "email": "new.person@example.org", "role": "staff"},
        ),
        ("/admin/users/{coordinator}/role", {"role": "admin"}),
        ("/admin/users/{coordinator}/disable", {}),
        ("/admin/users/{coordinator}/reset", {"form_token": "t" * 24}),
        ("/admin/users/{coordinator}/lift-lock", {}),
        ("/admin/locations", {"code": "csrf-test", "name": "Csrf", "state": "NY"}),
        ("/admin/api-clients", {"name": "csrf-partner"}),
        ("/admin/oncall/1/remove", {}),
    ],
)
def test_every_action_refuses_a_request_without_the_csrf_token(
    make_app: Any, demo: Any, path: str, data: dict[str, str]
) -> None:
    app, client, token = _csrf_admin(make_app)
    path = path.format(coordinator=_user_id(app, COORDINATOR))
    before = _count(app, AuditEvent, AuditEvent.action != "auth.login")
    shifts = _count(app, OnCallShift)
    refused = client.post(path, data=data)
    assert refused.status_code == 400
    assert _count(app, AuditEvent, AuditEvent.action != "auth.login") == before
    assert _count(app, OnCallShift) == shifts
    accepted = client.post(path, data={**data, "csrf_token": token})
    assert accepted.status_code in (200, 303), accepted.text[:500]


# --- 3. invitations and set-password links ----------------------------------------------------


def _deliver_all(app: Flask) -> list[Any]:
    dispatcher = app.extensions["dispatcher"]
    ids = dispatcher.ids()
    dispatcher.sent.clear()
    with app.app_context():
        for nid in ids:
            outbox.deliver(nid)
    return mailers.memory(app).messages


def _link(message: Any) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"http://\S+/account/set-password/(\S+)", text)
    assert found is not None, text
    return "/account/set-password/" + found[1]


def test_an_invitation_makes_the_account_and_emails_a_link_without_phi(
    app: Flask, demo: Any
) -> None:
    client = _admin(app)
    form = {"name": "Quinn Okafor-Lindqvist", "email": "Quinn.O@Example.org", "role": "clinician"}
    first = client.post("/admin/users", data=form, follow_redirects=True)
    assert first.status_code == 200 and "Invited" in first.text
    again = client.post("/admin/users", data=form, follow_redirects=True)  # a double click
    assert "exists already" in again.text
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "quinn.o@example.org")).one()
        assert user.role == Role.CLINICIAN and user.active
        assert user.clinician is not None and user.clinician.accepting_new is False
        user_id = user.id
    assert _count(app, User, User.email == "quinn.o@example.org") == 1
    assert _count(app, Notification, Notification.kind == NotificationKind.ACCOUNT_INVITE) == 1
    [entry] = _audits(app, "user.invited")
    assert entry.object_id == str(user_id) and entry.actor_user_id == _user_id(app, ADMIN)
    assert entry.detail == {"role": "clinician"}
    [message] = _deliver_all(app)
    assert message["To"] == "quinn.o@example.org"
    link = _link(message)
    whole = message.as_string()
    for phi in ("Quinn", "Okafor", "Lindqvist", "WF-", "crisis", "anxiety", "PHQ"):
        assert phi not in whole.replace("quinn.o@example.org", ""), phi
    assert "set-password" in message.get_body(("html",)).get_content()
    with app.app_context():
        assert (
            db.session.scalar(
                select(Notification.context).where(
                    Notification.kind == NotificationKind.ACCOUNT_INVITE
                )
            )
            is None
        )  # the token is in the email only
        assert link.rsplit("/", 1)[1] not in str(
            [(e.detail, e.object_id) for e in db.session.scalars(select(AuditEvent))]
        )


def test_a_set_password_link_works_once_and_leaves_no_token_in_the_address(
    app: Flask, demo: Any
) -> None:
    _admin(app).post(
        "/admin/users", data={"name": "Rowan Vale", "email": "rowan@example.org", "role": "staff"}
    )
    link = _link(_deliver_all(app)[0])
    person = app.test_client()
    opened = person.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"] == "/account/set-password"  # no token in it
    page = person.get("/account/set-password")
    assert page.status_code == 200 and link.rsplit("/", 1)[1] not in page.text
    weak = person.post(
        "/account/set-password", data={"password": "password1234", "confirm": "password1234"}
    )
    assert weak.status_code == 400 and "too common" in weak.text
    differ = person.post(
        "/account/set-password", data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD + "x"}
    )
    assert differ.status_code == 400 and "not the same" in differ.text
    done = person.post(
        "/account/set-password", data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/auth/login")
    sign_in(app.test_client(), "rowan@example.org", GOOD_PASSWORD)
    assert _audits(app, "user.password_changed")[-1].object_id == str(
        _user_id(app, "rowan@example.org")
    )
    # Used: the link, and the page without it, are refused from now on, in any browser.
    assert app.test_client().get(link).status_code == 410
    assert person.get("/account/set-password").status_code == 410
    again = app.test_client()
    assert again.get(link).status_code == 410
    assert again.post("/account/set-password", data={"password": GOOD_PASSWORD}).status_code == 410


def test_a_set_password_link_expires_and_a_newer_one_replaces_it(app: Flask, demo: Any) -> None:
    client = _admin(app)
    client.post(
        "/admin/users", data={"name": "Sam Doe", "email": "sam@example.org", "role": "staff"}
    )
    first = _link(_deliver_all(app)[0])
    user_id = _user_id(app, "sam@example.org")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        past = set_password_token(user, datetime.now(UTC) - timedelta(seconds=1))
        future = set_password_token(user, datetime.now(UTC) + timedelta(hours=1))
    assert app.test_client().get(f"/account/set-password/{past}").status_code == 410
    assert app.test_client().get(f"/account/set-password/{future}").status_code == 303
    assert app.test_client().get("/account/set-password/not-a-token").status_code == 410
    assert app.test_client().get(first[:-3] + "abc").status_code == 410  # a forged signature
    # A reset sends a new link: the first one stops working.
    client.post(f"/admin/users/{user_id}/reset", data={"form_token": secrets.token_urlsafe(24)})
    mails = _deliver_all(app)
    second = _link(mails[-1])
    assert "reset the password" in mails[-1].get_body(("plain",)).get_content()
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 303
    # A disabled account's link does nothing.
    client.post(f"/admin/users/{user_id}/disable")
    assert app.test_client().get(second).status_code == 410


# --- 4. roles, access, resets -----------------------------------------------------------------


def test_a_role_change_ends_the_persons_sessions_and_is_audited_once(app: Flask, demo: Any) -> None:
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR)
    assert coordinator.get("/staff/").status_code == 200
    target = _user_id(app, COORDINATOR)
    admin = _admin(app)
    done = admin.post(f"/admin/users/{target}/role", data={"role": "admin"}, follow_redirects=True)
    assert "Role changed" in done.text
    again = admin.post(f"/admin/users/{target}/role", data={"role": "admin"}, follow_redirects=True)
    assert "already so" in again.text
    assert coordinator.get("/staff/").status_code == 302  # signed out
    [entry] = _audits(app, "user.role_changed")
    assert entry.object_id == str(target) and entry.detail == {"old": "staff", "new": "admin"}
    bad = admin.post(f"/admin/users/{target}/role", data={"role": "owner"}, follow_redirects=True)
    assert "Choose a role" in bad.text
    assert len(_audits(app, "user.role_changed")) == 1


def test_a_clinician_given_another_role_gets_no_new_offers(app: Flask, demo: Any) -> None:
    target = _user_id(app, CLINICIAN)
    _admin(app).post(f"/admin/users/{target}/role", data={"role": "staff"})
    with app.app_context():
        user = db.session.get(User, target)
        assert user is not None and user.role == Role.STAFF
        assert user.clinician is not None and user.clinician.accepting_new is False
    coordinator = _user_id(app, COORDINATOR)
    _admin(app).post(f"/admin/users/{coordinator}/role", data={"role": "clinician"})
    with app.app_context():
        made = db.session.get(User, coordinator)
        assert made is not None and made.clinician is not None
        assert made.clinician.service_lines == [] and made.clinician.accepting_new is False


def test_an_admin_cannot_demote_or_disable_themselves(app: Flask, demo: Any) -> None:
    me = _user_id(app, ADMIN)
    admin = _admin(app)
    role = admin.post(f"/admin/users/{me}/role", data={"role": "staff"}, follow_redirects=True)
    assert "another admin" in role.text
    off = admin.post(f"/admin/users/{me}/disable", follow_redirects=True)
    assert "another admin" in off.text
    with app.app_context():
        user = db.session.get(User, me)
        assert user is not None and user.role == Role.ADMIN and user.active


def test_disable_and_enable(app: Flask, demo: Any) -> None:
    clinician = app.test_client()
    sign_in(clinician, CLINICIAN)
    target = _user_id(app, CLINICIAN)
    admin = _admin(app)
    assert "Disabled" in admin.post(f"/admin/users/{target}/disable", follow_redirects=True).text
    assert "already so" in admin.post(f"/admin/users/{target}/disable", follow_redirects=True).text
    assert clinician.get("/clinician/").status_code == 302
    assert len(_audits(app, "user.disabled")) == 1
    refused = app.test_client().post("/auth/login", data={"email": CLINICIAN, "password": "x"})
    assert refused.status_code == 200
    assert "Enabled" in admin.post(f"/admin/users/{target}/enable", follow_redirects=True).text
    admin.post(f"/admin/users/{target}/enable")
    assert len(_audits(app, "user.enabled")) == 1
    sign_in(app.test_client(), CLINICIAN)


def test_a_reset_ends_the_old_password_and_a_double_click_sends_one_email(
    app: Flask, demo: Any
) -> None:
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR)
    target = _user_id(app, COORDINATOR)
    admin = _admin(app)
    token = secrets.token_urlsafe(24)
    first = admin.post(
        f"/admin/users/{target}/reset", data={"form_token": token}, follow_redirects=True
    )
    assert "Password reset" in first.text
    second = admin.post(
        f"/admin/users/{target}/reset", data={"form_token": token}, follow_redirects=True
    )
    assert "already so" in second.text
    assert _count(app, Notification, Notification.kind == NotificationKind.PASSWORD_RESET) == 1
    assert len(_audits(app, "user.password_reset")) == 1
    assert coordinator.get("/staff/").status_code == 302  # signed out
    old = app.test_client().post(
        "/auth/login", data={"email": COORDINATOR, "password": DEMO_PASSWORD}
    )
    assert old.status_code == 200  # the old password no longer works
    missing = admin.post(f"/admin/users/{target}/reset", data={}, follow_redirects=True)
    assert "reload the page" in missing.text
    assert len(_audits(app, "user.password_reset")) == 1


def test_lifting_a_sign_in_lock(app: Flask, demo: Any) -> None:
    target = _user_id(app, COORDINATOR)
    with app.app_context():
        user = db.session.get(User, target)
        assert user is not None
        user.locked_at = datetime.now(UTC)
        db.session.commit()
    admin = _admin(app)
    page = admin.get(f"/admin/users/{target}").text
    assert "Locked since" in page and f"/admin/users/{target}/lift-lock" in page
    assert ", locked" in admin.get("/admin/users").text
    done = admin.post(f"/admin/users/{target}/lift-lock", follow_redirects=True)
    assert "lock was lifted" in done.text and "Locked since" not in done.text
    again = admin.post(f"/admin/users/{target}/lift-lock", follow_redirects=True)
    assert "already so" in again.text
    with app.app_context():
        user = db.session.get(User, target)
        assert user is not None and user.locked_at is None
    [entry] = _audits(app, "user.unlocked")
    assert entry.object_id == str(target) and entry.actor_user_id == _user_id(app, ADMIN)
    assert admin.post("/admin/users/999999/lift-lock").status_code == 404


# --- 5. clinician profiles, clinics -----------------------------------------------------------


def test_a_clinician_profile_is_edited_from_the_contract_vocabulary(app: Flask, demo: Any) -> None:
    with app.app_context():
        profile = db.session.scalars(
            select(ClinicianProfile).join(User).where(User.email == CLINICIAN)
        ).one()
        profile_id = profile.id
    admin = _admin(app)
    form = {
        "service_lines": ["trauma", "anxiety"],
        "license_states": "ny, CA",
        "modalities": ["virtual"],
        "location_code": "",
        "capacity": "7",
        "accepting_new": "no",
    }
    page = admin.post(f"/admin/clinicians/{profile_id}", data=form, follow_redirects=True)
    assert "Profile saved" in page.text
    again = admin.post(f"/admin/clinicians/{profile_id}", data=form, follow_redirects=True)
    assert "already so" in again.text
    with app.app_context():
        saved = db.session.get(ClinicianProfile, profile_id)
        assert saved is not None
        assert saved.service_lines == ["anxiety", "trauma"]  # the vocabulary's order
        assert saved.license_states == ["CA", "NY"] and saved.modalities == ["virtual"]
        assert saved.capacity == 7 and not saved.accepting_new and saved.location_code is None
    [entry] = _audits(app, "clinician_profile.updated")
    assert entry.object_id == str(profile_id) and "capacity" in entry.detail["fields"]
    for bad in (
        {"service_lines": ["astrology"]},
        {"license_states": "NY ZZ"},
        {"modalities": ["emergency"]},
        {"location_code": "nowhere"},
        {"capacity": "-1"},
        {"capacity": "lots"},
        {"capacity": "\u00b2"},
    ):
        refused = admin.post(f"/admin/clinicians/{profile_id}", data={**form, **bad})
        assert refused.status_code == 400 and "Nothing was saved" in refused.text, bad
    assert len(_audits(app, "clinician_profile.updated")) == 1
    assert admin.get("/admin/clinicians/999999").status_code == 404


def test_clinics_are_added_and_edited(app: Flask, demo: Any) -> None:
    admin = _admin(app)
    form = {"code": "Boston-Back-Bay", "name": "Back Bay", "state": "ma"}
    assert "Clinic added" in admin.post("/admin/locations", data=form, follow_redirects=True).text
    assert "already so" in admin.post("/admin/locations", data=form, follow_redirects=True).text
    clash = admin.post("/admin/locations", data={**form, "name": "Other"}, follow_redirects=True)
    assert "exists already" in clash.text
    with app.app_context():
        found = db.session.get(Location, "boston-back-bay")
        assert found is not None and (found.name, found.state) == ("Back Bay", "MA")
    edited = admin.post(
        "/admin/locations/boston-back-bay",
        data={"name": "Back Bay Clinic", "state": "MA"},
        follow_redirects=True,
    )
    assert "Clinic saved" in edited.text
    assert len(_audits(app, "location.added")) == 1
    assert len(_audits(app, "location.updated")) == 1
    bad = admin.post("/admin/locations", data={"code": "x y", "name": "", "state": "QQ"})
    assert bad.status_code == 400 and bad.text.count("<li>") >= 3
    assert admin.get("/admin/locations/nope").status_code == 404


# --- 6. the on-call rota ----------------------------------------------------------------------


def test_a_shift_is_added_in_the_practice_time_zone_and_removed(app: Flask, demo: Any) -> None:
    on, backup = _user_id(app, CLINICIAN), _user_id(app, "mei.chen@demo.wayfinder")
    zone = ZoneInfo(app.config["BUSINESS_TZ"])
    day = (datetime.now(zone) + timedelta(days=40)).date()
    form = {
        "clinician": str(on),
        "backup": str(backup),
        "starts_at": f"{day}T08:00",
        "ends_at": f"{day}T20:30",
    }
    admin = _admin(app)
    assert "Shift added" in admin.post("/admin/oncall", data=form, follow_redirects=True).text
    assert "already so" in admin.post("/admin/oncall", data=form, follow_redirects=True).text
    starts = datetime.fromisoformat(f"{day}T08:00").replace(tzinfo=zone)
    with app.app_context():
        shift = db.session.scalars(
            select(OnCallShift)
            .where(OnCallShift.clinician_user_id == on)
            .where(OnCallShift.starts_at == starts)
        ).one()
        assert shift.ends_at - shift.starts_at == timedelta(hours=12, minutes=30)
        assert shift.backup_user_id == backup
        shift_id = shift.id
    assert len([e for e in _audits(app, "oncall.added") if e.object_id == str(shift_id)]) == 1
    removed = admin.post(f"/admin/oncall/{shift_id}/remove", follow_redirects=True)
    assert "Shift removed" in removed.text
    again = admin.post(f"/admin/oncall/{shift_id}/remove", follow_redirects=True)
    assert "removed already" in again.text
    assert len([e for e in _audits(app, "oncall.removed") if e.object_id == str(shift_id)]) == 1
    for bad in (
        {"ends_at": f"{day}T07:00"},
        {"backup": str(on)},
        {"clinician": str(_user_id(app, COORDINATOR))},
        {"starts_at": "soon"},
    ):
        refused = admin.post("/admin/oncall", data={**form, **bad})
        assert refused.status_code == 400 and "Nothing was saved" in refused.text, bad


# --- 7. API clients ---------------------------------------------------------------------------


def test_an_api_client_key_is_shown_once_and_revoking_is_idempotent(app: Flask, demo: Any) -> None:
    admin = _admin(app)
    made = admin.post("/admin/api-clients", data={"name": "referral-partner", "cap": "5"})
    assert made.status_code == 200
    key = re.search(r'value="(wf_[^"]+)"', made.text)
    assert key is not None
    assert key[1] not in admin.get("/admin/api-clients").text
    twice = admin.post("/admin/api-clients", data={"name": "referral-partner"})
    assert twice.status_code == 400 and "exists already" in twice.text
    assert "wf_" not in twice.text
    with app.app_context():
        client = db.session.scalars(
            select(ApiClient).where(ApiClient.name == "referral-partner")
        ).one()
        assert client.auto_assign_per_hour == 5 and key[1] not in client.key_hash
        client_id = client.id
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key[1]}"
    assert api.post("/api/v1/intakes", json={}).status_code != 401
    revoked = admin.post(f"/admin/api-clients/{client_id}/revoke", follow_redirects=True)
    assert "Revoked" in revoked.text
    again = admin.post(f"/admin/api-clients/{client_id}/revoke", follow_redirects=True)
    assert "already so" in again.text
    assert api.post("/api/v1/intakes", json={}).status_code == 401
    for action in ("api_client.created", "api_client.revoked"):
        assert [e.object_id for e in _audits(app, action)].count(str(client_id)) == 1
    bad = admin.post("/admin/api-clients", data={"name": "no spaces allowed"})
    assert bad.status_code == 400


# --- 8. the audit log -------------------------------------------------------------------------


def test_the_audit_log_pages_by_keyset_across_equal_times(app: Flask, demo: Any) -> None:
    at = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    with app.app_context():
        for n in range(120):
            db.session.add(
                AuditEvent(at=at, action="test.same_time", object_type="thing", object_id=str(n))
            )
        db.session.commit()
    admin = _admin(app)
    seen: list[str] = []
    path: str | None = "/admin/audit?action=test.same_time"
    statements: list[str] = []
    while path:
        with count_queries(app) as found:
            page = admin.get(path)
        statements += found
        assert page.status_code == 200
        seen += re.findall(r"thing #(\d+)", page.text)
        following = re.search(r'rel="next" href="([^"]+)"', page.text)
        path = following[1].replace("&amp;", "&") if following else None
    assert seen == [str(n) for n in reversed(range(120))]  # newest (highest id) first, no repeat
    assert not any("OFFSET" in s.upper() for s in statements)
    assert admin.get("/admin/audit?after=nonsense").status_code == 400


def test_the_audit_log_filters_by_user_intake_action_and_date(app: Flask, demo: Any) -> None:
    with app.app_context():
        intake = submit_intake(factories.CONTACT, factories.answers()).intake
        intake_id, reference = intake.id, intake.reference
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR)
    coordinator.get(f"/staff/intakes/{intake_id}")  # audited: intake.viewed
    admin = _admin(app)
    me = _user_id(app, COORDINATOR)

    def actions(**args: str) -> list[str]:
        page = admin.get("/admin/audit", query_string=args)
        assert page.status_code == 200, page.text
        return re.findall(r"<td>([a-z_]+\.[a-z_]+)</td>", page.text)

    by_user = actions(user=str(me))
    assert "intake.viewed" in by_user and "auth.login" in by_user
    assert actions(intake=reference.lower()) == actions(intake=str(intake_id))
    assert "intake.viewed" in actions(intake=reference)
    with app.app_context():  # the clinician accepts the offer: an entry about the assignment
        offer = db.session.get(Intake, intake_id).current_assignment  # type: ignore[union-attr]
        assert offer is not None
        email = offer.clinician.user.email
    clinician = app.test_client()
    sign_in(clinician, email)
    clinician.post(f"/clinician/assignments/{offer.id}/accept")
    assert "assignment.accepted" in actions(intake=reference)
    assert set(actions(action="auth.")) == {"auth.login"}
    assert actions(action="intake.viewed", user=str(me)) == ["intake.viewed"]
    today = datetime.now(ZoneInfo(app.config["BUSINESS_TZ"])).date()
    assert "intake.viewed" in actions(**{"from": str(today), "to": str(today)})
    assert actions(to=str(today - timedelta(days=400))) == []
    for bad in ({"user": "x"}, {"intake": "WF-NOPE"}, {"from": "yesterday"}, {"action": "a b"}):
        assert admin.get("/admin/audit", query_string=bad).status_code == 400, bad
    page = admin.get("/admin/audit", query_string={"intake": reference}).text
    for phi in (factories.CONTACT["first_name"], factories.CONTACT["last_name"]):
        assert phi not in page


def test_an_intake_id_filter_for_an_unknown_reference_is_refused(app: Flask, demo: Any) -> None:
    assert _admin(app).get("/admin/audit?intake=WF-ZZZZ-ZZZZ").status_code == 400
    assert _count(app, Intake) == 0


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/admin/users", {"name": "a\x00b", "email": "x\x00@example.org", "role": "staff"}),
        ("post", "/admin/locations", {"code": "nyc\x00", "name": "N", "state": "NY"}),
        ("post", "/admin/api-clients", {"name": "p\x00"}),
        ("post", "/admin/oncall", {"clinician": "1", "starts_at": "9999-12-31T23:59"}),
        ("post", "/admin/oncall", {"clinician": "1", "starts_at": "0001-01-01T00:00"}),
        ("get", "/admin/locations/nyc%00", None),
        ("get", "/admin/audit?action=a%00", None),
        ("get", "/admin/audit?to=9999-12-31", None),
        ("get", "/admin/audit?after=99999999999999999999.1", None),
        ("get", "/admin/audit?user=%C2%B2", None),
        ("get", "/admin/audit?intake=%C2%B2", None),
        ("get", "/account/set-password/a%00b", None),
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(
    app: Flask, demo: Any, method: str, path: str, data: dict[str, str] | None
) -> None:
    before = _count(app, AuditEvent, AuditEvent.action.not_in(NOT_CHANGES))
    client = _admin(app)
    response = getattr(client, method)(path, data=data)
    assert response.status_code in (400, 404, 410), (path, response.status_code)
    assert _count(app, AuditEvent, AuditEvent.action.not_in(NOT_CHANGES)) == before
