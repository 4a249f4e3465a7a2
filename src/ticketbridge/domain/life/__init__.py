"""The ticket's life: every change of a ticket's fields, in one place.

Two transitions, both pure:

- `advance(current, decision, alert, now, policy, opening)`: what a decision does to the
  fingerprint's ticket, and the Jira writes (outbox jobs) it asks for. The decider, `plan` and
  `replay` all call it, so what they predict is what the pipeline does.
- `after_write(ticket, result, policy)`: what a job's outcome (or what Jira says about the
  issue) does to the ticket as it is now: the issue created, a job dead, the digest written,
  the issue moved in Jira. The outbox calls it; two-way sync will call it with `IssueMoved`.

What Jira tells about the issue (two-way sync) is `observed(ticket, observation, policy, ours)`.
An operator's retry of a dead job is `revive`. Nothing outside `domain` assigns a ticket's
fields: it reads them and asks these functions for the next ticket.

Callbacks (`callbacks:`): a transition that changes the state of the ticket's alerts asks for a
`callback` job per rule that names the new state (`callbacks_for`, state before → state
after). `advance` and `after_write` include them; a transition added elsewhere (two-way sync's)
calls `callbacks_for` with the ticket before and after.

The package is the one home of these transitions, one module per concern; every name is
re-exported here, so `from ticketbridge.domain.life import X` names them all:
- `step`: what a transition answers (`Step`, `PlannedJob`) and a new ticket's `Opening`;
- `arriving`: alerts arriving (`advance`, `epic_for`, `attached`);
- `written`: what a Jira write did (`after_write` and its results);
- `observations`: what Jira tells (`observed`, `observed_step`);
- `callbacks`: the callback jobs of a change of the alerts' state;
- `escalation`: stale escalation and the SLA's marks and breaches;
- `operator`: an operator's commands (`revive`, `refingerprinted`);
- `parts`: what several transitions share (the issue moved, the digest's rate rule).
"""

from ticketbridge.domain.life.arriving import advance, attached, epic_for
from ticketbridge.domain.life.callbacks import callbacks_for, with_callbacks
from ticketbridge.domain.life.escalation import (
    Escalation,
    escalate,
    sla_breached,
    sla_marked,
    stale_since,
)
from ticketbridge.domain.life.observations import Observed, observed, observed_step
from ticketbridge.domain.life.operator import refingerprinted, revive
from ticketbridge.domain.life.step import Opening, PlannedJob, Step
from ticketbridge.domain.life.written import (
    DigestWritten,
    IssueCreated,
    IssueMoved,
    JobDied,
    Written,
    after_write,
)

__all__ = [
    "DigestWritten",
    "Escalation",
    "IssueCreated",
    "IssueMoved",
    "JobDied",
    "Observed",
    "Opening",
    "PlannedJob",
    "Step",
    "Written",
    "advance",
    "after_write",
    "attached",
    "callbacks_for",
    "epic_for",
    "escalate",
    "observed",
    "observed_step",
    "refingerprinted",
    "revive",
    "sla_breached",
    "sla_marked",
    "stale_since",
    "with_callbacks",
]
