"""Callbacks (`callbacks:`): a transition that changes the state of the ticket's alerts asks for
a `callback` job per rule that names the new state (state before → state after)."""

from __future__ import annotations

from dataclasses import replace

from ticketbridge.domain.decision import CallbackRule, TicketPolicy
from ticketbridge.domain.life.step import PlannedJob, Step
from ticketbridge.domain.states import AlertState, JobKind
from ticketbridge.domain.ticket import Ticket


def callbacks_for(
    before: Ticket | None, after: Ticket | None, policy: TicketPolicy
) -> tuple[PlannedJob, ...]:
    """The callback jobs a ticket's change from `before` (None: a new ticket) to `after` asks
    for: one per rule whose `on` names the state its alerts are in now, when that state is new.
    An epic's ticket stands for no alert of its own: it calls no source back."""
    if after is None or after.is_epic or not policy.callbacks:
        return ()
    state = after.alert_state()
    if before is not None and before.alert_state() is state:
        return ()
    return tuple(_callback(rule, state) for rule in policy.callbacks if state in rule.on)


def with_callbacks(before: Ticket | None, step: Step, policy: TicketPolicy) -> Step:
    """`step` with the callback jobs of its ticket's change from `before`."""
    extra = callbacks_for(before, step.ticket, policy)
    return replace(step, jobs=(*step.jobs, *extra)) if extra else step


def _callback(rule: CallbackRule, state: AlertState) -> PlannedJob:
    detail = (("callback", rule.name), ("state", state.value))
    return PlannedJob(JobKind.CALLBACK, detail=detail, only_source=rule.source)
