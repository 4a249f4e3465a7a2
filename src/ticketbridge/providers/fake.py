"""An in-memory provider with the behaviour of Jira that the pipeline relies on.

`FakeProvider` implements the `Provider` port over a `FakeSite` (fake_site.py: configuration,
stored issues, create checks, test controls), configured like the Jira emulator's default site
(`jira.defaults`): projects OPS, AIGOV, COMPLIANCE, SEC, INFRA (INFRA's create screen is
narrow), keys `OPS-1`, `OPS-2`…, the workflow To Do (new) → In Progress → Under Review
(indeterminate) → Done (done) with Reopen; resolution set when a transition lands in done
(default "Done") and cleared when it leaves; labels, comments, links, remote links and the issue
property of a marker. Searches evaluate the JQL subset of `jira.jql` and honour an optional
index lag: an issue is invisible to search for `search_lag` seconds after its creation unless
its id is passed as known (`reconcileIssues`). The stored records and their JQL values are in
fake_store.py.

Failures are injectable at the boundary: `fail_next(op, error)` makes the next call of `op`
raise `error`; `drop_next_create()` lets the next create commit and then raises
`OutcomeUnknown`, like a response lost after Jira stored the issue.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import structlog

from ticketbridge.errors import FieldErrors, NotFound, OutcomeUnknown
from ticketbridge.providers.base import (
    BulkResult,
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
from ticketbridge.providers.fake_site import FakeSite
from ticketbridge.providers.fake_store import (
    FakeComment,
    FakeIssue,
    description_text,
    jql_values,
    public_comment,
    sort_key,
)
from ticketbridge.providers.jira import defaults as jd
from ticketbridge.providers.jira import jql
from ticketbridge.render import Document, clip_summary

log = structlog.get_logger(__name__)


class FakeProvider(FakeSite):
    """In-memory `Provider` over a `FakeSite`. Not thread-safe; one event loop in tests."""

    # --- issues -----------------------------------------------------------------------------

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        self._enter("create_issue")
        ref = self._store(draft)
        self._maybe_drop()
        return ref

    async def create_issues(self, drafts: Sequence[IssueDraft]) -> BulkResult:
        self._enter("create_issues")
        created: dict[int, IssueRef] = {}
        failed: dict[int, Exception] = {}
        for pos, draft in enumerate(drafts):  # JiraProvider sends ≤ 50 per call; same outcome
            try:
                created[pos] = self._store(draft)
            except FieldErrors as exc:
                failed[pos] = exc
        if self._drops:  # like JiraProvider: every position of a lost call is unknown
            self._drops -= 1
            lost = OutcomeUnknown("connection dropped after the bulk create was sent")
            return BulkResult(created={}, failed=dict.fromkeys(range(len(drafts)), lost))
        return BulkResult(created=created, failed=failed)

    async def get_issue(self, key: str) -> Issue:
        self._enter("get_issue")
        i = self._get(key)
        return Issue(
            id=i.id,
            key=i.key,
            url=self._ref(i).url,
            project=i.project,
            issue_type=i.issue_type,
            summary=i.summary,
            status=i.status,
            resolution=i.resolution,
            priority=i.priority,
            assignee=i.assignee,
            labels=tuple(i.labels),
            created=i.created,
            updated=i.updated,
            due_date=i.due_date,
            fields={**i.fields, "description": description_text(i.description)},
        )

    async def update_issue(self, key: str, update: IssueUpdate) -> None:
        self._enter("update_issue")
        issue = self._get(key)
        if update.summary is not None:
            issue.summary = clip_summary(update.summary)
        if update.description is not None:
            issue.description = update.description
        if update.priority is not None:
            issue.priority = update.priority
        if update.assignee is not None:
            issue.assignee = self._assignee(update.assignee)
        if update.due_date is not None:
            issue.due_date = update.due_date
        issue.labels = [
            lb
            for lb in dict.fromkeys([*issue.labels, *update.add_labels])
            if lb not in update.remove_labels
        ]
        for name, value in update.fields.items():
            fdef = self._field(name)
            if fdef is None:  # as JiraProvider: dropped with a warning, not a refused edit
                log.warning("field dropped: Jira has no such field", field=name)
                continue
            issue.fields[fdef.id] = self._shaped(fdef, value)
        issue.updated = self.now()

    async def add_comment(self, key: str, body: Document) -> Comment:
        self._enter("add_comment")
        issue = self._get(key)
        now = self.now()
        comment = FakeComment(str(next(self._ids)), body, self.users[0], now, now)
        issue.comments.append(comment)
        issue.updated = now
        return public_comment(comment)

    async def edit_comment(self, key: str, comment_id: str, body: Document) -> Comment:
        self._enter("edit_comment")
        issue = self._get(key)
        for comment in issue.comments:
            if comment.id == comment_id:
                comment.body = body
                comment.updated = self.now()
                return public_comment(comment)
        raise NotFound(f"Can not find a comment for the id: {comment_id}.")

    async def list_transitions(self, key: str) -> tuple[Transition, ...]:
        self._enter("list_transitions")
        issue = self._get(key)
        return jd.transitions_from(issue.status)

    async def transition(
        self,
        key: str,
        transition_id: str,
        *,
        resolution: str | None = None,
        comment: Document | None = None,
    ) -> None:
        self._enter("transition")
        issue = self._get(key)
        target = next((t for t in jd.transitions_from(issue.status) if t.id == transition_id), None)
        if target is None:
            raise FieldErrors(
                "Jira refused the transition",
                messages=[f"Transition id '{transition_id}' is not valid for this issue."],
            )
        if resolution is not None and resolution not in jd.RESOLUTIONS:
            raise FieldErrors("Jira refused the transition", fields={"resolution": "invalid"})
        issue.status = target.to
        done = target.to.category == "done"
        issue.resolution = (resolution or "Done") if done else None
        if comment is not None:
            now = self.now()
            issue.comments.append(FakeComment(str(next(self._ids)), comment, None, now, now))
        issue.updated = self.now()

    async def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None:
        self._enter("link_issues")
        if link_type not in jd.LINK_TYPES:
            raise NotFound(f"No issue link type with name '{link_type}' found.")
        inward, outward = self._get(inward_key), self._get(outward_key)
        inward.links.append((link_type, "outward", outward.key))
        outward.links.append((link_type, "inward", inward.key))

    async def add_remote_link(self, key: str, url: str, title: str) -> None:
        self._enter("add_remote_link")
        issue = self._get(key)
        issue.remote_links = [(u, t) for u, t in issue.remote_links if u != url]
        issue.remote_links.append((url, title))

    # --- finding ----------------------------------------------------------------------------

    async def find_by_markers(
        self, markers: Sequence[Marker], *, known_ids: Sequence[str] = ()
    ) -> dict[Marker, tuple[IssueRef, ...]]:
        self._enter("find_by_markers")
        if not markers:
            return {}
        found = self._visible(jql.parse(jql.marker_jql(markers)), known_ids)
        return {
            marker: tuple(self._ref(i) for i in found if marker.label in i.labels)
            for marker in markers
        }

    async def search(
        self, jql_text: str, *, page_token: str | None = None, page_size: int = 50
    ) -> SearchPage:
        self._enter("search")
        query = jql.parse(jql_text)
        found = self._visible(query, ())
        for name, desc in reversed(query.order_by):
            found.sort(key=partial(sort_key, name=name), reverse=desc)
        start = int(page_token or 0)
        page = found[start : start + page_size]
        nxt = str(start + page_size) if start + page_size < len(found) else None
        return SearchPage(tuple([await self.get_issue(i.key) for i in page]), nxt)

    def _visible(self, query: jql.Query, known_ids: Sequence[str]) -> list[FakeIssue]:
        now = self.clock()
        visible = [i for i in self.issues.values() if i.visible_at <= now or i.id in known_ids]
        return [
            i
            for i in sorted(visible, key=lambda i: int(i.id))
            if query.where is None or jql.evaluate(query.where, partial(jql_values, i))
        ]

    # --- metadata ---------------------------------------------------------------------------

    async def server_info(self) -> ServerInfo:
        cloud = self._flavor == "cloud"
        return ServerInfo(
            self.base_url, "1001.0.0" if cloud else "9.12.0", "Cloud" if cloud else "DataCenter"
        )

    async def site_id(self) -> str:
        return self.site

    async def myself(self) -> User:
        return self.users[0]

    async def projects(self) -> tuple[Project, ...]:
        self._enter("projects")
        return self._projects

    async def issue_types(self, project: str) -> tuple[IssueType, ...]:
        self._enter("issue_types")
        if project not in {p.key for p in self._projects}:
            raise NotFound(f"No project could be found with key '{project}'.")
        return jd.ISSUE_TYPES

    async def priorities(self) -> tuple[Priority, ...]:
        return jd.PRIORITIES

    async def statuses(self) -> tuple[Status, ...]:
        return jd.STATUSES

    async def fields(self) -> tuple[FieldDef, ...]:
        return self._fields

    async def create_meta(self, project: str, issue_type: str) -> tuple[CreateMetaField, ...]:
        self._enter("create_meta")
        await self.issue_types(project)
        return tuple(
            CreateMetaField(f, required=f.id in ("summary", "issuetype", "project"))
            for f in self._fields
            if self._on_create_screen(project, issue_type, f.id)
        )

    async def find_user(self, query: str) -> User | None:
        self._enter("find_user")
        return self._user(query)

    async def aclose(self) -> None:
        return None


def _conforms(provider: FakeProvider) -> Provider:
    """mypy proves FakeProvider implements the port (a mismatch fails type checking)."""
    return provider
