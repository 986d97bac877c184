"""Settings: defaults that run on one laptop, then environment variables, then a mapping.

Nothing here runs at import time; `load_config` is called by `create_app`. Every environment
variable read here is listed, with a one-line comment, in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAILERS = ("smtp", "mailbox", "memory")  # intake.notifications.mailers; memory: tests only
TASK_DISPATCHERS = ("celery", "record")  # intake.jobs; record: tests only
DEV_SECRET_KEY = "dev-only-not-a-secret"  # noqa: S105 - the value the app refuses outside dev/tests

# Environment variables read as strings and where they go.
_ENV_STRINGS = (
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_HOST",
    "SECRET_KEY",
    "BASE_URL",
    "MAIL_FROM",
    "PRACTICE_PHONE",
    "PRACTICE_HOURS",
    "RATELIMIT_STORAGE_URI",
    "API_RATE_LIMIT",
    "MAILBOX_DIR",
    "EMBEDDED_BROKER_URL",
    "BUSINESS_HOURS",
    "BUSINESS_DAYS",
    "BUSINESS_TZ",
    "CLINICAL_DIRECTOR_EMAIL",
    "RESULT_BACKEND_URL",
    "MAILER",
    "TASK_DISPATCHER",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_TOKEN",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "ENCRYPTION_KEYS",
    "SEARCH_HASH_KEY",
)
_ENV_INTS = (
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "OUTBOX_SWEEP_SECONDS",
    "OUTBOX_GRACE_SECONDS",
    "NOTIFY_MAX_ATTEMPTS",
    "NOTIFY_BACKOFF_CAP",
    "SEND_LEASE_SECONDS",
    "TASK_TIME_LIMIT",
    "BROKER_VISIBILITY_TIMEOUT",
    "BROKER_RESTORE_SECONDS",
    "DEADLINE_CHECK_SECONDS",
    "AUTO_ASSIGN_PER_SOURCE_PER_HOUR",
    "EMAILS_PER_RECIPIENT_PER_HOUR",
    "PROXY_FIX_HOPS",
    "SESSION_IDLE_SECONDS",
    "SESSION_ABSOLUTE_SECONDS",
    "COUNTS_MAX_AGE_SECONDS",
    "LOGIN_DELAY_AFTER",
    "LOGIN_DELAY_SECONDS",
    "LOGIN_DELAY_MAX_SECONDS",
    "LOGIN_LOCK_AFTER",
    "LOGIN_FAILURE_WINDOW",
)
_ENV_FLOATS = ("DISPATCH_PAUSE_SECONDS",)
_ENV_BOOLS = (
    "RATELIMIT_ENABLED",
    "SMTP_STARTTLS",
    "SMTP_SSL",
    "SMTP_TLS_WAIVED",
    "MFA_REQUIRED",
    "SESSION_COOKIE_SECURE",
    "BENCH_BASELINE_ENDPOINT",
)


class ConfigError(RuntimeError):
    """The settings cannot run safely (e.g. a development secret outside development)."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that work on a fresh laptop: SQLite, an embedded broker, a local mailbox."""
    instance = Path(instance_path)
    return {
        "APP_ENV": "development",
        "SECRET_KEY": DEV_SECRET_KEY,
        # Keys of the data encrypted at rest (intake/crypto.py), newest first, comma-separated.
        # Required in production; elsewhere unset means a key made once into ENCRYPTION_KEY_FILE.
        "ENCRYPTION_KEYS": None,
        "ENCRYPTION_KEY_FILE": str(instance / "encryption.key"),
        # The key of the keyed hashes (search by email, phone, name; the per-source counters).
        # Required in production; elsewhere unset means one derived from SECRET_KEY.
        "SEARCH_HASH_KEY": None,
        "DATABASE_URL": f"sqlite:///{instance / 'wayfinder.sqlite'}",
        "DATABASE_CONNECT_TIMEOUT": 3,  # s: a connection attempt gives up (PostgreSQL)
        "DATABASE_STATEMENT_TIMEOUT": 15,  # s: a statement is cancelled (PostgreSQL); 0: none
        "REDIS_URL": None,
        "BROKER_URL": None,  # derived: REDIS_URL or the embedded SQLite broker
        "EMBEDDED_BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_TIMEOUT": 15,
        "SMTP_STARTTLS": None,  # derived: on in production (smtp_tls below)
        "SMTP_SSL": False,  # implicit TLS (port 465) instead of STARTTLS
        "SMTP_USERNAME": None,  # SMTP AUTH after TLS; unset: no AUTH
        "SMTP_PASSWORD": None,
        "SMTP_TLS_WAIVED": False,  # production: allow plain SMTP (a relay on the same host)
        "MAILBOX_DIR": str(instance / "mailbox"),
        "MAIL_FROM": "Wayfinder <no-reply@wayfinder.invalid>",
        "BASE_URL": "http://127.0.0.1:5000",
        "PRACTICE_PHONE": "+1-800-555-0199",
        "PRACTICE_HOURS": "Monday to Friday, 8 am to 6 pm Eastern",
        "MAILER": None,  # smtp | mailbox | memory (tests); derived: smtp if SMTP_HOST, else mailbox
        "TASK_DISPATCHER": "celery",  # celery | record (tests: keeps what would be sent)
        "PASSWORD_HASH_COST": None,  # APP_ENV=testing only: cheaper Argon2 (passwords.py)
        "OUTBOX_SWEEP_SECONDS": 10,  # beat: how often pending rows are re-dispatched
        "OUTBOX_GRACE_SECONDS": 15,  # a pending row older than this is re-dispatched
        # Transient failures before a message is dead: 30 at the 600 s cap keeps retrying for
        # 1.8 to 3.6 hours, so an hour of SMTP outage leaves nothing dead (docs/reliability.md).
        "NOTIFY_MAX_ATTEMPTS": 30,
        "NOTIFY_BACKOFF_CAP": 600,  # longest retry delay (s); below the visibility timeout
        "TASK_TIME_LIMIT": 60,  # hard limit (s) of one task run; soft limit is 3/4 of it
        "SEND_LEASE_SECONDS": 90,  # a 'sending' claim older than this may be taken again
        "BROKER_VISIBILITY_TIMEOUT": 1800,  # Redis: an unacked message is redelivered after this
        "BROKER_RESTORE_SECONDS": 100,  # Redis: how often unacked messages are checked for that
        "DISPATCH_PAUSE_SECONDS": 2.0,  # after a failed publish, skip the fast path this long
        "DEADLINE_CHECK_SECONDS": 30,  # beat: how often deadlines are checked
        "BUSINESS_HOURS": "09:00-17:00",
        "BUSINESS_DAYS": "Mon-Fri",
        "BUSINESS_TZ": "America/New_York",
        "CLINICAL_DIRECTOR_EMAIL": "director@demo.wayfinder",  # gets crisis escalations
        "RESULT_BACKEND_URL": None,  # unused by the app (rows hold state); the benchmark sets it
        "RATELIMIT_ENABLED": True,
        "API_RATE_LIMIT": "60 per minute",  # per API client
        "RATELIMIT_STORAGE_URI": None,  # derived: REDIS_URL, else memory:// (one process only)
        "RATELIMIT_HEADERS_ENABLED": True,
        "PROXY_FIX_HOPS": 0,  # proxies in front that set X-Forwarded-For; 0: none (not trusted)
        "AUTO_ASSIGN_PER_SOURCE_PER_HOUR": 5,  # per API client or client address; 0: no cap
        "EMAILS_PER_RECIPIENT_PER_HOUR": 5,  # patient emails to one address; 0: no limit
        "WTF_CSRF_TIME_LIMIT": 6 * 3600,  # a long form may take a while to fill
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "SESSION_IDLE_SECONDS": 900,  # a staff session unused this long ends (intake/sessions.py)
        "SESSION_ABSOLUTE_SECONDS": 43200,  # and any staff session this long after sign-in
        # Failed sign-ins in a row for one email (intake/services/lockout.py): from the 5th,
        # each next attempt waits 60 s, doubled each time up to 15 min; the 10th locks the
        # account until an admin lifts it. Failures older than the window are forgotten.
        # The staff list's tab and queue counts: read again at most this often per web process.
        "COUNTS_MAX_AGE_SECONDS": 10,
        "LOGIN_DELAY_AFTER": 5,  # 0: no delay
        "LOGIN_DELAY_SECONDS": 60,
        "LOGIN_DELAY_MAX_SECONDS": 900,
        "LOGIN_LOCK_AFTER": 10,  # 0: never locked
        "LOGIN_FAILURE_WINDOW": 86400,
        "MFA_REQUIRED": None,  # staff must enrol a second factor; derived: true in production
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "MIGRATIONS_DIR": str(Path(__file__).resolve().parent.parent / "migrations"),
        "BEAT_SCHEDULE_FILE": str(instance / "celerybeat-schedule"),
        "SHOW_DEV_MAILBOX": None,  # derived: True in development
        "LOG_FORMAT": "text",  # text | json (one JSON object per line: intake/ops/logs.py)
        "LOG_LEVEL": "INFO",
        "METRICS_TOKEN": None,  # /metrics wants this bearer token; unset: loopback clients only
        # The benchmark's baseline, POST /api/v1/bench/baseline (one insert of the body): off,
        # a 404, unless set; refused in production (bench/bench_throughput.py sets it).
        "BENCH_BASELINE_ENDPOINT": False,
    }


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings that the environment sets; unset and empty variables are left out."""
    found: dict[str, Any] = {}
    for name in _ENV_STRINGS:
        if environ.get(name):
            found[name] = environ[name]
    for name in _ENV_INTS:
        if environ.get(name):
            found[name] = int(environ[name])
    for name in _ENV_FLOATS:
        if environ.get(name):
            found[name] = float(environ[name])
    for name in _ENV_BOOLS:
        if environ.get(name):
            found[name] = _env_bool(environ[name])
    return found


def load_config(
    instance_path: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides` (tests pass a mapping); then derive."""
    settings = defaults(instance_path)
    settings.update(from_environment(os.environ if environ is None else environ))
    settings.update(overrides or {})
    return finish(settings)


