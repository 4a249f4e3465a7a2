"""A source's fingerprint setting changed while it has open tickets (issue 13, item 7).

Changing `sources.<name>.fingerprint` changes every key of that source: the next alert of each
open ticket would get a new key, hence a new issue — every open ticket forked, in silence. The
database records which fields each source's open tickets were made with (`recorded`):

- `drift` compares the configuration with that record. A source with no record adopts the
  current fields (tickets from before this version were made with them); one whose fields
  changed while it has no open tickets follows silently (`record=True`: start-up); one with
  open tickets is a `Drift`, warned about by start-up and `config check` until it is migrated.
- `refingerprint` moves each open ticket of a changed source to the key its first alert has
  under the new fields, then records them: the next alerts fold into the same issues. A ticket
  whose new key already has a ticket (made after the change, or two tickets becoming one) is
  left as it is and reported; so is one whose create is still running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ticketbridge.clock import Clock
from ticketbridge.domain import Ticket
from ticketbridge.domain.fingerprint import (
    derive_fingerprint,
    fingerprint_fields_for,
    scoped_fingerprint,
)
from ticketbridge.domain.life import refingerprinted
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory


def effective_fields(
    sources: Sequence[str], configured: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The fields each source's alerts are fingerprinted with: configured, else its default."""
    return {name: fingerprint_fields_for(name, configured) for name in sources}


@dataclass(frozen=True)
class Drift:
    """`source`'s open tickets were made with `was`; the configuration now says `now`."""

    source: str
    was: tuple[str, ...]
    now: tuple[str, ...]
    open_tickets: int

    @property
    def message(self) -> str:
        return (
            f"the fingerprint fields changed from [{', '.join(self.was)}] to "
            f"[{', '.join(self.now)}] while {self.open_tickets} ticket(s) are open: their next "
            "alerts would open new issues; run `ticketbridge tickets refingerprint --source "
            f"{self.source}` to move them to the new keys"
        )


@dataclass(frozen=True)
class Moved:
    issue_key: str | None
    old: str
    new: str


@dataclass(frozen=True)
class Skipped:
    issue_key: str | None
    fingerprint: str
    why: str


@dataclass
class Refingerprinted:
    """What `refingerprint` did (or, dry, would do) per source."""

    source: str
    fields: tuple[str, ...]
    moved: list[Moved] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: int = 0


class FingerprintSettings:
    def __init__(
        self, uow: UnitOfWorkFactory, fields: Mapping[str, tuple[str, ...]], clock: Clock
    ) -> None:
        self._uow = uow
        self._fields = dict(fields)
        self._clock = clock

    async def drift(self, *, record: bool) -> list[Drift]:
        """The sources whose open tickets were made with other fields than configured.
        `record`: adopt the current fields where that forks nothing (start-up)."""
        found: list[Drift] = []
        async with self._uow() as uow:
            recorded = await uow.fingerprints.recorded()
            for source, now in sorted(self._fields.items()):
                was = recorded.get(source)
                if was == now:
                    continue
                count = await uow.fingerprints.open_count(source) if was is not None else 0
                if count:
                    found.append(Drift(source, was or (), now, count))
                elif record:
                    await uow.fingerprints.record(source, now, self._clock())
            if record:
                await uow.commit()
        return found

    async def refingerprint(
        self, source: str | None = None, *, dry_run: bool = False
    ) -> list[Refingerprinted]:
        """Move the open tickets of `source` (default: every source whose fields changed) to
        their keys under the configured fields, and record those fields."""
        if source is not None and source not in self._fields:
            known = ", ".join(sorted(self._fields))
            problem = Problem("source", f"no source {source!r}; sources are: {known}")
            raise InputError("unknown source", [problem])
        names = (
            [source] if source is not None else [d.source for d in await self.drift(record=False)]
        )
        done: list[Refingerprinted] = []
        for name in names:
            async with self._uow() as uow:
                report = await self._move(uow, name, dry_run)
                if not dry_run:
                    await uow.fingerprints.record(name, report.fields, self._clock())
                    await uow.commit()
            done.append(report)
        return done

    async def _move(self, uow: UnitOfWork, source: str, dry_run: bool) -> Refingerprinted:
        fields = self._fields.get(source) or fingerprint_fields_for(source)
        report = Refingerprinted(source, fields)
        claimed: set[str] = set()
        for ticket in await uow.fingerprints.open_tickets(source):
            new = await self._new_key(uow, ticket, source, fields)
            if new is None or new == ticket.fingerprint:
                report.unchanged += new is not None
                if new is None:
                    report.skipped.append(
                        Skipped(ticket.issue_key, ticket.fingerprint, "it has no alert")
                    )
                continue
            why = await self._blocked(uow, ticket, new, claimed)
            if why is not None:
                report.skipped.append(Skipped(ticket.issue_key, ticket.fingerprint, why))
                continue
            claimed.add(new)
            report.moved.append(Moved(ticket.issue_key, ticket.fingerprint, new))
            if not dry_run:
                await uow.tickets.lock_fingerprints([ticket.fingerprint, new])
                await uow.fingerprints.move(refingerprinted(ticket, new))
        return report

    @staticmethod
    async def _new_key(
        uow: UnitOfWork, ticket: Ticket, source: str, fields: Sequence[str]
    ) -> str | None:
        assert ticket.id is not None
        first = await uow.fingerprints.first_alert(ticket.id)
        if first is None:
            return None
        return scoped_fingerprint(source, derive_fingerprint(first.alert.as_mapping(), fields))

    @staticmethod
    async def _blocked(uow: UnitOfWork, ticket: Ticket, new: str, claimed: set[str]) -> str | None:
        if ticket.issue_key is None:
            return "its issue is still being created: run the command again once it exists"
        if new in claimed:
            return f"another open ticket moves to {new} already (the new fields join them)"
        if await uow.fingerprints.taken(new):
            return f"{new} has a ticket of its own (made since the change): close one of them"
        return None
