"""Redacting what looks like a secret from text bound for a log (issue 11).

The last line of defence, not the first: secrets travel as `SecretStr`, tracebacks are rendered
without frame locals, API keys are logged by name. What still reaches a log line — an exception
message quoting a header, a URL with `?token=`, a repr of a request — is scrubbed here by shape:

- the values of credential headers (`Authorization`, `Cookie`, `X-TicketBridge-Signature`,
  `X-Hub-Signature(-256)`, …) in `name: value`, `'name': 'value'` and `name=value` forms;
- `Bearer …` / `Basic …` credentials wherever they appear;
- `token=`, `secret=`, `password=`, `api_key=` … parameters (query strings, key=value text);
- signatures (`v1=<hex>`, `sha256=<hex>`);
- ticketbridge API keys (`tb_…`), Atlassian API tokens (`ATATT…`), Fernet keys and tokens;
- any other long run of base64 that mixes upper case, lower case and digits (Data Center
  PATs, random tokens): hex digests, UUIDs, paths and words never do, so they stay readable.

`redact_event` does the same for a structlog event, and blanks any field whose *name* says it
holds a credential (`token`, `secret`, `authorization`, …) whatever its value looks like.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_HEADERS = (
    r"authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-ticketbridge-signature"
    r"|x-hub-signature(?:-256)?|x-atlassian-token|x-atlassian-webhook-signature"
)
_PARAMS = (
    r"token|access_token|refresh_token|api_token|apitoken|api_key|apikey|secret|client_secret"
    r"|password|passwd|pat"
)
_SECRET_NAME = re.compile(
    r"(?i)(secret|token|password|passwd|authorization|cookie|api[_-]?key|credential|signature)"
)

# (pattern, replacement): applied in order; earlier ones are more specific.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # 'authorization': 'Bearer x'  |  Authorization: Bearer x  |  authorization=x  (value up to a
    # quote, a backslash — JSON's escapes — or the end of the line)
    (
        re.compile(rf"(?i)\b({_HEADERS})(\\?[\"']?\s*[:=,]\s*b?\\?[\"']?)[^\"'\\\r\n]+"),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {REDACTED}"),
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])({_PARAMS})=[^&\s\"'\\,;)]+"), rf"\1={REDACTED}"),
    (re.compile(r"(?i)\b(v1|sha256|sha1)=[0-9a-f]{16,}"), rf"\1={REDACTED}"),
    (re.compile(r"\btb_[A-Za-z0-9_-]{8,}"), f"tb_{REDACTED}"),
    (re.compile(r"\bAT[AC]TT[A-Za-z0-9_=+/-]{8,}"), REDACTED),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{16,}"), REDACTED),  # a Fernet token (encrypted value)
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}="), REDACTED),  # a Fernet key
)
_ENTROPIC = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def _entropic(match: re.Match[str]) -> str:
    run = match.group(0)
    mixed = all(any(test(c) for c in run) for test in (str.isupper, str.islower, str.isdigit))
    return REDACTED if mixed else run


def redact_text(text: str) -> str:
    """`text` with every secret-shaped part replaced by `[REDACTED]`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _ENTROPIC.sub(_entropic, text)


def is_secret_name(name: str) -> bool:
    """A field or header named like a credential (`api_token`, `X-Hub-Signature`, …)."""
    return _SECRET_NAME.search(name) is not None


def redact_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A structlog event with credential-named fields blanked and every string scrubbed."""
    return {key: _redact_value(key, value) for key, value in event.items()}


def _redact_value(key: str, value: Any) -> Any:
    if is_secret_name(key) and value is not None and not isinstance(value, bool):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, item) for item in value]
    return value
