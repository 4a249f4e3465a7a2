"""Reads from the Jira connection in effect, for the API's search and for reconcile.

`LiveJira` keeps one client while the connection stays the same (the site's id and the user's
time zone are asked once) and builds another when a new connection is saved; clients of
earlier connections may be in the middle of a call, so they are closed with this one.
"""

from __future__ import annotations

from collections.abc import Callable

from ticketbridge.bootstrap.jira_live import LiveConnection, PerConnection
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.errors import FieldErrors, InputError, Problem
from ticketbridge.providers.base import SearchPage
from ticketbridge.providers.jira import JiraProvider


class LiveJira:
    """Reads over the connection in effect; `build` makes its client (the workers' builder:
    the same guard, metrics and OAuth 2.0 tokens)."""

    def __init__(self, live: LiveConnection, build: Callable[[JiraConfig], JiraProvider]) -> None:
        self._clients = PerConnection(live, build)

    def configured(self) -> bool:
        return self._clients.configured()

    def provider(self) -> JiraProvider:
        return self._clients.current()

    async def search(self, jql: str, page_token: str | None, page_size: int) -> SearchPage:
        """One page of Jira's answer to `jql`; Jira's refusal of the query names `jql`."""
        try:
            return await self.provider().search(jql, page_token=page_token, page_size=page_size)
        except FieldErrors as refused:
            said = "; ".join([*refused.messages, *refused.fields.values()]) or str(refused)
            field = "page_token" if page_token and "token" in said.lower() else "jql"
            raise InputError("Jira refused the query", [Problem(field, said[:1000])]) from None

    async def aclose(self) -> None:
        await self._clients.aclose()
