"""Security and privacy you can show: mail that says nothing (every staff kind, rendered), SMTP
over TLS by default in production, and staff sessions that end (idle, absolute, and every
copy at sign-out, password change, role change or disabling)."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from intake import crypto, mfa, notifications, passwords, sessions
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import (
    AuditEvent,
    Intake,
    Notification,
    NotificationKind,
    Role,
    User,
    WebSession,
    utcnow,
)
from intake.screening import INSTRUMENTS
from intake.services import users
from intake.services.demo import DEMO_PASSWORD
from intake.triage import URGENCIES
from tests import factories
from tests.support import api_client, sign_in
from tests.web.questionnaire_helpers import start

API = "/api/v1/intakes"
# The settings production cannot start without.
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "SEARCH_HASH_KEY": "y" * 40,
    "ENCRYPTION_KEYS": crypto.generate_key(),
}
COORDINATOR = "coordinator@demo.wayfinder"
STAFF_KINDS = (
    NotificationKind.ASSIGNMENT,
    NotificationKind.QUEUE_UNASSIGNED,
    NotificationKind.UNASSIGNED_DIGEST,
    NotificationKind.CRISIS_ALERT,
    NotificationKind.ESCALATION,
    NotificationKind.ASSIGNMENT_OVERDUE,
    NotificationKind.ASSIGNMENT_WITHDRAWN,
    NotificationKind.UNFINISHED_SAFETY,
    NotificationKind.DEAD_LETTER,
)


def _forbidden(intakes: list[Intake]) -> set[str]:
    """Words no staff email may hold: urgency, service line, queue, modality, instrument,
    and the patient's contact details and free text."""
    words = {*URGENCIES, "urgency", "queue:", "escalation:", "phq", "gad", "asq"}
    for intake in intakes:
        words |= {intake.service_line or "", intake.queue, intake.modality or ""}
    words |= {w for i in INSTRUMENTS.values() for w in (i.key, i.name)}
    words |= {str(c) for c in factories.CONTACT.values()} | {factories.FREE_TEXT}
    return {w.lower() for w in words if w}


def _rows(app: Flask) -> tuple[list[Notification], list[Intake]]:
    """One row of every staff kind, about a routine intake (with an offer) and a crisis one."""
    client = api_client(app)
    routine = client.post(API, json=factories.payload(phq9_9=1)).json["reference"]
    crisis = client.post(API, json=factories.payload(safe_now="no")).json["reference"]
    by_ref = {i.reference: i for i in db.session.scalars(select(Intake))}
    plain, urgent = by_ref[routine], by_ref[crisis]
    assert urgent.crisis_at is not None and plain.current_assignment is not None
    offer = plain.current_assignment
    assert offer.accept_by is not None
    user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
    rows = [  # the offer's own email, as the service wrote it
        db.session.scalars(
            select(Notification).where(Notification.dedupe_key == f"assignment:{offer.id}")
        ).one()
    ]
    specs: list[tuple[str, Intake | None, str, dict[str, Any] | None]] = [
        (NotificationKind.QUEUE_UNASSIGNED, plain, "t-queue", None),
        (
            NotificationKind.UNASSIGNED_DIGEST,
            None,
            "t-digest",
            {"items": [{"reference": plain.reference, "waiting_minutes": 75}], "total": 1},
        ),
        (NotificationKind.CRISIS_ALERT, urgent, "t-crisis", None),
        (NotificationKind.ESCALATION, urgent, "t-escalation", {"level": 1, "minutes": 15}),
        (NotificationKind.ASSIGNMENT_OVERDUE, plain, "t-overdue", {"assignment": offer.id}),
        (NotificationKind.ASSIGNMENT_WITHDRAWN, plain, "t-withdrawn", None),
        (NotificationKind.UNFINISHED_SAFETY, urgent, "t-unfinished", None),
        (NotificationKind.DEAD_LETTER, urgent, "t-dead", None),
    ]
    for kind, intake, key, context in specs:
        row = Notification(
            kind=kind, intake=intake, recipient=user, dedupe_key=key, context=context
        )
        row.created_at = utcnow()
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows, [plain, urgent]