def finish(settings: dict[str, Any]) -> dict[str, Any]:
    """Derive the settings that depend on others, and refuse unsafe combinations."""
    env = settings["APP_ENV"]
    if env not in {"development", "testing", "production"}:
        raise ConfigError(f"APP_ENV must be development, testing or production, not {env!r}")
    if env == "production" and settings["SECRET_KEY"] in {DEV_SECRET_KEY, "", None}:
        raise ConfigError(
            "SECRET_KEY is the development secret: set a real one outside development"
        )
    url = settings["DATABASE_URL"]
    if url.startswith("postgres://"):  # the form some hosts hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    settings["DATABASE_URL"] = url
    settings["SQLALCHEMY_DATABASE_URI"] = url
    # The options given (tests) go over the defaults; whatever is given, database errors never
    # quote their parameters (PHI).
    options = _engine_options(url, settings)
    given = dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {**options.get("connect_args", {}), **given.pop("connect_args", {})}
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **options,
        **given,
        **({"connect_args": connect_args} if connect_args else {}),
        "hide_parameters": True,
    }
    if not settings.get("BROKER_URL"):
        settings["BROKER_URL"] = settings["REDIS_URL"] or settings["EMBEDDED_BROKER_URL"]
    _side_effects(settings)
    _smtp_tls(settings)
    if settings["MFA_REQUIRED"] is None:
        settings["MFA_REQUIRED"] = env == "production"
    if settings["SHOW_DEV_MAILBOX"] is None:
        settings["SHOW_DEV_MAILBOX"] = env == "development" and settings["MAILER"] == "mailbox"
    settings["TESTING"] = env == "testing" or bool(settings.get("TESTING"))
    _rate_limit_storage(settings)
    _check_delivery_timing(settings)
    _check_calendar(settings)
    if env == "production":
        settings["SESSION_COOKIE_SECURE"] = True
    _encryption(settings)
    return settings


