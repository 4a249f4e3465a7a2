"""GitHub push → PushEvent with commits and the Jira keys their messages mention."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from source_fixtures import RECEIVED, fixture_bytes, fixture_json

from ticketbridge.errors import ConfigError, InputError
from ticketbridge.sources import SOURCES, Commit
from ticketbridge.sources.github import parse


def test_push_becomes_a_push_event_with_commits_and_keys() -> None:
    event = parse(fixture_bytes("github", "push"), received_at=RECEIVED)
    assert event is not None
    assert event.repository == "acme/credit-model"
    assert event.repository_url == "https://github.com/acme/credit-model"
    assert event.ref == "refs/heads/main"
    assert event.before == "9049f1265b7d61be4a8904a9a27120d2064dab3b"
    assert event.after == "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    assert event.pusher == "jane-smith"
    assert event.compare_url is not None
    assert event.compare_url.endswith("...a1b2c3d4e5f6")
    assert event.received_at == RECEIVED
    assert event.commits == (
        Commit(
            id="0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            message="chore: bump pandas",
            author_name="Jane Smith",
            author_email="jane.smith@example.com",
            author_username="jane-smith",
            url="https://github.com/acme/credit-model/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            timestamp=datetime(2026, 3, 2, 14, 20, 1, tzinfo=UTC),
            jira_keys=(),
        ),
        Commit(
            id="a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
            message="feat: update decision threshold to 0.72 [AIGOV-142]\n\n"
            "Reviewed in AIGOV-142, follows up OPS-7 and AIGOV-142.",
            author_name="Jane Smith",
            author_email="jane.smith@example.com",
            author_username="jane-smith",
            url="https://github.com/acme/credit-model/commit/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
            timestamp=datetime(2026, 3, 2, 14, 22, 11, tzinfo=UTC),
            jira_keys=("AIGOV-142", "OPS-7"),
        ),
    )
    assert event.jira_keys == ("AIGOV-142", "OPS-7")
    assert event.attributes["forced"] is False
    assert event.attributes["sender"]["login"] == "jane-smith"


def test_registry_exposes_github_as_a_push_source() -> None:
    adapter = SOURCES["github"]
    assert adapter.parse_alerts is None
    assert adapter.parse_push is not None
    assert adapter.parse_push(fixture_bytes("github", "push"), received_at=RECEIVED) is not None


def test_ping_is_acknowledged_with_nothing_to_record() -> None:
    assert parse(fixture_bytes("github", "ping"), received_at=RECEIVED) is None


@pytest.mark.parametrize(
    ("pattern", "message", "keys"),
    [
        (r"[A-Z][A-Z0-9]+-[0-9]+", "fix OPS-1, OPS-1 and SEC-22", ("OPS-1", "SEC-22")),
        (r"[A-Z][A-Z0-9]+-[0-9]+", "lowercase ops-1 is not a key", ()),
        (r"AI-[0-9]+", "feat: threshold [AI-142] (not OPS-9)", ("AI-142",)),
        (re.compile(r"\bAIGOV-\d+"), "AIGOV-1 XAIGOV-2", ("AIGOV-1",)),
        # At token boundaries only. Audital's example is one token, not GOV-142 inside it:
        (r"[A-Z][A-Z0-9_]+-[0-9]+", "feat: update decision threshold to 0.72 [AI-GOV-142]", ()),
        (r"GOV-[0-9]+", "AI-GOV-142 but GOV-7", ("GOV-7",)),
        (r"AI-GOV-[0-9]+", "feat: update decision threshold to 0.72 [AI-GOV-142]", ("AI-GOV-142",)),
        (r"AI-[0-9]+", "[AI-GOV-142] and XAI-9 are not AI keys; AI-3 is", ("AI-3",)),
        (r"[A-Z][A-Z0-9_]+-[0-9]+", "patch CVE-2024-1234 now", ()),
        (r"[A-Z][A-Z0-9_]+-[0-9]+", "Merge branch 'bugfix/OPS-12-add-login'", ("OPS-12",)),
        (
            r"[A-Z][A-Z0-9_]+-[0-9]+",
            "MY_PROJ-12 (OPS-3). SEC-4: done",
            ("MY_PROJ-12", "OPS-3", "SEC-4"),
        ),
        (r"[A-Z]+-[0-9]+", "OPS-123X OPS-1234", ("OPS-1234",)),
    ],
)
def test_jira_keys_follow_the_configured_pattern(
    pattern: str | re.Pattern[str], message: str, keys: tuple[str, ...]
) -> None:
    payload = fixture_json("github", "push")
    payload["commits"] = [{**payload["commits"][0], "message": message}]
    event = parse(payload, received_at=RECEIVED, key_pattern=pattern)
    assert event is not None
    assert event.commits[0].jira_keys == keys


def test_invalid_pattern_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(fixture_bytes("github", "push"), received_at=RECEIVED, key_pattern="[A-Z")
    assert caught.value.problems[0].path == "audit.link_pattern"


def _without(payload: dict[str, Any], *path: str | int) -> dict[str, Any]:
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return payload


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("ref",), "ref"),
        (("repository",), "repository"),
        (("repository", "full_name"), "repository.full_name"),
        (("commits", 1, "id"), "commits[1].id"),
        (("commits", 0, "message"), "commits[0].message"),
    ],
)
def test_missing_fields_are_named(path: tuple[str | int, ...], expected: str) -> None:
    payload = _without(fixture_json("github", "push"), *path)
    with pytest.raises(InputError) as caught:
        parse(payload, received_at=RECEIVED)
    assert [p.path for p in caught.value.problems] == [expected]
