"""A `Provider` that forwards every call to another one: the base of wrappers that change
one or two operations (e.g. grouping's epic placeholders) and pass the rest through, or that
observe every call (`_around`: the outbox's Jira watch)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TypeVar

from ticketbridge.providers.base import (
    BulkResult,
    Capabilities,
    Comment,
    CreateMetaField,
    FieldDef,
    Issue,
    IssueDraft,
    IssueRef,
    IssueType,
    IssueUpdate,
    Marker,
    Priority,
    Project,
    Provider,
    SearchPage,
    ServerInfo,
    Status,
    Transition,
    User,
)
from ticketbridge.render.document import Document

T = TypeVar("T")


class DelegatingProvider:
    """Every `Provider` operation, passed to `inner` unchanged."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner

    def _target(self) -> Provider:
        """The provider this call goes to (a subclass may choose it per call)."""
        return self._inner

    async def _around(self, call: Awaitable[T]) -> T:
        """Every forwarded call (but `aclose`) is awaited here: override to observe them all."""
        return await call

    @property
    def capabilities(self) -> Capabilities:
        return self._target().capabilities

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        return await self._around(self._target().create_issue(draft))

    async def create_issues(self, drafts: Sequence[IssueDraft]) -> BulkResult:
        return await self._around(self._target().create_issues(drafts))

    async def get_issue(self, key: str) -> Issue:
        return await self._around(self._target().get_issue(key))

    async def update_issue(self, key: str, update: IssueUpdate) -> None:
        await self._around(self._target().update_issue(key, update))

    async def add_comment(self, key: str, body: Document) -> Comment:
        return await self._around(self._target().add_comment(key, body))

    async def edit_comment(self, key: str, comment_id: str, body: Document) -> Comment:
        return await self._around(self._target().edit_comment(key, comment_id, body))

    async def list_transitions(self, key: str) -> tuple[Transition, ...]:
        return await self._around(self._target().list_transitions(key))

    async def transition(
        self,
        key: str,
        transition_id: str,
        *,
        resolution: str | None = None,
        comment: Document | None = None,
    ) -> None:
        await self._around(
            self._target().transition(key, transition_id, resolution=resolution, comment=comment)
        )

    async def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None:
        await self._around(self._target().link_issues(link_type, inward_key, outward_key))

    async def add_remote_link(self, key: str, url: str, title: str) -> None:
        await self._around(self._target().add_remote_link(key, url, title))

    async def find_by_markers(
        self, markers: Sequence[Marker], *, known_ids: Sequence[str] = ()
    ) -> dict[Marker, tuple[IssueRef, ...]]:
        return await self._around(self._target().find_by_markers(markers, known_ids=known_ids))

    async def search(
        self, jql: str, *, page_token: str | None = None, page_size: int = 50
    ) -> SearchPage:
        return await self._around(
            self._target().search(jql, page_token=page_token, page_size=page_size)
        )

    async def server_info(self) -> ServerInfo:
        return await self._around(self._target().server_info())

    async def site_id(self) -> str:
        return await self._around(self._target().site_id())

    async def myself(self) -> User:
        return await self._around(self._target().myself())

    async def projects(self) -> tuple[Project, ...]:
        return await self._around(self._target().projects())

    async def issue_types(self, project: str) -> tuple[IssueType, ...]:
        return await self._around(self._target().issue_types(project))

    async def priorities(self) -> tuple[Priority, ...]:
        return await self._around(self._target().priorities())

    async def statuses(self) -> tuple[Status, ...]:
        return await self._around(self._target().statuses())

    async def fields(self) -> tuple[FieldDef, ...]:
        return await self._around(self._target().fields())

    async def create_meta(self, project: str, issue_type: str) -> tuple[CreateMetaField, ...]:
        return await self._around(self._target().create_meta(project, issue_type))

    async def find_user(self, query: str) -> User | None:
        return await self._around(self._target().find_user(query))

    async def aclose(self) -> None:
        await self._target().aclose()


def _conforms(provider: DelegatingProvider) -> Provider:
    """mypy proves DelegatingProvider implements the port."""
    return provider
