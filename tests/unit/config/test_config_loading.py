"""Valid YAML → model values; every kind of bad YAML → the exact problems (path + line)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from textwrap import dedent

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.config import (
    BasicAuth,
    Config,
    OAuth2Auth,
    PatAuth,
    TokenAuth,
)
from ticketbridge.domain import AlertState
from ticketbridge.domain.severity import Severity
from ticketbridge.errors import ConfigError, Problem

EXAMPLE = Path(__file__).parents[3] / "examples" / "ticketbridge.yaml"
EXAMPLE_ENV = {
    "JIRA_API_TOKEN": "tok-123",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
    "KEEPTRUSTS_CALLBACK_SECRET": "cb-secret",
    "KEEPTRUSTS_WEBHOOK_SECRET": "wh-secret",
    "ALERTMANAGER_TOKEN": "am-token",
}


def problems_of(text: str, env: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_config(text=dedent(text), env=env or {})
    return list(caught.value.problems)


def test_spec_example_loads_with_every_value() -> None:
    config = load_config(EXAMPLE, env=EXAMPLE_ENV)

    assert config.jira is not None
    assert config.jira.flavor == "cloud"
    assert str(config.jira.url) == "https://acme.atlassian.net/"
    assert isinstance(config.jira.auth, TokenAuth)
    assert config.jira.auth.api_token.get_secret_value() == "tok-123"
    assert config.defaults.min_severity is Severity.MEDIUM
    assert config.defaults.priority[Severity.INFO] == "Lowest"
    assert config.defaults.due[Severity.HIGH] == timedelta(days=7)
    assert config.defaults.dedup.reopen_within == timedelta(days=7)
    assert config.templates["hallucination_bug"].format == "markdown"
    assert [r.name for r in config.routes] == [
        "critical-hallucinations",
        "keeptrusts-block",
        "aws-controls",
        "muted-controls",
    ]
    first = config.routes[0]
    assert first.due == timedelta(days=2)
    assert first.fields["Escalation ID"] == "{{ alert.id }}"
    assert first.group is not None
    assert first.group.epic == "{{ alert.attributes.policy_name }}"
    assert config.routes[3].action == "ignore"
    assert config.sync.status == {"new": "open", "indeterminate": "in_progress", "done": "resolved"}
    assert config.sync.resolutions["Won't Fix"] == "accepted"
    assert config.sync.false_positive_suppress == timedelta(days=30)
    assert config.sync.escalate is not None
    assert config.sync.escalate.labels == ["escalated", "urgent"]
    assert config.callbacks[0].on == ["resolved", "false_positive"]
    assert config.audit.change_risk_field == "customfield_10200"
    assert config.sources["alertmanager"].token is not None
    assert config.sources["keeptrusts"].secret is not None
    assert config.origin == str(EXAMPLE)
    assert config.line_of("routes", 2, "when") == 47


def test_no_file_means_defaults() -> None:
    config = load_config()

    assert config == Config()
    assert config.jira is None
    assert config.defaults.project == "OPS"
    assert config.defaults.priority_by_action["block"] == "Highest"
    assert config.routes == []


def test_empty_text_means_defaults() -> None:
    assert load_config(text="# nothing yet\n", env={}) == Config()


@pytest.mark.parametrize(
    ("auth_yaml", "flavor", "expected_type"),
    [
        ("{type: token, email: a@b.co, api_token: t}", "cloud", TokenAuth),
        ("{type: pat, token: p}", "datacenter", PatAuth),
        ("{type: basic, username: admin, password: pw}", "datacenter", BasicAuth),
    ],
)
def test_each_auth_variant(auth_yaml: str, flavor: str, expected_type: type) -> None:
    text = f"jira: {{flavor: {flavor}, url: 'https://jira.example.com', auth: {auth_yaml}}}\n"
    config = load_config(text=text, env={})
    assert config.jira is not None
    assert isinstance(config.jira.auth, expected_type)


def test_oauth2_is_accepted_and_its_atlassian_urls_are_guarded() -> None:
    """`serve` connects with it (the tokens live in the database); the authorization server
    and gateway URLs pass the same outbound guard as the site's."""
    oauth = "{type: oauth2, client_id: c, client_secret: s, refresh_token: r, cloud_id: x}"
    text = f"jira:\n  url: 'https://jira.example.com'\n  auth: {oauth}\n"
    loaded = load_config(text=text, env={}).jira
    assert loaded is not None
    assert isinstance(loaded.auth, OAuth2Auth)
    private = oauth.replace("cloud_id: x", "cloud_id: x, api_url: 'https://10.0.0.5'")
    refused = problems_of(f"jira:\n  url: 'https://jira.example.com'\n  auth: {private}\n")
    assert [p.path for p in refused] == ["jira.auth.api_url"]


