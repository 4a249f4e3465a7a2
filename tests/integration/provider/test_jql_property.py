"""Any string given to the JQL builder reaches the emulator's JQL parser as exactly one literal,
and a search for it finds exactly the issue that holds it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jira_emulator import Emulator
from jira_emulator.jql import parse_jql
from ticketbridge.providers.base import IssueDraft
from ticketbridge.providers.jira import JiraProvider, api_token, jql


@given(st.text(max_size=80))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_value_is_one_literal_to_jiras_parser(value: str) -> None:
    query = parse_jql(jql.and_(jql.eq("project", "OPS"), jql.eq("labels", value)))
    second = query.where.clauses[1]
    assert second.field.canonical == "labels"
    assert second.operator == "="
    assert second.operand.text == value


# Jira labels: no whitespace, 1..255 characters.
labels = st.text(
    alphabet=st.characters(
        blacklist_categories=("Z", "Cs"), blacklist_characters="\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"
    ),
    min_size=1,
    max_size=40,
)


async def _search_finds_exactly(value: str) -> None:
    emu = Emulator(flavor="cloud", strict=True)
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=emu.transport(),
    )
    try:
        wanted = await provider.create_issue(IssueDraft("OPS", "Task", "holds it", labels=(value,)))
        await provider.create_issue(IssueDraft("OPS", "Task", "decoy", labels=(value + "x",)))
        page = await provider.search(jql.eq("labels", value))
        assert [i.key for i in page.issues] == [wanted.key]
    finally:
        await provider.aclose()


@given(labels)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
async def test_search_by_any_label_finds_exactly_its_issue(value: str) -> None:
    # On pytest-asyncio's loop, not a fresh `asyncio.run` loop per example: those left the
    # process's loop state changed for the tests after (uvicorn in tests/security logged one
    # traceback fewer).
    await _search_finds_exactly(value)
