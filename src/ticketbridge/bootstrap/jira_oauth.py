"""OAuth 2.0 (3LO) tokens kept in the database, refreshed by one process at a time.

`StoredTokens` is the `TokenSource` of a provider over OAuth. The access token is cached in
memory (it is only a cache: the database has it too) and refreshed `EARLY` seconds before it
expires. Atlassian rotates refresh tokens, and a spent one sent again revokes the whole grant,
so a refresh goes:

1. read the row; a newer access token than the one in hand (another worker or process
   refreshed) is simply taken;
2. claim the refresh by compare-and-swap on the row's `version`, with a lease of `LEASE`
   seconds (commit) — the loser waits for the winner's tokens instead of spending the same
   refresh token;
3. exchange the refresh token (no database lock is held during the HTTP call);
4. store the new tokens, encrypted, and end the lease in one transaction, committed before
   the access token is used. A crash between 3 and 4 loses the answer; the lease then expires
   and the next refresher sends the old token again, which Atlassian accepts within its
   10-minute leeway.

`invalid_grant` marks the row revoked (`GrantRevoked`): every later call fails at once with the
"reconnect" hint, in every process, until `ticketbridge config jira --oauth` stores a new grant.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import structlog
from cryptography.fernet import Fernet, InvalidToken

from ticketbridge.bootstrap.jira_live import connection_store
from ticketbridge.config.integrations import OAuth2Auth
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, GrantRevoked, JiraError, Problem, Unavailable
from ticketbridge.providers.jira.oauth2 import (
    AtlassianEndpoints,
    OAuthClient,
    TokenSet,
    refresh_tokens,
)
from ticketbridge.storage.credentials import CredentialsRow, SqlCredentials
from ticketbridge.storage.database import Database

log = structlog.get_logger("ticketbridge.oauth")

CONNECTION = "jira"  # the row of the one Jira connection (several sites would name theirs)
EARLY = 300.0  # refresh this long before the access token expires
LEASE = 30.0
_POLL = 0.25
_MAX_POLLS = int((LEASE + 10) / _POLL)


@dataclass(frozen=True)
class Seed:
    """A refresh token from ticketbridge.yaml to start from when the database has none."""

    refresh_token: str
    cloud_id: str
    site_url: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.refresh_token.encode()).hexdigest()


def seal(fernet: Fernet, tokens: TokenSet) -> str:
    data = {"access": tokens.access_token, "refresh": tokens.refresh_token}
    return fernet.encrypt(json.dumps(data).encode()).decode()


def _open(fernet: Fernet, sealed: str) -> tuple[str, str]:
    try:
        data = json.loads(fernet.decrypt(sealed.encode()))
    except InvalidToken:
        raise ConfigError(
            "cannot decrypt the stored Jira OAuth tokens",
            [Problem("TICKETBRIDGE_SECRET_KEY", "not the key the tokens were stored with")],
        ) from None
    return str(data["access"]), str(data["refresh"])


def credentials_row(
    fernet: Fernet,
    client_id: str,
    tokens: TokenSet,
    *,
    cloud_id: str,
    site_url: str,
    seeded_from: str | None = None,
) -> CredentialsRow:
    return CredentialsRow(
        name=CONNECTION,
        kind="oauth2",
        client_id=client_id,
        cloud_id=cloud_id,
        site_url=site_url,
        tokens=seal(fernet, tokens),
        access_expires_at=tokens.expires_at,
        version=0,
        lease_owner=None,
        lease_until=None,
        revoked=None,
        seeded_from=seeded_from,
    )


class _Borrowed(httpx.AsyncBaseTransport):
    """The provider's transport, lent for a refresh: closing the refresh client keeps it open."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)


