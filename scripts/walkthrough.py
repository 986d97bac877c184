"""A walk through a running Wayfinder, as a coordinator and a clinician, with screenshots.

    make run                                   # in one terminal
    .venv/bin/python scripts/walkthrough.py    # in another [--base-url http://127.0.0.1:5000]

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the demo practice that
`make run` seeds: a person's intake arrives through the API (as the practice's website would
send it); the coordinator finds it by phone number, overrides its urgency with a reason, offers
it to another clinician with a reason and logs two outreach attempts; that clinician opens the
link in the assignment email from the local mailbox, signs in, accepts and records first
contact; the coordinator closes it. Each step is photographed at 1280 px and 360 px into
docs/screenshots/walkthrough/ (override with --out). Exits non-zero at the first step that
does not do what it should.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from intake.cli import DEMO_API_KEY, DEMO_PASSWORD  # noqa: E402
from intake.services.demo import DEMO_CLINICIANS  # noqa: E402
from tests.factories import payload  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
COORDINATOR = "coordinator@demo.wayfinder"


def submit(base: str, phone: str) -> str:
    """A routine intake, sent as the practice's website would; its reference."""
    body = payload()
    body["contact"] = {**body["contact"], "phone": phone}
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own server
        f"{base}/api/v1/intakes",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {DEMO_API_KEY}",
            "Content-Type": "application/json",
            "Idempotency-Key": secrets.token_hex(8),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        return str(json.load(response)["reference"])


class Walk:
    def __init__(self, browser: Any, base: str, out: Path) -> None:
        self.browser, self.base, self.out, self.step = browser, base, out, 0

    def page(self) -> Any:
        page = self.browser.new_context(viewport=DESKTOP).new_page()
        page.set_default_timeout(15_000)
        return page

    def shot(self, page: Any, name: str) -> None:
        """The window at 1280 px, then at 360 px, then back."""
        self.step += 1
        stem = self.out / f"{self.step:02d}-{name}"
        page.screenshot(path=f"{stem}-1280.png")
        page.set_viewport_size(PHONE)
        page.screenshot(path=f"{stem}-360.png")
        page.set_viewport_size(DESKTOP)
        print(f"  {stem.name}: {page.url.removeprefix(self.base)}")

    def sign_in(self, page: Any, email: str) -> None:
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        url = page.url
        page.press("#password", "Enter")
        page.wait_for_function("u => location.href !== u", arg=url)


def summary(page: Any, term: str) -> str:
    return str(page.locator(f"dl.summary dt:text-is('{term}') + dd").first.inner_text())


def walk(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    phone = f"+1 212 555 {secrets.randbelow(9000) + 1000}"
    reference = submit(base, phone)
    print(f"intake {reference} sent with phone {phone}")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        w = Walk(browser, base, out)

        # The coordinator finds the person by phone.
        staff = w.page()
        staff.goto(f"{base}/staff/intakes")
        w.sign_in(staff, COORDINATOR)
        w.shot(staff, "coordinator-worklist")
        staff.fill("#q", phone)
        staff.press("#q", "Enter")
        staff.wait_for_url(re.compile(r"[?&]q="))
        found = staff.locator(f"main a:text-is('{reference}')")
        if found.count() != 1:
            raise SystemExit(f"searching by phone did not find {reference}")
        w.shot(staff, "coordinator-found-by-phone")
        found.click()
        staff.wait_for_url(re.compile(r"/staff/intakes/\d+$"))
        intake_url = staff.url
        w.shot(staff, "coordinator-intake")

        # Override the urgency, with a reason.
        choices = [
            str(o.get_attribute("value"))
            for o in staff.locator("#o-urgency option").all()
            if o.get_attribute("value") not in ("", "crisis")
        ]
        staff.select_option("#o-urgency", choices[0])
        staff.fill("#o-reason", "Spoke with the referring doctor: sooner than the form suggests")
        staff.get_by_role("button", name="Override").click()
        staff.locator("section[aria-labelledby=h-overrides]").wait_for()
        w.shot(staff, "coordinator-override")

        # Offer it to another eligible clinician, with a reason.
        current = summary(staff, "Assigned to")
        eligible = [
            (str(o.get_attribute("value")), o.inner_text().strip())
            for o in staff.locator("#r-clinician option").all()
            if o.get_attribute("value")
            and "not eligible" not in o.inner_text()
            and o.inner_text().strip() not in current
        ]
        if not eligible:
            raise SystemExit("no other eligible clinician to offer it to")
        clinician_id, name = eligible[0]
        staff.select_option("#r-clinician", clinician_id)
        staff.fill("#r-reason", "Speaks Spanish, which the person asked for")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Offer to this clinician").click()
        if name not in summary(staff, "Assigned to"):
            raise SystemExit(f"the intake was not offered to {name}")
        w.shot(staff, "coordinator-reassigned")

        # Two outreach attempts.
        for channel, outcome, note in (
            ("call", "no_answer", "No answer on the mobile"),
            ("voicemail", "left_message", "Left a message with our number and hours"),
        ):
            staff.select_option("#x-channel", channel)
            staff.select_option("#x-outcome", outcome)
            staff.fill("#x-note", note)
            staff.locator("#x-note").press("Tab")
            with staff.expect_navigation():
                staff.keyboard.press("Enter")  # the form's button, by keyboard
        if staff.locator("section[aria-labelledby=h-outreach] tbody tr").count() < 2:
            raise SystemExit("the two outreach attempts are not listed")
        w.shot(staff, "coordinator-outreach")

        # The clinician: the email in the mailbox, its link, sign in, accept, first contact.
        clinician = w.page()
        clinician.goto(f"{base}/dev/mailbox")
        email_address = next(e for e, n, *_ in DEMO_CLINICIANS if n == name)
        row = clinician.locator("main tr", has_text=reference).filter(has_text=email_address)
        row.first.locator("a").click()
        body = clinician.inner_text("pre.email")
        link = re.search(r"https?://\S+/clinician/intakes/\d+\S*", body)
        if link is None:
            raise SystemExit("the assignment email carries no link")
        w.shot(clinician, "clinician-email")
        clinician.goto(link.group(0))
        clinician.wait_for_selector("#email")  # the link asks for a sign-in first
        w.sign_in(clinician, email_address)
        w.shot(clinician, "clinician-offer")
        clinician.get_by_role("button", name="Accept").click()
        clinician.wait_for_url(re.compile(r"/clinician/$"))
        w.shot(clinician, "clinician-assignments")
        clinician.locator("table.queue tr", has_text=reference).get_by_role(
            "link", name=reference
        ).click()
        clinician.wait_for_url(re.compile(r"/clinician/intakes/\d+$"))
        clinician.select_option("#x-channel", "call")
        clinician.select_option("#x-outcome", "reached")
        clinician.fill("#x-note", "Spoke with them; first visit booked for Thursday")
        clinician.locator("#x-note").press("Tab")
        with clinician.expect_navigation():
            clinician.keyboard.press("Enter")
        w.shot(clinician, "clinician-first-contact")

        # The coordinator closes it.
        staff.goto(intake_url)
        staff.select_option("#c-reason", "scheduled")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Close").click()
        if "Closed" not in staff.inner_text("dl.summary"):
            raise SystemExit("the intake did not close")
        w.shot(staff, "coordinator-closed")
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "walkthrough")
    args = parser.parse_args()
    walk(args.base_url.rstrip("/"), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
