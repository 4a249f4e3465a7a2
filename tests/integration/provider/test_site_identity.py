"""JiraProvider.site_id: the identity of the site as Jira reports it, never a guess from our
own configuration (a test site and production may share a URL, keys and users)."""

from __future__ import annotations

import httpx

from jira_emulator import Emulator
from ticketbridge.providers.jira import JiraProvider, api_token, basic

CLOUD_AUTH = api_token("admin@example.com", "emulator-token")


def _cloud(emu: Emulator, base_url: str | None = None) -> JiraProvider:
    return JiraProvider(
        flavor="cloud",
        base_url=base_url or emu.base_url,
        auth=CLOUD_AUTH,
        transport=emu.transport(),
    )


async def test_two_cloud_sites_at_one_url_are_told_apart() -> None:
    test_site, production = Emulator(flavor="cloud"), Emulator(flavor="cloud")
    assert test_site.base_url == production.base_url
    ids = []
    for emu in (test_site, production):
        provider = _cloud(emu)
        ids.append(await provider.site_id())
        await provider.aclose()
    assert ids == [f"cloud:{test_site.cloud_id}", f"cloud:{production.cloud_id}"]
    assert ids[0] != ids[1]


async def test_site_id_is_asked_once_per_provider() -> None:
    emu = Emulator(flavor="cloud")
    provider = _cloud(emu)
    await provider.site_id()
    await provider.site_id()
    await provider.aclose()
    assert emu.counters["GET /_edge/tenant_info"] == 1


async def test_cloud_through_api_atlassian_com_reads_the_id_from_the_url() -> None:
    """OAuth 2.0 and scoped tokens go to api.atlassian.com/ex/jira/{cloudId}: no extra call."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.url}")

    provider = JiraProvider(
        flavor="cloud",
        base_url="https://api.atlassian.com/ex/jira/11223344-a1b2-3b33-c444-def123456789",
        auth=CLOUD_AUTH,
        transport=httpx.MockTransport(refuse),
    )
    assert await provider.site_id() == "cloud:11223344-a1b2-3b33-c444-def123456789"
    await provider.aclose()


async def test_data_center_is_known_by_its_base_url() -> None:
    emu = Emulator(flavor="datacenter", base_url="https://Jira.Acme.example/")
    provider = JiraProvider(
        flavor="datacenter",
        base_url=emu.base_url,
        auth=basic("admin", "admin"),
        transport=emu.transport(),
    )
    assert await provider.site_id() == "datacenter:https://jira.acme.example"
    await provider.aclose()
