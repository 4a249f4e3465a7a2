"""Scenario tables of two-way sync, on SQLite and a real PostgreSQL: Jira's state and the
alert's state before, the deliveries that come in (signed, through POST /v1/jira/webhook, then
applied), the alert's state and the ticket after — for every mapping, outcome, the echo case
(DefectDojo's ricochet, in every order), stale deliveries and deletion."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api
from sync_harness import (
    SECRET,
    alert_state,
    deliveries,
    issue_event,
    later,
    linked_ticket,
    post_delivery,
    tickets,
)

from support.postgres import database_url, postgres_server
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.errors import ConfigError
from ticketbridge.providers.jira.observations import observation_from_delivery
from ticketbridge.services.jira_deliveries import DeliveryApplier
from ticketbridge.services.observing import ObservationApplier

__all__ = ["database_url", "postgres_server"]

OURS = "tb-bot"  # our own account on Jira: what it causes is an echo
JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
    "webhook": {"secret": SECRET},
}


@dataclass(frozen=True)
class Row:
    """Jira's state before (deliveries already applied), the deliveries that come in, the
    alert's state and the ticket's status/resolution after, and the last delivery's outcome."""

    before: list[dict[str, Any]]
    incoming: list[dict[str, Any]]
    state: str
    status: str | None
    resolution: str | None
    outcome: str
    sync: dict[str, Any] = field(default_factory=dict)


def ev(seconds: float, **values: Any) -> dict[str, Any]:
    return issue_event("OPS-1", at=later(seconds), **values)


SCENARIOS: dict[str, Row] = {
    # mappings: by statusCategory.key (sync.status), never by the status name
    "to do stays ticketed": Row([], [ev(1)], "ticketed", "To Do", None, "applied"),
    "in progress": Row(
        [], [ev(1, category="indeterminate")], "in_progress", "In Progress", None, "applied"
    ),
    "done without resolution": Row(
        [], [ev(1, category="done")], "resolved", "Done", None, "applied"
    ),
    "localized done (Fertig)": Row(
        [], [ev(1, category="done", status_name="Fertig")], "resolved", "Fertig", None, "applied"
    ),
    "an 'In Progress' named status in the new category": Row(
        [], [ev(1, status_name="In Progress")], "ticketed", "In Progress", None, "applied"
    ),
    # resolutions only when done (sync.resolutions)
    "false positive": Row(
        [],
        [ev(1, category="done", resolution="False Positive")],
        "false_positive",
        "Done",
        "False Positive",
        "applied",
    ),
    "won't fix is accepted": Row(
        [],
        [ev(1, category="done", resolution="Won't Fix")],
        "accepted",
        "Done",
        "Won't Fix",
        "applied",
    ),
    "an unmapped resolution (Duplicate) is resolved": Row(
        [],
        [ev(1, category="done", resolution="Duplicate")],
        "resolved",
        "Done",
        "Duplicate",
        "applied",
    ),
    "a resolution outside done is no outcome": Row(
        [], [ev(1, resolution="False Positive")], "ticketed", "To Do", None, "applied"
    ),
    "a mapped resolution in config": Row(
        [],
        [ev(1, category="done", resolution="Cancelled")],
        "false_positive",
        "Done",
        "Cancelled",
        "applied",
        sync={"resolutions": {"Cancelled": "false_positive"}},
    ),
    # overrides by status id (sync.status_ids)
    "a status id override": Row(
        [],
        [ev(1, status_id="10100", status_name="Triage")],
        "in_progress",
        "Triage",
        None,
        "applied",
        sync={"status_ids": {"10100": "in_progress"}},
    ),
    "sync.status remaps a category": Row(
        [],
        [ev(1, category="indeterminate")],
        "resolved",
        "In Progress",
        None,
        "applied",
        sync={"status": {"indeterminate": "resolved"}},
    ),
    # reopened in Jira
    "done then reopened": Row(
        [ev(1, category="done", resolution="False Positive")],
        [ev(2)],
        "ticketed",
        "To Do",
        None,
        "applied",
    ),
    # the watermark: fields.updated to the millisecond, then the changelog id
    "an older delivery is stale": Row(
        [ev(2, category="done")],
        [ev(1, category="indeterminate")],
        "resolved",
        "Done",
        None,
        "stale",
    ),
    "one millisecond older is stale": Row(
        [ev(1.001, category="done")],
        [ev(1, category="indeterminate")],
        "resolved",
        "Done",
        None,
        "stale",
    ),
    "same time, lower changelog id is stale": Row(
        [ev(1, category="done", changelog_id=11)],
        [ev(1, category="indeterminate", changelog_id=10)],
        "resolved",
        "Done",
        None,
        "stale",
    ),
    "same time, higher changelog id wins": Row(
        [ev(1, category="done", changelog_id=10)],
        [ev(1, category="indeterminate", changelog_id=11)],
        "in_progress",
        "In Progress",
        None,
        "applied",
    ),
    "a newer delivery that changes nothing still moves the watermark": Row(
        [ev(1, category="indeterminate"), ev(3, category="indeterminate")],
        [ev(2, category="done")],
        "in_progress",
        "In Progress",
        None,
        "stale",
    ),
    # the echo guard: what our own account caused moves no alert state
    "our own transition is an echo": Row(
        [], [ev(1, category="done", user=OURS)], "ticketed", "Done", None, "echo"
    ),
    "our own field edit keeps a human's state": Row(
        [ev(1, category="indeterminate")],
        [ev(2, category="indeterminate", user=OURS, priority="High")],
        "in_progress",
        "In Progress",
        None,
        "echo",
    ),
    # deletion
    "deleted": Row(
        [], [ev(1, event="jira:issue_deleted")], "ticket_deleted", None, None, "applied"
    ),
    "a deletion delivered late still deletes (it is final)": Row(
        [ev(3, category="indeterminate")],
        [ev(2, event="jira:issue_deleted")],
        "ticket_deleted",
        "In Progress",
        None,
        "applied",
    ),
    "an update older than the deletion is stale": Row(
        [ev(2, event="jira:issue_deleted")],
        [ev(1, category="indeterminate")],
        "ticket_deleted",
        None,
        None,
        "stale",
    ),
}


