"""OAuth 2.0 (3LO) and scoped API tokens against the emulator's authorization server and gateway,
with the tokens in a real database (SQLite and PostgreSQL) and a virtual clock on both sides."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from jira_emulator import Emulator
from support.postgres import database_url, postgres_server
from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import build_provider
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_oauth_connect import OAuthConnector, PendingConnection
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.errors import AuthFailed, GrantRevoked, InputError
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.render.document import Document
from ticketbridge.storage import Database
from ticketbridge.storage.database import upgrade
from ticketbridge.storage.tables import jira_credentials

__all__ = ["database_url", "postgres_server"]

REDIRECT = "http://127.0.0.1:8080/v1/integrations/jira/oauth/callback"


class Clock:
    """One virtual wall clock for the emulator and ticketbridge (epoch seconds)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    emu: Emulator
    clock: Clock
    database: Database
    store: ConnectionStore
    transport: httpx.AsyncBaseTransport

    def oauth(self, database: Database | None = None) -> OAuthTokens:
        return OAuthTokens(database or self.database, self.store.cipher, self.clock)

    def provider(self, oauth: OAuthTokens | None = None) -> JiraProvider:
        stored = self.store.load()
        assert stored is not None
        return build_provider(stored.jira, Metrics(), self.transport, oauth=oauth or self.oauth())

    async def connect(self) -> tuple[str, dict[str, list[str]]]:
        connector = OAuthConnector(
            self.database, self.store, transport=self.transport, clock=self.clock
        )
        url = await connector.start(
            PendingConnection(
                client_id="app",
                client_secret="app-secret",
                verifier="",
                redirect_uri=REDIRECT,
                auth_url=self.emu.base_url,
                api_url=self.emu.base_url,
                site_url=None,
                allow_private=True,
            )
        )
        async with httpx.AsyncClient(transport=self.transport) as browser:
            consent = await browser.get(url)
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        return await connector.complete(back["state"][0], back["code"][0], None), back


@pytest.fixture
async def setup(database_url: str, tmp_path: Path) -> AsyncIterator[Setup]:
    await upgrade(database_url)
    clock = Clock()
    emu = Emulator(flavor="cloud", clock=clock, cloud_id="cloud-7")
    emu.oauth.register("app", "app-secret", [REDIRECT])
    emu.oauth.leeway = 0.0  # any reuse of a spent refresh token kills the grant
    database = Database(database_url)
    store = ConnectionStore(tmp_path / "var", "test-secret-key")
    try:
        yield Setup(emu, clock, database, store, emu.transport())
    finally:
        await database.aclose()


async def test_the_full_dance_connects_and_requests_go_through_the_gateway(
    setup: Setup,
) -> None:
    site, back = await setup.connect()

    assert site == setup.emu.base_url
    stored = setup.store.load()
    assert stored is not None
    assert stored.jira.auth.type == "oauth2"
    assert stored.jira.auth.cloud_id == "cloud-7"
    async with setup.database.engine.connect() as conn:
        row = (await conn.execute(select(jira_credentials))).mappings().one()
    assert row["cloud_id"] == "cloud-7"
    assert row["tokens"].startswith("gAAAA")  # Fernet: no token in the database in clear

    provider = setup.provider()
    try:
        me = await provider.myself()
    finally:
        await provider.aclose()
    assert me.email == "admin@example.com"
    assert setup.emu.requests[-1].headers["x-emulator-gateway"] == "cloud-7"
    assert setup.emu.requests[-1].headers["authorization"].startswith("Bearer ")
    assert provider.browse_url == setup.emu.base_url

    # The callback works once.
    connector = OAuthConnector(setup.database, setup.store, transport=setup.transport)
    with pytest.raises(InputError) as replayed:
        await connector.complete(back["state"][0], back["code"][0], None)
    assert replayed.value.problems[0].path == "state"


async def test_an_unknown_state_is_refused(setup: Setup) -> None:
    connector = OAuthConnector(setup.database, setup.store, transport=setup.transport)
    with pytest.raises(InputError) as refused:
        await connector.complete("forged", "code", None)
    assert refused.value.problems[0].path == "state"
    assert setup.store.load() is None


async def test_the_access_token_is_refreshed_before_it_expires(setup: Setup) -> None:
    await setup.connect()
    provider = setup.provider()
    try:
        await provider.myself()
        setup.clock.now += 3600 - 120  # two minutes before expiry
        await provider.myself()
    finally:
        await provider.aclose()
    assert setup.emu.oauth.stats["refreshes"] == 1
    assert [r.status for r in setup.emu.requests if r.path.endswith("/myself")] == [200, 200]


