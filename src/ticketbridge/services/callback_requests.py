"""The request a callback job sends: its URL and body rendered, signed, keyed (SPEC §3, §6).

Each `callbacks:` entry is compiled once, at start (a syntax error is a ConfigError that
`config check` names). Per job, in the same sandboxed Jinja2 as the issue templates:

- the URL, with every value of the context percent-encoded (an alert id of `../admin?x=1`
  stays one path segment of the URL the operator wrote);
- the body: a built-in one (`keeptrusts_resolve`, `truthvouch_acknowledge`,
  `compliance_recheck`), a JSON object whose string values are templates (each renders to a
  string value: no template can break the JSON), or by default the alert, state and issue.

Headers: `Content-Type: application/json`, `Idempotency-Key` (`tb-callback-<job id>`: the
same on every attempt of the job), `Authorization: Bearer <token>` when configured, and when a
secret is set `X-TicketBridge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
— the recipe sources use towards us (sources.auth.sign), computed at each attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ticketbridge.config.integrations import BuiltinBody, CallbackConfig
from ticketbridge.domain import Alert, AlertState, Ticket
from ticketbridge.domain.decision import CallbackRule
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.render import CompiledTemplate, TemplateEngine
from ticketbridge.sources.auth import SIGNATURE_HEADER, sign

IDEMPOTENCY_HEADER = "Idempotency-Key"
_MARKS = ("{{", "{%", "{#")
# Keeptrusts wants a resolution name; when Jira's is not known, the state's usual one.
_RESOLUTION_OF = {
    AlertState.RESOLVED: "Done",
    AlertState.FALSE_POSITIVE: "False Positive",
    AlertState.ACCEPTED: "Won't Fix",
}
# TruthVouch's acknowledge: `status` as its SDK spells it, `action` what happened in Jira.
_TRUTHVOUCH_STATUS = {AlertState.TICKETED: "acknowledged"}
_TRUTHVOUCH_ACTION = {AlertState.TICKETED: "jira_issue_created"}


@dataclass(frozen=True)
class CallbackRequest:
    """One attempt's request; `body` is the exact bytes signed and sent."""

    method: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class _Target:
    config: CallbackConfig
    url: CompiledTemplate
    body: Any  # the configured body with its string templates compiled


def callback_context(alert: Alert, ticket: Ticket, state: AlertState, name: str) -> dict[str, Any]:
    """What a callback's templates see: the alert, its issue, the state it tells."""
    return {
        "alert": alert.as_mapping(),
        "state": state.value,
        "callback": name,
        "issue": {
            "key": ticket.issue_key,
            "url": ticket.issue_url,
            "resolution": ticket.resolution,
            "status_category": ticket.status_category,
            "project": ticket.project,
        },
    }


