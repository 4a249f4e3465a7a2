"""The outside world: `jira`, `sync`, `callbacks`, `audit` and `sources` (SPEC §3, §6, §8)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ticketbridge.config.durations import Duration
from ticketbridge.config.models import StrictModel
from ticketbridge.domain import JIRA_OUTCOMES, AlertState, Flavor, StatusCategory, defaults


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_is_none)]
"""A secret that may be absent; `${VAR:-}` (empty) counts as absent."""


_OUTCOMES = [state.value for state in AlertState if state in JIRA_OUTCOMES]
_EXPECTED = ", ".join(repr(v) for v in _OUTCOMES[:-1]) + f" or {_OUTCOMES[-1]!r}"


def _jira_outcome(value: Any) -> Any:
    # Refused before the enum sees it, so the message lists the states allowed here only.
    if isinstance(value, str) and value not in _OUTCOMES:
        raise PydanticCustomError(
            "literal_error", "Input should be {expected}", {"expected": _EXPECTED}
        )
    return value


JiraOutcome = Annotated[AlertState, BeforeValidator(_jira_outcome)]
"""An alert state a Jira status or resolution can move an alert to (SPEC §6)."""


class TokenAuth(StrictModel):
    """Jira Cloud: Atlassian account email + API token, sent as basic auth."""

    type: Literal["token"]
    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    api_token: SecretStr


class PatAuth(StrictModel):
    """Jira Data Center ≥ 8.14: personal access token, sent as Bearer."""

    type: Literal["pat"]
    token: SecretStr


class BasicAuth(StrictModel):
    """Jira Data Center: username and password."""

    type: Literal["basic"]
    username: str = Field(min_length=1)
    password: SecretStr


class OAuth2Auth(StrictModel):
    """Jira Cloud OAuth 2.0 (3LO): refreshed access tokens against api.atlassian.com."""

    type: Literal["oauth2"]
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    cloud_id: str = Field(min_length=1)


JiraAuth = Annotated[TokenAuth | PatAuth | BasicAuth | OAuth2Auth, Field(discriminator="type")]

_AUTH_BY_FLAVOR = {"cloud": ("token", "oauth2"), "datacenter": ("pat", "basic")}


class JiraWebhookConfig(StrictModel):
    """How Jira's webhooks prove themselves: HMAC secret (Cloud) or URL token (Data Center)."""

    secret: OptionalSecret = None
    token: OptionalSecret = None


class JiraConfig(StrictModel):
    flavor: Flavor = "cloud"
    url: AnyHttpUrl
    auth: JiraAuth
    ca_bundle: Path | None = Field(default=None, description="extra CA bundle; TLS stays on")
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds per request")
    webhook: JiraWebhookConfig = Field(default_factory=JiraWebhookConfig)
    allow_private: bool = Field(
        default=False,
        description="the URL may reach loopback and private networks (RFC 1918, ULA): a Data "
        "Center on your own network, the emulator; link-local and metadata stay refused",
    )
    allow_plain_http: bool = Field(
        default=False,
        description="plain http:// to a host other than loopback (credentials travel in clear)",
    )

    @model_validator(mode="after")
    def _auth_fits_flavor(self) -> JiraConfig:
        allowed = _AUTH_BY_FLAVOR[self.flavor]
        if self.auth.type not in allowed:
            raise ValueError(
                f"auth type '{self.auth.type}' does not work with flavor '{self.flavor}'; "
                f"use {' or '.join(repr(a) for a in allowed)}"
            )
        return self


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"not a valid regular expression: {err}") from err
    return value


class ApprovalsConfig(StrictModel):
    """A transition into one of `statuses` or a comment matching `comment` is a HUMAN_REVIEW."""

    statuses: list[str] = Field(default_factory=lambda: ["Approved"])
    comment: str = r"(?i)^\s*approved\b"

    _regex = field_validator("comment")(_check_regex)


class SourceResolvedConfig(StrictModel):
    """What happens to the ticket when the source says the alert is resolved."""

    comment: bool = True
    transition: bool = True


class EscalateConfig(StrictModel):
    """Tickets not updated for `stale_after` are escalated (seed 000: auto-escalate after 24h)."""

    stale_after: Duration = timedelta(hours=24)
    priority: str | None = "Highest"
    labels: list[str] = Field(default_factory=lambda: ["escalated", "urgent"])
    comment: bool = True


class NotifyConfig(StrictModel):
    slack_webhook: OptionalSecret = None


class SyncConfig(StrictModel):
    """Jira → alert: statuses by statusCategory.key, resolutions by name (SPEC §6)."""

    status: dict[StatusCategory, JiraOutcome] = Field(
        default_factory=lambda: dict(defaults.JIRA_STATUS_CATEGORIES)
    )
    resolutions: dict[str, JiraOutcome] = Field(
        default_factory=lambda: dict(defaults.JIRA_RESOLUTIONS)
    )
    status_ids: dict[Annotated[str, Field(pattern=r"^[0-9]{1,18}$")], JiraOutcome] = Field(
        default_factory=dict,
        description="overrides of `status` for single statuses, by status id (never by name)",
    )
    false_positive_suppress: Duration = defaults.FALSE_POSITIVE_SUPPRESS
    accepted_for: Duration | None = Field(
        default=defaults.ACCEPTED_FOR,
        description="how long an accepted risk holds; then its next alert re-raises it "
        "(null: the done issue is treated like any other)",
    )
    accepted_reraise: Literal["reopen", "new"] = "reopen"
    recreate_on_delete: bool = Field(
        default=False,
        description="an alert whose issue was deleted in Jira gets a new issue (off: suppressed)",
    )
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    on_source_resolved: SourceResolvedConfig = Field(default_factory=SourceResolvedConfig)
    escalate: EscalateConfig | None = None
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    reconcile_every: Duration = Field(
        default=timedelta(minutes=5), description="how often reconcile runs (mode poll, both)"
    )
    mode: Literal["webhook", "poll", "both"] = Field(
        default="both",
        description="how Jira's changes come back: webhooks, a periodic reconcile (for sites "
        "where no webhook can be registered), or both (reconcile repairs lost deliveries)",
    )


class CallbackConfig(StrictModel):
    """Tell a source what became of its alert; signed, retried through the outbox (SPEC §6)."""

    source: str = Field(min_length=1)
    on: list[JiraOutcome] = Field(min_length=1)
    url: str = Field(min_length=1, description="Jinja2 template of the URL")
    secret: OptionalSecret = None
    allow_private: bool = Field(
        default=False, description="allow private/loopback targets (SSRF guard off for this URL)"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


class AuditConfig(StrictModel):
    link_pattern: str = r"[A-Z][A-Z0-9_]+-[0-9]+"  # matched at token boundaries only
    capture_fields: list[str] = Field(
        default_factory=lambda: ["summary", "status", "priority", "assignee", "resolution"]
    )
    change_risk_field: str | None = None

    _regex = field_validator("link_pattern")(_check_regex)


class SourceConfig(StrictModel):
    """Credentials a native source must present (SPEC §2); none at all is refused unless allowed."""

    secret: OptionalSecret = Field(default=None, description="HMAC X-TicketBridge-Signature")
    token: OptionalSecret = Field(default=None, description="Bearer header or ?token=")
    allow_unauthenticated: bool = False
    fingerprint: list[str] | None = Field(
        default=None,
        min_length=1,
        description="alert fields to derive the fingerprint from: [kind, attributes.control_id]",
    )

    @property
    def has_credentials(self) -> bool:
        return self.secret is not None or self.token is not None
