"""The admin pages in a real browser (Chromium), each checked by axe-core at 360 and 1280 px.

The demo admin signs in, opens every admin page, invites someone with the keyboard, and the
invited person sets their password from the link in the email (the set-password page too).
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, LiveServer, check_page
from tests.browser.test_staff_journeys import sign_in

pytestmark = pytest.mark.commits

ADMIN = "admin@demo.wayfinder"


def _ids(live: LiveServer) -> tuple[int, int, str]:
    """The demo admin's id, a clinician profile's id and a clinic's code."""
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import ClinicianProfile, Location, User

    with live.app.app_context():
        admin = db.session.scalar(select(User.id).where(User.email == ADMIN))
        profile = db.session.scalars(select(ClinicianProfile.id).order_by(ClinicianProfile.id))
        code = db.session.scalars(select(Location.code).order_by(Location.code)).first()
        found = (int(admin or 0), int(profile.first() or 0), str(code))
        db.session.remove()
    return found


def test_every_admin_page_passes_axe_and_an_invitation_works_by_keyboard(
    live: LiveServer, browser: Any
) -> None:
    admin_id, profile_id, code = _ids(live)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live.url + "/admin/")
    assert "/login" in page.url
    sign_in(page, ADMIN)
    assert page.url.endswith("/admin/"), page.url
    pages = {
        "admin-index": "/admin/",
        "admin-users": "/admin/users",
        "admin-user": f"/admin/users/{admin_id}",
        "admin-clinicians": "/admin/clinicians",
        "admin-profile": f"/admin/clinicians/{profile_id}",
        "admin-locations": "/admin/locations",
        "admin-location": f"/admin/locations/{code}",
        "admin-oncall": "/admin/oncall",
        "admin-api-clients": "/admin/api-clients",
        "admin-audit": "/admin/audit",
    }
    for name, path in pages.items():
        response = page.goto(live.url + path)
        assert response is not None and response.status == 200, (path, response)
        check_page(page, name)

    # Invite someone, with the keyboard only (no script is needed for any of it).
    page.goto(live.url + "/admin/users")
    page.fill("#i-name", "Robin Invitee")
    page.fill("#i-email", "robin.invitee@example.org")
    page.select_option("#i-role", "staff")
    page.press("#i-email", "Enter")
    page.wait_for_load_state()
    assert "Invited" in page.inner_text("main")
    check_page(page, "admin-users-invited")
    page.goto(live.url + "/admin/audit?action=user.")
    assert "user.invited" in page.inner_text("main")
    check_page(page, "admin-audit-filtered")
    context.close()

    # The invited person opens the link from the email and sets a password.
    assert live.deliver_mail() == 1
    mails = [p for p in Path(live.app.config["MAILBOX_DIR"]).rglob("*") if p.is_file()]
    bodies = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in mails]
    text = "\n".join(str(b.get_body(("plain",)).get_content()) for b in bodies)  # type: ignore[union-attr]
    found = re.search(r"(http://127\.0\.0\.1:\d+/account/set-password/[A-Za-z0-9_.\-]+)", text)
    assert found is not None, text[:2000]
    invitee = browser.new_context(viewport=DESKTOP)
    tab = invitee.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(found[1])
    assert tab.url.endswith("/account/set-password"), tab.url  # the token is gone
    check_page(tab, "account-set-password")
    tab.fill("#sp-password", "harbor lantern quietly orbit")
    tab.fill("#sp-confirm", "harbor lantern quietly orbit")
    tab.press("#sp-confirm", "Enter")
    tab.wait_for_url(re.compile(r"/auth/login"))
    assert "password is set" in tab.inner_text("main")
    invitee.close()