def test_every_staff_email_holds_a_reference_a_deadline_and_a_link_only(
    app: Flask, demo: Any
) -> None:
    with app.app_context():
        rows, intakes = _rows(app)
        assert {r.kind for r in rows} == set(STAFF_KINDS)
        forbidden = _forbidden(intakes)
        for row in rows:
            message = notifications.compose(row)
            subject = str(message["Subject"])
            texts = [part.get_content() for part in message.iter_parts()]
            told = (subject + "\n" + "\n".join(texts)).lower()
            for word in sorted(forbidden):
                assert word not in told, (row.kind, word)
            assert not re.search(r"\[[a-z]+\]", told), (row.kind, subject)  # no "[CRISIS]"
            refs = [row.intake.reference] if row.intake else [intakes[0].reference]
            assert all(ref in t for ref in refs for t in texts), row.kind
            assert all(app.config["BASE_URL"] in t for t in texts), row.kind
            if row.intake is not None:
                assert row.intake.reference in subject
            if row.kind not in (
                NotificationKind.ASSIGNMENT_WITHDRAWN,
                NotificationKind.UNASSIGNED_DIGEST,
                NotificationKind.DEAD_LETTER,
            ):  # a time to act by (or, for a queued intake, since when it waits)
                assert re.search(r"\d\d:\d\d [A-Z]{2,5}", subject), (row.kind, subject)
                assert all(re.search(r"\d\d:\d\d", t) for t in texts), row.kind


def test_a_crisis_alert_says_safety_alert_acknowledge_by_a_time(app: Flask, demo: Any) -> None:
    with app.app_context():
        rows, _ = _rows(app)
        alert = next(r for r in rows if r.kind == NotificationKind.CRISIS_ALERT)
        message = notifications.compose(alert)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    pattern = r"^Safety alert: acknowledge by (\w+ \d+ \w+ )?\d\d:\d\d [A-Z]{2,5} \(WF-"
    assert re.match(pattern, str(message["Subject"])), message["Subject"]
    assert re.match(r"Safety alert: acknowledge by [^\n]*\d\d:\d\d", text), text


def test_smtp_uses_tls_by_default_in_production(tmp_path: Any) -> None:
    prod = {**PRODUCTION, "SMTP_HOST": "mail.example"}
    assert load_config(str(tmp_path), prod, environ={})["SMTP_STARTTLS"] is True
    assert load_config(str(tmp_path), {}, environ={})["SMTP_STARTTLS"] is False  # development
    with pytest.raises(ConfigError, match="SMTP_STARTTLS or SMTP_SSL"):
        load_config(str(tmp_path), {**prod, "SMTP_STARTTLS": False}, environ={})
    waived = {**prod, "SMTP_STARTTLS": False, "SMTP_TLS_WAIVED": True}
    assert load_config(str(tmp_path), waived, environ={})["SMTP_STARTTLS"] is False
    implicit = load_config(str(tmp_path), {**prod, "SMTP_SSL": True}, environ={})
    assert implicit["SMTP_STARTTLS"] is False and implicit["SMTP_SSL"] is True


# --- Sessions ------------------------------------------------------------------------------


def _signed_in(app: Flask) -> Any:
    client = app.test_client()
    sign_in(client, COORDINATOR)
    assert client.get("/staff/").status_code == 200
    return client


def _at(monkeypatch: pytest.MonkeyPatch, offset: float) -> None:
    """The session clock reads `offset` seconds from now."""
    start = time.time()
    monkeypatch.setattr(sessions, "_now", lambda: start + offset)


