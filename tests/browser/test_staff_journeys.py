"""Staff journeys in a real browser (Chromium) at 1280 px, checked by axe-core.

(e) A coordinator finds a submitted intake by its reference, overrides its urgency with a
reason and offers it to another eligible clinician with a reason; (f) that clinician opens
the link in the assignment email from the mailbox, signs in and accepts. Every staff page
passed is checked with axe-core (no violation of any impact) and photographed into
SCREENSHOT_DIR next to the patients' journeys.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, SHOTS, LiveServer, check_page
from tests.support import DEMO_PASSWORD

pytestmark = pytest.mark.commits


def submitted_intake(live: LiveServer) -> tuple[int, str, str]:
    """A routine intake sent as the API would: its id, reference and first assignee's email."""
    from intake import services
    from intake.extensions import db
    from intake.models import Intake
    from tests import factories

    with live.app.app_context():
        result = services.submit_intake(factories.CONTACT, factories.answers())
        intake = db.session.get(Intake, result.intake.id)
        assert intake is not None and intake.current_assignment is not None
        found = (intake.id, intake.reference, intake.current_assignment.clinician.user.email)
        db.session.remove()
    return found


def sign_in(page: Any, email: str) -> None:
    """Fill the sign-in form on the page and send it with the keyboard (Enter)."""
    page.wait_for_selector("#email")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    url = page.url
    page.press("#password", "Enter")
    page.wait_for_function("u => location.href !== u", arg=url)
    page.wait_for_load_state()


def dd(page: Any, term: str) -> str:
    """The text shown beside a term of the page's first summary list."""
    return str(page.locator(f"dl.summary dt:text-is('{term}') + dd").first.inner_text())


def test_e_f_coordinator_overrides_and_reassigns_then_the_clinician_accepts(
    live: LiveServer, browser: Any
) -> None:
    intake_id, reference, first = submitted_intake(live)
    assert live.deliver_mail() >= 1  # the first offer, to the rules' choice

    # (e) The coordinator, on a desktop.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live.url + "/staff/intakes")
    assert "/login" in page.url
    check_page(page, "staff-login")
    sign_in(page, "coordinator@demo.wayfinder")
    assert "/staff/intakes" in page.url, page.url
    check_page(page, "staff-intakes")
    page.fill("#q", reference)
    page.press("#q", "Enter")  # the search is sent with the keyboard
    page.wait_for_url(re.compile(r"[?&]q="))
    found = page.locator(f"main a:text-is('{reference}')")
    assert found.count() == 1, page.inner_text("main")
    check_page(page, "staff-intakes-search")
    found.click()
    page.wait_for_url(re.compile(rf"/staff/intakes/{intake_id}$"))
    assert reference in page.locator("h1").inner_text()
    check_page(page, "staff-intake")

    before = page.locator("#o-urgency").input_value()
    assert before == ""  # "keep" is the default
    # Raised, short of crisis (which would open a crisis alert of its own).
    choices = [
        str(o.get_attribute("value"))
        for o in page.locator("#o-urgency option").all()
        if o.get_attribute("value") not in ("", "crisis")
    ]
    new_urgency = choices[0]
    page.select_option("#o-urgency", new_urgency)
    page.fill("#o-reason", "canary-override: spoke with the referrer")
    page.focus("#o-reason")
    # Keyboard only: Tab from the reason reaches the form's button, Enter sends it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Override"
    page.keyboard.press("Enter")
    overrides = page.locator("section[aria-labelledby=h-overrides]")
    overrides.wait_for()
    shown = overrides.inner_text()
    assert f"→ {new_urgency}" in shown and "canary-override: spoke with the referrer" in shown
    assert "The rules decided" in page.inner_text("dl.summary")

    # Offer it to another clinician the page does not mark as ineligible.
    current = dd(page, "Assigned to")
    options = page.locator("#r-clinician option").all()
    eligible = [
        (str(o.get_attribute("value")), o.inner_text().strip())
        for o in options
        if "not eligible" not in o.inner_text() and o.inner_text().strip() not in current
    ]
    assert eligible, [o.inner_text() for o in options]
    clinician_id, name = eligible[0]
    page.select_option("#r-clinician", clinician_id)
    page.fill("#r-reason", "canary-reassign: speaks the person's language")
    page.get_by_role("button", name="Offer to this clinician").click()
    page.wait_for_load_state()
    assigned = dd(page, "Assigned to")
    assert name in assigned and "(offered)" in assigned, assigned
    check_page(page, "staff-intake-reassigned")
    page.screenshot(path=str(SHOTS / "e-coordinator-1280.png"), full_page=False)
    context.close()

    with live.app.app_context():
        from intake.extensions import db
        from intake.models import ClinicianProfile

        profile = db.session.get(ClinicianProfile, int(clinician_id))
        assert profile is not None
        email = profile.user.email
        db.session.remove()
    assert email != first
    assert live.deliver_mail() >= 1  # the new offer (and the withdrawal to the first)

    # (f) The new clinician, from the email in the mailbox, in a browser with no cookies.
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(live.url + "/dev/mailbox")
    row = tab.locator("main tr", has_text=email).filter(has_text=reference)
    assert row.count() >= 1, tab.inner_text("main")
    row.first.locator("a").click()
    body = tab.inner_text("pre.email")
    assert "assigned to you" in body and reference in body, body
    for phi in ("Canary", "Zebrafinch", "555 0142", "depression", new_urgency, "canary-"):
        assert phi not in body, phi  # a staff email names the reference only
    link = re.search(rf"http://127\.0\.0\.1:\d+/clinician/intakes/{intake_id}\b\S*", body)
    assert link, body
    tab.goto(link.group(0))
    assert "/login" in tab.url, tab.url
    sign_in(tab, email)
    assert f"/clinician/intakes/{intake_id}" in tab.url, tab.url
    assert "(offered)" in dd(tab, "Assigned to")
    check_page(tab, "clinician-intake-offered")
    tab.get_by_role("button", name="Accept").click()
    tab.wait_for_url(re.compile(r"/clinician/$"))  # back to their list, where it shows accepted
    listed = tab.locator("table.queue tr", has_text=reference)
    assert "accepted" in listed.inner_text(), tab.inner_text("main")
    check_page(tab, "clinician-assignments")
    listed.get_by_role("link", name=reference).click()
    tab.wait_for_url(re.compile(rf"/clinician/intakes/{intake_id}$"))
    assert "(accepted)" in dd(tab, "Assigned to"), tab.inner_text("main")
    assert tab.locator("#h-reach").is_visible()  # the outreach form is open to them now
    check_page(tab, "clinician-intake-accepted")
    tab.screenshot(path=str(SHOTS / "f-clinician-1280.png"), full_page=False)
    context.close()


