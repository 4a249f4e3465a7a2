"""Settings accepted but not acted on yet are named, with their line, wherever they are set."""

from __future__ import annotations

from ticketbridge.bootstrap import load_config
from ticketbridge.config.inactive import INACTIVE, inactive_settings
from ticketbridge.config.settings import load_settings
from ticketbridge.errors import Problem

# Each inactive key of ticketbridge.yaml, as a user would write it (on line 2). None now:
# sync.approvals became active with the audit trail's HUMAN_REVIEW events.
WRITTEN: dict[tuple[str, ...], str] = {}


def test_every_inactive_key_of_the_file_has_a_case_here() -> None:
    assert set(WRITTEN) == set(INACTIVE)


# The machinery, with rows of its own while the table is empty: a key in the file, a key
# nested in a list's model, a process variable.
ROWS: dict[tuple[str, ...], str] = {
    ("sync", "escalate"): "stale tickets are not escalated",
    ("jira", "webhook"): "deliveries are not taken",
    ("PUBLIC_URL",): "nothing is registered",
}
TEXT = (
    "defaults: {project: OPS}\n"
    "sync: {escalate: {stale_after: 24h}}\n"
    "jira:\n  webhook: {secret: s}\n  url: https://acme.atlassian.net\n"
    "  auth: {type: token, email: a@b.co, api_token: t}\n"
)


def test_an_inactive_key_is_named_with_its_line_and_a_variable_by_its_name() -> None:
    config = load_config(text=TEXT, env={})
    settings = load_settings({"TICKETBRIDGE_PUBLIC_URL": "https://tb.acme.com"})
    assert inactive_settings(config, settings, ROWS) == [
        Problem("sync.escalate", "not active yet: stale tickets are not escalated", 2),
        Problem("jira.webhook", "not active yet: deliveries are not taken", 4),
        Problem("TICKETBRIDGE_PUBLIC_URL", "not active yet: nothing is registered"),
    ]
    assert inactive_settings(load_config(text="", env={}), load_settings({}), ROWS) == []


def test_defaults_and_disabled_values_name_nothing() -> None:
    assert inactive_settings(load_config(text="defaults: {project: OPS}\n", env={})) == []
    assert inactive_settings(load_config(text="sync: {escalate: null}\ncallbacks: []\n")) == []
    resolved = "sync: {on_source_resolved: {comment: false}, resolutions: {Done: resolved}}\n"
    assert inactive_settings(load_config(text=resolved, env={})) == []  # these are active
    synced = "sync: {status: {done: resolved}, status_ids: {'10001': in_progress}}\n"
    assert inactive_settings(load_config(text=synced, env={})) == []  # two-way sync (issue 14)
    webhook = (
        "jira:\n  webhook: {secret: s}\n  url: https://acme.atlassian.net\n"
        "  auth: {type: token, email: a@b.co, api_token: t}\n"
    )
    assert inactive_settings(load_config(text=webhook, env={})) == []
    audit = "audit: {capture_fields: [summary], change_risk_field: customfield_10042}\n"
    assert inactive_settings(load_config(text=audit, env={})) == []  # the audit trail reads them


def test_approvals_are_active() -> None:
    """`sync.approvals` makes HUMAN_REVIEW events of the trail (issue 16)."""
    approvals = "sync:\n  approvals: {statuses: [Approved], comment: '(?i)^approved'}\n"
    assert inactive_settings(load_config(text=approvals, env={})) == []


def test_the_public_url_is_active() -> None:
    """TICKETBRIDGE_PUBLIC_URL is where `jira webhook register` points Jira by default."""
    settings = load_settings({"TICKETBRIDGE_PUBLIC_URL": "https://tb.acme.com"})
    assert inactive_settings(load_config(text="", env={}), settings) == []
