"""config.redact: every secret shape we know is replaced; what a log needs stays readable."""

from __future__ import annotations

import base64

import pytest

from ticketbridge.config.redact import REDACTED, redact_event, redact_text
from ticketbridge.services.api_keys import new_token

API_KEY = new_token()
JIRA_CLOUD_TOKEN = "ATATT3xFfGF0T4nB9kz" + "Qw7" * 40 + "=0A1B2C3D"
BASIC = base64.b64encode(b"ops@acme.com:" + JIRA_CLOUD_TOKEN.encode()).decode()
FERNET_KEY = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5ZGE="[:43] + "="
DC_PAT = "NjM2MjE4OTk4ODc0OlN5bjFhZ3ZBbWlLc2xrZ0xQ3Fh9Yk"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {API_KEY}", API_KEY),
        (f"headers={{'authorization': 'Bearer {API_KEY}'}}", API_KEY),
        (f"[(b'authorization', b'Basic {BASIC}')]", BASIC),
        ('{"Cookie": "session=s3cr3t-cookie-value"}', "s3cr3t-cookie-value"),
        (
            "X-TicketBridge-Signature: t=1767225600,v1=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        ),
        (
            "x-hub-signature-256=sha256=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        ("POST /v1/sources/alertmanager?token=plain-words-token&x=1", "plain-words-token"),
        ("url=https://h/?api_token=abc-def-ghi", "abc-def-ghi"),
        ("password=hunter2-but-longer", "hunter2-but-longer"),
        (f"sent key {API_KEY} twice", API_KEY[3:]),
        (f"jira said no to {JIRA_CLOUD_TOKEN}", JIRA_CLOUD_TOKEN[8:]),
        (f"key {FERNET_KEY} loaded", FERNET_KEY),
        ("stored fernet:gAAAAABmZ3F1b3RhX2V4Y2VlZGVkX3RoaXNfaXNfYV90ZXN0", "gAAAAABmZ3F1b3Rh"),
        (f"PAT {DC_PAT} refused", DC_PAT),
    ],
)
def test_secret_shapes_are_redacted(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "fingerprint=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "incident=0a1b2c3d4e5f job=12 issue=OPS-1234 marker=tb-9f86d081884c7d65",
        "id=72d3162e-cc78-11e3-81ab-4c9367dc0958 at 2026-03-01T12:00:00.123456Z",
        'File "/work/wt/logs/.venv/lib/python3.11/site-packages/starlette/routing.py", line 683',
        "path=/v1/sources/alertmanager route=/v1/integrations/jira/test status=500",
        "malformed X-TicketBridge-Signature header: expected t=<unix seconds>,v1=<hex>",
        "token mismatch; signature mismatch; missing credentials",
    ],
)
def test_what_a_log_needs_stays_readable(text: str) -> None:
    assert redact_text(text) == text


def test_fields_named_like_a_credential_are_blanked_whatever_their_value() -> None:
    event = {
        "event": "request",
        "api_token": "plain",
        "headers": {"X-Api-Key": "plain", "Accept": "application/json"},
        "secret": None,
        "tokens_spent": True,
        "args": ["Bearer abcdefgh12345"],
    }
    assert redact_event(event) == {
        "event": "request",
        "api_token": REDACTED,
        "headers": {"X-Api-Key": REDACTED, "Accept": "application/json"},
        "secret": None,
        "tokens_spent": True,
        "args": [f"Bearer {REDACTED}"],
    }
