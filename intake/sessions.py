"""Browser sessions kept on the server, with an idle and an absolute limit for staff.

The cookie holds only a random id (32 bytes, URL-safe); what the session says (who is signed
in, the patient's draft id, the CSRF secret) stays on the server, keyed by the SHA-256 of the id
(a copy of the store holds no usable cookie). A signed-in session lives in Redis when
`REDIS_URL` is set (every web process sees it; sign-out ends it everywhere) and in the
`web_sessions` table otherwise; a patient's anonymous session always lives in the table, so the
form goes on taking intakes while Redis is away (it needs the database anyway). The id's first
letter says which store holds it. So the patient's draft cookie is an opaque id, and the server
decides when a session ends:

- a signed-in session unused for `SESSION_IDLE_SECONDS` (900), or older than
  `SESSION_ABSOLUTE_SECONDS` (43200) since sign-in, is ended and deleted; an anonymous one
  (a patient's draft) after `WTF_CSRF_TIME_LIMIT` unused, the time a form page stays valid;
- sign-in and any change of privilege get a new id (`regenerate`), the old one is deleted;
- `end_user_sessions` deletes every session of a user (sign-out, password change, role
  change, disabling: intake/services/users.py); `User.session_version` is checked as well.

A cookie replayed after any of these names no stored session and is refused. Outside
development and tests the cookie is `__Host-wayfinder` (Secure, this host only, path "/").
A store that cannot be reached gives an empty session for the request (the public pages still
answer) and keeps nothing; a signed-in cookie whose session cannot be read is marked
`unreadable`, so staff pages say so plainly instead of asking to sign in again. After a 503
(the database or Redis away) nothing is written. The "store unavailable" line is logged at most
once a minute.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import redis
from flask import Flask, Request, Response, current_app, render_template, request, session
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from intake.extensions import db
from intake.models import WebSession

log = logging.getLogger(__name__)

HOST_COOKIE_NAME = "__Host-wayfinder"
USER_KEY = "_user_id"  # where Flask-Login keeps the signed-in user ("id:session_version")
REDIS_PREFIX = "wayfinder:session:"
SIGNED_IN, ANONYMOUS = "u", "a"  # the first letter of an id: which store holds the session
_WARNED: dict[str, float] = {}


def _warn(message: str) -> None:
    """Log a store outage at most once a minute per message (not once per request)."""
    now = time.monotonic()
    if now - _WARNED.get(message, -60.0) >= 60.0:
        _WARNED[message] = now
        log.warning(message)


def _now() -> float:
    return time.time()


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _user_of(data: Any) -> int | None:
    uid = str(data.get(USER_KEY) or "").partition(":")[0]
    return int(uid) if uid.isascii() and uid.isdigit() else None


@dataclass
class Record:
    data: dict[str, Any]
    created: float
    seen: float
    user_id: int | None = None


class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """The session of one request; `sid` is None until it is first saved."""

    def __init__(
        self, data: dict[str, Any] | None = None, sid: str | None = None, created: float = 0.0
    ) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.created = created
        self.opened_by = _user_of(self)  # a change of user (sign-in, sign-out) gets a new id
        self.modified = False
        self.regenerate = False
        self.unreadable = False  # a signed-in cookie whose store could not be read
        self.passive = False  # a request the page makes by itself: not use of the session


class Store(Protocol):
    def load(self, key: str) -> Record | None: ...
    def save(self, key: str, record: Record, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def end_user(self, user_id: int) -> None: ...


@dataclass
class DatabaseStore:
    """The `web_sessions` table, written in its own commit after the view has committed."""

    def load(self, key: str) -> Record | None:
        row = db.session.get(WebSession, key)
        if row is None:
            return None
        return Record(
            dict(row.data or {}),
            _ts(row.created_at),
            _ts(row.seen_at),
            row.user_id,
        )

    def save(self, key: str, record: Record, ttl: int) -> None:
        row = db.session.get(WebSession, key) or WebSession(key=key)
        row.data = record.data
        row.user_id = record.user_id
        row.created_at = datetime.fromtimestamp(record.created, UTC)
        row.seen_at = datetime.fromtimestamp(record.seen, UTC)
        db.session.add(row)
        db.session.commit()

    def delete(self, key: str) -> None:
        db.session.execute(delete(WebSession).where(WebSession.key == key))
        db.session.commit()

    def end_user(self, user_id: int) -> None:
        """Within the caller's transaction (the service commits with its audit entry)."""
        db.session.execute(delete(WebSession).where(WebSession.user_id == user_id))


@dataclass
class RedisStore:
    """One key per session with the idle limit as its TTL, and a set per user of their keys."""

    url: str
    client: Any = field(init=False)

    def __post_init__(self) -> None:
        self.client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def load(self, key: str) -> Record | None:
        raw = self.client.get(REDIS_PREFIX + key)
        if raw is None:
            return None
        found = json.loads(raw)
        return Record(found["data"], found["created"], found["seen"], found.get("user_id"))

    def save(self, key: str, record: Record, ttl: int) -> None:
        body = json.dumps(
            {
                "data": record.data,
                "created": record.created,
                "seen": record.seen,
                "user_id": record.user_id,
            }
        )
        pipe = self.client.pipeline()
        pipe.set(REDIS_PREFIX + key, body, ex=max(1, ttl))
        if record.user_id is not None:
            members = f"{REDIS_PREFIX}user:{record.user_id}"
            pipe.sadd(members, key)
            pipe.expire(members, max(1, int(current_app.config["SESSION_ABSOLUTE_SECONDS"])))
        pipe.execute()

    def delete(self, key: str) -> None:
        self.client.delete(REDIS_PREFIX + key)

    def end_user(self, user_id: int) -> None:
        members = f"{REDIS_PREFIX}user:{user_id}"
        keys = [k.decode() if isinstance(k, bytes) else k for k in self.client.smembers(members)]
        self.client.delete(*(REDIS_PREFIX + k for k in keys), members)


