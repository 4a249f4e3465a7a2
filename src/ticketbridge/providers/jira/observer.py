"""Reconcile's reads from Jira (`providers.observing.IssueObserver`), in bulk.

Cloud: the search returns ids, keys and `updated` only; the changed issues' fields come from
`POST /issue/bulkfetch` (100 a request) and their history from `POST /changelog/bulkfetch`
(1,000 issues a request, paged), never one GET per issue. Data Center has neither: its search
returns the issues whole with `expand=changelog`. Every issue becomes an observation through
the one parser, `observations.observation_from_issue`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ticketbridge.domain.observed import IssueObservation, ObservedVia
from ticketbridge.errors import InputError
from ticketbridge.providers.jira.client import JiraClient
from ticketbridge.providers.jira.dialect import Dialect
from ticketbridge.providers.jira.observations import moment, observation_from_issue
from ticketbridge.providers.observing import ChangedIssue

BULK_ISSUES = 100  # POST /issue/bulkfetch
BULK_CHANGELOGS = 1000  # POST /changelog/bulkfetch
SEARCH_PAGE = 100  # /search/jql's page for issues with fields
# What the parser reads: state, who, when, and the comments (approvals, first response).
OBSERVED_FIELDS = ("status", "resolution", "assignee", "priority", "updated", "comment")
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class JiraObserver:
    def __init__(self, client: JiraClient, dialect: Dialect) -> None:
        self.client = client
        self.dialect = dialect
        self._zone: str | None = None

    @property
    def cloud(self) -> bool:
        return self.dialect.capabilities.flavor == "cloud"

    @property
    def requests_sent(self) -> int:
        return self.client.requests_sent

    async def time_zone(self) -> str:
        if self._zone is None:
            me = await self.client.myself()
            zone = me.get("timeZone") if isinstance(me, Mapping) else None
            self._zone = str(zone) if isinstance(zone, str) and zone else "UTC"
        return self._zone

    async def server_time(self) -> datetime | None:
        info = await self.client.server_info()
        raw = info.get("serverTime") if isinstance(info, Mapping) else None
        if raw is None:
            return None
        try:
            return moment(raw, "serverTime")
        except InputError:
            return None

    async def changed(
        self, jql: str, page_token: str | None
    ) -> tuple[list[ChangedIssue], str | None]:
        if self.cloud:
            fields: Sequence[str] = ("updated",)
            expand: Sequence[str] = ()
        else:
            fields, expand = OBSERVED_FIELDS, ("changelog",)
        issues, token = await self.dialect.search(
            self.client, jql, page_token, SEARCH_PAGE, fields=fields, expand=expand
        )
        return [hit for issue in issues if (hit := _hit(issue, whole=not self.cloud))], token

    async def observe(self, changed: Sequence[ChangedIssue]) -> list[IssueObservation]:
        whole = [c.raw for c in changed if c.raw is not None]
        wanted = [c.issue_id for c in changed if c.raw is None]
        if wanted:
            histories = await self._histories(wanted)
            for part in chunks(wanted, BULK_ISSUES):
                body = {"issueIdsOrKeys": list(part), "fields": list(OBSERVED_FIELDS)}
                answer = await self.client.bulkfetch_issues(body)
                for issue in _list(answer, "issues"):
                    history = histories.get(str(issue.get("id")), [])
                    whole.append({**issue, "changelog": {"histories": history}})
        return [found for issue in whole if (found := _observation(issue))]

    async def _histories(self, issue_ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        found: dict[str, list[Mapping[str, Any]]] = {}
        for part in chunks(issue_ids, BULK_CHANGELOGS):
            token: str | None = None
            while True:
                body: dict[str, Any] = {"issueIdsOrKeys": list(part), "maxResults": 1000}
                if token:
                    body["nextPageToken"] = token
                page = await self.client.bulkfetch_changelogs(body)
                for entry in _list(page, "issueChangeLogs"):
                    found.setdefault(str(entry.get("issueId")), []).extend(
                        _list(entry, "changeHistories")
                    )
                token = page.get("nextPageToken") if isinstance(page, Mapping) else None
                if not token:
                    break
        return found

    async def existing(self, issue_ids: Sequence[str]) -> set[str]:
        present: set[str] = set()
        for part in chunks(issue_ids, BULK_ISSUES):
            if self.cloud:
                answer = await self.client.bulkfetch_issues(
                    {"issueIdsOrKeys": list(part), "fields": ["id"]}
                )
                present |= {str(i.get("id")) for i in _list(answer, "issues")}
            else:
                present |= await self._existing_by_search(part)
        return present

    async def _existing_by_search(self, issue_ids: Sequence[str]) -> set[str]:
        numeric = [i for i in issue_ids if i.isdigit()]
        if not numeric:
            return set()
        # A missing id is an error in strict JQL validation: "warn" lets the rest be found.
        body = {
            "jql": f"id in ({', '.join(numeric)})",
            "startAt": 0,
            "maxResults": len(numeric),
            "fields": ["id"],
            "validateQuery": "warn",
        }
        return {str(i.get("id")) for i in _list(await self.client.search_legacy(body), "issues")}


def _list(data: Any, name: str) -> list[Mapping[str, Any]]:
    values = data.get(name) if isinstance(data, Mapping) else None
    return [v for v in values or () if isinstance(v, Mapping)]


def _hit(issue: Mapping[str, Any], *, whole: bool) -> ChangedIssue | None:
    fields = issue.get("fields")
    updated = fields.get("updated") if isinstance(fields, Mapping) else None
    if issue.get("id") is None or updated is None:
        return None  # not a usable hit (a restricted issue shows neither): nothing to observe
    try:
        when = moment(updated, "fields.updated")
    except InputError:
        return None
    raw = issue if whole else None
    return ChangedIssue(str(issue["id"]), str(issue.get("key") or ""), when, raw)


def _observation(issue: Mapping[str, Any]) -> IssueObservation | None:
    changelog = issue.get("changelog")
    histories = _list(changelog, "histories")
    try:
        return observation_from_issue(
            issue, via=ObservedVia.RECONCILE, changelog=histories, author_account_id=None
        )
    except InputError:
        return None  # an issue Jira answered without its state: the next run sees it again