def test_a_staff_session_ends_after_the_idle_limit(
    app: Flask, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app.config["SESSION_IDLE_SECONDS"] == 900
    assert app.config["SESSION_ABSOLUTE_SECONDS"] == 43200
    client = _signed_in(app)
    _at(monkeypatch, 890)
    assert client.get("/staff/").status_code == 200  # used: the idle clock starts again
    _at(monkeypatch, 890 + 890)
    assert client.get("/staff/").status_code == 200
    _at(monkeypatch, 890 + 890 + 901)
    gone = client.get("/staff/")
    assert gone.status_code == 302 and "/auth/login" in gone.headers["Location"]


def test_a_staff_session_ends_after_the_absolute_limit_however_used(
    make_app: Any, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(SESSION_IDLE_SECONDS=60, SESSION_ABSOLUTE_SECONDS=300)  # create_app(mapping)
    client = _signed_in(app)
    for offset in range(50, 300, 50):
        _at(monkeypatch, offset)
        assert client.get("/staff/").status_code == 200, offset
    _at(monkeypatch, 301)
    assert client.get("/staff/").status_code == 302


def _replayed(app: Flask, end: Any) -> int:
    """Sign in, keep a copy of the cookie, run `end`, then replay the copy."""
    client = _signed_in(app)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        end(client, user)
    thief = app.test_client()
    thief.set_cookie(name, cookie.value)
    return int(thief.get("/staff/").status_code)


@pytest.mark.parametrize(
    "end",
    [
        lambda client, user: client.post("/auth/logout"),
        lambda client, user: users.change_password(user, "a brand new long passphrase"),
        lambda client, user: users.change_role(user, Role.ADMIN),
        lambda client, user: users.set_active(user, False),
    ],
    ids=["logout", "password", "role", "disabled"],
)
def test_a_captured_cookie_is_refused_after_the_sessions_end(
    app: Flask, demo: Any, end: Any
) -> None:
    assert _replayed(app, lambda client, user: None) == 200  # the copy works until then
    assert _replayed(app, end) == 302


def test_the_cookie_is_host_only_outside_development() -> None:
    prod = Flask("prod")
    prod.config.update(APP_ENV="production", SESSION_COOKIE_SECURE=False)
    sessions.init_app(prod)
    assert prod.config["SESSION_COOKIE_NAME"] == "__Host-wayfinder"
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert (
        prod.config["SESSION_COOKIE_PATH"] == "/" and prod.config["SESSION_COOKIE_DOMAIN"] is None
    )


def _cookie(client: Any, app: Flask) -> str | None:
    found = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return found.value if found is not None else None


def test_the_patient_cookie_is_an_opaque_id_and_the_session_is_on_the_server(app: Flask) -> None:
    client = app.test_client()
    assert start(client).status_code == 303
    sid = _cookie(client, app)
    assert sid is not None and re.fullmatch(r"[au][A-Za-z0-9_-]{43}", sid)  # no signed payload
    with app.app_context():
        draft = db.session.scalars(select(Intake)).one()
        row = db.session.get(WebSession, hashlib.sha256(sid.encode()).hexdigest())
        assert row is not None and row.data["draft_id"] == draft.id and row.user_id is None
        assert db.session.get(WebSession, sid) is None  # the store holds no usable cookie


def test_sign_in_gets_a_new_session_id_and_the_old_one_is_gone(app: Flask, demo: Any) -> None:
    client = app.test_client()
    start(client)
    before = _cookie(client, app)
    sign_in(client, COORDINATOR)
    after = _cookie(client, app)
    assert before and after and before != after
    with app.app_context():
        assert db.session.get(WebSession, hashlib.sha256(before.encode()).hexdigest()) is None
    old = app.test_client()
    old.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert old.get("/staff/").status_code == 302


def test_sessions_live_in_redis_when_it_is_configured(
    make_app: Any, demo: Any, redis_url: str
) -> None:
    import redis

    app = make_app(REDIS_URL=redis_url)
    client = _signed_in(app)
    sid = _cookie(client, app)
    assert sid is not None
    keys = redis.Redis.from_url(redis_url)
    stored = f"{sessions.REDIS_PREFIX}{hashlib.sha256(sid.encode()).hexdigest()}"
    assert keys.exists(stored) and 0 < keys.ttl(stored) <= 900
    with app.app_context():
        assert db.session.scalars(select(WebSession)).all() == []
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], sid)
    assert thief.get("/staff/").status_code == 200
    client.post("/auth/logout")
    assert not keys.exists(stored)
    assert thief.get("/staff/").status_code == 302


# --- Audit trail ---------------------------------------------------------------------------


def test_the_audit_table_refuses_update_and_delete(app: Flask, demo: Any) -> None:
    sign_in(app.test_client(), COORDINATOR)  # writes an audit row
    with app.app_context():
        first = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        assert first is not None
        for change in (
            update(AuditEvent).where(AuditEvent.id == first.id).values(action="nothing"),
            delete(AuditEvent).where(AuditEvent.id == first.id),
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                with db.session.begin_nested():
                    db.session.execute(change)
        assert db.session.get(AuditEvent, first.id) is not None


def _denied(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "access.denied")
                .order_by(AuditEvent.id)
            )
        )