async def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(
    setup: Setup, database_url: str
) -> None:
    await setup.connect()
    setup.clock.now += 3600  # the access token has expired
    other = Database(database_url)  # another process: its own engine and pool
    providers = [setup.provider(setup.oauth()), setup.provider(setup.oauth(other))]
    try:
        seen = await asyncio.gather(*(p.myself() for p in providers for _ in range(3)))
    finally:
        for provider in providers:
            await provider.aclose()
        await other.aclose()
    assert {me.email for me in seen} == {"admin@example.com"}
    assert setup.emu.oauth.stats["refreshes"] == 1
    assert setup.emu.oauth.stats["spent_reuses"] == 0


async def test_a_revoked_grant_fails_at_once_with_the_reconnect_hint(setup: Setup) -> None:
    await setup.connect()
    setup.emu.oauth.revoke_client("app")  # the user removed the app from "Connected apps"
    setup.clock.now += 3600
    provider = setup.provider()
    try:
        with pytest.raises(GrantRevoked) as revoked:
            await provider.myself()
        refreshes = setup.emu.oauth.stats["refreshes"]
        with pytest.raises(GrantRevoked):  # remembered in the database: no second attempt
            await setup.provider().myself()
    finally:
        await provider.aclose()
    assert "reconnect: ticketbridge config jira --oauth" in str(revoked.value)
    assert not revoked.value.transient
    token_calls = [r for r in setup.emu.requests if r.path == "/oauth/token"]
    assert len(token_calls) == 2  # the code exchange and the one refused refresh
    assert setup.emu.oauth.stats["refreshes"] == refreshes


async def test_a_refresh_token_from_the_configuration_seeds_the_database_once(
    setup: Setup,
) -> None:
    grant_tokens = await _grant(setup)
    jira = JiraConfig.model_validate(
        {
            "url": setup.emu.base_url,
            "allow_private": True,
            "auth": {
                "type": "oauth2",
                "client_id": "app",
                "client_secret": "app-secret",
                "cloud_id": "cloud-7",
                "refresh_token": grant_tokens["refresh_token"],
                "auth_url": setup.emu.base_url,
                "api_url": setup.emu.base_url,
            },
        }
    )
    for _ in range(2):  # a restart: the configured (now spent) token is not used again
        provider = build_provider(jira, Metrics(), setup.transport, oauth=setup.oauth())
        try:
            await provider.myself()
        finally:
            await provider.aclose()
        setup.clock.now += 3600
    assert setup.emu.oauth.stats["refreshes"] == 2
    assert setup.emu.oauth.stats["spent_reuses"] == 0


async def _grant(setup: Setup) -> dict[str, str]:
    async with httpx.AsyncClient(transport=setup.transport, base_url=setup.emu.base_url) as http:
        consent = await http.get(
            "/authorize",
            params={
                "audience": "api.atlassian.com",
                "client_id": "app",
                "scope": "read:jira-work write:jira-work read:jira-user offline_access",
                "redirect_uri": REDIRECT,
                "state": "s",
                "response_type": "code",
            },
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        body = {
            "grant_type": "authorization_code",
            "client_id": "app",
            "client_secret": "app-secret",
            "code": code,
            "redirect_uri": REDIRECT,
        }
        answer: dict[str, str] = (await http.post("/oauth/token", json=body)).json()
    return answer


async def test_scoped_token_goes_through_the_gateway_of_the_sites_cloud_id() -> None:
    emu = Emulator(flavor="cloud", cloud_id="cloud-9")
    token = emu.oauth.scoped_token("admin@example.com", ["read:jira-work", "read:jira-user"])
    auth = {"type": "scoped_token", "email": "admin@example.com", "api_token": token}
    scoped = JiraConfig.model_validate(
        {"url": emu.base_url, "auth": auth | {"api_url": emu.base_url}}
    )
    provider = build_provider(scoped, Metrics(), emu.transport())
    try:
        me = await provider.myself()
        site = await provider.site_id()
    finally:
        await provider.aclose()
    assert me.email == "admin@example.com"
    assert site == "cloud:cloud-9"
    asked = [(r.path, r.headers.get("x-emulator-gateway")) for r in emu.requests]
    assert asked[:2] == [("/_edge/tenant_info", None), ("/rest/api/3/myself", "cloud-9")]

    # The same token straight to the site, as a classic API token, is refused.
    classic = JiraConfig.model_validate({"url": emu.base_url, "auth": auth | {"type": "token"}})
    direct = build_provider(classic, Metrics(), emu.transport())
    try:
        with pytest.raises(AuthFailed):
            await direct.myself()
    finally:
        await direct.aclose()


async def test_a_missing_scope_is_refused_without_spending_a_refresh(setup: Setup) -> None:
    await setup.connect()
    # The app was granted reading only (a narrower consent than the one given above).
    for grant in setup.emu.oauth.grants.values():
        grant.scopes = frozenset({"read:jira-work", "read:jira-user", "offline_access"})
    provider = setup.provider()
    try:
        with pytest.raises(AuthFailed):
            await provider.add_comment("OPS-1", Document.plain("hello"))
    finally:
        await provider.aclose()
    assert setup.emu.oauth.stats["refreshes"] == 0
