"""The Jira REST client: one method per endpoint, parsed JSON out, no business logic.

Every request goes through `_call`: the rate governor first, then httpx with explicit timeouts,
then translation of any failure into the error tree, then retries for what may be retried
(`retry.py`). Paths are relative to the API root the dialect chose (`/rest/api/3` on Cloud,
`/rest/api/2` on Data Center).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ticketbridge.clock import Clock, Sleep, system_clock
from ticketbridge.errors import ConfigError, Problem, RateLimited
from ticketbridge.providers.jira.errors import Where, translate_response, translate_transport
from ticketbridge.providers.jira.ratelimit import RateGovernor
from ticketbridge.providers.jira.retry import RetryPolicy, with_retries

Json = Any
ADMIN_WEBHOOKS = "/rest/webhooks/1.0/webhook"


@dataclass(frozen=True)
class HttpSettings:
    """Connection settings. TLS verification is always on; `ca_bundle` adds a trust store."""

    base_url: str
    auth: httpx.Auth | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    max_connections: int = 20
    ca_bundle: str | None = None
    user_agent: str = "ticketbridge/0.1"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )


def make_http(
    settings: HttpSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A pooled AsyncClient; `transport` is for tests (MockTransport, the emulator)."""
    verify: ssl.SSLContext | bool = True  # never False: a CA bundle adds trust, never removes it
    if settings.ca_bundle:
        try:
            verify = ssl.create_default_context(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                "the Jira CA bundle cannot be used",
                [Problem("jira.ca_bundle", f"{settings.ca_bundle}: {exc}")],
            ) from exc
    return httpx.AsyncClient(
        base_url=settings.base_url.rstrip("/"),
        auth=settings.auth,
        timeout=settings.timeout,
        verify=verify,
        transport=transport,
        limits=httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_connections,
        ),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/json",
            **settings.headers,
        },
    )


class JiraClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_root: str,
        timeout: httpx.Timeout,
        governor: RateGovernor | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Clock = system_clock,
    ) -> None:
        self.http = http
        self.now = now
        self.api_root = api_root.rstrip("/")
        self.timeout = timeout
        self.governor = governor or RateGovernor(sleep=sleep)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.requests_sent = 0

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- the one way out ----------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Json = None,
        where: Where | None = None,
        issue: str | None = None,
        absolute: bool = False,
        answer_statuses: frozenset[int] = frozenset(),
    ) -> Json:
        url = path if absolute else f"{self.api_root}{path}"
        where = where or Where(method, url, idempotent=method != "POST")

        async def once() -> Json:
            await self.governor.acquire(method, issue)
            self.requests_sent += 1
            try:
                response = await self.http.request(
                    method, url, params=params, json=json, timeout=self.timeout
                )
            except httpx.TransportError as exc:
                raise translate_transport(exc, where) from exc
            if response.headers.get("x-ratelimit-nearlimit", "").lower() == "true":
                self.governor.on_near_limit(method, _remaining(response))
            if response.is_success or response.status_code in answer_statuses:
                return response.json() if response.content else None
            error = translate_response(response, where, self.now())
            if isinstance(error, RateLimited):
                self.governor.on_rate_limited(method, issue, error.retry_after, error.reason)
            raise error

        return await with_retries(
            once, policy=self.retry, idempotent=where.idempotent, sleep=self.sleep
        )

    # --- issues -----------------------------------------------------------------------------

    async def create_issue(self, body: Json, where: Where) -> Json:
        return await self._call("POST", "/issue", json=body, where=where)

    async def create_issues(self, body: Json, where: Where) -> Json:
        """201 or, when every element failed, 400: both carry CreatedIssues (issues, errors)."""
        statuses = frozenset({400})
        return await self._call(
            "POST", "/issue/bulk", json=body, where=where, answer_statuses=statuses
        )

    async def get_issue(self, key: str, fields: str = "*all") -> Json:
        return await self._call("GET", f"/issue/{key}", params={"fields": fields})

    async def edit_issue(self, key: str, body: Json) -> Json:
        return await self._call("PUT", f"/issue/{key}", json=body, issue=key)

    async def add_comment(self, key: str, body: Json) -> Json:
        where = Where("POST", f"/issue/{key}/comment", idempotent=False)
        return await self._call("POST", f"/issue/{key}/comment", json=body, where=where, issue=key)

    async def edit_comment(self, key: str, comment_id: str, body: Json) -> Json:
        path = f"/issue/{key}/comment/{comment_id}"
        return await self._call("PUT", path, json=body, issue=key)

    async def get_transitions(self, key: str) -> Json:
        params = {"expand": "transitions.fields"}
        return await self._call("GET", f"/issue/{key}/transitions", params=params)

    async def do_transition(self, key: str, body: Json) -> Json:
        where = Where("POST", f"/issue/{key}/transitions", idempotent=False)
        path = f"/issue/{key}/transitions"
        return await self._call("POST", path, json=body, where=where, issue=key)

    async def create_link(self, body: Json) -> Json:
        where = Where("POST", "/issueLink", idempotent=False)
        return await self._call("POST", "/issueLink", json=body, where=where)

    async def upsert_remote_link(self, key: str, body: Json) -> Json:
        # Keyed by globalId: Jira updates the existing link, so a repeat is harmless.
        where = Where("POST", f"/issue/{key}/remotelink", idempotent=True)
        path = f"/issue/{key}/remotelink"
        return await self._call("POST", path, json=body, where=where, issue=key)

    # --- search -----------------------------------------------------------------------------

    async def search_jql(self, body: Json) -> Json:
        """Cloud: POST /search/jql (nextPageToken, reconcileIssues). Read-only, so idempotent."""
        where = Where("POST", "/search/jql", idempotent=True)
        return await self._call("POST", "/search/jql", json=body, where=where)

    async def search_legacy(self, body: Json) -> Json:
        """Data Center: POST /search (startAt/total). Read-only, so idempotent."""
        where = Where("POST", "/search", idempotent=True)
        return await self._call("POST", "/search", json=body, where=where)

    async def bulkfetch_issues(self, body: Json) -> Json:
        """Cloud: POST /issue/bulkfetch (≤ 100 ids or keys; missing issues are left out)."""
        where = Where("POST", "/issue/bulkfetch", idempotent=True)
        return await self._call("POST", "/issue/bulkfetch", json=body, where=where)

    async def bulkfetch_changelogs(self, body: Json) -> Json:
        """Cloud: POST /changelog/bulkfetch (≤ 1,000 issues, paged by nextPageToken)."""
        where = Where("POST", "/changelog/bulkfetch", idempotent=True)
        return await self._call("POST", "/changelog/bulkfetch", json=body, where=where)

    # --- webhooks (the admin REST API both flavours have; Jira administrators only) --------

    async def admin_webhooks(self) -> Json:
        return await self._call("GET", ADMIN_WEBHOOKS, absolute=True)

    async def register_admin_webhook(self, body: Json) -> Json:
        where = Where("POST", ADMIN_WEBHOOKS, idempotent=False)
        return await self._call("POST", ADMIN_WEBHOOKS, json=body, where=where, absolute=True)

    # --- metadata ---------------------------------------------------------------------------

    async def server_info(self) -> Json:
        return await self._call("GET", "/serverInfo")

    async def tenant_info(self) -> Json:
        """Cloud: the site's `{"cloudId": …}`, at the site root rather than the API root."""
        return await self._call("GET", "/_edge/tenant_info", absolute=True)

    async def myself(self) -> Json:
        return await self._call("GET", "/myself")

    async def projects_page(self, start_at: int, max_results: int = 50) -> Json:
        params = {"startAt": start_at, "maxResults": max_results}
        return await self._call("GET", "/project/search", params=params)

    async def projects_list(self) -> Json:
        return await self._call("GET", "/project")

    async def project(self, key: str) -> Json:
        return await self._call("GET", f"/project/{key}")

    async def priorities(self) -> Json:
        return await self._call("GET", "/priority")

    async def statuses(self) -> Json:
        return await self._call("GET", "/status")

    async def resolutions(self) -> Json:
        return await self._call("GET", "/resolution")

    async def fields(self) -> Json:
        return await self._call("GET", "/field")

    async def createmeta_issuetypes(self, project: str) -> Json:
        return await self._call("GET", f"/issue/createmeta/{project}/issuetypes")

    async def createmeta_fields(self, project: str, issue_type_id: str) -> Json:
        path = f"/issue/createmeta/{project}/issuetypes/{issue_type_id}"
        return await self._call("GET", path, params={"maxResults": 200})

    async def my_permissions(self, project: str, keys: str) -> Json:
        """`GET /mypermissions`: which of `keys` (comma-separated) the account holds there."""
        params = {"projectKey": project, "permissions": keys}
        return await self._call("GET", "/mypermissions", params=params)

    async def user_search(self, params: Mapping[str, str]) -> Json:
        return await self._call("GET", "/user/search", params=params)

    async def assignable_users(self, params: Mapping[str, str]) -> Json:
        """`GET /user/assignable/search`: users who may be assigned issues of `project`."""
        return await self._call("GET", "/user/assignable/search", params=params)

    async def user(self, params: Mapping[str, str]) -> Json:
        """`GET /user`: one user by `accountId` (Cloud) or `username` (Data Center)."""
        return await self._call("GET", "/user", params=params)

    async def project_components(self, project: str) -> Json:
        return await self._call("GET", f"/project/{project}/components")

    async def labels_page(self, start_at: int, max_results: int = 1000) -> Json:
        """Cloud: `GET /label` (PageBeanString); Data Center has no label list."""
        params = {"startAt": start_at, "maxResults": max_results}
        return await self._call("GET", "/label", params=params)


def jsonable_ids(ids: Sequence[str]) -> list[int]:
    """reconcileIssues takes numeric issue ids."""
    return [int(i) for i in ids if i.isdigit()]


def _remaining(response: httpx.Response) -> int | None:
    """`X-RateLimit-Remaining` as a count, or None when absent or not a number."""
    value = response.headers.get("x-ratelimit-remaining", "").strip()
    return int(value) if value.isdigit() else None