def test_refused_requests_on_protected_routes_are_audited(app: Flask, demo: Any) -> None:
    clinician = app.test_client()
    sign_in(clinician, "ana.rivera@demo.wayfinder")
    assert clinician.get("/staff/").status_code in (403, 404)  # not their part of the site
    assert clinician.get("/clinician/intakes/999999?name=Canary").status_code == 404
    assert app.test_client().post(API, json={}).status_code == 401
    rows = _denied(app)
    with app.app_context():
        ana = db.session.scalars(select(User).where(User.email.startswith("ana."))).one()
    assert [(r.object_id, r.detail["status"], r.actor_user_id) for r in rows] == [
        ("/staff/", rows[0].detail["status"], ana.id),
        ("/clinician/intakes/<int:intake_id>", 404, ana.id),
        ("/api/v1/intakes", 401, None),
    ]
    assert rows[1].detail["intake_id"] == 999999
    assert all("Canary" not in str(r.detail) + str(r.object_id) for r in rows)
    assert app.test_client().get("/step/about").status_code == 200
    assert len(_denied(app)) == 3  # public pages are not audited


# --- Passwords and sign-in throttling ---------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short-1",
        "x" * 129,
        "Password1234!",
        "P@ssw0rd2026",
        "qwertyuiop12",
        "123456789012",
        "aaaaaaaaaaaaaa",
        "correct horse battery staple",
        "new.person-2026x",
    ],
)
def test_weak_passwords_are_refused(app: Flask, password: str) -> None:
    with app.app_context(), pytest.raises(users.WeakPassword):
        users.create_user("new.person@example.org", Role.STAFF, None, password)


def test_a_long_uncommon_password_is_accepted(app: Flask) -> None:
    with app.app_context():
        user = users.create_user(
            "new.person@example.org", Role.STAFF, None, "violet otter gravel 88 lantern"
        )
        assert user.id is not None
    for ok in ("violet otter gravel 88 lantern", "plum-kettle-orbit-sable-9" * 5):
        assert passwords.password_problem(ok) is None, ok


def test_sign_in_is_throttled_per_account_across_processes(
    make_app: Any, demo: Any, redis_url: str
) -> None:
    """Two apps (two web processes) share one count in Redis: the 6th wrong password for one
    account within a minute is refused, from any address and either process."""
    apps = [make_app(REDIS_URL=redis_url, RATELIMIT_ENABLED=True) for _ in range(2)]
    wrong = {"email": COORDINATOR, "password": "not the password at all"}
    codes = []
    for n in range(6):
        client = apps[n % 2].test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"  # a new address each time
        codes.append(client.post("/auth/login", data=wrong).status_code)
    assert codes[:5] == [200] * 5 and codes[5] == 429, codes
    other = apps[0].test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    assert other.post("/auth/login", data={**wrong, "email": "x@example.org"}).status_code == 200


# --- Second factor -------------------------------------------------------------------------


def _password(client: Any, email: str = COORDINATOR) -> Any:
    return client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})