BAD_YAML = [
    pytest.param(
        """\
        defaults:
          prioritty: {critical: Highest}
        """,
        [Problem("defaults.prioritty", "unknown key 'prioritty' (did you mean 'priority'?)", 2)],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        """\
        routes:
          - name: a
            when: 'true'
          - name: b
            priorty: High
        """,
        [Problem("routes[1].priorty", "unknown key 'priorty' (did you mean 'priority'?)", 5)],
        id="unknown-route-key",
    ),
    pytest.param(
        """\
        defaults:
          min_severity: huge
        """,
        [
            Problem(
                "defaults.min_severity",
                "Input should be 'info', 'low', 'medium', 'high' or 'critical' (got 'huge')",
                2,
            )
        ],
        id="bad-enum",
    ),
    pytest.param(
        """\
        routes:
          - when: 'true'
        """,
        [Problem("routes[0].name", "required key 'name' is missing", 2)],
        id="missing-key",
    ),
    pytest.param(
        """\
        routes:
          - name: a
            due: soon
        """,
        [
            Problem(
                "routes[0].due",
                "'soon' is not a duration; write a number and a unit (w, d, h, m, s), "
                "e.g. 7d, 24h, 30m, +2d or 1d12h",
                3,
            )
        ],
        id="bad-duration",
    ),
    pytest.param(
        """\
        routes:
          - name: a
            due: {critical: 1d, high: 7}
        """,
        [Problem("routes[0].due.high", "expected a duration such as 7d, 24h, 30m or +2d", 3)],
        id="bare-number-duration",
    ),
    pytest.param(
        """\
        routes:
          - name: same
          - name: same
        """,
        [Problem("routes[1].name", "route name 'same' is already used by routes[0]", 3)],
        id="duplicate-route-name",
    ),
    pytest.param(
        """\
        templates:
          hallucination_bug: {summary: x}
        routes:
          - name: a
            template: hallucinaton_bug
        """,
        [
            Problem(
                "routes[0].template",
                "unknown template 'hallucinaton_bug' (did you mean 'hallucination_bug'?)",
                5,
            )
        ],
        id="unknown-template",
    ),
    pytest.param(
        """\
        jira:
          flavor: datacenter
          url: https://jira.example.com
          auth: {type: token, email: a@b.co, api_token: t}
        """,
        [
            Problem(
                "jira",
                "auth type 'token' does not work with flavor 'datacenter'; "
                "use 'pat' or 'basic' or 'oauth1'",
                1,
            )
        ],
        id="auth-does-not-fit-flavor",
    ),
    pytest.param(
        """\
        jira:
          url: https://jira.example.com
          auth: {type: pat, tokn: abc}
        """,
        [
            Problem("jira.auth.token", "required key 'token' is missing", 3),
            Problem("jira.auth.tokn", "unknown key 'tokn' (did you mean 'token'?)", 3),
        ],
        id="auth-variant-keys",
    ),
    pytest.param(
        """\
        jira:
          url: https://jira.example.com
          auth: {type: kerberos}
        """,
        [
            Problem(
                "jira.auth",
                "Input tag 'kerberos' found using 'type' does not match any of the expected "
                "tags: 'token', 'pat', 'basic', 'oauth2', 'scoped_token', 'oauth1'",
                3,
            )
        ],
        id="unknown-auth-type",
    ),
    pytest.param(
        """\
        audit:
          link_pattern: '[A-Z'
        """,
        [
            Problem(
                "audit.link_pattern",
                "not a valid regular expression: unterminated character set at position 0",
                2,
            )
        ],
        id="bad-regex",
    ),
    pytest.param(
        """\
        routes:
          - name: a
            when: [1
        """,
        [Problem("(document)", "invalid YAML: expected ',' or ']', but got '<stream end>'", 4)],
        id="yaml-syntax",
    ),
    pytest.param(
        """\
        routes: 1
        routes: 2
        """,
        [
            Problem(
                "(document)",
                'invalid YAML: found duplicate key "routes" with value "2" (original value: "1")',
                2,
            )
        ],
        id="duplicate-key",
    ),
    pytest.param(
        "- just\n- a list\n",
        [Problem("(top level)", "the configuration must be a mapping of keys", 1)],
        id="not-a-mapping",
    ),
    pytest.param(
        """\
        callbacks:
          - source: keeptrusts
            on: [resolved, done]
            url: ftp://example.com/x
        """,
        [
            Problem(
                "callbacks[0].on[1]",
                "Input should be 'open', 'ticketed', 'in_progress', 'resolved', "
                "'false_positive', 'accepted', 'dead' or 'ticket_deleted' (got 'done')",
                3,
            ),
            Problem("callbacks[0].url", "must be an http(s) URL", 4),
        ],
        id="callback",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_YAML)
def test_bad_yaml_lists_exact_problems(text: str, expected: list[Problem]) -> None:
    assert problems_of(text) == expected


def test_every_problem_is_listed_at_once() -> None:
    problems = problems_of(
        """\
        defaults: {prioritty: x}
        routes:
          - name: a
            due: soon
          - name: a
        sync:
          notify: {slack_webhook: ${SLACK}}
        """
    )

    assert [(p.path, p.line) for p in problems] == [
        ("defaults.prioritty", 1),
        ("routes[0].due", 4),
        ("routes[1].name", 5),
        ("sync.notify.slack_webhook", 7),
    ]


def test_error_message_names_path_and_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(text="routes:\n  - name: a\n    wen: 'true'\n", env={})
    assert "routes[0].wen (line 3): unknown key 'wen' (did you mean 'when'?)" in str(caught.value)


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "missing.yaml")
    assert caught.value.problems[0].message == "No such file or directory"