def applier(api: Api) -> DeliveryApplier:
    """The container's delivery applier, except that our own account is known (`OURS`)."""
    uow = bootstrap.uow_factory(api.container.database)
    policy = bootstrap.pipeline_settings(api.container.config).policy

    async def ours() -> str | None:
        return OURS

    async def no_fetch(thin: IssueObservation) -> IssueObservation:
        raise ConfigError("no thin delivery in these scenarios")

    observations = ObservationApplier(uow, policy, ours)
    return DeliveryApplier(
        uow, observations, observation_from_delivery, no_fetch, api.container.clock
    )


@pytest.fixture
def opened(tmp_path: Path, database_url: str) -> tuple[Path, str]:
    return tmp_path, database_url


async def run_row(tmp_path: Path, url: str, row: Row) -> tuple[str, dict[str, Any], str]:
    config = Config.model_validate({"jira": JIRA, "sync": row.sync})
    async with open_api(tmp_path, config, database_url=url) as api:
        alert_id = await linked_ticket(api, 1, "OPS-1")
        assert await alert_state(api, alert_id) == "ticketed"
        apply = applier(api)
        for n, body in enumerate(row.before):
            await post_delivery(api, body, f"before-{n}")
            await apply.apply_all()
        for n, body in enumerate(row.incoming):
            await post_delivery(api, body, f"in-{n}")
        await apply.apply_all()
        log = await deliveries(api)
        return await alert_state(api, alert_id), (await tickets(api))["OPS-1"], log[-1]["outcome"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario(opened: tuple[Path, str], name: str) -> None:
    row = SCENARIOS[name]
    state, ticket, outcome = await run_row(*opened, row)
    assert (state, ticket["status"], ticket["resolution"], outcome) == (
        row.state,
        row.status,
        row.resolution,
        row.outcome,
    )


RICOCHET = [
    ev(1, user=OURS, changelog_id=101),  # we reopen the done issue
    ev(2, user=OURS, changelog_id=102, priority="High"),  # we edit a field
    ev(3, category="indeterminate", changelog_id=103, priority="High"),  # a person starts work
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_the_ricochet_leaves_jiras_final_state_in_any_order(
    opened: tuple[Path, str], order: tuple[int, ...]
) -> None:
    """DefectDojo's ricochet (PR #14716): reopen → field edit → transition, each firing a
    webhook, delivered in any order: the alert ends as Jira's final state says."""
    row = Row(
        [ev(0, category="done", changelog_id=100)],
        [RICOCHET[i] for i in order],
        "in_progress",
        "In Progress",
        None,
        "",
    )
    state, ticket, _ = await run_row(*opened, row)
    assert (state, ticket["status"], ticket["priority"]) == ("in_progress", "In Progress", "High")


async def test_an_unknown_issue_is_ignored_and_counted(tmp_path: Path) -> None:
    config = Config.model_validate({"jira": JIRA})
    async with open_api(tmp_path, config) as api:
        await post_delivery(api, issue_event("ELSE-7", at=later(1)), "d-1")
        await api.container.sync.applier.apply_all()
        [logged] = await deliveries(api)
        assert (logged["outcome"], logged["ticket_id"]) == ("unknown_issue", None)
        counted = api.container.metrics.registry.get_sample_value(
            "ticketbridge_jira_deliveries_total", {"outcome": "unknown_issue"}
        )
        assert counted == 1
