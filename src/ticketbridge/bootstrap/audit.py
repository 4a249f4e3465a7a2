"""Wiring of the audit trail: the signing key's cipher (the Fernet key every stored secret uses),
the checkpoint sink `audit.checkpoint_sink` names, the checkpointer and the trail's services."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet, InvalidToken

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.clock import Clock
from ticketbridge.config import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.providers.audit_sink import HttpSink, SinkRefused
from ticketbridge.providers.base import Provider
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, CheckpointSink
from ticketbridge.services.audit_commits import CaptureSettings, CommitTrail
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.workers.audit_loop import AuditLoop


@dataclass(frozen=True)
class FernetCipher:
    """services.audit_checkpoints.SecretCipher over the secrets' Fernet key (read, or made,
    when the signing key is first needed: verifying needs only the public key)."""

    store: ConnectionStore

    def _fernet(self) -> Fernet:
        return self.store.cipher()

    def encrypt(self, data: bytes) -> str:
        return self._fernet().encrypt(data).decode()

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet().decrypt(token.encode())
        except InvalidToken as err:
            problem = Problem(
                "TICKETBRIDGE_SECRET_KEY", "not the key the audit key was stored with"
            )
            raise ConfigError("cannot decrypt the audit signing key", [problem]) from err


class FileSink:
    """A file each checkpoint is appended to (one note after another) and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def append(self, note: str) -> None:
        try:
            await asyncio.to_thread(self._append, note)
        except OSError as err:
            raise SinkRefused(f"{self.path}: {err.strerror or err}") from err

    def _append(self, note: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(note)
            sink.flush()
            os.fsync(sink.fileno())


def checkpoint_sink(
    config: Config, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> CheckpointSink | None:
    target = config.audit.checkpoint_sink
    if target is None:
        return None
    if target.startswith(("https://", "http://")):
        return HttpSink(target, settings.outbound_allow, transport)
    return FileSink(Path(target))


def audit_trail(
    uow: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    config: Config,
    sink_transport: httpx.AsyncBaseTransport | None = None,
) -> AuditTrail:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    store = ConnectionStore(settings.data_dir, secret)
    keys = AuditKeys(uow, clock, FernetCipher(store))
    checkpointer = Checkpointer(uow, keys, clock, checkpoint_sink(config, settings, sink_transport))
    return AuditTrail(uow, clock, keys, checkpointer)


def audit_loop(
    trail: AuditTrail,
    uow: UnitOfWorkFactory,
    provider: Provider | None,
    clock: Clock,
    config: Config,
) -> AuditLoop:
    """Checkpoints, and with a Jira the pushes turned into CONFIG_CHANGE events."""
    capture = CaptureSettings(tuple(config.audit.capture_fields), config.audit.change_risk_field)
    commits = CommitTrail(uow, provider, clock, capture) if provider is not None else None
    return AuditLoop(trail.checkpointer, commits.run_once if commits is not None else None)
