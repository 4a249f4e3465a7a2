"""ticketbridge.config: `ticketbridge.yaml` (SPEC §3) and the `TICKETBRIDGE_*` environment.

    from ticketbridge.config import load_settings
    settings = load_settings()                 # environment, read now

The models of the YAML live here; loading it is `ticketbridge.bootstrap.load_config` (and
`load_configured(settings)`), the one loader, which checks everything `serve` checks. Every
refusal is a `ticketbridge.errors.ConfigError` whose `problems` name path and line. Nothing is
read at import time.
"""

from ticketbridge.config.document import ConfigDocument, format_path
from ticketbridge.config.durations import Duration, format_duration, parse_duration
from ticketbridge.config.integrations import (
    ApprovalsConfig,
    AuditConfig,
    BasicAuth,
    CallbackConfig,
    EscalateConfig,
    JiraAuth,
    JiraConfig,
    JiraWebhookConfig,
    NotifyConfig,
    OAuth2Auth,
    PatAuth,
    SourceConfig,
    SourceResolvedConfig,
    SyncConfig,
    TokenAuth,
)
from ticketbridge.config.loader import ConfigCheck
from ticketbridge.config.models import (
    AssignmentRule,
    DedupConfig,
    Defaults,
    DueSetting,
    FieldValue,
    GroupConfig,
    LinkOption,
    RouteConfig,
    TemplateConfig,
)
from ticketbridge.config.schema import Config, Location
from ticketbridge.config.settings import Settings, load_settings

__all__ = [
    "ApprovalsConfig",
    "AssignmentRule",
    "AuditConfig",
    "BasicAuth",
    "CallbackConfig",
    "Config",
    "ConfigCheck",
    "ConfigDocument",
    "DedupConfig",
    "Defaults",
    "DueSetting",
    "Duration",
    "EscalateConfig",
    "FieldValue",
    "GroupConfig",
    "JiraAuth",
    "JiraConfig",
    "JiraWebhookConfig",
    "LinkOption",
    "Location",
    "NotifyConfig",
    "OAuth2Auth",
    "PatAuth",
    "RouteConfig",
    "Settings",
    "SourceConfig",
    "SourceResolvedConfig",
    "SyncConfig",
    "TemplateConfig",
    "TokenAuth",
    "format_duration",
    "format_path",
    "load_settings",
    "parse_duration",
]