def _encryption(settings: dict[str, Any]) -> None:
    """ENCRYPTION_KEYS and SEARCH_HASH_KEY: set in production, or the app refuses to start.

    In development and tests an unset ENCRYPTION_KEYS means a key generated once into
    ENCRYPTION_KEY_FILE (the instance folder, mode 0600) and reused by every process after.
    An unset SEARCH_HASH_KEY there is SECRET_KEY (the keyed hashes' key before it had its own).
    """
    from intake import crypto

    production = settings["APP_ENV"] == "production"
    keys = crypto.parse_keys(settings.get("ENCRYPTION_KEYS"))
    if not keys:
        if production:
            raise ConfigError(
                "ENCRYPTION_KEYS is required in production: one or more keys, newest first, "
                "comma-separated (`flask keys generate` prints a new one)"
            )
        keys = (crypto.development_key(Path(settings["ENCRYPTION_KEY_FILE"])),)
    try:
        crypto.Keyring(keys)
    except crypto.EncryptionKeyError as exc:
        raise ConfigError(str(exc)) from None
    settings["ENCRYPTION_KEYS"] = keys
    if not settings.get("SEARCH_HASH_KEY"):
        if production:
            raise ConfigError(
                "SEARCH_HASH_KEY is required in production: a long random secret of its own "
                "(after changing it, `flask keys rehash` recomputes the search hashes)"
            )
        settings["SEARCH_HASH_KEY"] = settings["SECRET_KEY"]
    elif production and settings["SEARCH_HASH_KEY"] == settings["SECRET_KEY"]:
        raise ConfigError("SEARCH_HASH_KEY must differ from SECRET_KEY")


