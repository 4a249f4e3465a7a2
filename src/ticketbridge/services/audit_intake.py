"""Audit intake: GitHub pushes (commits and the Jira keys they mention) kept for the audit
trail (SPEC §8), exactly once per delivery.

GitHub redelivers a webhook with the same `X-GitHub-Delivery`, so that id is the idempotency
key: the first delivery is stored, every later one answers with what was stored then.
The `CONFIG_CHANGE` audit events (and the Jira look-ups of the keys) are built from these rows
by the audit trail, later; this service only makes sure no push is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ticketbridge.domain.pushes import RecordedPush
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.sources import PushEvent

__all__ = ["MAX_DELIVERY_ID", "AuditIntake", "PushIntakeResult"]

MAX_DELIVERY_ID = 128  # GitHub's are 36-character GUIDs; the column holds 128


@dataclass(frozen=True)
class PushIntakeResult:
    """The push as stored, and whether this delivery had been stored before."""

    push: RecordedPush
    duplicate: bool


class AuditIntake:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def record_push(self, event: PushEvent, *, delivery_id: str) -> PushIntakeResult:
        """Store the push once per `delivery_id`; a redelivery stores nothing and answers
        with the push stored the first time. InputError names a bad delivery id."""
        _check_delivery_id(delivery_id)
        _check_no_nul(event)
        record = _record(event, delivery_id)
        async with self._uow_factory() as uow:
            stored = await uow.push_events.add(record)
            if stored is not None:
                await uow.commit()
                return PushIntakeResult(stored, duplicate=False)
            existing = await uow.push_events.by_delivery(delivery_id)
        if existing is None:  # only if it was deleted in between: a conflict is a redelivery
            raise InputError(
                "the delivery could not be recorded",
                [Problem("X-GitHub-Delivery", "conflicting delivery; retry it")],
            )
        return PushIntakeResult(existing, duplicate=True)

    async def pushes(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> Sequence[RecordedPush]:
        """Stored pushes, newest first (`before_id` pages)."""
        async with self._uow_factory() as uow:
            return await uow.push_events.list(
                limit=limit, before_id=before_id, repository=repository, jira_key=jira_key
            )


def _check_delivery_id(delivery_id: str) -> None:
    problem: str | None = None
    if not delivery_id.strip():
        problem = "must not be empty"
    elif len(delivery_id) > MAX_DELIVERY_ID:
        problem = f"at most {MAX_DELIVERY_ID} characters"
    elif not delivery_id.isprintable() or not delivery_id.isascii():
        problem = "printable ASCII only"
    if problem is not None:
        raise InputError("invalid delivery id", [Problem("X-GitHub-Delivery", problem)])


def _check_no_nul(event: PushEvent) -> None:
    """PostgreSQL text cannot hold NUL: refuse it by field instead of failing in the driver."""
    fields = {
        "repository.full_name": event.repository,
        "repository.html_url": event.repository_url,
        "ref": event.ref,
        "before": event.before,
        "after": event.after,
        "pusher.name": event.pusher,
        "compare": event.compare_url,
    }
    problems = [
        Problem(path, "must not contain NUL characters")
        for path, value in fields.items()
        if value is not None and "\x00" in value
    ]
    if problems:
        raise InputError("invalid push", problems)


def _record(event: PushEvent, delivery_id: str) -> RecordedPush:
    return RecordedPush(
        id=0,
        delivery_id=delivery_id,
        repository=event.repository,
        repository_url=event.repository_url,
        ref=event.ref,
        before=event.before,
        after=event.after,
        pusher=event.pusher,
        compare_url=event.compare_url,
        received_at=event.received_at,
        commits=event.commits,  # the parser's commits are domain records already
    )
