"""`life.observed_step`: a person's change in Jira calls the sources back with the callbacks of
the alerts' new state; an echo of our own write, a stale or unchanged observation calls none.
And what the stale clock learns from it: an update by another account restarts it, ours
never (`stale_since`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_decide import OPEN
from test_life_callbacks import POLICY, _told
from test_life_observed import seen

from ticketbridge.domain.life import Escalation, escalate, observed_step, stale_since


@pytest.mark.parametrize(
    ("change", "told"),
    [
        ({"status_category": "indeterminate"}, [("tv", "in_progress", "truthvouch")]),
        (
            {"status_category": "done", "resolution": "Done"},
            [("keeptrusts", "resolved", "keeptrusts"), ("tv", "resolved", "truthvouch")],
        ),
        (
            {"status_category": "done", "resolution": "False Positive"},
            [("keeptrusts", "false_positive", "keeptrusts")],
        ),
        ({"status_category": "new", "status_id": "1"}, []),  # still ticketed: nothing new
        ({"deleted": True, "status_id": None, "status_category": None}, []),  # no rule for it
    ],
)
def test_a_persons_change_calls_back(change: dict[str, object], told: list[object]) -> None:
    step, outcome = observed_step(OPEN, seen(1, **change), POLICY, ours=False)
    assert outcome in ("applied", "unchanged")
    assert _told(step.jobs) == told


def test_an_echo_of_our_write_calls_nobody_back() -> None:
    done = seen(1, status_category="done", resolution="Done")
    step, outcome = observed_step(OPEN, done, POLICY, ours=True, by_us=True)
    assert (outcome, step.jobs) == ("echo", ())


def test_a_stale_or_repeated_observation_calls_back_once() -> None:
    done = seen(2, status_category="done", resolution="Done")
    first, _ = observed_step(OPEN, done, POLICY, ours=False)
    assert first.ticket is not None
    again, outcome = observed_step(first.ticket, done, POLICY, ours=False)
    older, late = observed_step(first.ticket, seen(1), POLICY, ours=False)
    assert (outcome, again.jobs, late, older.jobs) == ("unchanged", (), "stale", ())


STALE = Escalation(stale_after=timedelta(hours=24))


def test_an_update_by_another_account_restarts_the_stale_clock() -> None:
    touched_at = OPEN.first_seen + timedelta(hours=20)
    step, _ = observed_step(OPEN, seen(0, updated=touched_at), POLICY, ours=False)
    assert step.ticket is not None
    assert stale_since(step.ticket) == touched_at
    day_after_alert = OPEN.first_seen + timedelta(hours=25)
    assert escalate(step.ticket, day_after_alert, STALE).jobs == ()
    assert escalate(step.ticket, touched_at + timedelta(hours=24), STALE).jobs != ()


@pytest.mark.parametrize("echo", [True, False])
def test_our_own_updates_never_restart_it(echo: bool) -> None:
    """An echo (a webhook our account caused), or a reconcile snapshot whose last change is
    ours (not an echo, but by us)."""
    later = OPEN.first_seen + timedelta(hours=20)
    step, _ = observed_step(OPEN, seen(0, updated=later), POLICY, ours=echo, by_us=True)
    assert step.ticket is not None
    assert stale_since(step.ticket) == OPEN.first_seen
