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
from ticketbridge.render import (
    DESCRIPTION_LIMIT,
    Document,
    adf_and_size,
    adf_measure,
    adf_to_text,
    jira_length,
    to_adf,
    to_wiki,
    truncate,
    wiki_measure,
)

_SEARCH_FIELDS = ("*all",)


def _as_document(value: Any) -> Document:
    return value if isinstance(value, Document) else Document.plain(str(value))


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

    def assignable_params(self, project: str, query: str) -> dict[str, str]:
        return {"project": project, "query": query, "maxResults": "20"}

    def user_params(self, user_id: str) -> dict[str, str]:
        """`GET /user` of the id `user_id` gives (accountId / username)."""
        return {"accountId": user_id}

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
        expand: Sequence[str] = (),
    ) -> tuple[list[Mapping[str, Any]], str | None]:  # pragma: no cover - overridden
        raise NotImplementedError


class CloudDialect(Dialect):
    def rich_text(self, value: Any) -> Any:
        """ADF; a document over Jira's 32,767 limit is cut with render's visible marker."""
        doc = _as_document(value)
        adf, size = adf_and_size(doc)  # the size without serialising, when the render knows it
        if size <= DESCRIPTION_LIMIT:
            return adf
        return to_adf(truncate(doc, measure=adf_measure))

    async def search(
        self,
        client: JiraClient,
        jql: str,
        page_token: str | None,
        page_size: int,
        reconcile_ids: Sequence[str] = (),
        fields: Sequence[str] = _SEARCH_FIELDS,
        expand: Sequence[str] = (),
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        body: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": list(fields)}
        if page_token:
            body["nextPageToken"] = page_token
        if expand:
            body["expand"] = ",".join(expand)  # a comma-separated string on /search/jql
        ids = jsonable_ids(reconcile_ids)
        if ids:
            body["reconcileIssues"] = ids
        data = await client.search_jql(body)
        token = data.get("nextPageToken")
        last = data.get("isLast", token is None)
        return list(data.get("issues", [])), (None if last or not token else str(token))


class DataCenterDialect(Dialect):
    def rich_text(self, value: Any) -> Any:
        """Wiki markup; a document over Jira's 32,767 limit is cut with a visible marker."""
        doc = _as_document(value)
        wiki = to_wiki(doc)
        if jira_length(wiki) <= DESCRIPTION_LIMIT:
            return wiki
        return to_wiki(truncate(doc, measure=wiki_measure))

    def user_search_params(self, query: str) -> dict[str, str]:
        return {"username": query, "maxResults": "10"}

    def assignable_params(self, project: str, query: str) -> dict[str, str]:
        return {"project": project, "username": query, "maxResults": "20"}

    def user_params(self, user_id: str) -> dict[str, str]:
        return {"username": user_id}

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
        expand: Sequence[str] = (),
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        start = int(page_token or 0)
        body: dict[str, Any] = {
            "jql": jql,
            "startAt": start,
            "maxResults": page_size,
            "fields": list(fields),
        }
        if expand:
            body["expand"] = list(expand)
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
