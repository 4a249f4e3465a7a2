"""Verifying the audit log held in the database (`audit verify`, `GET /v1/audit/verify`) and
writing offline inclusion proofs (`audit prove`, C2SP tlog-proof).

Verify replays the whole log through `domain.audit_check.LogChecker` (the evidence pack's
verifier runs the same code): the chain, gap-free positions, the Merkle root at every
checkpoint held — the database's and any the caller brings from the external sink — and the
head row's size and last hash, so a cut tail is caught even before a checkpoint covers it.
It reads in chunks of 10,000, each its own short transaction: the log only grows, and SQLite's write
lock is never held for the whole run.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ticketbridge.domain.audit import Head, StoredCheckpoint
from ticketbridge.domain.audit_check import Finding, LogChecker, Report, forks, open_notes
from ticketbridge.domain.audit_merkle import (
    ProofError,
    inclusion_proof,
    leaf_hash,
    verify_inclusion,
)
from ticketbridge.domain.audit_notes import open_checkpoint, parse_verifier_key
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, seal_pending
from ticketbridge.services.ports import UnitOfWorkFactory

CHUNK = 10_000  # rows per read transaction: on SQLite each holds the write lock, kept short
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
Progress = Callable[[int, int], None]
"""(events checked, events in all) after each chunk."""


@dataclass(frozen=True)
class LogState:
    head: Head
    checkpoints: list[StoredCheckpoint]


class AuditVerifier:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, keys: AuditKeys, checkpointer: Checkpointer
    ) -> None:
        self._uow = uow_factory
        self._keys = keys
        self._checkpointer = checkpointer

    async def state(self) -> LogState:
        await seal_pending(self._uow)  # what committed, sealed
        async with self._uow() as uow:
            return LogState(await uow.audit.head(), await uow.audit.checkpoints())

    async def verify(
        self, external: Sequence[tuple[str, str]] = (), progress: Progress | None = None
    ) -> Report:
        """Check the whole log against every checkpoint held; `external`: (label, note)
        pairs from outside the database (the sink's file), held to the same key."""
        state = await self.state()
        public = await self._keys.public()
        notes = [(f"database #{c.id}", c.note) for c in state.checkpoints] + list(external)
        if public is not None:
            held, findings = open_notes(notes, public.vkey, public.origin)
        else:  # never started a checkpointer: the chain and the head can still be checked
            held = []
            findings = [Finding("signature", "checkpoints held but no signing key")] * bool(notes)
        checker = LogChecker(held)
        size = max([state.head.size, *(h.checkpoint.size for h in held)])
        done = 0
        while done < size:
            async with self._uow() as uow:
                # up to the head as read first: what was appended since is the next run's
                async for position, body, stored in uow.audit.stream(done, min(done + CHUNK, size)):
                    checker.add(position, body.encode(), stored)
            if progress is not None:
                progress(min(done + CHUNK, size), size)
            done += CHUNK
            await asyncio.sleep(0)  # the API's other requests between chunks
            if checker.broken:
                break
        report = checker.finish()
        report.findings[:0] = findings + forks(held)
        report.findings.extend(_head_findings(state.head, report, checker.last_hash))
        return report

    async def prove(self, event_id: str) -> str | None:
        """The event, its inclusion proof and a signed checkpoint that covers it, as a C2SP
        tlog-proof (the event's stored JSON, base64, in the `extra` line); None: no such event."""
        await seal_pending(self._uow)
        async with self._uow() as uow:
            event = await uow.audit.event(event_id)
        if event is None:
            return None
        await self._checkpointer.checkpoint(force=True)  # one that covers the event
        public = await self._keys.public()
        async with self._uow() as uow:
            latest = await uow.audit.latest_checkpoint()
        assert public is not None, "a checkpoint was just made: its key too"
        assert latest is not None, "a checkpoint was just made"
        checkpoint = open_checkpoint(latest.note, parse_verifier_key(public.vkey))
        leaves = await self.leaves(checkpoint.size)
        proof = inclusion_proof(event.position, leaves)
        try:
            verify_inclusion(event.position, checkpoint.size, event.leaf, proof, checkpoint.root)
        except ProofError as err:
            raise InputError(
                "the log does not match its checkpoint: run `ticketbridge audit verify`",
                [Problem("event_id", str(err))],
            ) from err
        # `extra`: the event's stored bytes (all but `hash`), the leaf is SHA-256(0x00 ‖ them)
        body = base64.b64encode(event.body).decode()
        lines = [PROOF_HEADER, f"extra {body}", f"index {event.position}"]
        lines += [base64.b64encode(h).decode() for h in proof]
        return "\n".join(lines) + "\n\n" + latest.note

    async def leaves(self, size: int, first: int = 0) -> list[bytes]:
        """The Merkle leaf hashes of positions `first` up to `size`."""
        leaves: list[bytes] = []
        for start in range(first, size, CHUNK):
            async with self._uow() as uow:
                async for _, body, _ in uow.audit.stream(start, min(start + CHUNK, size)):
                    leaves.append(leaf_hash(body.encode()))
        return leaves


def _head_findings(head: Head, report: Report, last_hash: str | None) -> list[Finding]:
    """The head row against the log read: events cut off the end (or added around the
    sequencer) show here even before a checkpoint covers them."""
    if not report.ok:
        return []
    if report.events < head.size:
        message = (
            f"the log's head records {head.size} events but only {report.events} are held: "
            "the tail was truncated"
        )
        return [Finding("truncated", message, position=report.events, checkpoint="head")]
    if head.size and last_hash != head.last_hash:
        message = f"the log's head does not record the hash of position {head.size - 1}"
        return [Finding("chain", message, position=head.size - 1, checkpoint="head")]
    return []
