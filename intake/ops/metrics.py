"""`/metrics` in the Prometheus text format.

Two kinds of figure. Requests and their latency per endpoint are counted in the web process
(under gunicorn, in multiprocess mode: `PROMETHEUS_MULTIPROC_DIR` names a folder that every
worker process writes to and that `gunicorn.conf.py` empties at start). Everything else is
read from the database and the broker when the page is scraped, so it is the same whichever
process answers and needs nothing from the Celery workers: intakes by urgency and service
line, the outbox backlog and the age of its oldest pending row, notification outcomes, queue
depth, crisis alerts acknowledged in time, escalations.

No label names a person or a record: labels are endpoints, methods, status codes, urgency,
service line, notification kind and status, queue names (aggregate counts only).

Access: with `METRICS_TOKEN` set, `Authorization: Bearer <METRICS_TOKEN>` is required; without
it only loopback clients are answered (404 to anyone else, as if there were no such page).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select

from intake.extensions import db
from intake.models import (
    Assignment,
    Intake,
    IntakeStatus,
    Notification,
    NotificationStatus,
    utcnow,
)
from intake.ops import queues

PREFIX = "wayfinder"
REQUESTS = Counter(
    f"{PREFIX}_http_requests", "HTTP requests answered", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Rows still to send: pending, waiting for a retry, or claimed by a worker.
BACKLOG = (NotificationStatus.PENDING, NotificationStatus.RETRY, NotificationStatus.SENDING)


def _age(since: datetime | None, now: datetime) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite hands back naive UTC
        since = since.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - since).total_seconds())


class StateCollector(Collector):
    """Gauges read from the database and the broker at scrape time (needs an app context)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        session = db.session
        intakes = GaugeMetricFamily(
            f"{PREFIX}_intakes",
            "Submitted intakes by urgency, service line and status",
            labels=["urgency", "service_line", "status"],
        )
        rows = session.execute(
            select(Intake.urgency, Intake.service_line, Intake.status, func.count())
            .where(Intake.status != IntakeStatus.DRAFT)
            .group_by(Intake.urgency, Intake.service_line, Intake.status)
        )
        for urgency, line, status, count in rows:
            intakes.add_metric([urgency or "undecided", line or "unrouted", status], count)
        yield intakes

        outcomes = GaugeMetricFamily(
            f"{PREFIX}_notifications",
            "Outbox rows by kind and status (sent, dead, pending, retry, sending)",
            labels=["kind", "status"],
        )
        for kind, status, count in session.execute(
            select(Notification.kind, Notification.status, func.count()).group_by(
                Notification.kind, Notification.status
            )
        ):
            outcomes.add_metric([kind, status], count)
        yield outcomes

        backlog, oldest = session.execute(
            select(func.count(), func.min(Notification.created_at)).where(
                Notification.status.in_(BACKLOG)
            )
        ).one()
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_backlog", "Outbox rows not yet sent or dead", value=backlog
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not yet sent or dead (0 when none)",
            value=_age(oldest, now),
        )

        crisis = GaugeMetricFamily(
            f"{PREFIX}_crisis_intakes",
            "Crisis intakes by acknowledgement: in_time (before any escalation), late, open",
            labels=["acknowledgement"],
        )
        acknowledged = Intake.acknowledged_at.is_not(None)
        unacknowledged = Intake.acknowledged_at.is_(None)
        in_time, late, still_open, oldest_open = session.execute(
            select(
                func.count(case((and_(acknowledged, Intake.escalation_level == 0), 1))),
                func.count(case((and_(acknowledged, Intake.escalation_level > 0), 1))),
                func.count(case((unacknowledged, 1))),
                func.min(case((unacknowledged, Intake.crisis_at))),
            ).where(Intake.crisis_at.is_not(None))
        ).one()
        counts = {"in_time": in_time, "late": late, "open": still_open}
        for state, count in counts.items():
            crisis.add_metric([state], count)
        yield crisis
        yield GaugeMetricFamily(
            f"{PREFIX}_crisis_oldest_unacknowledged_age_seconds",
            "Age of the oldest crisis not yet acknowledged (0 when none)",
            value=_age(oldest_open, now),
        )

        escalations = GaugeMetricFamily(
            f"{PREFIX}_escalations",
            "Escalations sent: crisis (levels reached, summed) and overdue offers",
            labels=["kind"],
        )
        crisis_levels = session.execute(select(func.coalesce(func.sum(Intake.escalation_level), 0)))
        escalations.add_metric(["crisis"], int(crisis_levels.scalar() or 0))
        overdue = session.execute(
            select(func.count()).where(Assignment.escalated_at.is_not(None))
        ).scalar()
        escalations.add_metric(["overdue_offer"], int(overdue or 0))
        yield escalations

        depth = _queue_depths()
        if depth is not None:
            gauge = GaugeMetricFamily(
                f"{PREFIX}_queue_depth", "Tasks waiting in each Celery queue", labels=["queue"]
            )
            for name, count in depth.items():
                gauge.add_metric([name], count)
            yield gauge


def _queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue (Redis broker only; None on the embedded broker)."""
    url = current_app.config["BROKER_URL"]
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return {
            name: int(client.llen(name)) for name in (queues.DEFAULT_QUEUE, queues.CRISIS_QUEUE)
        }
    except redis.RedisError:
        return None
    finally:
        client.close()


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def metrics() -> Any:
    if not _allowed():
        if current_app.config.get("METRICS_TOKEN"):
            abort(401)
        abort(404)
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    ok = 1
    try:
        body += generate_latest(state)
    except Exception as exc:  # database away: say so as a figure; never a 500 for a scrape
        current_app.logger.warning("metrics: state not read (%s)", type(exc).__name__)
        ok = 0
    finally:
        db.session.remove()
    body += (
        f"# HELP {PREFIX}_state_scrape_ok 1 when the database figures below could be read\n"
        f"# TYPE {PREFIX}_state_scrape_ok gauge\n{PREFIX}_state_scrape_ok {ok}\n"
    ).encode()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Count every request and time it, per endpoint (never per path: a path can hold a token)."""

    @app.before_request
    def started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        if "metrics_started" in g:
            endpoint = request.endpoint or "none"
            method = request.method if request.method in METHODS else "other"
            REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
        return response
