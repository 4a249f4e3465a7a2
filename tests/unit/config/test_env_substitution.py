"""`${ENV}` and `${ENV:-default}` substitution; a missing variable is named, a value never."""

from __future__ import annotations

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.errors import ConfigError, Problem

JIRA = (
    "jira: {{url: 'https://jira.example.com', "
    "auth: {{type: token, email: a@b.co, api_token: {token}}}}}\n"
)


@pytest.mark.parametrize(
    ("token_yaml", "env", "expected"),
    [
        ("${JIRA_API_TOKEN}", {"JIRA_API_TOKEN": "s3cr3t"}, "s3cr3t"),
        ("${JIRA_API_TOKEN:-fallback}", {}, "fallback"),
        ("${JIRA_API_TOKEN:-fallback}", {"JIRA_API_TOKEN": ""}, "fallback"),
        ("${JIRA_API_TOKEN:-fallback}", {"JIRA_API_TOKEN": "set"}, "set"),
        ("'pre-${A}-${B}'", {"A": "1", "B": "2"}, "pre-1-2"),
        ("'$${LITERAL}'", {}, "${LITERAL}"),
        ("'has: colon # and hash'", {}, "has: colon # and hash"),
        ("${T}", {"T": "value: with {braces} # and hash"}, "value: with {braces} # and hash"),
    ],
)
def test_substitution(token_yaml: str, env: dict[str, str], expected: str) -> None:
    config = load_config(text=JIRA.format(token=token_yaml), env=env)
    assert config.jira is not None
    assert config.jira.auth.type == "token"
    assert config.jira.auth.api_token.get_secret_value() == expected


def test_missing_variable_names_variable_path_and_line() -> None:
    text = "defaults: {project: OPS}\n" + JIRA.format(token="${JIRA_API_TOKEN}")
    with pytest.raises(ConfigError) as caught:
        load_config(text=text, env={})
    assert caught.value.problems == (
        Problem(
            "jira.auth.api_token",
            "environment variable JIRA_API_TOKEN is not set "
            "(set it, or write ${JIRA_API_TOKEN:-default})",
            2,
        ),
    )


def test_secret_value_never_appears_in_errors() -> None:
    text = JIRA.format(token="${TOKEN}") + "defaults: {min_severity: nope}\n"
    with pytest.raises(ConfigError) as caught:
        load_config(text=text, env={"TOKEN": "do-not-print-me"})
    assert "do-not-print-me" not in str(caught.value)
    assert "do-not-print-me" not in repr(caught.value.problems)


def test_secret_is_masked_in_dumps() -> None:
    config = load_config(text=JIRA.format(token="${TOKEN}"), env={"TOKEN": "hidden-value"})
    assert "hidden-value" not in config.model_dump_json()
    assert "hidden-value" not in repr(config)


def test_empty_optional_secret_counts_as_absent() -> None:
    config = load_config(text="sync: {notify: {slack_webhook: '${SLACK:-}'}}\n", env={})
    assert config.sync.notify.slack_webhook is None


def test_process_environment_is_read_at_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TB_TEST_TOKEN", "from-process")
    config = load_config(text=JIRA.format(token="${TB_TEST_TOKEN}"))
    assert config.jira is not None
    assert config.jira.auth.type == "token"
    assert config.jira.auth.api_token.get_secret_value() == "from-process"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "routes:\n  - name: a\n    when: ${X\n",
            Problem(
                "routes[0].when", "unterminated ${ (write ${VARIABLE}, or $${ for a literal ${)", 3
            ),
        ),
        (
            "sources:\n  ${SRC}: {allow_unauthenticated: true}\n",
            Problem(
                "sources",
                "environment variable SRC is not set (set it, or write ${SRC:-default})",
                1,
            ),
        ),
        (
            "defaults: {project: '${1BAD}'}\n",
            Problem("defaults.project", "'${1BAD}' is not a valid ${VARIABLE} reference", 1),
        ),
    ],
)
def test_bad_references(text: str, expected: Problem) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(text=text, env={})
    assert caught.value.problems[0] == expected


def test_variable_in_a_key() -> None:
    config = load_config(text="sources:\n  ${SRC}: {token: t}\n", env={"SRC": "github"})
    assert set(config.sources) == {"github"}
