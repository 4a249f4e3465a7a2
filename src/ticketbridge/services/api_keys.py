"""API keys: issue, authenticate, list, revoke (`Authorization: Bearer tb_…` on the API).

A key holds scopes (what it may do: `ingest`, `read`, `admin`) and the sources it may speak
for: an alert posted with a key must name one of them as its `source` (SPEC §2: no key writes
into the name of a source it was not granted). A key is granted `generic` unless told otherwise.

Only the SHA-256 of a token is stored. Why a fast hash and not bcrypt/argon2: a token is 32
random bytes (256 bits of entropy) from `secrets`, not a human password. Slow hashes exist to
make guessing low-entropy passwords expensive; against 2^256 possibilities guessing is hopeless
at any speed, so SHA-256 loses nothing, and every request is checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ticketbridge.clock import Clock
from ticketbridge.domain.records import ApiKey
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import UnitOfWorkFactory

TOKEN_PREFIX = "tb_"  # noqa: S105 - a public prefix, not a secret
DEFAULT_SOURCES = ("generic",)
# An epic's ticket is keyed `epic:<project>:<group>` (domain.grouping), and an alert's key is
# `<source>:<key>`: a source named `epic` could write into an epic's key.
_RESERVED_SOURCES = frozenset({"epic"})
_MAX_NAME = 255  # the column's width
_MAX_SOURCE = 64  # an alert's `source` is at most this long (sources._parsing.MAX_LENGTHS)
_CACHE_LIMIT = 10_000


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


def new_token() -> str:
    """A fresh API key; shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _names(values: Iterable[str]) -> list[str]:
    """Names from "a,b" and repeated values alike, stripped, blanks dropped."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_scopes(values: Iterable[str]) -> frozenset[str]:
    """Scopes from user input ("ingest,read" or repeated options); InputError names a bad one."""
    scopes = {name.lower() for name in _names(values)}
    allowed = {s.value for s in Scope}
    unknown = sorted(scopes - allowed)
    if unknown or not scopes:
        message = (
            f"unknown scope {unknown[0]!r} (allowed: {', '.join(s.value for s in Scope)})"
            if unknown
            else "at least one scope is required"
        )
        raise InputError("invalid scopes", [Problem("scope", message)])
    return frozenset(scopes)


def parse_sources(values: Iterable[str]) -> frozenset[str]:
    """The sources a key may speak for ("generic,falco" or repeated options); none given:
    `generic`. Names are an alert's `source` exactly as it will be sent (case kept)."""
    names = _names(values) or list(DEFAULT_SOURCES)
    for name in names:
        if len(name) > _MAX_SOURCE or not name.isprintable():
            problem = f"{name[:40]!r} is not a source name (printable, at most {_MAX_SOURCE})"
            raise InputError("invalid sources", [Problem("source", problem)])
        if name.lower() in _RESERVED_SOURCES:
            problem = f"{name!r} is reserved (epic tickets are keyed 'epic:…')"
            raise InputError("invalid sources", [Problem("source", problem)])
    return frozenset(names)


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > _MAX_NAME or not cleaned.isprintable():
        problem = f"1 to {_MAX_NAME} printable characters"
        raise InputError("invalid key name", [Problem("name", problem)])
    return cleaned


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its token: the only time the token exists outside the caller's hands."""

    key: ApiKey
    token: str


class ApiKeys:
    """The API keys over the unit of work, with a short cache for authentication.

    The cache keeps each lookup for `ttl` (default 5 s), so a busy sender costs one indexed
    read per key per `ttl`, not one per request. That is also how long a key revoked elsewhere
    (`ticketbridge apikey revoke` is another process) may still be accepted by a server that
    used it just before. A clock that steps back expires the cache instead of extending it.
    A key's use is recorded at most once per `touch_every` per key and process.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        ttl: timedelta = timedelta(seconds=5),
        touch_every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._ttl = ttl
        self._touch_every = touch_every
        self._cache: dict[str, tuple[datetime, ApiKey | None]] = {}
        self._touched: dict[int, datetime] = {}  # key id → when this process last recorded a use

    async def issue(
        self, name: str, scopes: Iterable[str], sources: Iterable[str] = ()
    ) -> IssuedKey:
        """A new key with `scopes` for `sources` (none: `generic`); InputError names a bad
        name, scope or source."""
        cleaned = _check_name(name)
        granted_scopes, granted_sources = parse_scopes(scopes), parse_sources(sources)
        token = new_token()
        async with self._uow_factory() as uow:
            key = await uow.api_keys.add(
                cleaned,
                hash_token(token),
                sorted(granted_scopes),
                self._clock(),
                sources=sorted(granted_sources),
            )
            await uow.commit()
        return IssuedKey(key, token)

    async def list(self) -> list[ApiKey]:
        async with self._uow_factory() as uow:
            return await uow.api_keys.list()

    async def revoke(self, key_id: int) -> ApiKey | None:
        """The key as revoked; None when no key has that id. Revoking twice is not an error."""
        async with self._uow_factory() as uow:
            key = next((k for k in await uow.api_keys.list() if k.id == key_id), None)
            if key is None:
                return None
            await uow.api_keys.revoke(key_id)
            await uow.commit()
        return replace(key, revoked=True)

    async def authenticate(self, token: str) -> ApiKey | None:
        """The live key whose token this is; None for an unknown or revoked one."""
        digest = hash_token(token)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and timedelta(0) <= now - cached[0] < self._ttl:
            key = cached[1]
        else:
            async with self._uow_factory() as uow:
                key = await uow.api_keys.by_hash(digest)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[digest] = (now, key)
        if key is None or key.revoked:
            return None
        await self._record_use(key.id, now)
        return key

    async def _record_use(self, key_id: int, now: datetime) -> None:
        last = self._touched.get(key_id)
        if last is not None and timedelta(0) <= now - last < self._touch_every:
            return
        if len(self._touched) >= _CACHE_LIMIT:
            self._touched.clear()
        self._touched[key_id] = now  # before the write: concurrent requests do not all write
        async with self._uow_factory() as uow:
            await uow.api_keys.touch(key_id, now)
            await uow.commit()
