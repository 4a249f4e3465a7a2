"""Direct Jira calls of the library (no pipeline): create, read, search, edit, comment, move.

Mixed into `Bridge`, which provides the open provider. Names and argument shapes follow the
seeds (`create_issue(project_key, issue_type, fields={…})`, `search(jql=…)`,
`update_issue(key, {…})`); results are `IssueView`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ticketbridge.errors import ConfigError, InputError, NotFound, Problem
from ticketbridge.library.fieldmap import draft_from_fields, update_from_fields
from ticketbridge.library.templates import JiraTemplate, find_template, template_context
from ticketbridge.library.views import IssueView
from ticketbridge.providers.base import Comment, Provider, User
from ticketbridge.render import Document, parse_markdown

_PAGE = 100  # Jira Cloud's /search/jql page limit for full issues


class JiraCalls:
    @property
    def _provider(self) -> Provider:  # pragma: no cover - provided by Bridge
        raise NotImplementedError

    async def test_connection(self) -> User:
        """The Jira user the credentials belong to (`/myself`): the seeds' "test connection";
        AuthFailed when Jira refuses them, Unavailable when it cannot be reached."""
        return await self._provider.myself()

    async def create_issue(
        self, project_key: str, issue_type: str, fields: Mapping[str, Any]
    ) -> IssueView:
        """One issue from Jira-style `fields` (see `library.fieldmap`); returns it as created."""
        ref = await self._provider.create_issue(draft_from_fields(project_key, issue_type, fields))
        return IssueView.of(await self._provider.get_issue(ref.key))

    async def create_issue_from_template(
        self,
        template: JiraTemplate | str,
        alert: Mapping[str, Any] | None = None,
        project_key: str | None = None,
        issue_type: str | None = None,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> IssueView:
        """The template rendered over `alert` (or `context`); the project and issue type are the
        call's, else the template's."""
        found = find_template(template)
        data = context if context is not None else alert
        if data is None:
            raise InputError("nothing to render", [Problem("context", "give alert= or context=")])
        project = project_key or found.project_key
        kind = issue_type or found.issue_type
        if project is None or kind is None:
            missing = "project_key" if project is None else "issue_type"
            problem = Problem(missing, f"neither the call nor template '{found.name}' names it")
            raise ConfigError("cannot create from the template", [problem])
        return await self.create_issue(project, kind, found.render_fields(template_context(data)))

    async def get_issue(self, key: str) -> IssueView:
        return IssueView.of(await self._provider.get_issue(key))

    async def search(self, jql: str, max_results: int = 50) -> list[IssueView]:
        """Issues matching `jql` (over Cloud's /search/jql or DC's /search), up to
        `max_results`, following Jira's pages."""
        if max_results < 1:
            raise InputError("invalid search", [Problem("max_results", "must be at least 1")])
        found: list[IssueView] = []
        token: str | None = None
        while len(found) < max_results:
            size = min(_PAGE, max_results - len(found))
            page = await self._provider.search(jql, page_token=token, page_size=size)
            found.extend(IssueView.of(issue) for issue in page.issues)
            token = page.next_page_token
            if token is None or not page.issues:
                break
        return found[:max_results]

    async def update_issue(self, key: str, fields: Mapping[str, Any]) -> IssueView:
        """Edit with Jira-style `fields`; `labels` replaces the labels, as in Jira."""
        current = await self._provider.get_issue(key)
        await self._provider.update_issue(key, update_from_fields(fields, current.labels))
        return IssueView.of(await self._provider.get_issue(key))

    async def add_comment(self, key: str, body: str | Document) -> Comment:
        """A comment; text is Markdown (ADF on Cloud, wiki markup on Data Center)."""
        document = body if isinstance(body, Document) else parse_markdown(body)
        return await self._provider.add_comment(key, document)

    async def transition_issue(
        self,
        key: str,
        transition: str,
        *,
        resolution: str | None = None,
        comment: str | None = None,
    ) -> IssueView:
        """Move the issue by transition name, id or target status name (case-insensitive)."""
        wanted = transition.strip().lower()
        options = await self._provider.list_transitions(key)
        match = next(
            (t for t in options if wanted in (t.id, t.name.lower(), t.to.name.lower())), None
        )
        if match is None:
            names = ", ".join(f"{t.name} → {t.to.name}" for t in options) or "none"
            raise NotFound(f"issue {key} has no transition '{transition}' now (available: {names})")
        await self._provider.transition(
            key,
            match.id,
            resolution=resolution,
            comment=parse_markdown(comment) if comment else None,
        )
        return IssueView.of(await self._provider.get_issue(key))
