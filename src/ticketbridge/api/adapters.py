"""Small adapters from the services to the API's ports (API keys, native sources, waking
the in-process workers after an ingest). Built by `ticketbridge.bootstrap`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ticketbridge.api.ports import ApiKeyRecord, NativeRequest
from ticketbridge.config.schema import Config
from ticketbridge.domain import Alert
from ticketbridge.services import IngestResult, IngestService, UnitOfWorkFactory
from ticketbridge.sources import SOURCES, SourceAuthConfig, verify
from ticketbridge.workers import Dispatcher

__all__ = ["ApiKeyService", "NativeSources", "WakingIngest"]


class ApiKeyService:
    """`api.ports.ApiKeyStore` over the unit of work's API-key repository."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def find_by_hash(self, token_hash: str) -> ApiKeyRecord | None:
        async with self._uow_factory() as uow:
            key = await uow.api_keys.by_hash(token_hash)
        if key is None:
            return None
        return ApiKeyRecord(str(key.id), key.name, frozenset(key.scopes), key.revoked)

    async def create(self, *, name: str, scopes: frozenset[str], token_hash: str) -> ApiKeyRecord:
        async with self._uow_factory() as uow:
            key = await uow.api_keys.add(name, token_hash, sorted(scopes), datetime.now(UTC))
            await uow.commit()
        return ApiKeyRecord(str(key.id), key.name, frozenset(key.scopes), key.revoked)


class NativeSources:
    """`api.ports.SourceIngest`: verify, parse with the source's adapter, ingest."""

    def __init__(self, ingest: WakingIngest, config: Config) -> None:
        self._ingest = ingest
        self._config = config

    async def ingest_native(self, request: NativeRequest) -> Sequence[IngestResult]:
        adapter = SOURCES.get(request.source)
        if adapter is None or adapter.parse_alerts is None:
            known = ", ".join(sorted(n for n, a in SOURCES.items() if a.parse_alerts))
            raise LookupError(f"alert sources are: {known}")
        configured = self._config.sources.get(request.source)
        now = datetime.now(UTC)
        auth = SourceAuthConfig.from_config(request.source, configured)
        verify(auth, request.headers, request.query, request.body, now)  # before any parsing
        fields = configured.fingerprint if configured else None
        alerts = adapter.parse_alerts(request.body, received_at=now, fingerprint_fields=fields)
        return await self._ingest.ingest(alerts) if alerts else []


class WakingIngest:
    """Ingest, then wake the in-process dispatchers so new jobs run at once (low latency)."""

    def __init__(self, ingest: IngestService, dispatchers: Sequence[Dispatcher]) -> None:
        self._ingest = ingest
        self._dispatchers = dispatchers

    async def ingest(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        results = await self._ingest.ingest(alerts)
        for dispatcher in self._dispatchers:
            dispatcher.wake()
        return results
