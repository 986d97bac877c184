"""Extension objects, unbound until `init_extensions(app)`; the Celery app for Flask and the
task dispatcher its settings choose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Celery, Task
from flask import Flask, g, has_request_context
from flask_babel import Babel, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.orm import DeclarativeBase, registry

from intake import jobs

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every stored time is an aware UTC datetime.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
LANGUAGES = ("en", "es")  # the public pages' languages; staff pages are in English


def select_locale() -> str:
    """The language of this request: the public pages follow the person's choice (the switch,
    `?lang=`, kept in the session) and else their browser's Accept-Language; every other page
    is in English."""
    from flask import request, session

    if not has_request_context() or request.blueprint != "public":
        return "en"
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "do_connect", _one_attempt_per_request)
    migrate.init_app(app, db, directory=str(app.config["MIGRATIONS_DIR"]), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.jinja_env.globals["get_locale"] = get_locale  # <html lang> and the language switch
    limiter.init_app(app)  # intake.ratelimit.init_app (create_app) adds proxies, storage errors
    celery_init_app(app)
    # The task dispatcher is chosen by a setting (TASK_DISPATCHER), as the mailer is (MAILER,
    # intake.notifications.mailers): tests swap side effects instead of switching them off.
    jobs.init_app(app)


def _one_attempt_per_request(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Within one web request, a database that failed to connect is not tried again.

    A request may reach for the database several times (its session, the user, the view, the
    error page); each attempt may wait the whole connect timeout when the server is hung, so
    after the first failure the rest fail at once and the request is answered (503) within
    one timeout. The next request tries again, so recovery is noticed at once.
    """
    if not has_request_context():
        return None  # workers, CLI: the ordinary connect
    error = dialect.loaded_dbapi.OperationalError
    if g.get("_database_unreachable"):
        raise error("the database could not be reached earlier in this request")
    try:
        return dialect.connect(*cargs, **cparams)
    except error:
        g._database_unreachable = True
        raise


def celery_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Celery settings chosen so that no task is lost and none is run twice for nothing.

    Tasks are acknowledged after they run and re-queued if the worker dies; the visibility
    timeout (set in all three places Celery reads it) outlives the longest retry delay plus a
    task run, so a delayed retry is not redelivered early (config.py refuses anything else).
    """
    broker = config["BROKER_URL"]
    visibility = int(config["BROKER_VISIBILITY_TIMEOUT"])
    restore_every = max(1, int(config["BROKER_RESTORE_SECONDS"]))
    restore_interval = min(10, restore_every)
    time_limit = int(config["TASK_TIME_LIMIT"])
    transport: dict[str, Any] = {}
    if broker.startswith("redis"):
        transport = {
            "visibility_timeout": visibility,
            # Unacked messages of a dead worker are looked at about every restore_every s.
            "unacked_restore_interval": restore_interval,
            "unacked_restore_throttle": max(1, restore_every // restore_interval),
            "socket_timeout": 10,
            "socket_connect_timeout": 2,
            "socket_keepalive": True,
            "health_check_interval": 25,
            "retry_on_timeout": True,
        }
    settings: dict[str, Any] = {
        "broker_url": broker,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "broker_connection_timeout": 2,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_soft_shutdown_timeout": 30,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "result_accept_content": ["json"],
        "task_time_limit": time_limit,
        "task_soft_time_limit": max(1, time_limit * 3 // 4),
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "beat_schedule": {
            "sweep-outbox": {
                "task": jobs.SWEEP_OUTBOX,
                "schedule": float(config["OUTBOX_SWEEP_SECONDS"]),
            },
            "check-deadlines": {
                "task": jobs.CHECK_DEADLINES,
                "schedule": float(config["DEADLINE_CHECK_SECONDS"]),
            },
            "purge-drafts": {"task": jobs.PURGE_DRAFTS, "schedule": 3600.0},
            # Writes at most one digest per coordinator per 15 minutes; looks every minute.
            "unassigned-digest": {"task": jobs.UNASSIGNED_DIGEST, "schedule": 60.0},
            "purge-idempotency-keys": {"task": jobs.PURGE_IDEMPOTENCY_KEYS, "schedule": 3600.0},
        },
        "beat_schedule_filename": str(config["BEAT_SCHEDULE_FILE"]),
    }
    if config.get("RESULT_BACKEND_URL"):
        settings["result_backend"] = config["RESULT_BACKEND_URL"]
    if broker.startswith("redis"):
        settings["result_backend_transport_options"] = {"visibility_timeout": visibility}
        settings["visibility_timeout"] = visibility
    settings.update(config.get("CELERY", {}))
    return settings


def celery_init_app(app: Flask) -> Celery:
    """A Celery app whose tasks run inside this Flask app's context (the Flask docs' pattern)."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
