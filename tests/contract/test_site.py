"""Which Jira site a provider talks to: tickets are bound to it (issue 11, item 10)."""

from __future__ import annotations

from contract_harness import Harness


async def test_site_id_names_the_flavour_and_is_stable(harness: Harness) -> None:
    first = await harness.provider.site_id()
    flavor = harness.provider.capabilities.flavor
    assert first.startswith(f"{flavor}:")
    assert len(first) > len(flavor) + 1
    assert await harness.provider.site_id() == first
