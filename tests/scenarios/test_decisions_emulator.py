"""The decision table of test_decisions, against JiraProvider over the Jira emulator (Cloud):
the same rows, the same expected final Jira state, read from the emulator's own state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integration.pipeline.pipeline_harness import Pipeline
from scenarios.test_decisions import ROWS, Observed, Row, assert_row, run_row
from support.requirements import require
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow  # the emulator validates every ADF body against the schema


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/tb.db")
    await db.upgrade()
    yield db
    await db.aclose()


async def observe(emu: object, provider: JiraProvider) -> dict[str, Observed]:
    state = emu.state  # type: ignore[attr-defined]
    keys = {issue.id: issue.key for issue in state.issues.values()}
    links: dict[str, list[tuple[str, str, str]]] = {key: [] for key in keys.values()}
    for link in state.links.values():
        name = state.link_types[link.type_id].name
        links[keys[link.inward]].append((name, "outward", keys[link.outward]))
        links[keys[link.outward]].append((name, "inward", keys[link.inward]))
    observed = {}
    for issue in state.issues.values():
        seen = await provider.get_issue(issue.key)
        observed[issue.key] = Observed(
            seen.status.category,
            seen.resolution,
            tuple(adf_to_text(c.body) for c in issue.comments),
            tuple(links[issue.key]),
            seen.summary,
        )
    return observed


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_decision_on_the_emulator(row: Row, sqlite_db: Database) -> None:
    try:
        from jira_emulator import Emulator
    except ImportError as exc:  # pragma: no cover - only while the emulator lands
        require(False, f"Jira emulator not importable: {exc}")
        raise
    emu = Emulator(flavor="cloud", clock=time.time)
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=emu.transport(),
        sleep=_no_wait,
    )
    try:
        pipe = Pipeline(sqlite_db, provider, row.config)
        decisions = await run_row(row, pipe, provider)
        await assert_row(row, decisions, await observe(emu, provider), pipe)
    finally:
        await provider.aclose()