def test_mfa_required_enrols_with_a_local_qr_code_then_asks_every_time(
    make_app: Any, demo: Any
) -> None:
    app = make_app(MFA_REQUIRED=True)
    client = app.test_client()
    first = _password(client)
    assert first.status_code == 302 and first.headers["Location"].endswith("/auth/mfa/setup")
    assert client.get("/staff/").status_code == 302  # not signed in yet
    page = client.get("/auth/mfa/setup").text
    assert 'src="data:image/svg+xml;base64,' in page  # drawn here, no image service
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)  # type: ignore[union-attr]
    assert client.post("/auth/mfa/setup", data={"code": "000000"}).status_code == 200
    done = client.post("/auth/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.text)
    assert done.status_code == 200 and len(codes) == 10
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        assert user.mfa_secret == secret and codes[0] not in str(user.mfa_recovery)

    again = app.test_client()
    assert _password(again).headers["Location"].endswith("/auth/mfa")
    assert again.get("/staff/").status_code == 302
    used = pyotp.TOTP(secret).now()  # spent by the enrolment: a code is good once
    assert again.post("/auth/mfa", data={"code": used}).status_code == 200
    assert again.get("/staff/").status_code == 302
    assert again.post("/auth/mfa", data={"code": codes[0]}).status_code == 302
    assert again.get("/staff/").status_code == 200

    third = app.test_client()
    _password(third)
    assert third.post("/auth/mfa", data={"code": codes[0]}).status_code == 200  # spent
    assert third.post("/auth/mfa", data={"code": codes[1]}).status_code == 302


def test_without_mfa_required_an_unenrolled_account_signs_in_with_its_password(
    app: Flask, demo: Any
) -> None:
    assert app.config["MFA_REQUIRED"] is False
    assert _password(app.test_client()).headers["Location"].endswith("/staff/")


def test_mfa_is_required_by_default_in_production(tmp_path: Any) -> None:
    prod = PRODUCTION
    assert load_config(str(tmp_path), prod, environ={})["MFA_REQUIRED"] is True
    assert load_config(str(tmp_path), {}, environ={})["MFA_REQUIRED"] is False


def test_a_totp_code_matches_its_step_once() -> None:
    secret = mfa.new_secret()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now)
    step = mfa.matching_step(secret, code, None, now=now)
    assert step == int(now // 30)
    assert mfa.matching_step(secret, code, step, now=now) is None
    assert mfa.matching_step(secret, code, None, now=now + 31) == step  # one step of drift
    assert mfa.matching_step(secret, code, None, now=now + 95) is None


def test_unknown_and_disabled_accounts_cost_the_same_hash_as_a_wrong_password(
    app: Flask, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intake import auth

    work: list[str] = []
    monkeypatch.setattr(auth, "burn_time", lambda pw: work.append("dummy"))
    real_verify = auth.verify_password
    monkeypatch.setattr(
        auth, "verify_password", lambda h, pw: work.append("real") or real_verify(h, pw)
    )
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        users.set_active(user, False)
    for email in ("nobody@example.org", COORDINATOR, "ana.rivera@demo.wayfinder"):
        work.clear()
        client = app.test_client()
        client.post("/auth/login", data={"email": email, "password": "wrong password here"})
        assert len(work) == 1, (email, work)  # one Argon2 verification each


# --- Lockout: a growing delay, then a lock an admin lifts ------------------------------------

FAST_LOCKOUT = {
    "LOGIN_DELAY_AFTER": 2,
    "LOGIN_DELAY_SECONDS": 1,
    "LOGIN_DELAY_MAX_SECONDS": 60,
    "LOGIN_LOCK_AFTER": 4,
}


def _answer(response: Any) -> tuple[int, str, str | None]:
    """The status, the error shown, and Retry-After: what tells one email from another."""
    shown = re.findall(r'<p class="flash error"[^>]*>([^<]*)</p>', response.text)
    return response.status_code, " ".join(shown), response.headers.get("Retry-After")


def test_failures_bring_a_growing_delay_then_a_lock_alike_for_unknown_emails(
    make_app: Any, demo: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two web processes share the counts (Redis). A real account and an unknown email get the
    same answers at every step; refused attempts cost no password hash; an admin lifts it."""
    from intake import auth
    from intake.services import lockout

    apps = [make_app(REDIS_URL=redis_url, **FAST_LOCKOUT) for _ in range(2)]
    work: list[str] = []
    real_verify = passwords.verify_password

    def verify(stored: str, typed: str) -> bool:
        work.append("real")
        return real_verify(stored, typed)

    monkeypatch.setattr(auth, "burn_time", lambda pw: work.append("dummy"))
    monkeypatch.setattr(auth, "verify_password", verify)
    emails = {"real": COORDINATOR, "unknown": "nobody.here@example.org"}
    turn = [0]

    def attempt(password: str) -> dict[str, tuple[int, str, str | None]]:
        turn[0] += 1
        found = {}
        for kind, email in emails.items():
            client = apps[turn[0] % 2].test_client()  # alternate processes
            client.environ_base["REMOTE_ADDR"] = f"10.1.0.{turn[0]}"
            found[kind] = _answer(
                client.post("/auth/login", data={"email": email, "password": password})
            )
        assert found["real"] == found["unknown"], found
        return found

    wrong = "not the password at all"
    assert attempt(wrong)["real"][0] == 200  # 1st failure
    second = attempt(wrong)["real"]  # 2nd: from now on, a delay before each attempt
    assert second[0] == 200 and "try again in 1 minute" in second[1]
    work.clear()
    early = attempt(DEMO_PASSWORD)["real"]  # even the right password, too soon
    assert early[0] == 429 and early[2] == "1" and "try again in" in early[1]
    assert work == []  # refused before any hash work, for both emails
    time.sleep(1.1)
    assert attempt(wrong)["real"][0] == 200  # 3rd failure: the delay doubles
    assert attempt(wrong)["real"][:3:2] == (429, "2")
    time.sleep(2.1)
    locked = attempt(wrong)["real"]  # 4th failure: locked
    assert locked[0] == 200 and "locked" in locked[1] and "administrator" in locked[1]
    time.sleep(2.1)  # no delay lifts a lock
    work.clear()
    after = attempt(DEMO_PASSWORD)["real"]
    assert after[0] == 429 and "locked" in after[1] and after[2] is None
    assert work == []

    with apps[0].app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        admin = db.session.scalars(select(User).where(User.role == Role.ADMIN)).first()
        assert user.locked_at is not None
        locks = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.locked")
        ).all()
        assert [(e.object_id, e.detail["failures"]) for e in locks] == [(str(user.id), 4)]
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_refused")
        ).all()
        assert {e.detail["reason"] for e in refused} == {"delay", "locked"}
        assert lockout.lift(user.id, admin) is True
        lifted = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.unlocked")
        ).one()
        assert lifted.actor_user_id == (admin.id if admin else None)
        assert lifted.object_id == str(user.id)
        assert "nobody.here" not in str([e.detail for e in [*locks, *refused]])  # ids only
    client = apps[1].test_client()
    assert _password(client).status_code == 302  # signed in again


def test_flask_users_unlock_lifts_the_lock(make_app: Any, demo: Any) -> None:
    app = make_app(**FAST_LOCKOUT)
    for _ in range(2):
        app.test_client().post("/auth/login", data={"email": COORDINATOR, "password": "nope!"})
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        user.locked_at = utcnow()
        db.session.commit()
    assert _password(app.test_client()).status_code == 429
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "unlock", COORDINATOR.upper()])
    assert result.exit_code == 0 and "unlocked" in result.output, result.output
    assert runner.invoke(args=["users", "unlock", "nobody@example.org"]).exit_code == 1
    assert _password(app.test_client()).status_code == 302  # the delay was forgotten too
    with app.app_context():
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.unlocked")
        ).one()
        assert row.actor_user_id is None and row.detail == {"was_locked": True}


def test_sign_ins_failures_and_permission_changes_are_audited(app: Flask, demo: Any) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    client.post("/auth/login", data={"email": COORDINATOR, "password": "wrong password 1"})
    client.post("/auth/login", data={"email": "ghost@example.org", "password": "wrong pw 22"})
    sign_in(client, COORDINATOR)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        users.change_role(user, Role.ADMIN, actor=user)
        users.set_active(user, False, actor=user)
        uid = str(user.id)
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)).all()
        seen = [(r.action, r.object_id, r.ip) for r in rows]
        details = str([r.detail for r in rows])
    assert seen[-5:] == [
        ("auth.login_failed", uid, "10.2.0.1"),
        ("auth.login_failed", None, "10.2.0.1"),  # an unknown email: no id, never the email
        ("auth.login", uid, "10.2.0.1"),
        ("user.role_changed", uid, None),
        ("user.disabled", uid, None),
    ]
    assert "ghost" not in details


# --- Unique user ids, emergency access, headers ----------------------------------------------


def test_an_email_names_one_account_whatever_its_case(app: Flask) -> None:
    """HIPAA 164.312(a)(2)(i): each person signs in as themselves, under one unique id."""
    with app.app_context():
        users.create_user("Pat.Lee@Example.org", Role.STAFF, None, "violet otter gravel 88 lantern")
        with pytest.raises(users.UserExists):
            users.create_user("pat.lee@example.org", Role.ADMIN, None, "another long passphrase 77")
        assert db.session.scalars(select(User.email).where(User.email.like("pat%"))).all() == [
            "pat.lee@example.org"
        ]


def test_an_account_made_at_the_terminal_is_audited(app: Flask) -> None:
    """The emergency access procedure (docs/security.md): an admin account made with
    `flask create-user` on the server, which the audit trail records, password never."""
    result = app.test_cli_runner().invoke(
        args=["create-user", "oncall.admin@example.org", "--role", "admin", "--password-stdin"],
        input="violet otter gravel 88 lantern\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(
            select(User).where(User.email == "oncall.admin@example.org")
        ).one()
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.created")
        ).one()
        assert row.object_id == str(user.id) and row.detail == {"role": "admin"}
        assert row.row_hash is not None  # in the hash chain like every row


def test_every_response_carries_the_browser_protections(make_app: Any, demo: Any) -> None:
    """CSP without third parties (object-src and base-uri 'none', frame-ancestors), nosniff,
    a referrer policy, no caching of any page; HSTS for a year with subdomains in production."""
    app = make_app()
    client = app.test_client()
    sign_in(client, COORDINATOR)
    for path in ("/staff/", "/step/about", "/auth/login", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'"):
            assert directive in csp, (path, directive)
        assert "frame-ancestors 'none'" in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in headers  # development and tests: plain HTTP
    production = make_app(**PRODUCTION)
    hsts = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"