class StoredTokens:
    def __init__(
        self,
        database: Database,
        fernet: Fernet,
        client: OAuthClient,
        transport: httpx.AsyncBaseTransport,
        *,
        seed: Seed | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        owner: str | None = None,
    ) -> None:
        self._db = database
        self._fernet = fernet
        self._client = client
        self._transport = _Borrowed(transport)
        self._seed = seed
        self._clock = clock
        self._sleep = sleep
        self._owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._cached: tuple[str, float] | None = None
        self._lock = asyncio.Lock()  # one refresher per process; across processes, the lease

    async def access_token(self, *, refused: str | None = None) -> str:
        if self._usable(self._cached, refused):
            assert self._cached is not None
            return self._cached[0]
        async with self._lock:
            if self._usable(self._cached, refused):  # refreshed while we waited for the lock
                assert self._cached is not None
                return self._cached[0]
            return await self._fresh(refused)

    def _usable(self, cached: tuple[str, float] | None, refused: str | None) -> bool:
        return cached is not None and cached[0] != refused and cached[1] - EARLY > self._clock()

    async def _fresh(self, refused: str | None) -> str:
        for _ in range(_MAX_POLLS):
            claimed, refresh = await self._claim_or_take(refused)
            if not claimed:
                if refresh is not None:  # someone else's newer access token
                    return refresh
                await self._sleep(_POLL)
                continue
            assert refresh is not None
            return await self._refresh(refresh)
        raise Unavailable("another process has been refreshing the Jira OAuth token too long")

    async def _claim_or_take(self, refused: str | None) -> tuple[bool, str | None]:
        """(False, access token) when a valid one is stored; (True, refresh token) when this
        process claimed the refresh; (False, None) while another process holds the lease."""
        async with self._db.unit_of_work() as uow:
            row = await self._seeded(uow.credentials, await uow.credentials.get(CONNECTION))
            if row is None:
                raise GrantRevoked("Jira was never connected over OAuth")
            if row.revoked is not None:
                raise GrantRevoked(row.revoked)
            access, refresh = _open(self._fernet, row.tokens)
            now = self._clock()
            if access and access != refused and row.access_expires_at - EARLY > now:
                self._cached = (access, row.access_expires_at)
                await uow.commit()
                return False, access
            leased = row.lease_until is not None and row.lease_until > now
            if leased and row.lease_owner != self._owner:
                return False, None
            claimed = await uow.credentials.claim(
                CONNECTION, row.version, self._owner, now + LEASE, _utc(now)
            )
            await uow.commit()
            return claimed, refresh if claimed else None

    async def _seeded(
        self, rows: SqlCredentials, row: CredentialsRow | None
    ) -> CredentialsRow | None:
        """ticketbridge.yaml's refresh token, stored once (and again when the file's changes)."""
        seed = self._seed
        if seed is None:
            return row
        if row is not None and row.seeded_from == seed.digest:
            return row
        start = TokenSet("", seed.refresh_token, 0.0)
        fresh = credentials_row(
            self._fernet,
            self._client.client_id,
            start,
            cloud_id=seed.cloud_id,
            site_url=seed.site_url,
            seeded_from=seed.digest,
        )
        await rows.put(fresh, _utc(self._clock()))
        return await rows.get(CONNECTION)

    async def _refresh(self, refresh: str) -> str:
        now = self._clock()
        try:
            async with httpx.AsyncClient(transport=self._transport) as http:
                tokens = await refresh_tokens(http, self._client, refresh, now)
        except GrantRevoked as error:
            await self._release(revoked=str(error)[:255])
            log.error("jira_oauth_grant_revoked", detail=str(error))
            raise
        except JiraError:
            await self._release(revoked=None)
            raise
        async with self._db.unit_of_work() as uow:
            stored = await uow.credentials.store(
                CONNECTION, self._owner, seal(self._fernet, tokens), tokens.expires_at, _utc(now)
            )
            await uow.commit()
        if not stored:  # our lease ran out meanwhile; these tokens still work for us
            log.warning("jira_oauth_lease_lost")
        self._cached = (tokens.access_token, tokens.expires_at)
        log.info("jira_oauth_refreshed", expires_in=round(tokens.expires_at - now))
        return tokens.access_token

    async def _release(self, *, revoked: str | None) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.credentials.release(CONNECTION, self._owner, revoked, _utc(self._clock()))
            await uow.commit()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class OAuthTokens:
    """Token sources over one database and key: what `build_provider` takes for OAuth."""

    def __init__(
        self,
        database: Database,
        cipher: Callable[[], Fernet],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._database = database
        self._cipher = cipher  # asked when an OAuth connection is used, not before
        self._clock = clock

    async def granted(self) -> bool:
        """Whether the database holds a grant not revoked (`config jira --oauth` completed)."""
        async with self._database.unit_of_work() as uow:
            row = await uow.credentials.get(CONNECTION)
        return row is not None and row.revoked is None

    def source(
        self, auth: OAuth2Auth, site_url: str, transport: httpx.AsyncBaseTransport
    ) -> StoredTokens:
        endpoints = AtlassianEndpoints(str(auth.auth_url), str(auth.api_url))
        client = OAuthClient(auth.client_id, auth.client_secret.get_secret_value(), endpoints)
        seed = (
            Seed(auth.refresh_token.get_secret_value(), auth.cloud_id, site_url)
            if auth.refresh_token is not None
            else None
        )
        return StoredTokens(
            self._database, self._cipher(), client, transport, seed=seed, clock=self._clock
        )


@asynccontextmanager
async def stored_tokens(settings: Settings) -> AsyncIterator[OAuthTokens]:
    """The OAuth tokens of `settings`' database, for a one-shot command (`config jira --test`);
    the database is opened only if an OAuth connection asks for a token."""
    database = Database(settings.database_url)
    try:
        yield OAuthTokens(database, connection_store(settings).cipher)
    finally:
        await database.aclose()
