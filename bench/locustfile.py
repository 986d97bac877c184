"""A mixed load against a Wayfinder deployment of your own, with the page budgets as failures.

    WAYFINDER_EMAIL=coordinator@example.org WAYFINDER_PASSWORD=... WAYFINDER_API_KEY=... \\
    locust -f bench/locustfile.py --host https://wayfinder.staging.example.org \\
        --headless -u 20 -r 2 -t 10m

The mix: 70% staff list pages (the work queues with their counts, filters, search, a page
further down through the `after=` cursor), 20% submits (POST /api/v1/intakes as an API client,
each with its own Idempotency-Key: real intakes are created, so point it at a staging copy, not
at production), 10% intake pages (ids found on the list pages; each view is audited).

Each simulated user signs in once as the coordinator given by WAYFINDER_EMAIL and
WAYFINDER_PASSWORD; the account must not need a second factor (a staging deployment with
MFA_REQUIRED=false, or an account kept for load tests). The API key comes from
WAYFINDER_API_KEY (`flask api-clients create load-test --cap 0`); the deployment's rate limits
apply as they would to anyone, so raise them on staging for a long run.

Budgets (docs/performance.md): p95 <= 50 ms for each staff page group and for intake pages
(LOCUST_PAGE_P95_MS), p95 <= 250 ms for submits (LOCUST_SUBMIT_P95_MS), and at most 1% of
requests failed (LOCUST_MAX_FAIL_RATIO). When the run ends, each budget missed is printed and
the exit status is 1, so a CI job fails on it.
"""

from __future__ import annotations

import os
import random
import re
import sys
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import payload  # noqa: E402  (the contract's example body)

PAGE_P95_MS = float(os.environ.get("LOCUST_PAGE_P95_MS", "50"))
SUBMIT_P95_MS = float(os.environ.get("LOCUST_SUBMIT_P95_MS", "250"))
MAX_FAIL_RATIO = float(os.environ.get("LOCUST_MAX_FAIL_RATIO", "0.01"))

TABS = ("needs_action", "awaiting", "accepted", "contacted", "closed")
FILTERS = (
    {"urgency": "urgent"},
    {"urgency": "crisis"},
    {"service_line": "anxiety"},
    {"service_line": "trauma"},
    {"modality": "in_person"},
    {"status": "assigned"},
    {"status": "all"},
    {"state": "CA"},
)
SUBMIT = "POST /api/v1/intakes"
INTAKE_PAGE = "GET /staff/intakes/[id]"
_LINK = re.compile(r'href="/staff/intakes/(\d+)"')
_NEXT = re.compile(r'rel="next" href="[^"]*[?&]after=([0-9.]+)')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Coordinator(HttpUser):
    """A coordinator working the lists, while partner systems submit intakes."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.intake_ids: list[int] = []
        self.cursor: str | None = None
        email = os.environ.get("WAYFINDER_EMAIL", "")
        password = os.environ.get("WAYFINDER_PASSWORD", "")
        form = self.client.get("/auth/login", name="GET /auth/login")
        token = _CSRF.search(form.text or "")
        data = {"email": email, "password": password}
        if token:
            data["csrf_token"] = token.group(1)
        with self.client.post(
            "/auth/login",
            data=data,
            name="POST /auth/login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused ({response.status_code})")

    def _list(self, name: str, params: dict[str, str]) -> None:
        with self.client.get(
            "/staff/intakes", params=params, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            text = response.text or ""
            ids = [int(i) for i in _LINK.findall(text)]
            if ids:
                self.intake_ids = (self.intake_ids + ids)[-500:]
            found = _NEXT.search(text)
            self.cursor = found.group(1) if found else None

    # 70%: the staff list.
    @task(20)
    def open_work(self) -> None:
        self._list("GET /staff/intakes", {})

    @task(20)
    def tab(self) -> None:
        self._list("GET /staff/intakes?tab=[tab]", {"tab": random.choice(TABS)})

    @task(15)
    def filtered(self) -> None:
        self._list("GET /staff/intakes?[filter]", dict(random.choice(FILTERS)))

    @task(5)
    def next_page(self) -> None:
        if self.cursor is None:
            self._list("GET /staff/intakes", {})
        else:
            self._list("GET /staff/intakes?after=[cursor]", {"after": self.cursor})

    @task(10)
    def search_reference(self) -> None:
        # A reference that is not there costs the same index lookup as one that is.
        self._list("GET /staff/intakes?q=[reference]", {"q": "WF-ZZZZ-ZZZZ"})

    # 20%: submits.
    @task(20)
    def submit(self) -> None:
        body = payload(contact={"email": f"load-{uuid.uuid4().hex[:12]}@example.org"})
        with self.client.post(
            "/api/v1/intakes",
            json=body,
            headers={
                "Authorization": f"Bearer {os.environ.get('WAYFINDER_API_KEY', '')}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            name=SUBMIT,
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"HTTP {response.status_code}")

    # 10%: an intake page.
    @task(10)
    def intake_page(self) -> None:
        if not self.intake_ids:
            self._list("GET /staff/intakes", {})
            return
        intake_id = random.choice(self.intake_ids)
        self.client.get(f"/staff/intakes/{intake_id}", name=INTAKE_PAGE)


def budget_misses(stats: Any) -> list[str]:
    """Each budget the run missed, as a sentence (empty: all kept)."""
    misses = []
    for entry in stats.entries.values():
        if entry.num_requests == 0 or "/auth/login" in entry.name:
            continue
        budget = SUBMIT_P95_MS if entry.name == SUBMIT else PAGE_P95_MS
        p95 = entry.get_response_time_percentile(0.95)
        if p95 > budget:
            misses.append(f"{entry.name}: p95 {p95:.0f} ms > {budget:.0f} ms")
    total = stats.total
    if total.num_requests and total.fail_ratio > MAX_FAIL_RATIO:
        misses.append(f"failed requests: {total.fail_ratio:.1%} > {MAX_FAIL_RATIO:.1%}")
    return misses


@events.test_start.add_listener
def check_settings(environment: Any, **_kwargs: Any) -> None:
    missing = [
        name
        for name in ("WAYFINDER_EMAIL", "WAYFINDER_PASSWORD", "WAYFINDER_API_KEY")
        if not os.environ.get(name)
    ]
    if missing:
        print(f"set {', '.join(missing)} (see bench/locustfile.py)", file=sys.stderr)
        if environment.runner is not None:
            environment.runner.quit()


@events.quitting.add_listener
def enforce_budgets(environment: Any, **_kwargs: Any) -> None:
    misses = budget_misses(environment.stats)
    for miss in misses:
        print(f"over budget: {miss}", file=sys.stderr)
    if misses:
        environment.process_exit_code = 1
    elif environment.stats.total.num_requests:
        print("every budget kept", file=sys.stderr)
