"""The synchronous facade for scripts and web handlers: `JiraIssueHandler`, `JiraSyncHandler`.

    handler = JiraIssueHandler(cloud_url=…, email=…, api_token=…)
    issue = handler.create_issue_from_alert(alert={…}, project_key="OPS", issue_type="Bug")
    handler.close()                      # or: with JiraIssueHandler(…) as handler: …

Each handler owns a private event loop running in a daemon thread; every call is submitted to
it and waited for. So a handler works the same from a plain script, from the worker threads of
a Flask/Django app (calls from many threads are serialized on the one loop and share one
connection pool), and from code that already runs an event loop (Jupyter, an async app). It is
closed by `close()`, by the `with` block, or at the latest when it is garbage collected.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from ticketbridge.errors import ConfigError, Problem
from ticketbridge.library.bridge import DEFAULT_DATABASE_URL, Bridge
from ticketbridge.library.connection import Connection
from ticketbridge.library.templates import JiraTemplate
from ticketbridge.library.views import IssueView
from ticketbridge.providers.base import Comment, User

T = TypeVar("T")


class _LoopThread:
    """An event loop of its own, in a daemon thread, taking coroutines from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="ticketbridge-library", daemon=True
        )
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            work.close()
            raise ConfigError(
                "a handler call from inside its own loop would wait for itself",
                [Problem("handler", "use the async Bridge inside ticketbridge callbacks")],
            )
        if self.loop.is_closed():
            work.close()
            raise ConfigError("the handler is closed", [Problem("handler", "open a new one")])
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def _shutdown(loop: _LoopThread, bridge: Bridge) -> None:
    """Close the bridge on its loop, then the loop (from close() or the garbage collector)."""
    try:
        if not loop.loop.is_closed():
            loop.run(bridge.aclose())
    finally:
        loop.stop()


class JiraIssueHandler:
    """Seed 000's handler: issues from alerts, fields and templates; rules; search; edits."""

    def __init__(
        self,
        *,
        database_url: str = DEFAULT_DATABASE_URL,
        source: str = "truthvouch",
        transport: httpx.AsyncBaseTransport | None = None,
        **connection: Unpack[Connection],
    ) -> None:
        """`connection`: the keywords of `library.connection.connect` (`cloud_url=`, …)."""
        bridge = Bridge.connect(
            database_url=database_url, transport=transport, source=source, **connection
        )
        self._bridge = bridge
        self._loop = _LoopThread()
        self._closer = weakref.finalize(self, _shutdown, self._loop, bridge)
        try:
            self._loop.run(bridge.open())
        except BaseException:
            self._closer()
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._bridge.jira.flavor} {self._bridge.jira.url}>"

    @property
    def bridge(self) -> Bridge:
        """The async core (use it from async code; its calls belong on this handler's loop)."""
        return self._bridge

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> JiraIssueHandler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- alerts ----------------------------------------------------------------------------

    def create_issue_from_alert(
        self,
        alert: Mapping[str, Any],
        project_key: str | None = None,
        issue_type: str | None = None,
    ) -> IssueView | None:
        return self._loop.run(self._bridge.create_issue_from_alert(alert, project_key, issue_type))

    def sync_alert(
        self,
        alert: Mapping[str, Any],
        project_key: str | None = None,
        issue_type: str | None = None,
    ) -> IssueView | None:
        return self._loop.run(self._bridge.sync_alert(alert, project_key, issue_type))

    def configure_rule(self, name: str, trigger: str, action: Mapping[str, Any]) -> None:
        async def configure() -> None:  # on the loop: the outbox reads the router there
            self._bridge.configure_rule(name, trigger, action)

        self._loop.run(configure())

    # --- issues ----------------------------------------------------------------------------

    def test_connection(self) -> User:
        return self._loop.run(self._bridge.test_connection())

    def create_issue(
        self, project_key: str, issue_type: str, fields: Mapping[str, Any]
    ) -> IssueView:
        return self._loop.run(self._bridge.create_issue(project_key, issue_type, fields))

    def create_issue_from_template(
        self,
        template: JiraTemplate | str,
        alert: Mapping[str, Any] | None = None,
        project_key: str | None = None,
        issue_type: str | None = None,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> IssueView:
        return self._loop.run(
            self._bridge.create_issue_from_template(
                template, alert, project_key, issue_type, context=context
            )
        )

    def get_issue(self, key: str) -> IssueView:
        return self._loop.run(self._bridge.get_issue(key))

    def search(self, jql: str, max_results: int = 50) -> list[IssueView]:
        return self._loop.run(self._bridge.search(jql, max_results))

    def update_issue(self, key: str, fields: Mapping[str, Any]) -> IssueView:
        return self._loop.run(self._bridge.update_issue(key, fields))

    def add_comment(self, key: str, body: str) -> Comment:
        return self._loop.run(self._bridge.add_comment(key, body))

    def transition_issue(
        self,
        key: str,
        transition: str,
        *,
        resolution: str | None = None,
        comment: str | None = None,
    ) -> IssueView:
        return self._loop.run(
            self._bridge.transition_issue(key, transition, resolution=resolution, comment=comment)
        )


class JiraSyncHandler(JiraIssueHandler):
    """Seed 000's sync handler: `sync_alert(alert, project_key, issue_type)` creates the alert's
    issue once and updates it on every later occurrence (the same fingerprint, e.g. the same
    alert id with a higher count). The same connection arguments as `JiraIssueHandler`.

    "Once" is held by the store (`./var/library.db`, or `database_url=`), not by a search in
    Jira before each create: the store's transaction decides create-or-update atomically for
    every thread, handler and process that shares it, while a marker search races (two callers
    both find nothing) and lags behind Jira's index on Cloud. The marker (a `tb-…` label and an
    issue property on every created issue) is still used where it is right: to settle a create
    whose answer was lost, by looking the issue up before trying again."""