def test_routes_may_name_a_built_in_template() -> None:
    text = "routes:\n  - name: a\n    template: builtin/security_alert\n"
    config = load_config(text=text, env={})
    assert config.routes[0].template == "builtin/security_alert"


def test_anchors_merge_keys_and_extension_keys() -> None:
    config = load_config(
        text=dedent(
            """\
            x-security: &security
              project: SEC
              labels: [security]
            routes:
              - <<: *security
                name: a
              - {<<: *security, name: b, project: INFRA}
            """
        ),
        env={},
    )
    assert [(r.name, r.project, r.labels) for r in config.routes] == [
        ("a", "SEC", ["security"]),
        ("b", "INFRA", ["security"]),
    ]
    assert config.line_of("routes", 0, "project") == 5  # merged: the line of the mapping


def test_action_mappings_ignore_case() -> None:
    config = load_config(text="defaults: {priority_by_action: {Block: Highest}}\n", env={})
    assert config.defaults.priority_by_action == {"block": "Highest"}


def test_sync_states_are_the_domains_alert_states() -> None:
    """`sync` and `callbacks` speak the domain's vocabulary: one AlertState, not a copy."""
    config = load_config(
        text="sync: {resolutions: {Duplicate: false_positive}}\n"
        "callbacks: [{source: keeptrusts, on: [accepted], url: 'https://cb.example.com/x'}]\n",
        env={},
    )
    assert config.sync.resolutions["Duplicate"] is AlertState.FALSE_POSITIVE
    assert config.sync.status["done"] is AlertState.RESOLVED
    assert config.callbacks[0].on == [AlertState.ACCEPTED]
    assert isinstance(config.callbacks[0].on[0], AlertState)


def test_sync_refuses_states_jira_cannot_move_an_alert_to() -> None:
    """`dead` and `suppressed` are alert states of ours, never what a Jira status means."""
    assert problems_of("sync: {status: {done: dead}}\n") == [
        Problem(
            "sync.status.done",
            "Input should be 'open', 'in_progress', 'resolved', 'false_positive' or "
            "'accepted' (got 'dead')",
            1,
        )
    ]
