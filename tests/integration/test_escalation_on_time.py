"""A crisis intake nobody acknowledges: the escalations go out on time (short deadlines here).

Real parts: PostgreSQL, our own redis-server, a worker with beat running the deadline check
every second, aiosmtpd. The steps are the rules file's (15 and 30 minutes): the ignored crisis
is moved back in time so that each step falls due 3 s after its move, at 3 s and at 6 s.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from intake.escalation.targets import crisis_escalation_seconds
from intake.extensions import db
from intake.models import AuditEvent, Intake
from tests import factories
from tests.integration.conftest import API, Rig, all_sent, assert_once_each, wait_until
from tests.support import api_client, sign_in

DIRECTOR = "director@demo.wayfinder"
COORDINATOR = "coordinator@demo.wayfinder"
SLACK = 3.0  # one deadline check period (1 s) plus dispatch and SMTP, with room
DUE_IN = 3  # seconds from a move back in time to the next escalation step


def _move_back(r: Rig, reference: str, by: int) -> None:
    """Make the crisis answer of `reference` `by` seconds older (as if waiting that long)."""
    with r.app.app_context():
        intake = db.session.query(Intake).filter_by(reference=reference).one()
        intake.crisis_at = intake.crisis_at - timedelta(seconds=by)
        db.session.commit()


def test_unacknowledged_crisis_escalates_on_time_and_acknowledged_does_not(rig: Any) -> None:
    r: Rig = rig()
    first, second = crisis_escalation_seconds()
    assert second - first == first  # 15 and 30 minutes: one move of (first - DUE_IN) per step
    r.start_worker()
    client = api_client(r.app)
    t0 = time.monotonic()
    ignored = client.post(API, json=factories.payload(safe_now="no"))
    handled = client.post(API, json=factories.payload(safe_now="no"))
    assert ignored.status_code == handled.status_code == 201
    ref_ignored, ref_handled = ignored.json["reference"], handled.json["reference"]
    _move_back(r, ref_ignored, first - DUE_IN)  # level 1 is due 3 s after the submit
    with r.app.app_context():
        handled_id = db.session.query(Intake).filter_by(reference=ref_handled).one().id

    staff = r.app.test_client()
    sign_in(staff, COORDINATOR)
    page = staff.get(f"/staff/intakes/{handled_id}/acknowledge")
    assert page.status_code == 200 and "Acknowledge" in page.text
    assert staff.post(f"/staff/intakes/{handled_id}/acknowledge").status_code == 302
    assert time.monotonic() - t0 < 3

    def escalations(reference: str) -> list[Any]:
        sent = r.sink.messages
        return [m for m in sent if "not acknowledged" in m.subject and reference in m.subject]

    assert wait_until(lambda: len(escalations(ref_ignored)) >= 2, timeout=3 + SLACK + 5)
    assert time.monotonic() - t0 < 6
    _move_back(r, ref_ignored, first - DUE_IN)  # level 2 is due 6 s after the submit
    assert wait_until(lambda: len(escalations(ref_ignored)) >= 6, timeout=6 + SLACK + 5)
    time.sleep(2)  # nothing more may come: two levels only
    sent = escalations(ref_ignored)
    level1 = [m for m in sent if "level 1" in m.message.get_body(("plain",)).get_content()]
    level2 = [m for m in sent if "level 2" in m.message.get_body(("plain",)).get_content()]
    assert sorted(a for m in level1 for a in m.rcpt_tos) == sorted(
        [DIRECTOR, "sam.okafor@demo.wayfinder"]
    )  # the backup and the clinical director
    assert sorted(a for m in level2 for a in m.rcpt_tos) == sorted(
        [DIRECTOR, "sam.okafor@demo.wayfinder", "ana.rivera@demo.wayfinder", COORDINATOR]
    )
    for m in level1:
        assert 3 <= m.at - t0 <= 3 + SLACK, m.at - t0
    for m in level2:
        assert 6 <= m.at - t0 <= 6 + SLACK, m.at - t0
    assert escalations(ref_handled) == []
    body = level1[0].message.get_body(("plain",)).get_content()
    assert "/acknowledge" in body and "Canary" not in body

    assert wait_until(lambda: all_sent(r), timeout=10)
    assert_once_each(r)
    with r.app.app_context():
        actions = [a for (a,) in db.session.query(AuditEvent.action)]
    assert actions.count("crisis.alerted") == 2
    assert actions.count("crisis.acknowledged") == 1
    assert actions.count("crisis.escalated") == 2
