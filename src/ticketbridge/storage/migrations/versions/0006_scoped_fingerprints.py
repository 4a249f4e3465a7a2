"""fingerprints scoped by source: the stored dedup key is `<source>:<key>`

An alert's source is its authenticated caller's; with the key scoped by it, a caller can fold
alerts only into tickets of the sources it speaks for (issue 11: a `generic` decoy carrying a
Keeptrusts alert's fingerprint made the genuine alert a repeat on the decoy's ticket).

- alerts: `<source>:<fingerprint>` of their own source;
- tickets (not epics, whose `epic:<project>:<key>` is ours): the scoped key of their first alert,
  so every later alert of that source finds its ticket as before; alerts of another source that
  had folded into it now make their own ticket;
- outbox jobs: the ordering key is the ticket's marker key (`<fingerprint>[#<generation>]`);
- link targets (`tickets.links`): the fingerprint of the ticket's own source;
- fingerprint leases: dropped (transient; the workers are stopped for an upgrade).

A key longer than the column once scoped keeps its source and a hash, as
`domain.fingerprint.scoped_fingerprint` does (the rule is repeated here, frozen). The marker of
a create is derived from the fingerprint: a create whose outcome is unknown (attempted, not
settled) would be looked up under its new marker and made twice, so the upgrade refuses while
there is one: run the previous version's worker until none is left.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_WIDTH = 255
_UNSETTLED = (
    "SELECT count(*) FROM outbox_jobs j JOIN tickets t ON t.id = j.ticket_id "
    "WHERE j.kind = 'create_issue' AND j.state IN ('pending', 'running') "
    "AND j.attempted_at IS NOT NULL AND t.issue_key IS NULL"
)
# A ticket that is not an epic's takes the (scoped) key of its first alert: all its alerts had
# its key, and the first one's source is the one that made it.
_TICKETS = (
    "UPDATE tickets SET fingerprint = (SELECT a.fingerprint FROM alerts a "
    "WHERE a.ticket_id = tickets.id ORDER BY a.pk LIMIT 1) WHERE group_key IS NULL "
    "AND EXISTS (SELECT 1 FROM alerts a WHERE a.ticket_id = tickets.id)"
)
_LINKED = (
    "SELECT id, links, (SELECT a.source FROM alerts a WHERE a.ticket_id = tickets.id "
    "ORDER BY a.pk LIMIT 1) FROM tickets "
    "WHERE group_key IS NULL AND CAST(links AS TEXT) <> '[]'"
)
# The width (`_WIDTH`, 255) spelled out: every statement is a constant.
_SHORT = (
    "UPDATE alerts SET fingerprint = source || ':' || fingerprint "
    "WHERE length(source) + 1 + length(fingerprint) <= 255"
)
_LONG = (
    "SELECT pk, source, fingerprint FROM alerts "
    "WHERE length(source) + 1 + length(fingerprint) > 255"
)
_ORDERING = (
    "UPDATE outbox_jobs SET ordering_key = (SELECT t.fingerprint || CASE WHEN t.generation = 1 "
    "THEN '' ELSE '#' || CAST(t.generation AS VARCHAR(12)) END FROM tickets t "
    "WHERE t.id = outbox_jobs.ticket_id) WHERE state <> 'done'"
)


def _scoped(source: str, key: str) -> str:
    scoped = f"{source}:{key}"
    if len(scoped) <= _WIDTH:
        return scoped
    return f"{source}:sha256:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def upgrade() -> None:
    bind = op.get_bind()
    unsettled = bind.execute(sa.text(_UNSETTLED)).scalar_one()
    if unsettled:
        raise RuntimeError(
            f"{unsettled} issue create(s) have an unknown outcome: run the worker of the "
            "previous version until they settle (`ticketbridge outbox list`), then upgrade"
        )
    long = _long_keys(bind)  # read before the short ones change
    op.execute(_SHORT)
    for pk, source, fingerprint in long:
        bind.execute(
            sa.text("UPDATE alerts SET fingerprint = :fp WHERE pk = :pk"),
            {"fp": _scoped(source, fingerprint), "pk": pk},
        )
    op.execute(_TICKETS)
    _scope_links(bind)
    op.execute(_ORDERING)
    op.execute("DELETE FROM fingerprint_leases")


def _long_keys(bind: sa.Connection) -> list[tuple[int, str, str]]:
    """The few alerts whose scoped key is over the column's width (they get a hash)."""
    rows = bind.execute(sa.text(_LONG)).all()
    return [(int(pk), str(source), str(fingerprint)) for pk, source, fingerprint in rows]


def _scope_links(bind: sa.Connection) -> None:
    """Each fingerprint link target names a fingerprint of the ticket's own source."""
    rows = bind.execute(sa.text(_LINKED)).all()
    for ticket_id, links, source in rows:
        if source is None:  # no alert: nothing says whose it is
            continue
        stored: list[dict[str, Any]] = json.loads(links) if isinstance(links, str) else links
        if not any(link.get("fingerprint") for link in stored):
            continue
        scoped = [
            {**link, "fingerprint": _scoped(source, link["fingerprint"])}
            if link.get("fingerprint")
            else link
            for link in stored
        ]
        bind.execute(
            sa.text("UPDATE tickets SET links = :links WHERE id = :id").bindparams(
                sa.bindparam("links", type_=sa.JSON)
            ),
            {"links": scoped, "id": ticket_id},
        )


def downgrade() -> None:
    """Back to the bare keys (a hashed long key stays hashed: the original is not kept)."""
    op.execute(
        "UPDATE alerts SET fingerprint = substr(fingerprint, length(source) + 2) "
        "WHERE substr(fingerprint, 1, length(source) + 1) = source || ':'"
    )
    op.execute(_TICKETS)
    op.execute(_ORDERING)
    op.execute("DELETE FROM fingerprint_leases")
