"""Business-hours arithmetic for deadlines (`hours`): pure functions of the clock and config.

The deadline check that uses it is a use case: `intake.services.deadlines` (crisis escalation,
unfinished safety drafts, overdue offers) and `intake.services.digest` (unassigned digests).
"""