class CallbackTargets:
    """The configured callbacks, compiled; builds each job's request."""

    def __init__(
        self, callbacks: Sequence[CallbackConfig], engine: TemplateEngine | None = None
    ) -> None:
        self._engine = engine or TemplateEngine(max_output=100_000)
        self._targets: dict[str, _Target] = {}
        problems: list[Problem] = []
        for index, config in enumerate(callbacks):
            where = f"callbacks[{index}]"
            if config.label in self._targets:
                message = f"a second callback named {config.label!r}: give each one a `name`"
                problems.append(Problem(f"{where}.name", message))
                continue
            try:
                self._targets[config.label] = self._compiled(where, config)
            except ConfigError as error:  # the template's name is its place in the file
                problems.extend(
                    Problem(p.path.removeprefix("templates."), p.message, p.line)
                    for p in error.problems
                )
        if problems:
            raise ConfigError("callbacks are refused", problems)

    def _compiled(self, where: str, config: CallbackConfig) -> _Target:
        url = self._engine.compile(f"{where}.url", config.url)
        return _Target(config, url, self._compile_body(f"{where}.body", config.body))

    def _compile_body(self, where: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._compile_body(f"{where}.{k}", v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._compile_body(f"{where}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, str) and any(mark in value for mark in _MARKS):
            return self._engine.compile(where, value)
        return value

    @property
    def rules(self) -> tuple[CallbackRule, ...]:
        """What the ticket's life needs to know of each callback (`TicketPolicy.callbacks`)."""
        return tuple(
            CallbackRule(name, t.config.source, frozenset(t.config.on))
            for name, t in self._targets.items()
        )

    def config(self, name: str) -> CallbackConfig | None:
        target = self._targets.get(name)
        return target.config if target is not None else None

    def request(
        self, name: str, job_id: int, context: Mapping[str, Any], now: datetime
    ) -> CallbackRequest:
        """The request of job `job_id` for callback `name`; a ConfigError when the callback
        is gone from the configuration or a template fails for this alert."""
        target = self._targets.get(name)
        if target is None:
            gone = Problem("callbacks", f"no callback named {name!r} any more")
            raise ConfigError("callback not configured", [gone])
        url = self._engine.render(target.url, _url_safe(context)).strip()
        body = _json_bytes(self._body(target, context))
        config = target.config
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: f"tb-callback-{job_id}"}
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"
        if config.secret is not None:
            headers[SIGNATURE_HEADER] = sign(config.secret, body, now)
        return CallbackRequest(config.method, url, body, headers)

    def _body(self, target: _Target, context: Mapping[str, Any]) -> Any:
        body = target.body
        if body is None:
            return _default_body(context)
        if isinstance(body, str):
            return BUILTIN_BODIES[body](context)  # type: ignore[index]
        return self._rendered(body, context)

    def _rendered(self, value: Any, context: Mapping[str, Any]) -> Any:
        if isinstance(value, CompiledTemplate):
            return self._engine.render(value, context)
        if isinstance(value, dict):
            return {k: self._rendered(v, context) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rendered(v, context) for v in value]
        return value


def slack_request(webhook_url: str, body: Mapping[str, Any]) -> CallbackRequest:
    """A Slack incoming-webhook POST (its URL is the credential: no other header)."""
    headers = {"Content-Type": "application/json"}
    return CallbackRequest("POST", webhook_url, _json_bytes(body), headers)


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _url_safe(value: Any) -> Any:
    """The context with every string percent-encoded (nothing kept as `/`, `?`, `#`)."""
    if isinstance(value, str):
        return quote(value, safe="")
    if isinstance(value, Mapping):
        return {k: _url_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_url_safe(v) for v in value]
    return value


def _state(context: Mapping[str, Any]) -> AlertState:
    return AlertState(context["state"])


def _default_body(context: Mapping[str, Any]) -> dict[str, Any]:
    alert, issue = context["alert"], context["issue"]
    return {
        "alert_id": alert["id"],
        "source": alert["source"],
        "state": context["state"],
        "issue_key": issue["key"],
        "issue_url": issue["url"],
        "resolution": issue["resolution"],
    }


def keeptrusts_resolve(context: Mapping[str, Any]) -> dict[str, Any]:
    """Keeptrusts `POST /v1/escalations/{id}/resolve` (seed 001): the resolution's name and
    a note naming the issue."""
    issue = context["issue"]
    resolution = issue["resolution"] or _RESOLUTION_OF.get(_state(context), context["state"])
    return {"resolution": resolution, "notes": f"Resolved via Jira {issue['key']}"}


def truthvouch_acknowledge(context: Mapping[str, Any]) -> dict[str, Any]:
    """TruthVouch's `alerts.acknowledge` (seed 000): the alert, its status, what happened in
    Jira and the issue key as reference."""
    state = _state(context)
    return {
        "alert_id": context["alert"]["id"],
        "status": _TRUTHVOUCH_STATUS.get(state, state.value),
        "action": _TRUTHVOUCH_ACTION.get(state, f"jira_issue_{state.value}"),
        "reference": context["issue"]["key"],
    }


def compliance_recheck(context: Mapping[str, Any]) -> dict[str, Any]:
    """Kushim's `complianceService.recheck(controlId)` (seed 004): the control to check again,
    and the issue whose remediation is done."""
    alert = context["alert"]
    control = alert["attributes"].get("control_id") or alert["id"]
    return {"control_id": control, "reference": context["issue"]["key"], "state": context["state"]}


BUILTIN_BODIES: dict[BuiltinBody, Any] = {
    "keeptrusts_resolve": keeptrusts_resolve,
    "truthvouch_acknowledge": truthvouch_acknowledge,
    "compliance_recheck": compliance_recheck,
}