def _ts(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def store(app: Flask | None = None) -> Store:
    """The store of signed-in sessions: Redis when configured, the database otherwise."""
    app = app or current_app
    found: Store | None = app.extensions.get("session_store")
    if found is None:
        url = app.config.get("REDIS_URL")
        found = RedisStore(url) if url else DatabaseStore()
        app.extensions["session_store"] = found
    return found


def _store_for(app: Flask, sid: str) -> Store:
    return DatabaseStore() if sid.startswith(ANONYMOUS) else store(app)


def limits(data: dict[str, Any]) -> tuple[int, int]:
    """(idle, absolute) seconds: the staff limits when signed in, the form's validity if not."""
    cfg = current_app.config
    if USER_KEY in data:
        return int(cfg["SESSION_IDLE_SECONDS"]), int(cfg["SESSION_ABSOLUTE_SECONDS"])
    public = int(cfg.get("WTF_CSRF_TIME_LIMIT") or 6 * 3600)
    return public, 4 * public


STORE_ERRORS = (SQLAlchemyError, redis.RedisError, OSError, ValueError, KeyError)


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 128 or request.path.startswith("/static/"):
            return ServerSession()
        try:
            record = _store_for(app, sid).load(_key(sid))
        except STORE_ERRORS:
            _warn("session store unavailable: request served without a session")
            _rollback()
            empty = ServerSession()
            empty.unreadable = sid.startswith(SIGNED_IN)
            return empty
        if record is None:
            return ServerSession()
        idle, absolute = limits(record.data)
        now = _now()
        if now - record.seen > idle or now - record.created > absolute:
            self._forget(app, sid)
            return ServerSession()
        return ServerSession(record.data, sid, record.created)

    def _forget(self, app: Flask, sid: str) -> None:
        try:
            _store_for(app, sid).delete(_key(sid))
        except STORE_ERRORS:
            _rollback()

    def save_session(  # type: ignore[override]
        self, app: Flask, sess: ServerSession, response: Response
    ) -> None:
        if response.status_code == 503:
            return  # a store is known to be away: don't wait on it a second time
        name = self.get_cookie_name(app)
        domain, path = self.get_cookie_domain(app), self.get_cookie_path(app)
        secure, samesite = self.get_cookie_secure(app), self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        user_id = _user_of(sess)
        kind = ANONYMOUS if user_id is None else SIGNED_IN
        if sess.opened_by != user_id or (sess.sid and not sess.sid.startswith(kind)):
            sess.regenerate = True
        if sess.sid and (sess.regenerate or not sess):
            self._forget(app, sess.sid)
            if not sess:
                response.delete_cookie(name, domain=domain, path=path, secure=secure)
                return
            sess.sid = None
        if not sess:
            return
        if sess.passive and sess.sid and not (sess.modified or sess.regenerate):
            return  # a poll: the idle clock runs on as if the page were not open
        now = _now()
        sid = sess.sid or kind + secrets.token_urlsafe(32)
        created = now if sess.sid is None else sess.created
        data = dict(sess)
        idle, _ = limits(data)
        try:
            _store_for(app, sid).save(_key(sid), Record(data, created, now, user_id), idle)
        except STORE_ERRORS:
            _warn("session store unavailable: the session was not kept")
            _rollback()
            return
        sess.sid = sid
        response.set_cookie(
            name, sid, httponly=httponly, secure=secure, samesite=samesite, domain=domain, path=path
        )


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass


UNREADABLE = (
    "We can't check your sign-in right now. You are still signed in and nothing is lost: "
    "please try again in a minute."
)
# Pages that never need a signed-in session: they go on as usual for everyone.
PUBLIC_BLUEPRINTS = frozenset({"public", "ops", "dev"})


def _unreadable_sign_in() -> Any:
    """Staff whose signed-in session cannot be read are told so, not sent to sign in again."""
    if not getattr(session, "unreadable", False) or request.endpoint in (None, "static"):
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    response = current_app.make_response(
        (render_template("errors/unavailable.html", message=UNREADABLE), 503)
    )
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_unreadable_sign_in)
    if app.config["APP_ENV"] == "production":
        app.config["SESSION_COOKIE_NAME"] = HOST_COOKIE_NAME
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None
    app.session_interface = ServerSessionInterface()


def regenerate() -> None:
    """A new session id for this session (sign-in, privilege change); the old id is deleted."""
    if isinstance(session, ServerSession):
        session.regenerate = True
        session.modified = True


def passive() -> None:
    """This request was made by the page itself (a live count's poll), not by the person: it
    does not count as use, so an unattended screen still reaches the idle limit."""
    if isinstance(session, ServerSession):
        session.passive = True


def end_user_sessions(user_id: int) -> None:
    """Delete every stored session of the user (database: within the caller's transaction)."""
    store().end_user(user_id)
