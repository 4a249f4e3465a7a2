"""Audit intake: GitHub pushes (commits and the Jira keys they mention) kept for the audit
trail (SPEC §8), exactly once per push (`POST /v1/sources/github`).

Like the alert sources (`services.native_intake`), a delivery is opened on its headers first
(GitHub's `X-Hub-Signature-256` must be well-formed, the event one we keep, the delivery id
sane) and its body verified before anything is parsed. GitHub redelivers a webhook with the
same `X-GitHub-Delivery`, so that id is one idempotency key; but it is not signed, so a captured
push sent again under a new id must not be a second push either: the push's content (the ref
moving from `before` to `after`, `RecordedPush.content_key`) is the other. A repeat of either
stores nothing and answers with the push stored the first time.
The `CONFIG_CHANGE` audit events (and the Jira look-ups of the keys) are built from these rows
by the audit trail, later; this service only makes sure no push is lost or doubled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ticketbridge.clock import Clock
from ticketbridge.config import SourceConfig
from ticketbridge.domain.pushes import RecordedPush
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.native_intake import Delivery, open_delivery
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.sources import SOURCES, PushEvent
from ticketbridge.sources.github import DEFAULT_KEY_PATTERN

MAX_DELIVERY_ID = 128  # GitHub's are 36-character GUIDs; the column holds 128
EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
_ACCEPTED_EVENTS = ("push", "ping")


@dataclass(frozen=True)
class PushIntakeResult:
    """The push as stored, and whether this delivery had been stored before."""

    push: RecordedPush
    duplicate: bool


@dataclass(frozen=True)
class GitHubDelivery:
    """What became of one GitHub delivery: a ping (nothing kept) or a push, new or repeated."""

    event: Literal["push", "ping"]
    push: RecordedPush | None = None
    duplicate: bool = False


class AuditIntake:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        github: SourceConfig | None = None,
        link_pattern: Callable[[], str] = lambda: DEFAULT_KEY_PATTERN,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._github = github  # `sources.github`: how GitHub authenticates
        # `audit.link_pattern` in effect (the YAML's, else a stored connection's): Jira keys
        self._link_pattern = link_pattern

    def open(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Delivery:
        """The delivery's headers checked before its body is read: `SourceAuthError` when they
        cannot authenticate, `InputError` for an event we do not keep or a bad delivery id."""
        delivery = open_delivery("github", self._github, headers, query, self._clock)
        event = delivery.headers.get(EVENT_HEADER, "push")
        if event not in _ACCEPTED_EVENTS:
            problem = Problem("X-GitHub-Event", "only push (and ping) events are kept")
            raise InputError(f"unsupported GitHub event {event[:64]!r}", [problem])
        given = delivery.headers.get(DELIVERY_HEADER)
        if given is not None:
            _check_delivery_id(given)
        return delivery

    async def receive(self, delivery: Delivery, body: bytes) -> GitHubDelivery:
        """Verify the body (`SourceAuthError`: nothing kept), parse it (`InputError` naming
        the field) and keep the push once."""
        delivery.body_verified(body, self._clock)
        parse = SOURCES["github"].parse_push
        assert parse is not None, "the github source parses pushes"
        push = parse(body, received_at=self._clock(), key_pattern=self._link_pattern())
        if push is None:
            return GitHubDelivery(event="ping")
        result = await self.record_push(push, delivery_id=_delivery_id(delivery, body))
        return GitHubDelivery(event="push", push=result.push, duplicate=result.duplicate)

    async def record_push(self, event: PushEvent, *, delivery_id: str) -> PushIntakeResult:
        """Store the push once per `delivery_id` and once per content; a repeat of either
        stores nothing and answers with the push stored the first time. InputError names a
        bad delivery id."""
        _check_delivery_id(delivery_id)
        _check_no_nul(event)
        record = _record(event, delivery_id)
        async with self._uow_factory() as uow:
            stored = await uow.push_events.add(record)
            if stored is not None:
                await uow.commit()
                return PushIntakeResult(stored, duplicate=False)
            existing = await uow.push_events.same_as(record)
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


def _delivery_id(delivery: Delivery, body: bytes) -> str:
    """GitHub's `X-GitHub-Delivery`; without it (a hand-made curl) the body's SHA-256, so the
    same body sent twice is still one push."""
    given = delivery.headers.get(DELIVERY_HEADER)
    return given if given is not None else "sha256:" + hashlib.sha256(body).hexdigest()


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
