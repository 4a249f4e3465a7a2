"""Connecting Jira Cloud over OAuth 2.0 (3LO): `ticketbridge config jira --oauth` starts, the
callback (`GET /v1/integrations/jira/oauth/callback`, served by `serve`) finishes.

`start` keeps the authorization in the database (`oauth_authorizations`): found by the SHA-256
of its state (the state itself is never stored), the PKCE verifier and client secret encrypted,
usable once and for `PENDING_FOR` only. `complete` marks it used before anything else (a
replayed callback is refused), exchanges the code, asks which site the grant reaches, and then,
in one transaction, stores the tokens (encrypted) and the authorization's outcome; the
connection (site, cloud id, client) is saved as `ticketbridge config jira` saves any other.
`outcome` lets the command that started it wait for the browser's round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network

import httpx
from cryptography.fernet import Fernet, InvalidToken

from ticketbridge.api.jira_connection import ConnectionStore, StoredConnection
from ticketbridge.bootstrap.jira_oauth import credentials_row
from ticketbridge.config.integrations import OAUTH_SCOPES, JiraConfig
from ticketbridge.errors import ConfigError, InputError, Problem, TicketBridgeError, validated
from ticketbridge.providers.jira.oauth2 import (
    AtlassianEndpoints,
    OAuthClient,
    Site,
    accessible_sites,
    exchange_code,
    start_authorization,
)
from ticketbridge.providers.outbound import GuardedTransport, OutboundPolicy
from ticketbridge.storage.database import Database

PENDING_FOR = timedelta(minutes=10)
CALLBACK_PATH = "/v1/integrations/jira/oauth/callback"
CONNECTED = "connected "  # outcome prefix; anything else is why it failed


@dataclass(frozen=True)
class PendingConnection:
    """What the callback needs to finish what the command started (stored encrypted)."""

    client_id: str
    client_secret: str
    verifier: str
    redirect_uri: str
    auth_url: str
    api_url: str
    site_url: str | None  # the site to pick when the grant reaches several
    allow_private: bool = False
    allow_plain_http: bool = False
    project_key: str | None = None


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "replace")).hexdigest()


class OAuthConnector:
    def __init__(
        self,
        database: Database,
        store: ConnectionStore,
        *,
        allowed: Sequence[IPv4Network | IPv6Network] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self._store = store
        self._allowed = tuple(allowed)
        self._transport = transport  # tests: the emulator in process
        self._clock = clock

    def _fernet(self) -> Fernet:
        return self._store.cipher()

    async def start(self, pending: PendingConnection, scopes: Sequence[str] = OAUTH_SCOPES) -> str:
        """The URL to open; the authorization waits in the database for its callback."""
        endpoints = AtlassianEndpoints(pending.auth_url, pending.api_url)
        started = start_authorization(pending.client_id, endpoints, pending.redirect_uri, scopes)
        kept = PendingConnection(**(asdict(pending) | {"verifier": started.verifier}))
        sealed = self._fernet().encrypt(json.dumps(asdict(kept)).encode()).decode()
        now = _utc(self._clock())
        async with self._db.unit_of_work() as uow:
            await uow.authorizations.forget_expired(now)
            await uow.authorizations.add(state_hash(started.state), sealed, now + PENDING_FOR)
            await uow.commit()
        return started.url

    async def complete(self, state: str, code: str | None, error: str | None) -> str:
        """The site now connected; InputError naming the parameter when the callback is
        refused (unknown, used or expired state; the user declined)."""
        key = state_hash(state)
        pending = await self._take(key)
        if error or not code:
            why = f"Atlassian answered {error[:60]}" if error else "the callback has no code"
            await self._finish(key, why)
            raise InputError("the authorization did not complete", [Problem("error", why)])
        try:
            site_url = await self._connect(pending, code)
        except (TicketBridgeError, httpx.HTTPError) as failure:  # told to the waiting command
            await self._finish(key, f"{type(failure).__name__}: {str(failure)[:400]}")
            raise
        await self._finish(key, CONNECTED + site_url)
        return site_url

    async def _take(self, key: str) -> PendingConnection:
        now = _utc(self._clock())
        async with self._db.unit_of_work() as uow:
            found = await uow.authorizations.get(key)
            used = found is not None and await uow.authorizations.use(key, now)
            await uow.commit()
        if found is None:
            raise InputError("unknown authorization", [Problem("state", "not one we started")])
        if not used:
            problem = Problem("state", "already used or expired; run the command again")
            raise InputError("the authorization cannot be used", [problem])
        try:
            data = json.loads(self._fernet().decrypt(found.request.encode()))
        except InvalidToken:
            problem = Problem("TICKETBRIDGE_SECRET_KEY", "not the key the command started with")
            raise ConfigError("cannot read the started authorization", [problem]) from None
        return PendingConnection(**data)

    async def _connect(self, pending: PendingConnection, code: str) -> str:
        endpoints = AtlassianEndpoints(pending.auth_url, pending.api_url)
        client = OAuthClient(pending.client_id, pending.client_secret, endpoints)
        now = self._clock()
        async with httpx.AsyncClient(transport=self._wire(pending)) as http:
            tokens = await exchange_code(
                http,
                client,
                code=code,
                redirect_uri=pending.redirect_uri,
                verifier=pending.verifier,
                now=now,
            )
            site = _choose(await accessible_sites(http, endpoints, tokens.access_token), pending)
        jira = _connection(pending, site)
        row = credentials_row(
            self._fernet(), pending.client_id, tokens, cloud_id=site.cloud_id, site_url=site.url
        )
        async with self._db.unit_of_work() as uow:  # the tokens as soon as they are received
            await uow.credentials.put(row, _utc(now))
            await uow.commit()
        self._store.save(StoredConnection(jira, pending.project_key))
        return site.url

    def _wire(self, pending: PendingConnection) -> httpx.AsyncBaseTransport:
        if self._transport is not None:
            return self._transport
        policy = OutboundPolicy(
            label="jira.auth",
            allow_private=pending.allow_private,
            allow_plain_http=pending.allow_plain_http,
            allowed_networks=self._allowed,
            switches="--allow-private",
        )
        return GuardedTransport(httpx.AsyncHTTPTransport(), policy)

    async def _finish(self, key: str, outcome: str) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.authorizations.finish(key, outcome)
            await uow.commit()

    async def wait(
        self,
        authorization_url: str,
        *,
        every: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> str:
        """The outcome of the authorization `start` returned the URL of (its callback came)."""
        state = httpx.URL(authorization_url).params.get("state", "")
        key = state_hash(state)
        while True:
            async with self._db.unit_of_work() as uow:
                found = await uow.authorizations.get(key)
            if found is None or (found.expires_at <= _utc(self._clock()) and not found.outcome):
                raise InputError(
                    "the authorization expired", [Problem("state", "no callback came in time")]
                )
            if found.outcome:
                return found.outcome
            await sleep(every)


def _choose(sites: list[Site], pending: PendingConnection) -> Site:
    wanted = (pending.site_url or "").rstrip("/")
    matches = [s for s in sites if not wanted or s.url == wanted]
    if len(matches) == 1:
        return matches[0]
    reached = ", ".join(s.url for s in sites) or "none"
    raise InputError(
        "cannot choose the Jira site",
        [Problem("cloud_url", f"the grant reaches: {reached}; name one with --cloud-url")],
    )


def _connection(pending: PendingConnection, site: Site) -> JiraConfig:
    auth = {
        "type": "oauth2",
        "client_id": pending.client_id,
        "client_secret": pending.client_secret,
        "cloud_id": site.cloud_id,
        "auth_url": pending.auth_url,
        "api_url": pending.api_url,
    }
    data = {
        "flavor": "cloud",
        "url": site.url,
        "auth": auth,
        "allow_private": pending.allow_private,
        "allow_plain_http": pending.allow_plain_http,
    }
    return validated(JiraConfig, data, "the connection the grant gives is not valid", InputError)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
