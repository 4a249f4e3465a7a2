"""`api.audit_routes.PushAudit` over the audit intake: verify, parse, keep (GitHub pushes).

Built by `ticketbridge.bootstrap`. Authentication comes first, before any parsing, exactly as
for the alert sources (`api.adapters.NativeSources`): a request that fails it stores nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ticketbridge.api.audit_routes import GitHubDelivery
from ticketbridge.api.ports import NativeRequest
from ticketbridge.config.schema import Config
from ticketbridge.domain.pushes import RecordedPush
from ticketbridge.errors import InputError, Problem
from ticketbridge.services import Clock
from ticketbridge.services.audit_intake import AuditIntake
from ticketbridge.sources import SOURCES, SourceAuthConfig, verify

__all__ = ["EVENT_HEADER", "GitHubPushes", "delivery_id_of"]

EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
_ACCEPTED_EVENTS = ("push", "ping")


def delivery_id_of(request: NativeRequest) -> str:
    """GitHub's `X-GitHub-Delivery`; without it (a hand-made curl) the body's SHA-256, so the
    same body sent twice is still one push."""
    given = request.headers.get(DELIVERY_HEADER)
    return given if given is not None else "sha256:" + hashlib.sha256(request.body).hexdigest()


class GitHubPushes:
    def __init__(self, intake: AuditIntake, config: Config, clock: Clock) -> None:
        self._intake = intake
        self._config = config
        self._clock = clock

    async def receive(self, request: NativeRequest) -> GitHubDelivery:
        now = self._clock()
        auth = SourceAuthConfig.from_config("github", self._config.sources.get("github"))
        verify(auth, request.headers, request.query, request.body, now)  # before any parsing
        event = request.headers.get(EVENT_HEADER, "push")
        if event not in _ACCEPTED_EVENTS:
            problem = Problem("X-GitHub-Event", "only push (and ping) events are kept")
            raise InputError(f"unsupported GitHub event {event[:64]!r}", [problem])
        parse = SOURCES["github"].parse_push
        assert parse is not None, "the github source parses pushes"
        push = parse(request.body, received_at=now, key_pattern=self._config.audit.link_pattern)
        if push is None:
            return GitHubDelivery(event="ping")
        result = await self._intake.record_push(push, delivery_id=delivery_id_of(request))
        return GitHubDelivery(event="push", push=result.push, duplicate=result.duplicate)

    async def pushes(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> Sequence[RecordedPush]:
        return await self._intake.pushes(
            limit=limit, before_id=before_id, repository=repository, jira_key=jira_key
        )
