"""`JiraProvider`: the Provider port over Jira Cloud (REST v3) and Data Center (REST v2).

Composition only: `client` speaks HTTP, `dialect` knows the flavour, `fields` caches metadata,
`bodies` builds requests and reads answers. Exactly-once creation is the pipeline's job; this
class makes it possible: the create body carries the marker (label + issue property), an
ambiguous create raises `OutcomeUnknown` and is never repeated, and `find_by_markers` searches
with `reconcileIssues` for ids the caller knows (read-after-write despite index lag on Cloud).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog

from ticketbridge.clock import Clock, Monotonic, Sleep, system_clock
from ticketbridge.domain.states import Flavor
from ticketbridge.errors import FieldErrors, JiraError
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
from ticketbridge.providers.jira import jql
from ticketbridge.providers.jira.bodies import Bodies, comment_from, issue_from, transition_from
from ticketbridge.providers.jira.client import HttpSettings, JiraClient, make_http
from ticketbridge.providers.jira.dialect import dialect_for
from ticketbridge.providers.jira.errors import Where
from ticketbridge.providers.jira.fields import CacheTtls, Metadata
from ticketbridge.providers.jira.observer import chunks
from ticketbridge.providers.jira.ratelimit import RateGovernor, RateSettings
from ticketbridge.providers.jira.retry import RetryPolicy
from ticketbridge.render.document import Document

log = structlog.get_logger(__name__)

# OAuth 2.0 and scoped tokens reach Cloud through api.atlassian.com/ex/jira/{cloudId}.
# Labels per marker search: a JQL of about 2 KB, sent in a POST's body.
MARKERS_PER_SEARCH = 50
_CLOUD_ID_IN_URL = re.compile(r"/ex/jira/([^/?#]+)")


class JiraProvider:
    def __init__(
        self,
        *,
        flavor: Flavor,
        base_url: str,
        auth: httpx.Auth | None,
        transport: httpx.AsyncBaseTransport | None = None,
        browse_url: str | None = None,
        ca_bundle: str | None = None,
        http: HttpSettings | None = None,
        rate: RateSettings | None = None,
        retry: RetryPolicy | None = None,
        ttls: CacheTtls | None = None,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Clock = system_clock,
    ) -> None:
        settings = http or HttpSettings(base_url=base_url, auth=auth, ca_bundle=ca_bundle)
        self.dialect = dialect_for(flavor)
        self.browse_url = (browse_url or base_url).rstrip("/")
        self._api_url = base_url
        self._site_id: str | None = None
        governor = RateGovernor(rate or RateSettings(), clock=clock, sleep=sleep)
        self.client = JiraClient(
            make_http(settings, transport),
            api_root=self.dialect.api_root,
            timeout=settings.timeout,
            governor=governor,
            retry=retry,
            sleep=sleep,
            now=now,
        )
        self.metadata = Metadata(self.client, self.dialect, ttls=ttls, clock=clock)
        self.bodies = Bodies(self.metadata, self.dialect)

    @property
    def capabilities(self) -> Capabilities:
        return self.dialect.capabilities

    def _ref(self, data: Mapping[str, Any]) -> IssueRef:
        key = str(data["key"])
        return IssueRef(str(data["id"]), key, f"{self.browse_url}/browse/{key}")

    # --- issues -----------------------------------------------------------------------------

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        body = await self.bodies.create(draft)
        where = Where("POST", "/issue", draft.project, draft.issue_type, idempotent=False)
        return self._ref(await self.client.create_issue(body, where))

    async def create_issues(self, drafts: Sequence[IssueDraft]) -> BulkResult:
        """Bulk create, ≤ 50 per call; failures map back to input positions.

        A call that fails as a whole fails each of its positions with that error; an ambiguous
        answer (lost response, 5xx) makes each position `OutcomeUnknown`, to be resolved by
        marker. Other calls of the same batch are unaffected.
        """
        created: dict[int, IssueRef] = {}
        failed: dict[int, Exception] = {}
        step = self.capabilities.max_bulk
        for start in range(0, len(drafts), step):
            chunk = list(enumerate(drafts[start : start + step], start))
            await self._bulk_chunk(chunk, created, failed)
        return BulkResult(created=created, failed=failed)

    async def _bulk_chunk(
        self,
        chunk: list[tuple[int, IssueDraft]],
        created: dict[int, IssueRef],
        failed: dict[int, Exception],
    ) -> None:
        sent: list[int] = []
        bodies: list[dict[str, Any]] = []
        for pos, draft in chunk:
            try:
                bodies.append(await self.bodies.create(draft))
                sent.append(pos)
            except FieldErrors as exc:  # refused before sending (unknown issue type, value)
                failed[pos] = exc
        if not bodies:
            return
        where = Where("POST", "/issue/bulk", idempotent=False)
        try:
            data = await self.client.create_issues({"issueUpdates": bodies}, where)
        except JiraError as exc:
            failed.update(dict.fromkeys(sent, exc))
            return
        bad: dict[int, Exception] = {}
        for err in (data or {}).get("errors", []):
            element = int(err.get("failedElementNumber", -1))
            if 0 <= element < len(sent):
                bad[sent[element]] = _element_error(err, chunk_draft(chunk, sent[element]))
        if "issues" not in (data or {}) and not bad:  # a plain 400 ErrorCollection
            whole = {"elementErrors": data or {}, "status": 400}
            bad = {pos: _element_error(whole, chunk_draft(chunk, pos)) for pos in sent}
        failed.update(bad)
        ok = [pos for pos in sent if pos not in bad]
        for pos, issue in zip(ok, (data or {}).get("issues", []), strict=False):
            created[pos] = self._ref(issue)

    async def get_issue(self, key: str) -> Issue:
        return issue_from(await self.client.get_issue(key), self.dialect, self.browse_url)

    async def update_issue(self, key: str, update: IssueUpdate) -> None:
        body = await self.bodies.update(update)
        if body:
            await self.client.edit_issue(key, body)

    async def add_comment(self, key: str, body: Document) -> Comment:
        data = await self.client.add_comment(key, {"body": self.dialect.rich_text(body)})
        return comment_from(data, self.dialect)

    async def edit_comment(self, key: str, comment_id: str, body: Document) -> Comment:
        payload = {"body": self.dialect.rich_text(body)}
        return comment_from(await self.client.edit_comment(key, comment_id, payload), self.dialect)

    async def list_transitions(self, key: str) -> tuple[Transition, ...]:
        data = await self.client.get_transitions(key)
        return tuple(transition_from(t) for t in data.get("transitions", []))

    async def transition(
        self,
        key: str,
        transition_id: str,
        *,
        resolution: str | None = None,
        comment: Document | None = None,
    ) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if resolution is not None and await self._resolution_settable(key, transition_id):
            body["fields"] = {"resolution": {"name": resolution}}
        if comment is not None:
            body["update"] = {"comment": [{"add": {"body": self.dialect.rich_text(comment)}}]}
        await self.client.do_transition(key, body)

    async def _resolution_settable(self, key: str, transition_id: str) -> bool:
        """False when Jira says the transition's screen has no resolution (a 400 otherwise)."""
        data = await self.client.get_transitions(key)
        for t in data.get("transitions", []):
            if str(t.get("id")) == transition_id and "fields" in t:
                if "resolution" in (t.get("fields") or {}):
                    return True
                log.warning("resolution dropped: not on the transition screen", issue=key)
                return False
        return True

    async def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None:
        await self.client.create_link(
            {
                "type": {"name": link_type},
                "inwardIssue": {"key": inward_key},
                "outwardIssue": {"key": outward_key},
            }
        )

    async def add_remote_link(self, key: str, url: str, title: str) -> None:
        body = {"globalId": url, "object": {"url": url, "title": title}}
        await self.client.upsert_remote_link(key, body)

    # --- finding ----------------------------------------------------------------------------

    async def find_by_markers(
        self, markers: Sequence[Marker], *, known_ids: Sequence[str] = ()
    ) -> dict[Marker, tuple[IssueRef, ...]]:
        refs: dict[Marker, list[IssueRef]] = {marker: [] for marker in markers}
        by_label = {marker.label: marker for marker in markers}
        for some in chunks(list(by_label.values()), MARKERS_PER_SEARCH):
            query = jql.marker_jql(some)
            token: str | None = None
            while True:
                issues, token = await self.dialect.search(
                    self.client, query, token, 50, known_ids, fields=("labels",)
                )
                for issue in issues:
                    for label in _labels(issue):
                        if label in by_label:
                            refs[by_label[label]].append(self._ref(issue))
                if token is None:
                    break
        return {marker: tuple(found) for marker, found in refs.items()}

    async def search(
        self, jql: str, *, page_token: str | None = None, page_size: int = 50
    ) -> SearchPage:
        issues, token = await self.dialect.search(self.client, jql, page_token, page_size)
        return SearchPage(
            tuple(issue_from(i, self.dialect, self.browse_url) for i in issues), token
        )

    # --- metadata ---------------------------------------------------------------------------

    async def server_info(self) -> ServerInfo:
        data = await self.client.server_info()
        return ServerInfo(
            str(data.get("baseUrl", self.browse_url)),
            str(data.get("version", "")),
            str(data.get("deploymentType", "")),
        )

    async def site_id(self) -> str:
        """Which Jira site this is, as Jira itself says: `cloud:<cloudId>` (tenant_info, or the
        api.atlassian.com URL) or `datacenter:<baseUrl>` (serverInfo). Tickets are bound to it,
        so that another site with the same keys is never written to. Asked once per provider."""
        if self._site_id is None:
            self._site_id = await self._ask_site_id()
        return self._site_id

    async def _ask_site_id(self) -> str:
        if self.capabilities.flavor == "datacenter":
            return f"datacenter:{(await self.server_info()).base_url.rstrip('/').lower()}"
        in_url = _CLOUD_ID_IN_URL.search(self._api_url)
        if in_url:
            return f"cloud:{in_url.group(1)}"
        data = await self.client.tenant_info()
        cloud_id = data.get("cloudId") if isinstance(data, Mapping) else None
        if not isinstance(cloud_id, str) or not cloud_id:
            raise JiraError("Jira answered /_edge/tenant_info without a cloudId")
        return f"cloud:{cloud_id}"

    async def myself(self) -> User:
        user = self.dialect.user_from(await self.client.myself())
        if user is None:
            raise JiraError("Jira answered /myself without a user")
        return user

    async def projects(self) -> tuple[Project, ...]:
        return await self.metadata.projects()

    async def my_permissions(self, project: str, keys: Sequence[str]) -> dict[str, bool]:
        """Which project permissions (Jira's keys: CREATE_ISSUES, …) this account holds in
        `project`; a key Jira does not list counts as not held."""
        body = await self.client.my_permissions(project, ",".join(keys))
        listed = body.get("permissions", {}) if isinstance(body, Mapping) else {}
        return {
            key: bool(isinstance(listed.get(key), Mapping) and listed[key].get("havePermission"))
            for key in keys
        }

    async def issue_types(self, project: str) -> tuple[IssueType, ...]:
        return await self.metadata.issue_types(project)

    async def priorities(self) -> tuple[Priority, ...]:
        return await self.metadata.priorities()

    async def statuses(self) -> tuple[Status, ...]:
        return await self.metadata.statuses()

    async def fields(self) -> tuple[FieldDef, ...]:
        return await self.metadata.fields()

    async def create_meta(self, project: str, issue_type: str) -> tuple[CreateMetaField, ...]:
        return await self.metadata.create_meta(project, issue_type)

    async def find_user(self, query: str) -> User | None:
        return await self.metadata.find_user(query)

    async def aclose(self) -> None:
        await self.client.aclose()


def _labels(issue: Mapping[str, Any]) -> list[str]:
    return list((issue.get("fields") or {}).get("labels") or [])


def chunk_draft(chunk: list[tuple[int, IssueDraft]], pos: int) -> IssueDraft:
    return next(d for p, d in chunk if p == pos)


def _element_error(err: Mapping[str, Any], draft: IssueDraft) -> FieldErrors:
    collection = err.get("elementErrors") or {}
    messages = tuple(str(m) for m in collection.get("errorMessages") or ())
    fields = {str(k): str(v) for k, v in (collection.get("errors") or {}).items()}
    scope = f"{draft.project}/{draft.issue_type}"
    detail = "; ".join([*messages, *(f"{k}: {v}" for k, v in fields.items())])
    return FieldErrors(
        f"Jira refused issue '{draft.summary[:60]}' of {scope}: {detail}",
        messages=messages,
        fields=fields,
        hint="; ".join(f"field '{k}' of {scope}: {v}" for k, v in fields.items()) or None,
        status=int(err.get("status", 400)),
    )


def _conforms(provider: JiraProvider) -> Provider:
    """mypy proves JiraProvider implements the port (a mismatch fails type checking)."""
    return provider