def _side_effects(settings: dict[str, Any]) -> None:
    """Choose the mailer (unset: SMTP when SMTP_HOST is set, else the mailbox folder) and check
    the task dispatcher; the stand-ins that keep mail and tasks in memory, and a cheaper
    password hash, are for APP_ENV=testing only: anywhere else they would lose mail or weaken
    the stored passwords without a word."""
    if not settings.get("MAILER"):
        settings["MAILER"] = "smtp" if settings["SMTP_HOST"] else "mailbox"
    if settings["MAILER"] not in MAILERS:
        raise ConfigError(f"MAILER must be one of {', '.join(MAILERS)}, not {settings['MAILER']!r}")
    if settings["MAILER"] == "smtp" and not settings["SMTP_HOST"]:
        raise ConfigError("MAILER=smtp needs SMTP_HOST")
    if settings["TASK_DISPATCHER"] not in TASK_DISPATCHERS:
        raise ConfigError(
            f"TASK_DISPATCHER must be one of {', '.join(TASK_DISPATCHERS)}, "
            f"not {settings['TASK_DISPATCHER']!r}"
        )
    if settings["APP_ENV"] != "testing":
        if settings["MAILER"] == "memory" or settings["TASK_DISPATCHER"] == "record":
            raise ConfigError("MAILER=memory and TASK_DISPATCHER=record are for tests only")
        if settings.get("PASSWORD_HASH_COST"):
            raise ConfigError("PASSWORD_HASH_COST is for tests only")
    if settings["APP_ENV"] == "production" and settings["BENCH_BASELINE_ENDPOINT"]:
        raise ConfigError("BENCH_BASELINE_ENDPOINT is for benchmarks, never in production")


def _smtp_tls(settings: dict[str, Any]) -> None:
    """Mail leaves over TLS in production: STARTTLS unless SMTP_SSL (implicit TLS) is chosen.

    Unset SMTP_STARTTLS means on in production and off in development and tests (a local
    mail sink has no certificate). Plain SMTP in production, or AUTH without TLS anywhere
    outside development, is refused unless SMTP_TLS_WAIVED says the relay is on the same host.
    """
    if settings["SMTP_STARTTLS"] is None:
        settings["SMTP_STARTTLS"] = settings["APP_ENV"] == "production" and not settings["SMTP_SSL"]
    if settings["SMTP_TLS_WAIVED"] or settings["MAILER"] != "smtp":
        return
    tls = bool(settings["SMTP_STARTTLS"] or settings["SMTP_SSL"])
    if settings["APP_ENV"] == "production" and not tls:
        raise ConfigError(
            "SMTP in production needs SMTP_STARTTLS or SMTP_SSL (or SMTP_TLS_WAIVED=true)"
        )
    if settings["SMTP_USERNAME"] and not tls and settings["APP_ENV"] != "development":
        raise ConfigError("SMTP_USERNAME needs SMTP_STARTTLS or SMTP_SSL (passwords over TLS)")


