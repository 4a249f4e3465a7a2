"""API keys: `Authorization: Bearer tb_…`, stored only as a SHA-256 digest, with scopes.

Why a fast hash and not bcrypt/argon2: a token is 32 random bytes (256 bits of entropy) from
`secrets`, not a human password. Slow hashes exist to make guessing low-entropy passwords
expensive; against 2^256 possibilities guessing is hopeless at any speed, so SHA-256 loses
nothing, and it lets every request be checked with one indexed lookup (no per-request KDF that
would cost milliseconds at thousands of requests per second).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketbridge.api.ports import ApiKeyRecord, ApiKeyStore

__all__ = [
    "TOKEN_PREFIX",
    "AuthError",
    "Authenticator",
    "Scope",
    "hash_token",
    "new_token",
    "parse_scopes",
]

TOKEN_PREFIX = "tb_"  # noqa: S105 - a public prefix, not a secret
# Declares the scheme in the OpenAPI (`apiKey`, with each route's scope); checking stays ours.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: `Authorization: Bearer tb_…` (`ticketbridge apikey create`).",
)


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


def new_token() -> str:
    """A fresh API key; shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Scopes from user input ("ingest,read" or repeated options); ValueError names a bad one."""
    scopes: set[str] = set()
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in Scope.__members__.values():
                allowed = ", ".join(s.value for s in Scope)
                raise ValueError(f"unknown scope {name!r} (allowed: {allowed})")
            scopes.add(name)
    if not scopes:
        raise ValueError("at least one scope is required")
    return frozenset(scopes)


class AuthError(Exception):
    """Raised by the dependency; the app turns it into a 401 or 403 JSON body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


class Authenticator:
    """Checks bearer tokens against the key store, with a short cache.

    The cache keeps each lookup for `ttl` seconds (default 5), so a busy sender costs one
    indexed read per key per `ttl`, not one per request. That is also how long a key revoked
    elsewhere (`ticketbridge apikey revoke` is another process) may still be accepted by a
    server that used it just before: every server refuses it at most `ttl` seconds later.

    A key's use is recorded at most once per `touch_every` seconds per key and process (a write
    a minute, not a write per request).
    """

    def __init__(
        self,
        store: ApiKeyStore,
        *,
        now: Callable[[], datetime],
        ttl: float = 5.0,
        touch_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._now = now  # when a use is recorded
        self._ttl = ttl
        self._touch_every = touch_every
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._touched: dict[str, float] = {}  # key id → when this process last recorded a use

    async def authenticate(self, authorization: str | None) -> ApiKeyRecord:
        token = _bearer_token(authorization)
        digest = hash_token(token)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._ttl:
            record = cached[1]
        else:
            record = await self._store.find_by_hash(digest)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, record)
        if record is None or record.revoked:
            raise AuthError(401, "unauthorized", "unknown or revoked API key")
        await self._record_use(record.id, now)
        return record

    async def _record_use(self, key_id: str, now: float) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < self._touch_every:
            return
        if len(self._touched) > 10_000:
            self._touched.clear()
        self._touched[key_id] = now  # before the write: concurrent requests do not all write
        await self._store.touch(key_id, self._now())

    def require(self, scope: Scope) -> Callable[..., Awaitable[ApiKeyRecord]]:
        """A FastAPI dependency: the caller's key, which must hold `scope` (or admin)."""

        declared = Security(_BEARER, scopes=[scope.value])  # a default: annotations are text

        async def dependency(
            request: Request, _declared: HTTPAuthorizationCredentials | None = declared
        ) -> ApiKeyRecord:
            record = await self.authenticate(request.headers.get("authorization"))
            if scope.value not in record.scopes and Scope.ADMIN.value not in record.scopes:
                raise AuthError(403, "forbidden", f"this API key lacks the {scope.value!r} scope")
            return record

        return dependency


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError(401, "unauthorized", "missing 'Authorization: Bearer tb_…' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'")
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError(401, "unauthorized", "not a ticketbridge API key (they start with tb_)")
    return token
