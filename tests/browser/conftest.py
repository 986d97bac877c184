"""The app served for real on loopback, and Debian's Chromium driven by Playwright.

A thread runs the app with werkzeug's `make_server` on a free port, on this run's own
database (the test `commits`: the server's requests are separate connections); tasks are
recorded by the dispatcher and the tests deliver the recorded emails into the mailbox folder,
which the browser reads at /dev/mailbox as a developer would. The browser is /usr/bin/chromium
(`make test` installs Debian's package when it is missing); Playwright never downloads one.
Accessibility is checked with axe-core, which axe-playwright-python bundles (no CDN).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI, free_port

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "wayfinder-screenshots"
)
# SCREENSHOTS_TO_DOCS=1: the pages the README shows are also saved, as what fits in the window
# (not the whole page, to keep them small), into docs/screenshots/<name>-<width>.png.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOCS_PAGES = {
    "4-mood": "form-step",
    "crisis": "crisis-help",
    "6-review": "review",
    "7-done": "confirmation",
    "es-2-safety": "spanish-step",
    "resume-check": "resume-check",
    "staff-intakes": "staff-intakes",
    "staff-intake": "staff-intake",
    "clinician-assignments": "clinician-assignments",
}


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; `make test` does)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    app: Any
    url: str

    def deliver_mail(self) -> int:
        """Send the emails whose tasks were recorded so far (as a worker would)."""
        from intake.extensions import db
        from intake.services import outbox

        dispatcher = self.app.extensions["dispatcher"]
        ids = dispatcher.ids()
        dispatcher.sent.clear()
        with self.app.app_context():
            for notification_id in ids:
                outbox.deliver(notification_id)
            db.session.remove()
        return len(ids)


@pytest.fixture
def live(make_app: Any, demo: Any, tmp_path: Path) -> Iterator[LiveServer]:
    """The app (demo clinics and staff seeded) served on 127.0.0.1 by a thread."""
    from tests.web.test_language import ensure_catalog

    ensure_catalog()
    port = free_port()
    app = make_app(
        BASE_URL=f"http://127.0.0.1:{port}",
        MAILBOX_DIR=str(tmp_path / "mailbox"),
        SHOW_DEV_MAILBOX=True,
        WTF_CSRF_ENABLED=True,
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a phone-sized window."""
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def check_page(page: Any, name: str) -> list[dict[str, Any]]:
    """axe-core on the page at 360 px and at 1280 px, with a full-page screenshot at each
    (and, with SCREENSHOTS_TO_DOCS=1, the window's for the README: DOCS_PAGES).

    Fails on any violation, whatever its impact; the viewport is given back as it was."""
    from axe_playwright_python.sync_playwright import Axe

    SHOTS.mkdir(parents=True, exist_ok=True)
    was = page.viewport_size
    found: list[dict[str, Any]] = []
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of the picture
        found += [
            {
                "id": v["id"],
                "impact": v["impact"],
                "width": size["width"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in Axe().run(page).response["violations"]
        ]
        page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)
        if os.environ.get("SCREENSHOTS_TO_DOCS") == "1" and name in DOCS_PAGES:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SHOTS / f"{DOCS_PAGES[name]}-{size['width']}.png"))
    (SHOTS / f"{name}.axe.json").write_text(json.dumps(found, indent=1))
    page.set_viewport_size(was)
    assert not found, (name, found)
    return found