def test_g_the_intake_page_with_notes_and_timeline_and_the_reports_pass_axe(
    live: LiveServer, browser: Any
) -> None:
    """(g) On the demo practice: a coordinator opens an intake with its notes, messages and
    timeline, adds a note with the keyboard, then reads the reports; htmx loads under the CSP
    (no violation reported) and the banner polls its fragment."""
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Intake, Note
    from intake.services.demo import seed_demo_practice

    with live.app.app_context():
        seed_demo_practice(count=60)
        noted = db.session.scalars(select(Note.intake_id).order_by(Note.id)).first()
        assert noted is not None
        intake = db.session.get(Intake, noted)
        assert intake is not None
        reference = intake.reference
        db.session.remove()

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(live.url + "/staff/")
    sign_in(page, "coordinator@demo.wayfinder")
    page.goto(live.url + f"/staff/intakes/{noted}")
    assert reference in page.locator("h1").inner_text()
    assert page.locator("ol.timeline li").count() >= 2
    assert page.locator("ol.notes li").count() >= 1
    page.fill("#n-body", "canary-browser-note: prefers mornings")
    page.focus("#n-body")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save note"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "canary-browser-note" in page.locator("ol.notes").inner_text()
    assert page.evaluate("typeof window.htmx") == "object"  # served from the app, no CDN
    with page.expect_response(lambda r: "/staff/banner" in r.url, timeout=40_000) as polled:
        pass
    assert polled.value.status == 200
    check_page(page, "staff-intake-history")
    page.set_viewport_size(PHONE)
    page.locator("section[aria-labelledby=h-timeline]").screenshot(
        path=str(SHOTS / "staff-intake-timeline-360.png")
    )
    page.set_viewport_size(DESKTOP)

    # The list's filters through htmx: the results change, the form (and focus) stay.
    page.goto(live.url + "/staff/intakes")
    page.evaluate("document.querySelector('form.filters').dataset.kept = 'yes'")
    page.select_option("#f-status", "closed")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"[?&]status=closed"))
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length > 0")
    assert page.evaluate("document.querySelector('form.filters').dataset.kept") == "yes"
    statuses = page.locator("#results tbody tr td:nth-child(7)").all_inner_texts()
    assert statuses and set(statuses) == {"closed"}, statuses

    page.goto(live.url + "/staff/reports")
    assert page.locator("figure.chart svg[role=img]").count() >= 1
    assert page.locator("table.figures").count() >= 3
    check_page(page, "staff-reports")
    page.set_viewport_size(PHONE)  # a closer look at a chart and the tables on a phone
    page.locator("#h-contact").locator("xpath=..").screenshot(
        path=str(SHOTS / "staff-reports-contact-360.png")
    )
    page.set_viewport_size(DESKTOP)
    assert not refused, refused
    context.close()
