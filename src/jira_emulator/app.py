"""The `Emulator`: state, routes, the middleware stack, test support (request log, counters,
snapshot/restore/reset) and webhook delivery, usable in-process or behind uvicorn."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira_emulator.control import control_router
from jira_emulator.errors import JiraError
from jira_emulator.faults import FaultInjector, FaultMiddleware
from jira_emulator.gateway import PREFIX as GATEWAY_PREFIX
from jira_emulator.gateway import Gateway
from jira_emulator.http import JiraJSON
from jira_emulator.limits import RateLimiter, RateLimitMiddleware
from jira_emulator.model import Issue, State, User
from jira_emulator.oauth import AuthorizationServer
from jira_emulator.oauth1 import OAuth1Middleware, OAuth1Provider
from jira_emulator.routes_bulk import bulk_routes
from jira_emulator.routes_issues import issue_routes
from jira_emulator.routes_links import link_routes
from jira_emulator.routes_meta import meta_routes
from jira_emulator.routes_webhooks import webhook_routes
from jira_emulator.search import compile_jql, search_doc, search_routes
from jira_emulator.seed import SeedError, build_state, load_seed_file
from jira_emulator.service import IssueService
from jira_emulator.service_core import Event
from jira_emulator.strict import StrictMiddleware, StrictValidator
from jira_emulator.transport import EmulatorTransport
from jira_emulator.webhooks import Delivery, DeliverySwitch, WebhookDispatcher


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    json: Any
    status: int | None
    route: str  # "METHOD /route/{template}"
    headers: dict[str, str] = field(default_factory=dict)


class Emulator:
    """A faithful local Jira. See the package docstring and README for the API."""

    def __init__(
        self,
        flavor: str = "cloud",
        seed: Mapping[str, Any] | Path | str | None = None,
        strict: bool = False,
        index_lag: float = 0.0,
        base_url: str = "http://jira.test",
        *,
        clock: Callable[[], float] | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        cloud_id: str | None = None,
    ) -> None:
        if isinstance(seed, str | Path):
            seed = load_seed_file(Path(seed))
        self.flavor = flavor
        self.base_url = base_url.rstrip("/")
        # Each Cloud site has its own id (`/_edge/tenant_info`): two emulators are two sites,
        # even at the same URL and with the same issue keys. Kept across reset().
        self.cloud_id = cloud_id or str(uuid.uuid4())
        self._seed: Mapping[str, Any] | None = seed
        self.clock: Callable[[], float] = clock or time.time
        self.index_lag = float(index_lag)
        self.state: State = build_state(flavor, self.base_url, seed)
        self.service = IssueService(self.state, lambda: self.clock(), lambda: self.index_lag)
        self._check_webhook_filters()
        self.webhooks = WebhookDispatcher(
            lambda: self.state, self._webhook_matches, transport=webhook_transport
        )
        self.service.listeners.append(self.webhooks.on_event)
        # Who changed what: the echo drill counts the changes the integration's own account made.
        self.changes: Counter[tuple[str, str]] = Counter()
        self.service.listeners.append(self._count_change)
        self.requests: list[LoggedRequest] = []
        self.counters: Counter[str] = Counter()
        # The same by answer: "METHOD /route/template 201". A 429 counts in `counters` but did
        # nothing, so what a rate limit let through is counted here.
        self.answered: Counter[str] = Counter()
        # auth.atlassian.com and api.atlassian.com of this site (Cloud): jira_emulator.oauth
        self.oauth = AuthorizationServer(
            lambda: self.state, lambda: self.clock(), lambda: self.cloud_id
        )
        # Data Center's application links (OAuth 1.0a, RSA-SHA1): jira_emulator.oauth1
        self.oauth1 = OAuth1Provider(lambda: self.state, lambda: self.clock())
        apis = ["2", "3"] if flavor == "cloud" else ["2"]
        routes: list[Route] = self._edge_routes()
        routes += self.oauth1.routes() if flavor != "cloud" else []
        for build in (
            meta_routes,
            webhook_routes,
            search_routes,
            bulk_routes,
            link_routes,
            issue_routes,
        ):
            routes += build(self, apis)
        self.router = Router(routes=routes)
        self.limits: RateLimiter
        self.faults: FaultInjector
        self.strict_validator: StrictValidator
        self._strict = strict
        inner = self._stack(self.router)
        self._control = control_router(self)
        self.app: ASGIApp = self._dispatch(inner)

    # -- composition -------------------------------------------------------------------------
    def _edge_routes(self) -> list[Route]:
        """Cloud's unauthenticated `GET /_edge/tenant_info`: the site's cloud id."""
        if self.flavor != "cloud":
            return []

        async def tenant_info(request: Any) -> JiraJSON:
            return JiraJSON({"cloudId": self.cloud_id})

        return [Route("/_edge/tenant_info", tenant_info, methods=["GET"]), *self.oauth.routes()]

    def _stack(self, routes: ASGIApp) -> ASGIApp:
        """Outermost first: request log, strict, rate limits, faults, routes."""
        self.faults = FaultInjector()
        self.limits = RateLimiter.for_flavor(self.flavor)
        app = RateLimitMiddleware(FaultMiddleware(routes, self.faults), self.limits)
        self.strict_validator = StrictValidator(enabled=self._strict)
        return self._logged(StrictMiddleware(app, self.strict_validator))

    @property
    def strict(self) -> bool:
        """Strict mode: v3 requests validated against the OpenAPI spec (switchable)."""
        return self.strict_validator.enabled

    @strict.setter
    def strict(self, on: bool) -> None:
        self._strict = on
        self.strict_validator.enabled = on

    def _dispatch(self, inner: ASGIApp) -> ASGIApp:
        control = self._control
        oauth_control = self.oauth.control()
        gateway = Gateway(inner, self.oauth, lambda: self.cloud_id)
        oauth1_control = self.oauth1.control()
        if self.flavor != "cloud":
            inner = OAuth1Middleware(inner, self.oauth1)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope["path"] if scope["type"] == "http" else ""
            if path.startswith("/_emulator/oauth1"):
                await oauth1_control(scope, receive, send)
            elif path.startswith("/_emulator/oauth"):
                await oauth_control(scope, receive, send)
            elif path.startswith("/_emulator"):
                await control(scope, receive, send)
            elif path.startswith(GATEWAY_PREFIX) and self.flavor == "cloud":
                await gateway(scope, receive, send)
            else:
                await inner(scope, receive, send)

        return app

    def route_of(self, scope: Scope) -> str:
        partial = None
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return f"{scope['method']} {getattr(route, 'path', scope['path'])}"
            if match == Match.PARTIAL and partial is None:
                partial = getattr(route, "path", None)
        return f"{scope['method']} {partial or scope['path']}"

    def _logged(self, app: ASGIApp) -> ASGIApp:
        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False) and message["type"] == "http.request"
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            entry = self._log_entry(scope, body)

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    entry.status = message["status"]
                    self.answered[f"{entry.route} {entry.status}"] += 1
                await send(message)

            await app(scope, replay, capture)

        return logged

    def _log_entry(self, scope: Scope, body: bytes) -> LoggedRequest:
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        try:
            parsed = json.loads(body) if body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            parsed = None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        route = self.route_of(scope)
        entry = LoggedRequest(
            scope["method"], scope["path"], query, body, parsed, None, route, headers
        )
        self.requests.append(entry)
        self.counters[route] += 1
        return entry

    def _count_change(self, event: Event) -> None:
        self.changes[(event.actor, event.event_type or event.webhook_event)] += 1
        if event.changelog is not None and any(
            item.field_id == "status" for item in event.changelog.items
        ):
            self.changes[(event.actor, "status")] += 1

    def changes_by(self, actor: str) -> dict[str, int]:
        """The changes `actor` (a user name) caused, by kind (`status` counts status changes)."""
        return {kind: n for (who, kind), n in self.changes.items() if who == actor}

    def _check_webhook_filters(self) -> None:
        for index, webhook in enumerate(self.state.webhooks.values()):
            if not webhook.jql:
                continue
            try:
                self.compile_jql(webhook.jql)
            except JiraError as error:
                raise SeedError(f"webhooks[{index}].jql: {error.body}") from None

    # -- Host protocol -----------------------------------------------------------------------
    def compile_jql(self, text: str, user: User | None = None) -> Any:
        return compile_jql(self.state, text, self.service.now(), user)

    def _webhook_matches(self, jql_text: str, issue: Issue) -> bool:
        return bool(self.compile_jql(jql_text).matches(search_doc(self.state, issue)))

    # -- public API --------------------------------------------------------------------------
    def transport(self) -> httpx.AsyncBaseTransport:
        return EmulatorTransport(self.app)

    def client(
        self, auth: tuple[str, str] | None = None, timeout: float = 10.0
    ) -> httpx.AsyncClient:
        """An in-process client, authenticated as the first admin user unless `auth` is given
        (Cloud: email + API token; Data Center: username + password)."""
        if auth is None:
            admin = next((u for u in self.state.users.values() if u.admin), None)
            if admin is not None and self.flavor == "cloud" and admin.api_token:
                auth = (admin.email, admin.api_token)
            elif admin is not None and admin.password:
                auth = (admin.name, admin.password)
        return httpx.AsyncClient(
            transport=self.transport(), base_url=self.base_url, auth=auth, timeout=timeout
        )

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    async def drain_webhooks(self, wait: float = 10.0) -> list[Delivery]:
        return await self.webhooks.drain(wait)

    async def aclose(self) -> None:
        """Cancel webhook deliveries still in flight (for tests that do not drain them)."""
        await self.webhooks.close()

    def snapshot(self) -> State:
        return copy.deepcopy(self.state)

    def restore(self, snapshot: State) -> None:
        self.state = copy.deepcopy(snapshot)
        self.service.state = self.state

    def reset(self) -> None:
        """Back to the seed: state, request log, counters, deliveries, faults, rate budgets."""
        self.restore(build_state(self.flavor, self.base_url, self._seed))
        self.requests.clear()
        self.counters.clear()
        self.answered.clear()
        self.webhooks.deliveries.clear()
        self.webhooks.held.clear()
        self.webhooks.dropped.clear()
        self.webhooks.switch = DeliverySwitch()
        self.changes.clear()
        self.faults.clear()
        self.limits.reset()

    def issue(self, key: str) -> Issue:
        """The stored issue by key or id (for assertions); KeyError when absent."""
        found = self.state.issue_by_ref(key)
        if found is None:
            raise KeyError(key)
        return found
