"""Signed checkpoints of the audit log (C2SP tlog-checkpoint, Ed25519): the signing key, and
the checkpointer that signs the log's size and root every `every` or `events` events, at
export and at shutdown, keeps each in the database and appends it to an external sink, so
that rewriting the database cannot also rewrite what was signed.

The key is made at first start (one per database; a second process racing to make it reads
the winner's), its private half stored encrypted with the secret key the Jira connection's
secrets use; the origin is `ticketbridge/<install id>`, the install id random with the key.
A checkpoint is stored before it is sent; one the sink refused is sent again on the next round
(in order), its error kept on it meanwhile.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ticketbridge.clock import Clock
from ticketbridge.domain.audit import StoredCheckpoint
from ticketbridge.domain.audit_notes import checkpoint_text, public_bytes, sign, verifier_key
from ticketbridge.errors import TicketBridgeError
from ticketbridge.services.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)
ORIGIN_PREFIX = "ticketbridge/"


class SecretCipher(Protocol):
    """How secrets are kept at rest (bootstrap: the Fernet key of TICKETBRIDGE_SECRET_KEY)."""

    def encrypt(self, data: bytes) -> str: ...

    def decrypt(self, token: str) -> bytes: ...


class CheckpointSink(Protocol):
    """Somewhere outside the database each checkpoint is appended to (a file, an HTTP URL)."""

    async def append(self, note: str) -> None:
        """Raises a TicketBridgeError when it could not be appended (sent again later)."""
        ...


@dataclass(frozen=True)
class PublicKey:
    origin: str
    public: bytes

    @property
    def vkey(self) -> str:
        return verifier_key(self.origin, self.public)


@dataclass(frozen=True)
class SigningKey:
    public: PublicKey
    private: Ed25519PrivateKey

    def sign(self, size: int, root: bytes) -> str:
        return sign(
            checkpoint_text(self.public.origin, size, root), self.public.origin, self.private
        )


class AuditKeys:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, cipher: SecretCipher) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._cipher = cipher

    async def public(self) -> PublicKey | None:
        """The log's public key; None before the first start made one."""
        async with self._uow() as uow:
            stored = await uow.audit.signing_key()
        if stored is None:
            return None
        return PublicKey(ORIGIN_PREFIX + stored[0], base64.b64decode(stored[1]))

    async def signing(self) -> SigningKey:
        """The signing key, made (and stored encrypted) the first time."""
        async with self._uow() as uow:
            stored = await uow.audit.signing_key()
            if stored is None:
                install_id, public, raw = _new_key()
                encrypted = self._cipher.encrypt(raw)
                # Another process may have made one meanwhile: the stored one is the key.
                stored = await uow.audit.add_signing_key(
                    install_id, public, encrypted, self._clock()
                )
                await uow.commit()
                log.info("audit signing key made", origin=ORIGIN_PREFIX + stored[0])
        install_id, public, encrypted = stored
        private = Ed25519PrivateKey.from_private_bytes(self._cipher.decrypt(encrypted))
        key = PublicKey(ORIGIN_PREFIX + install_id, base64.b64decode(public))
        if public_bytes(private.public_key()) != key.public:
            raise TicketBridgeError("the stored audit signing key does not match its public key")
        return SigningKey(key, private)


def _new_key() -> tuple[str, str, bytes]:
    private = Ed25519PrivateKey.generate()
    public = base64.b64encode(public_bytes(private.public_key())).decode()
    return secrets.token_hex(8), public, private.private_bytes_raw()


async def seal_pending(uow_factory: UnitOfWorkFactory) -> None:
    """Seal the events recorded `later` (the decider's), in order, now: the audit loop does it
    each tick and every reader of the trail first, so what committed is what it reads."""
    async with uow_factory() as uow:
        uow.audit.seal_on_commit()
        await uow.commit()


class Checkpointer:
    """Signs the log's head when due and sends what is signed to the sink."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        keys: AuditKeys,
        clock: Clock,
        sink: CheckpointSink | None = None,
        *,
        every: timedelta = timedelta(seconds=60),
        events: int = 1000,
    ) -> None:
        self._uow = uow_factory
        self._keys = keys
        self._clock = clock
        self._sink = sink
        self._every = every
        self._events = events
        self._key: SigningKey | None = None

    async def checkpoint(self, *, force: bool = False) -> StoredCheckpoint | None:
        """Sign the head when due (`force`: whenever it grew since the last checkpoint); the
        new checkpoint, or None. Then the unsent checkpoints go to the sink."""
        if self._key is None:
            self._key = await self._keys.signing()
        await seal_pending(self._uow)
        made = await self._sign_if_due(self._key, force=force)
        await self.send_pending()
        return made

    async def _sign_if_due(self, key: SigningKey, *, force: bool) -> StoredCheckpoint | None:
        now = self._clock()
        async with self._uow() as uow:
            head = await uow.audit.head()
            last = await uow.audit.latest_checkpoint()
            if head.size == 0 or (last is not None and last.size >= head.size):
                return None
            grown = head.size - (last.size if last is not None else 0)
            aged = last is None or now - last.created_at >= self._every
            if not (force or aged or grown >= self._events):
                return None
            note = key.sign(head.size, head.frontier.root())
            checkpoint_id = await uow.audit.add_checkpoint(head.size, note, now)
            await uow.commit()
        log.info("audit checkpoint signed", size=head.size, id=checkpoint_id)
        return StoredCheckpoint(checkpoint_id, head.size, note, now, None)

    async def send_pending(self) -> int:
        """Append the checkpoints not yet in the sink, oldest first; how many went."""
        if self._sink is None:
            return 0
        async with self._uow() as uow:
            pending = await uow.audit.checkpoints(unsunk=True)
        sent = 0
        for checkpoint in pending:
            error: str | None = None
            try:
                await self._sink.append(checkpoint.note)
            except TicketBridgeError as refused:
                error = str(refused)
                log.warning("audit checkpoint sink refused", id=checkpoint.id, error=error)
            async with self._uow() as uow:
                await uow.audit.mark_sunk(checkpoint.id, self._clock(), error)
                await uow.commit()
            if error is not None:
                break  # in order: the next ones wait for this one
            sent += 1
        return sent
