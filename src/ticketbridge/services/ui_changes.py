"""A change made through the admin UI, kept twice in the unit of work that makes it: the UI's
own list (`ui_changes`, the Changes page) and a CONFIG_CHANGE event of the audit trail (the
record that counts: sequenced, hashed, signed, exported). Both commit with the change or not
at all. Secrets never appear in `detail` (callers say "replaced" or "kept")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketbridge.domain.audit import EventType, NewEvent
from ticketbridge.domain.audit_decisions import SELF
from ticketbridge.services.ports import UnitOfWork

UI_SOURCE = "admin-ui"


def change_event(
    at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]
) -> NewEvent:
    payload = {"via": UI_SOURCE, "actor": actor, "action": action, "target": target}
    return NewEvent(EventType.CONFIG_CHANGE, SELF, at, payload | {"detail": dict(detail)})


async def record_change(
    uow: UnitOfWork,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any],
) -> None:
    """Both records, in `uow` (the caller commits with its change)."""
    await uow.accounts.add_change(at, actor, action, target, detail)
    uow.audit.record([change_event(at, actor, action, target, detail)])