def _rate_limit_storage(settings: dict[str, Any]) -> None:
    """Rate-limit counters live in Redis whenever there is one, so that every web process counts
    against one limit; in memory (per process) only on the embedded default.

    Storage errors are raised as `limits.errors.StorageError` (wrap_exceptions), which
    `intake.ratelimit` turns into a refusal (503) or, for the crisis pages, lets through.
    Short socket timeouts: a Redis that hangs must not hang the page.
    """
    uri = settings.get("RATELIMIT_STORAGE_URI") or settings["REDIS_URL"] or "memory://"
    settings["RATELIMIT_STORAGE_URI"] = uri
    options: dict[str, Any] = {}
    if not uri.startswith("memory"):
        options.update(socket_connect_timeout=1, socket_timeout=1)
    options.update(settings.get("RATELIMIT_STORAGE_OPTIONS") or {})
    settings["RATELIMIT_STORAGE_OPTIONS"] = {**options, "wrap_exceptions": True}
    settings["RATELIMIT_SWALLOW_ERRORS"] = False
    for name in (
        "PROXY_FIX_HOPS",
        "SESSION_IDLE_SECONDS",
        "SESSION_ABSOLUTE_SECONDS",
        "LOGIN_DELAY_AFTER",
        "LOGIN_DELAY_SECONDS",
        "LOGIN_DELAY_MAX_SECONDS",
        "LOGIN_LOCK_AFTER",
        "AUTO_ASSIGN_PER_SOURCE_PER_HOUR",
        "EMAILS_PER_RECIPIENT_PER_HOUR",
        "COUNTS_MAX_AGE_SECONDS",
    ):
        if int(settings[name]) < 0:
            raise ConfigError(f"{name} must be 0 or more")


def _check_delivery_timing(settings: Mapping[str, Any]) -> None:
    """Refuse timings that would send an email twice on purpose (reliability notes 1.1).

    A retry waits in Redis as an unacknowledged message until it is due: if the visibility
    timeout were shorter than the longest retry delay plus a task run, Redis would hand it out
    again early. A 'sending' lease shorter than a task run would let the sweep take a message
    that a slow worker is still sending.
    """
    limit = int(settings["TASK_TIME_LIMIT"])
    if int(settings["BROKER_VISIBILITY_TIMEOUT"]) <= int(settings["NOTIFY_BACKOFF_CAP"]) + limit:
        raise ConfigError(
            "BROKER_VISIBILITY_TIMEOUT must be longer than NOTIFY_BACKOFF_CAP + TASK_TIME_LIMIT"
        )
    if int(settings["SEND_LEASE_SECONDS"]) <= limit:
        raise ConfigError("SEND_LEASE_SECONDS must be longer than TASK_TIME_LIMIT")


def _check_calendar(settings: Mapping[str, Any]) -> None:
    """Business hours must parse (fail at start).

    The parser caches what it returns, so the places that read these settings later (each
    offer and deadline check) do not parse them again. The response-time targets (accept
    within, escalate after) are not settings: they are the rules file's [targets].
    """
    from intake.escalation import hours

    try:
        hours.calendar(
            settings["BUSINESS_HOURS"], settings["BUSINESS_DAYS"], settings["BUSINESS_TZ"]
        )
    except hours.CalendarError as exc:
        raise ConfigError(str(exc)) from None


def _engine_options(url: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Engine options so that a database that is away is answered in seconds, never waited on.

    PostgreSQL: a connection attempt gives up after DATABASE_CONNECT_TIMEOUT seconds and a
    statement after DATABASE_STATEMENT_TIMEOUT seconds (0: no limit; e.g. for a long migration);
    a request waits at most 5 s for a free pooled connection. Each pooled connection is tested
    before use (pre-ping) and replaced after 30 minutes (recycle), so after a restart or
    fail-over the pool mends itself: no restart of the app or the workers.
    """
    # hide_parameters: database errors must not quote the values (PHI) into logs.
    if url.startswith("sqlite"):
        # Web, worker and beat share one file: wait for a lock instead of failing at once.
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args["connect_timeout"] = int(settings["DATABASE_CONNECT_TIMEOUT"])
        statement_ms = int(settings["DATABASE_STATEMENT_TIMEOUT"]) * 1000
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
    return {
        "pool_pre_ping": True,
        "pool_recycle": 1800,
        "pool_timeout": 5,
        "connect_args": connect_args,
        "hide_parameters": True,
    }
