"""`precheck`: what the headers alone can prove before a body is read, in `verify`'s order.

A token (or an open source) authenticates on the headers; a signature header that parses (ours
inside its replay window) leaves the verdict to the body; anything else is refused before a
byte is read. Whatever precheck refuses, `verify` refuses too, for any body.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.errors import SourceAuthError
from ticketbridge.sources.auth import AuthMethod, SourceAuthConfig, precheck, sign, verify

NOW = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC)
SECRET = "whsec_s3cr3t-value"
TOKEN = "am-token-0123456789"
BODY = b'{"escalation_id":"esc_1"}'
SIGNED = SourceAuthConfig(secret=SECRET, source="keeptrusts")
TOKENED = SourceAuthConfig(token=TOKEN, source="alertmanager")
BOTH = SourceAuthConfig(secret=SECRET, token=TOKEN, source="generic")
GITHUB = SourceAuthConfig(secret=SECRET, source="github")
OPEN = SourceAuthConfig(allow_unauthenticated=True, source="compliance")
NOTHING = SourceAuthConfig(source="truthvouch")
FRESH = sign(SECRET, BODY, NOW)
GITHUB_SHAPE = "sha256=" + "0" * 64

PASSES: list[tuple[SourceAuthConfig, dict[str, str], dict[str, str], AuthMethod | None]] = [
    (TOKENED, {"Authorization": f"Bearer {TOKEN}"}, {}, "bearer"),
    (TOKENED, {}, {"token": TOKEN}, "query_token"),
    (BOTH, {}, {"token": TOKEN}, "query_token"),
    (OPEN, {}, {}, "unauthenticated"),
    (SIGNED, {"X-TicketBridge-Signature": FRESH}, {}, None),
    (SIGNED, {"x-ticketbridge-signature": "t=" + str(int(NOW.timestamp())) + ",v1=00"}, {}, None),
    (BOTH, {"X-TicketBridge-Signature": FRESH}, {"token": "wrong"}, None),  # signature first
    (GITHUB, {"X-Hub-Signature-256": GITHUB_SHAPE}, {}, None),
    (GITHUB, {"X-TicketBridge-Signature": FRESH}, {}, None),
]


@pytest.mark.parametrize(("config", "headers", "query", "method"), PASSES)
def test_what_the_headers_prove_or_leave_to_the_body(
    config: SourceAuthConfig,
    headers: dict[str, str],
    query: dict[str, str],
    method: AuthMethod | None,
) -> None:
    assert precheck(config, headers, query, NOW) == method


STALE = sign(SECRET, BODY, NOW - timedelta(minutes=6))
REFUSED: list[tuple[SourceAuthConfig, dict[str, str], dict[str, str], str]] = [
    (TOKENED, {}, {}, "missing credentials"),
    (TOKENED, {"Authorization": "Bearer wrong"}, {}, "token mismatch"),
    (TOKENED, {"Authorization": f"Basic {TOKEN}"}, {}, "unsupported Authorization scheme"),
    (TOKENED, {}, {"token": "wrong"}, "token mismatch"),
    (SIGNED, {}, {}, "missing credentials"),
    (SIGNED, {"X-TicketBridge-Signature": STALE}, {}, "outside the 5-minute window"),
    (SIGNED, {"X-TicketBridge-Signature": "v1=00"}, {}, "malformed"),
    (SIGNED, {"X-Hub-Signature-256": GITHUB_SHAPE}, {}, "missing credentials"),  # not github
    (GITHUB, {"X-Hub-Signature-256": "sha1=" + "0" * 40}, {}, "malformed"),
    (GITHUB, {"X-Hub-Signature-256": "sha256=00"}, {}, "malformed"),
    (NOTHING, {"Authorization": "Bearer anything"}, {}, "no credential configured"),
]


@pytest.mark.parametrize(("config", "headers", "query", "reason"), REFUSED)
def test_what_is_refused_before_the_body_and_by_verify_alike(
    config: SourceAuthConfig, headers: dict[str, str], query: dict[str, str], reason: str
) -> None:
    with pytest.raises(SourceAuthError, match=reason):
        precheck(config, headers, query, NOW)
    with pytest.raises(SourceAuthError):
        verify(config, headers, query, BODY, NOW)


def test_a_well_formed_signature_is_still_checked_against_the_body() -> None:
    forged = {"X-TicketBridge-Signature": f"t={int(NOW.timestamp())},v1=00"}
    assert precheck(SIGNED, forged, {}, NOW) is None
    with pytest.raises(SourceAuthError, match="signature mismatch"):
        verify(SIGNED, forged, {}, BODY, NOW)
    assert verify(SIGNED, {"X-TicketBridge-Signature": FRESH}, {}, BODY, NOW) == "signature"
