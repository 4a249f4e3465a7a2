"""The Jira watch (workers.jira_watch) through the outbox, on the pipeline's virtual clock: what
counts as Jira not answering, one warning per outage however many jobs and rounds fail, and one
line when any answer comes back (an error answer included)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pipeline_harness import Pipeline, alert

from jira_emulator import Emulator
from support.logs import CapturedLogs, captured_logs
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher, JiraWatch


class Jira(httpx.AsyncBaseTransport):
    """The emulator, or a Jira that refuses connections, or one that answers 429."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.inner = emulator.transport()
        self.mode = "up"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "rate_limited":
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"message": "slow"})
        return await self.inner.handle_async_request(request)

    def down(self, how: str) -> None:
        if how == "gateway_504":  # the proxy in front of Jira answers for it, on every route
            self.emulator.faults.add(method=None, path="/rest/", kind="status", status=504)
        else:
            self.mode = how

    def up(self) -> None:
        self.emulator.faults.clear()
        self.mode = "up"


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def jira() -> Jira:
    return Jira(Emulator(flavor="cloud"))


def watched(
    database: Database, jira: Jira, site: str = ""
) -> tuple[Pipeline, Dispatcher, JiraProvider]:
    provider = JiraProvider(
        flavor="cloud",
        base_url=jira.emulator.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=jira,
        sleep=_no_wait,  # the provider's own retries: no real waiting
    )
    pipe = Pipeline(database, provider)
    return (
        pipe,
        pipe.dispatcher("watched", watch=JiraWatch(database.unit_of_work, pipe.clock, site)),
        provider,
    )


async def rounds(pipe: Pipeline, dispatcher: Dispatcher, count: int = 5) -> None:
    for _ in range(count):
        await dispatcher.run_until_idle()
        pipe.clock.advance(seconds=10)  # past the backoff: every job runs again


def lines(logs: CapturedLogs, event: str) -> list[dict[str, Any]]:
    return [e for e in logs.events() if e["event"] == event]


@pytest.mark.parametrize("how", ["refused", "gateway_504"])
async def test_one_warning_per_outage_and_one_line_when_jira_answers_again(
    database: Database, jira: Jira, how: str
) -> None:
    pipe, dispatcher, provider = watched(database, jira)
    with captured_logs("json") as logs:
        await pipe.send(alert(id="a0", fingerprint="fp-0"))
        await rounds(pipe, dispatcher, 1)

        jira.down(how)
        await pipe.send(*(alert(id=f"a{i}", fingerprint=f"fp-{i}") for i in range(1, 4)))
        await rounds(pipe, dispatcher)  # five rounds of retries, all unanswered
        [warning] = lines(logs, "jira_not_answering")
        assert warning["backlog"] == 3

        pipe.clock.advance(seconds=60)
        jira.up()
        await rounds(pipe, dispatcher)
        [back] = lines(logs, "jira_answering_again")
        assert back["down_for_seconds"] == 110.0  # on the pipeline's clock: 5 rounds and 60 s
        assert len(lines(logs, "jira_not_answering")) == 1
    assert len(jira.emulator.state.issues) == 4  # every alert ticketed once Jira was back
    await provider.aclose()


async def test_a_refusal_is_an_answer_so_it_neither_starts_nor_prolongs_an_outage(
    database: Database, jira: Jira
) -> None:
    pipe, dispatcher, provider = watched(database, jira)
    with captured_logs("json") as logs:
        jira.down("rate_limited")  # Jira answers, only slowly: not an outage
        await pipe.send(alert(id="a1", fingerprint="fp-1"))
        await rounds(pipe, dispatcher, 2)
        assert lines(logs, "jira_not_answering") == []

        jira.down("refused")
        await rounds(pipe, dispatcher, 2)
        assert len(lines(logs, "jira_not_answering")) == 1
        jira.down("rate_limited")  # answered again, even if with a 429
        await rounds(pipe, dispatcher, 2)
        assert len(lines(logs, "jira_answering_again")) == 1
    await provider.aclose()


async def test_another_sites_watch_names_its_site(database: Database, jira: Jira) -> None:
    pipe, dispatcher, provider = watched(database, jira, site="dc")
    with captured_logs("json") as logs:
        jira.down("refused")
        await pipe.send(alert(id="a1", fingerprint="fp-1"))
        await rounds(pipe, dispatcher, 1)
        jira.up()
        await rounds(pipe, dispatcher, 1)
    [warning] = lines(logs, "jira_not_answering")
    [back] = lines(logs, "jira_answering_again")
    assert (warning["site"], back["site"]) == ("dc", "dc")
    await provider.aclose()
