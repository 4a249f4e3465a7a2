"""A seed's journey: its example configuration (examples/*.yaml) and its native payloads sent
one step at a time, as a new user would, through the real pipeline (source parser → ingest →
routing → outbox → templates → JiraProvider) into the Jira emulator in process, on the
database of the `database` fixture (SQLite and PostgreSQL). Between steps the test moves the
clock and reads the emulator's issues, their comments and the alerts' reasons (`explain`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from integration.pipeline.pipeline_harness import Pipeline
from scenarios.seed_scenario import ADMIN, Scenario, emulator, example, without_callbacks
from ticketbridge.domain.states import Flavor
from ticketbridge.providers.jira import JiraProvider, api_token, personal_access_token
from ticketbridge.render import adf_to_text
from ticketbridge.services import AlertView, IngestResult
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database

__all__ = [
    "ADMIN",
    "FIXTURES",
    "Journey",
    "example",
    "jira_seed",
    "journey",
    "person",
    "without_callbacks",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
JIRA_SEEDS = Path(__file__).resolve().parents[2] / "examples" / "jira-seeds"


def jira_seed(name: str) -> dict[str, Any]:
    """The emulator seed the README gives for an example (examples/jira-seeds/<name>.yaml)."""
    loaded: dict[str, Any] = yaml.safe_load((JIRA_SEEDS / f"{name}.yaml").read_text())
    return loaded


def person(name: str, email: str) -> dict[str, Any]:
    """An emulator user a configuration may assign to."""
    return {"name": name, "email": email, "displayName": name}


async def _no_wait(seconds: float) -> None:
    return None


@dataclass
class Journey:
    pipe: Pipeline
    emu: Any
    results: list[IngestResult] = field(default_factory=list)

    def at(self, moment: datetime) -> None:
        """The service's clock (alerts' received_at, due retries) reads `moment` from now on."""
        self.pipe.clock.now = moment

    async def send(self, source: str, *payloads: Any) -> list[IngestResult]:
        """Each payload through `source`'s parser and ingest; the outbox drained."""
        parse = SOURCES[source].parse_alerts
        assert parse is not None
        sent: list[IngestResult] = []
        for payload in payloads:
            alerts = parse(
                payload,
                received_at=self.pipe.clock(),
                fingerprint_fields=self.pipe.settings.fingerprint_fields.get(source),
            )
            sent.extend(await self.pipe.ingest_service.ingest(alerts))
        await self.pipe.drain()
        sent = [await self._refreshed(r) for r in sent]
        self.results.extend(sent)
        return sent

    async def _refreshed(self, result: IngestResult) -> IngestResult:
        view = await self.pipe.alert(result.alert_id)
        return replace(result, ticket_key=view.ticket_key, ticket_url=view.ticket_url)

    async def explain(self, alert_id: str) -> AlertView:
        return await self.pipe.alert(alert_id)

    @property
    def seen(self) -> Scenario:
        """The emulator's issues read as a person reads them (seed_scenario.Scenario)."""
        return Scenario(self.emu, self.pipe.config, self.results)

    def issue(self, key: str) -> Any:
        return next(i for i in self.emu.state.issues.values() if i.key == key)

    def status(self, key: str) -> tuple[str, str | None]:
        """The issue's status category and resolution name."""
        issue, state = self.issue(key), self.emu.state
        resolution = state.resolutions[issue.resolution].name if issue.resolution else None
        return state.statuses[issue.status].category, resolution

    def comments(self, key: str) -> list[str]:
        return [_text(c.body) for c in self.issue(key).comments]

    def description(self, key: str) -> str:
        return _text(self.issue(key).fields.get("description"))


def _text(body: Any) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else adf_to_text(body)


@asynccontextmanager
async def journey(
    db: Database,
    config_text: str,
    *,
    flavor: Flavor = "cloud",
    jira_seed: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Journey]:
    emu = emulator(flavor, jira_seed)
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
        yield Journey(Pipeline(db, provider, config_text, env=dict(env or {})), emu)
    finally:
        await provider.aclose()
