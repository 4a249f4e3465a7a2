"""`github`: GitHub push webhooks, for the audit trail (SPEC §8), not alerts.

A push becomes a `PushEvent`: repository, ref, before/after, pusher, compare URL, and its
commits (id, message, author, url, timestamp) each with the Jira keys its message mentions,
found by `key_pattern` (the config's `audit.link_pattern`, default `[A-Z][A-Z0-9_]+-[0-9]+`)
at token boundaries only: never inside a longer word or hyphenated key, so `AI-GOV-142` does not
yield `GOV-142` and `CVE-2024-1234` does not yield `CVE-2024`.
GitHub's `ping` (sent when the webhook is created) parses to `None`: acknowledged, nothing to
record. The push's other keys (`sender`, `created`, `forced`, ...) are kept in `attributes`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import Field

from ticketbridge.errors import ConfigError, Problem
from ticketbridge.sources._bounds import Timestamp, to_utc
from ticketbridge.sources._parsing import NativeModel, NonEmptyStr, RawPayload, load_json, validate
from ticketbridge.sources.model import Commit, PushEvent

SOURCE = "github"
DEFAULT_KEY_PATTERN = r"[A-Z][A-Z0-9_]+-[0-9]+"  # Jira project keys: a letter, letters, digits, _

# A key stands alone: no word character touches it, and no hyphen joins it to an upper-case
# letter or a digit on either side ("AI-GOV-142", "CVE-2024-1234" are one token each); a
# lower-case word after a hyphen is a branch name's tail ("OPS-12-add-login") and may follow.
_BOUNDED = r"(?<!\w)(?<![A-Z0-9_]-)(?:{})(?!\w)(?!-[A-Z0-9])"


class _Author(NativeModel):
    name: str = ""
    email: str | None = None
    username: str | None = None


class _Commit(NativeModel):
    id: NonEmptyStr
    message: str
    timestamp: Timestamp | None = None
    url: str = ""
    author: _Author = Field(default_factory=_Author)


class _Repository(NativeModel):
    full_name: NonEmptyStr
    html_url: str | None = None


class _Pusher(NativeModel):
    name: str | None = None
    email: str | None = None


class GitHubPush(NativeModel):
    ref: NonEmptyStr
    before: str = ""
    after: str = ""
    repository: _Repository
    pusher: _Pusher | None = None
    compare: str | None = None
    commits: list[_Commit] = Field(default_factory=list)


def _keys(text: str, bounded: re.Pattern[str]) -> tuple[str, ...]:
    """The keys `bounded` finds in `text`, in order of first mention, without repeats."""
    return tuple(dict.fromkeys(match.group(0) for match in bounded.finditer(text)))


def _compile(key_pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """`key_pattern` held to token boundaries."""
    source, flags = (
        (key_pattern.pattern, key_pattern.flags)
        if isinstance(key_pattern, re.Pattern)
        else (key_pattern, 0)
    )
    try:
        re.compile(source, flags)  # alone first: "[A-Z" must not borrow the wrapper's "]"
    except re.error as exc:
        problem = Problem(path="audit.link_pattern", message=f"not a regular expression: {exc}")
        raise ConfigError("invalid Jira key pattern", [problem]) from None
    return re.compile(_BOUNDED.format(source), flags)


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    key_pattern: str | re.Pattern[str] = DEFAULT_KEY_PATTERN,
) -> PushEvent | None:
    pattern = _compile(key_pattern)
    data = load_json(payload)
    if _is_ping(data):
        return None
    push = validate(GitHubPush, data)
    return PushEvent(
        repository=push.repository.full_name,
        repository_url=push.repository.html_url,
        ref=push.ref,
        before=push.before,
        after=push.after,
        pusher=push.pusher.name if push.pusher else None,
        compare_url=push.compare,
        commits=tuple(_commit(commit, pattern) for commit in push.commits),
        received_at=to_utc(received_at),
        attributes=push.extras(),
    )


def _is_ping(data: Any) -> bool:
    return isinstance(data, dict) and "zen" in data and "hook_id" in data and "ref" not in data


def _commit(commit: _Commit, pattern: re.Pattern[str]) -> Commit:  # pattern: bounded
    return Commit(
        id=commit.id,
        message=commit.message,
        author_name=commit.author.name,
        author_email=commit.author.email,
        author_username=commit.author.username,
        url=commit.url,
        timestamp=to_utc(commit.timestamp) if commit.timestamp else None,
        jira_keys=_keys(commit.message, pattern),
    )
