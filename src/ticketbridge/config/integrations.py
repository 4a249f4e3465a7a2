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
from ticketbridge.domain import (
    JIRA_OUTCOMES,
    AlertState,
    Flavor,
    RecurAfterDone,
    StatusCategory,
    defaults,
)
from ticketbridge.domain.states import CALLBACK_STATES


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_is_none)]
"""A secret that may be absent; `${VAR:-}` (empty) counts as absent."""


def _states_check(allowed: frozenset[AlertState]) -> Any:
    """A validator refusing a state outside `allowed` before the enum sees it, so the message
    lists the states allowed here only."""
    values = [state.value for state in AlertState if state in allowed]
    expected = ", ".join(repr(v) for v in values[:-1]) + f" or {values[-1]!r}"

    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in values:
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value

    return BeforeValidator(check)


JiraOutcome = Annotated[AlertState, _states_check(JIRA_OUTCOMES)]
"""An alert state a Jira status or resolution can move an alert to (SPEC §6)."""
CallbackState = Annotated[AlertState, _states_check(CALLBACK_STATES)]
"""An alert state a callback can be sent on: one a ticket's alerts can move to."""


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


ATLASSIAN_AUTH = "https://auth.atlassian.com"
ATLASSIAN_API = "https://api.atlassian.com"
OAUTH_SCOPES = ("read:jira-work", "write:jira-work", "read:jira-user", "offline_access")


class OAuth2Auth(StrictModel):
    """Jira Cloud OAuth 2.0 (3LO): access tokens refreshed at `auth_url`, requests sent to
    `api_url`/ex/jira/{cloud_id}. The tokens live in the database (encrypted, rotated there);
    `refresh_token` is only a first one to start from, used once while the database has none."""

    type: Literal["oauth2"]
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: SecretStr
    cloud_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    refresh_token: OptionalSecret = None
    auth_url: AnyHttpUrl = Field(
        default=AnyHttpUrl(ATLASSIAN_AUTH), description="the authorization server"
    )
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl(ATLASSIAN_API), description="the API gateway")


class ScopedTokenAuth(StrictModel):
    """Jira Cloud scoped API token: basic `email:token`, accepted only through the gateway
    `api_url`/ex/jira/{cloudId}; the cloud id is asked from the site (`/_edge/tenant_info`)
    when not given."""

    type: Literal["scoped_token"]
    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    api_token: SecretStr
    cloud_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$"
    )
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl(ATLASSIAN_API), description="the API gateway")


class OAuth1Auth(StrictModel):
    """Jira Data Center OAuth 1.0a (application link, RSA-SHA1): the link's consumer key, our
    RSA private key (PEM) and the access token a user approved (`config jira --oauth1`)."""

    type: Literal["oauth1"]
    consumer_key: str = Field(min_length=1, max_length=255)
    private_key: SecretStr
    access_token: SecretStr

    @field_validator("private_key")
    @classmethod
    def _pem(cls, value: SecretStr) -> SecretStr:
        if "PRIVATE KEY-----" not in value.get_secret_value():
            raise ValueError("must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)")
        return value


JiraAuth = Annotated[
    TokenAuth | PatAuth | BasicAuth | OAuth2Auth | ScopedTokenAuth | OAuth1Auth,
    Field(discriminator="type"),
]

_AUTH_BY_FLAVOR = {
    "cloud": ("token", "oauth2", "scoped_token"),
    "datacenter": ("pat", "basic", "oauth1"),
}


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
    resolutions: dict[str, str] = Field(
        default_factory=dict,
        description="the source's resolution (attributes.resolution) → the Jira resolution the "
        "transition sets; the names in sync.resolutions map to themselves; others get Done",
    )

    @field_validator("resolutions")
    @classmethod
    def _names_given(cls, value: dict[str, str]) -> dict[str, str]:
        for source, jira in value.items():
            if not source.strip() or not jira.strip():
                raise ValueError("a resolution name may not be blank")
        return value


class EscalateConfig(StrictModel):
    """Tickets not updated for `stale_after` are escalated (seed 000: auto-escalate after 24h)."""

    stale_after: Duration = defaults.ESCALATE_STALE_AFTER
    priority: str | None = defaults.ESCALATE_PRIORITY
    labels: list[str] = Field(default_factory=lambda: list(defaults.ESCALATE_LABELS))
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
    accepted_reraise: RecurAfterDone = defaults.ACCEPTED_RERAISE
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


BuiltinBody = Literal["keeptrusts_resolve", "truthvouch_acknowledge", "compliance_recheck"]
"""The bodies ticketbridge knows for the seeds' ways back (services/callback_requests.py)."""


class CallbackConfig(StrictModel):
    """Tell a source what became of its alert; signed, retried through the outbox (SPEC §6)."""

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="names the callback in jobs and messages (default: the source)",
    )
    source: str = Field(min_length=1)
    on: list[CallbackState] = Field(min_length=1, description="the alert states it is sent on")
    url: str = Field(min_length=1, description="Jinja2 template of the URL")
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    body: BuiltinBody | dict[str, Any] | None = Field(
        default=None,
        description="a built-in body, or a JSON object whose string values are Jinja2 "
        "templates (default: alert_id, source, state, issue_key, issue_url, resolution)",
    )
    secret: OptionalSecret = Field(default=None, description="signs X-TicketBridge-Signature")
    token: OptionalSecret = Field(default=None, description="sent as Authorization: Bearer")
    timeout: float = Field(default=10.0, gt=0, le=60, description="seconds per request")
    allow_private: bool = Field(
        default=False, description="allow private/loopback targets (SSRF guard off for this URL)"
    )

    @property
    def label(self) -> str:
        return self.name or self.source

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
    checkpoint_sink: str | None = Field(
        default=None,
        description="a file path, or an http(s) URL, each signed audit checkpoint is appended to",
    )

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
