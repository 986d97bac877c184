"""Deadlines: crisis alerts not acknowledged in time, and offers not accepted in time.

`hours` is pure business-hours arithmetic; `deadlines` runs from beat (`check_deadlines(now)`)
and writes escalation outbox rows, deduplicated per level, with an audit event for each.
"""
