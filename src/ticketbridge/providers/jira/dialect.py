"""Cloud and Data Center: dialects of one client, not copies.

What differs is small and lives here: the API root (v3/v2), rich text (ADF via `to_adf` / wiki
via `to_wiki`), how a user is referenced (`accountId` / `name`) and looked up (`query` /
`username`), how search pages (`/search/jql` with `nextPageToken` and `reconcileIssues` / `/search`
with `startAt` and `total`), and how projects are listed (`/project/search` / `/project`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ticketbridge.providers.base import Capabilities, User
from ticketbridge.providers.jira.client import JiraClient, jsonable_ids
from ticketbridge.render import Document, Paragraph, Text, adf_size, adf_to_text, to_adf, to_wiki

__all__ = [
    "DESCRIPTION_LIMIT",
    "SUMMARY_LIMIT",
    "TRUNCATION_MARKER",
    "CloudDialect",
    "DataCenterDialect",
    "Dialect",
    "clip_summary",
    "dialect_for",
]

SUMMARY_LIMIT = 255
DESCRIPTION_LIMIT = 32_767
TRUNCATION_MARKER = "… [truncated by ticketbridge]"
_SEARCH_FIELDS = ("*all",)


def clip_summary(summary: str) -> str:
    """One line, at most 255 characters, with a visible marker when cut."""
    line = " ".join(summary.split())
    if len(line) <= SUMMARY_LIMIT:
        return line
    return line[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _as_document(value: Any) -> Document:
    return value if isinstance(value, Document) else Document.plain(str(value))


def _fit_blocks(doc: Document, fits: Any) -> Document:
    """The longest prefix of `doc`'s blocks that fits, followed by the truncation marker."""
    marker = Paragraph((Text(TRUNCATION_MARKER),))
    lo, hi = 0, len(doc.blocks)
    while lo < hi:  # largest n with blocks[:n] + marker fitting
        mid = (lo + hi + 1) // 2
        if fits(Document((*doc.blocks[:mid], marker))):
            lo = mid
        else:
            hi = mid - 1
    return Document((*doc.blocks[:lo], marker))


@dataclass(frozen=True)
class Dialect:
    capabilities: Capabilities

    @property
    def api_root(self) -> str:
        return f"/rest/api/{self.capabilities.api_version}"

    @property
    def user_key(self) -> Literal["accountId", "name"]:
        return self.capabilities.user_key

    def rich_text(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def text_of(self, body: Any) -> str:
        if isinstance(body, Mapping):
            return adf_to_text(body)
        return "" if body is None else str(body)

    def user_ref(self, user_id: str) -> dict[str, str]:
        return {self.user_key: user_id}

    def user_id(self, user: User) -> str | None:
        return user.account_id if self.user_key == "accountId" else user.name

    def user_from(self, data: Mapping[str, Any] | None) -> User | None:
        if not data:
            return None
        return User(
            display_name=str(data.get("displayName") or data.get("name") or ""),
            account_id=data.get("accountId"),
            name=data.get("name"),
            email=data.get("emailAddress"),
            active=bool(data.get("active", True)),
        )

    def user_search_params(self, query: str) -> dict[str, str]:
        return {"query": query, "maxResults": "10"}

    async def projects(self, client: JiraClient) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        start = 0
        while True:
            page = await client.projects_page(start)
            values = page.get("values", [])
            found.extend(values)
            if page.get("isLast", True) or not values:
                return found
            start += len(values)

    async def search(
        self,
        client: JiraClient,
        jql: str,
        page_token: str | None,
        page_size: int,
        reconcile_ids: Sequence[str] = (),
        fields: Sequence[str] = _SEARCH_FIELDS,
    ) -> tuple[list[Mapping[str, Any]], str | None]:  # pragma: no cover - overridden
        raise NotImplementedError


class CloudDialect(Dialect):
    def rich_text(self, value: Any) -> Any:
        doc = _as_document(value)
        adf = to_adf(doc)
        if adf_size(adf) <= DESCRIPTION_LIMIT:
            return adf
        return to_adf(_fit_blocks(doc, lambda d: adf_size(to_adf(d)) <= DESCRIPTION_LIMIT))

    async def search(
        self,
        client: JiraClient,
        jql: str,
        page_token: str | None,
        page_size: int,
        reconcile_ids: Sequence[str] = (),
        fields: Sequence[str] = _SEARCH_FIELDS,
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        body: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": list(fields)}
        if page_token:
            body["nextPageToken"] = page_token
        ids = jsonable_ids(reconcile_ids)
        if ids:
            body["reconcileIssues"] = ids
        data = await client.search_jql(body)
        token = data.get("nextPageToken")
        last = data.get("isLast", token is None)
        return list(data.get("issues", [])), (None if last or not token else str(token))


class DataCenterDialect(Dialect):
    def rich_text(self, value: Any) -> Any:
        wiki = to_wiki(_as_document(value))
        if len(wiki) <= DESCRIPTION_LIMIT:
            return wiki
        cut = DESCRIPTION_LIMIT - len(TRUNCATION_MARKER) - 2
        return wiki[:cut] + "\n\n" + TRUNCATION_MARKER

    def user_search_params(self, query: str) -> dict[str, str]:
        return {"username": query, "maxResults": "10"}

    async def projects(self, client: JiraClient) -> list[Mapping[str, Any]]:
        return list(await client.projects_list())

    async def search(
        self,
        client: JiraClient,
        jql: str,
        page_token: str | None,
        page_size: int,
        reconcile_ids: Sequence[str] = (),
        fields: Sequence[str] = _SEARCH_FIELDS,
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        start = int(page_token or 0)
        body = {"jql": jql, "startAt": start, "maxResults": page_size, "fields": list(fields)}
        data = await client.search_legacy(body)
        issues = list(data.get("issues", []))
        nxt = start + len(issues)
        more = bool(issues) and nxt < int(data.get("total", 0))
        return issues, (str(nxt) if more else None)


def dialect_for(flavor: str) -> Dialect:
    cloud = flavor == "cloud"
    caps = Capabilities(
        flavor="cloud" if cloud else "datacenter",
        api_version="3" if cloud else "2",
        rich_text="adf" if cloud else "wiki",
        bulk_create=True,
        max_bulk=50,
        reconcile_issues=cloud,
        user_key="accountId" if cloud else "name",
    )
    return CloudDialect(caps) if cloud else DataCenterDialect(caps)
