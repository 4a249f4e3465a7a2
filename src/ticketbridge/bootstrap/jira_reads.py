"""Reads from the Jira connection in effect, for the API's search and for reconcile.

`LiveJira` keeps one client while the connection stays the same (the site's id and the user's
time zone are asked once) and builds another when a new connection is saved; clients of
earlier connections may be in the middle of a call, so they are closed with this one.
"""

from __future__ import annotations

import httpx

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import build_provider
from ticketbridge.bootstrap.jira_live import NO_JIRA, LiveConnection
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, FieldErrors, InputError, Problem
from ticketbridge.providers.base import SearchPage
from ticketbridge.providers.jira import JiraProvider


class LiveJira:
    def __init__(
        self,
        settings: Settings,
        live: LiveConnection,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._live = live
        self._metrics = metrics
        self._transport = transport
        self._jira: JiraConfig | None = None
        self._provider: JiraProvider | None = None
        self._retired: list[JiraProvider] = []

    def configured(self) -> bool:
        return self._live.current() is not None

    def provider(self) -> JiraProvider:
        connection = self._live.current()
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        if self._provider is None or connection.jira is not self._jira:
            if self._provider is not None:
                self._retired.append(self._provider)
            self._jira = connection.jira
            self._provider = build_provider(
                connection.jira,
                self._metrics,
                self._transport,
                allowed=self._settings.outbound_allow,
            )
        return self._provider

    async def search(self, jql: str, page_token: str | None, page_size: int) -> SearchPage:
        """One page of Jira's answer to `jql`; Jira's refusal of the query names `jql`."""
        try:
            return await self.provider().search(jql, page_token=page_token, page_size=page_size)
        except FieldErrors as refused:
            said = "; ".join([*refused.messages, *refused.fields.values()]) or str(refused)
            field = "page_token" if page_token and "token" in said.lower() else "jql"
            raise InputError("Jira refused the query", [Problem(field, said[:1000])]) from None

    async def aclose(self) -> None:
        for provider in [*self._retired, *([self._provider] if self._provider else [])]:
            await provider.aclose()
        self._retired, self._provider, self._jira = [], None, None
