"""A seed scenario end to end: a ticketbridge.yaml and a source's native payloads go through
the real pipeline (source parser → ingest → RulesRouter → outbox → TemplateComposer →
JiraProvider) into the Jira emulator in process; the test then reads the created issues from
the emulator's own state, field by field.

The settings, router and composer are the ones `bootstrap` builds for the configuration (see
the pipeline harness), so the scenarios test what `ticketbridge serve` runs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from integration.pipeline.pipeline_harness import Pipeline
from support.requirements import require
from ticketbridge.config import Config
from ticketbridge.domain.states import Flavor
from ticketbridge.providers.jira import JiraProvider, api_token, personal_access_token
from ticketbridge.services import IngestResult
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database

__all__ = ["ADMIN", "Scenario", "example", "run_scenario", "scenario_db"]


@pytest.fixture
async def scenario_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/tb.db")
    await db.upgrade()
    yield db
    await db.aclose()


@dataclass
class Scenario:
    emu: Any
    config: Config
    results: list[IngestResult]
    warnings: list[str] = field(default_factory=list)

    def issues(self) -> list[Any]:
        """The emulator's issues, in creation order."""
        return sorted(self.emu.state.issues.values(), key=lambda i: int(i.id))

    def issue_for(self, alert_id: str) -> Any:
        key = next(r.ticket_key for r in self.results if r.alert_id == alert_id)
        assert key is not None, f"alert {alert_id} has no ticket: {self.results}"
        return next(i for i in self.emu.state.issues.values() if i.key == key)

    def observed(self, issue: Any) -> dict[str, Any]:
        """The issue's system fields by name, as a person reads them in Jira: names rather
        than ids, the assignee's email, labels without the exactly-once marker."""
        state, fields = self.emu.state, issue.fields
        assignee = fields.get("assignee")
        user = state.users.get(assignee) if isinstance(assignee, str) else None
        return {
            "project": issue.project,
            "issuetype": state.issue_types[fields["issuetype"]].name,
            "priority": state.priorities[fields["priority"]].name
            if fields.get("priority")
            else None,
            "labels": sorted(x for x in fields.get("labels", []) if not x.startswith("tb-")),
            "components": _names(fields.get("components")),
            "assignee": user.email if user is not None else assignee,
            "duedate": fields.get("duedate"),
            "summary": fields["summary"],
        }

    def parent(self, issue: Any) -> str | None:
        """The key of the issue's epic: `parent` on Cloud, the Epic Link field on DC."""
        parent = issue.fields.get("parent")
        if parent is not None:
            return str(parent["key"]) if isinstance(parent, dict) else self._key(parent)
        link = self.field(issue, "Epic Link")
        return None if link is None else str(link)

    def _key(self, ref: Any) -> str:
        found = self.emu.state.issue_by_ref(str(ref))
        assert found is not None, ref
        return str(found.key)

    def field(self, issue: Any, name: str) -> Any:
        """A field's stored value, by id or display name."""
        if name in issue.fields:
            return issue.fields[name]
        found = self.emu.state.field_by_name(name)
        assert found is not None, f"no field {name!r} in the emulator"
        return issue.fields.get(found.id)


ADMIN: dict[str, Any] = {
    "name": "admin",
    "email": "admin@example.com",
    "displayName": "Emulator Admin",
    "apiToken": "emulator-token",
    "password": "admin",
    "pat": "emulator-pat",
    "admin": True,
}
"""The seed admin, for scenarios that replace the emulator's users."""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> str:
    """An example configuration's text (its `${…}` secrets come from `run_scenario`'s env)."""
    return (EXAMPLES / name).read_text(encoding="utf-8")


def without_callbacks(text: str) -> str:
    """An example's text without its `callbacks:` block. The seed harnesses drain the Jira
    jobs only (no callback sender, no source API to call); the callbacks themselves are tested
    against a real receiver (tests/integration/api/test_sync_callbacks.py)."""
    lines = text.splitlines(keepends=True)
    if "callbacks:\n" not in lines:
        return text
    start = lines.index("callbacks:\n")
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha()), len(lines))
    return "".join(lines[:start] + lines[end:])


def _names(values: Any) -> list[str]:
    items = values or []
    return sorted(v["name"] if isinstance(v, dict) else str(v) for v in items)


def emulator(flavor: Flavor, seed: Mapping[str, Any] | None) -> Any:
    try:
        from jira_emulator import Emulator
    except ImportError as exc:  # pragma: no cover - only while the emulator lands
        require(False, f"Jira emulator not importable: {exc}")
        raise
    return Emulator(flavor=flavor, seed=dict(seed) if seed else None, clock=time.time)


async def _no_wait(seconds: float) -> None:
    return None


async def run_scenario(
    db: Database,
    config_text: str,
    source: str,
    payloads: list[Any],
    *,
    flavor: Flavor = "cloud",
    jira_seed: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    faults: Callable[[Any], Awaitable[None] | None] | None = None,
) -> Scenario:
    """Load the configuration, send each payload through `source`'s parser and ingest, drain
    the outbox into the emulator."""
    emu = emulator(flavor, jira_seed)
    if faults is not None:  # faults to inject, or issues to create first (async)
        prepared = faults(emu)
        if prepared is not None:
            await prepared
    auth = (
        api_token("admin@example.com", "emulator-token")
        if flavor == "cloud"
        else personal_access_token("emulator-pat")
    )
    provider = JiraProvider(
        flavor=flavor,
        base_url=emu.base_url,
        auth=auth,
        transport=emu.transport(),
        sleep=_no_wait,
    )
    try:
        pipe = Pipeline(db, provider, config_text, env=dict(env or {}))
        parse = SOURCES[source].parse_alerts
        assert parse is not None
        results: list[IngestResult] = []
        for payload in payloads:
            alerts = parse(
                payload,
                received_at=pipe.clock(),
                fingerprint_fields=pipe.settings.fingerprint_fields.get(source),
            )
            results.extend(await pipe.ingest_service.ingest(alerts))
        await pipe.drain()
        results = [await _refreshed(pipe, r) for r in results]
    finally:
        await provider.aclose()
    return Scenario(emu, pipe.config, results)


async def _refreshed(pipe: Pipeline, result: IngestResult) -> IngestResult:
    """The result with the ticket key the outbox has linked since ingest answered."""
    view = await pipe.alert(result.alert_id)
    return replace(result, ticket_key=view.ticket_key, ticket_url=view.ticket_url)
