"""Source authentication: what passes, what is refused, and the reason given (never a secret)."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import subprocess
import traceback
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from pydantic import SecretStr
from source_fixtures import FIXTURES

from support.requirements import require
from ticketbridge.config import SourceConfig
from ticketbridge.errors import SourceAuthError
from ticketbridge.sources.auth import SourceAuthConfig, sign, verify

NOW = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC)
SECRET = "whsec_s3cr3t-value"
TOKEN = "am-token-0123456789"
BODY = b'{"escalation_id":"esc_1","action":"block"}'
SIGNED = SourceAuthConfig(secret=SecretStr(SECRET), source="keeptrusts")
TOKENED = SourceAuthConfig(token=SecretStr(TOKEN), source="alertmanager")


def _refused(
    config: SourceAuthConfig,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
    body: bytes = BODY,
    now: datetime = NOW,
) -> str:
    with pytest.raises(SourceAuthError) as caught:
        verify(config, headers, query or {}, body, now)
    reason = str(caught.value)
    assert SECRET not in reason
    assert TOKEN not in reason
    return reason


def test_sign_is_the_documented_scheme() -> None:
    timestamp = int(NOW.timestamp())
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={timestamp},v1={digest}"


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(minutes=-5), timedelta(minutes=5)])
def test_valid_signature_passes_within_the_window(skew: timedelta) -> None:
    header = sign(SECRET, BODY, NOW + skew)
    assert verify(SIGNED, {"X-TicketBridge-Signature": header}, {}, BODY, NOW) == "signature"


def test_header_names_are_case_insensitive_and_rotation_lists_are_accepted() -> None:
    good = sign(SECRET, BODY, NOW)
    old = sign("previous-secret", BODY, NOW).split(",v1=")[1]
    header = f"{good.split(',')[0]}, v1={old}, {good.split(',')[1]}"
    assert verify(SIGNED, {"x-ticketbridge-signature": header}, {}, BODY, NOW) == "signature"


@pytest.mark.parametrize(
    ("case", "header", "body", "reason"),
    [
        ("tampered body", sign(SECRET, BODY, NOW), BODY + b" ", "signature mismatch"),
        ("wrong secret", sign("other-secret", BODY, NOW), BODY, "signature mismatch"),
        (
            "old timestamp",
            sign(SECRET, BODY, NOW - timedelta(minutes=5, seconds=1)),
            BODY,
            "signature timestamp outside the 5-minute window",
        ),
        (
            "future timestamp",
            sign(SECRET, BODY, NOW + timedelta(minutes=5, seconds=1)),
            BODY,
            "signature timestamp outside the 5-minute window",
        ),
        (
            "timestamp not signed",
            "t=1," + sign(SECRET, BODY, NOW).split(",")[1],
            BODY,
            "signature timestamp outside the 5-minute window",
        ),
        ("no v1", f"t={int(NOW.timestamp())}", BODY, "malformed X-TicketBridge-Signature header"),
        ("garbage", "sha256=abc", BODY, "malformed X-TicketBridge-Signature header"),
        (  # int() refuses 4,300+ digits and floats overflow: it was a 500
            "absurd timestamp",
            "t=" + "9" * 5000 + ",v1=" + "0" * 64,
            BODY,
            "malformed X-TicketBridge-Signature header",
        ),
        ("13-digit timestamp", "t=1" + "0" * 12 + ",v1=ab", BODY, "malformed"),
        ("non-ascii digest", f"t={int(NOW.timestamp())},v1=é", BODY, "signature mismatch"),
    ],
)
def test_bad_signatures_are_refused_with_their_reason(
    case: str, header: str, body: bytes, reason: str
) -> None:
    assert reason in _refused(SIGNED, {"X-TicketBridge-Signature": header}, body=body)


def test_missing_signature_names_what_the_source_requires() -> None:
    reason = _refused(SIGNED, {"Authorization": f"Bearer {TOKEN}"}, {"token": TOKEN})
    expected = "missing credentials: source 'keeptrusts' requires a signature"
    assert reason == f"{expected} (X-TicketBridge-Signature)"


@pytest.mark.parametrize(
    ("headers", "query", "method"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, {}, "bearer"),
        ({"authorization": f"bearer   {TOKEN}"}, {}, "bearer"),
        ({}, {"token": TOKEN}, "query_token"),
    ],
)
def test_right_token_passes(headers: dict[str, str], query: dict[str, str], method: str) -> None:
    assert verify(TOKENED, headers, query, BODY, NOW) == method


@pytest.mark.parametrize(
    ("headers", "query", "reason"),
    [
        ({"Authorization": "Bearer wrong"}, {}, "token mismatch"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, {}, "token mismatch"),  # a prefix
        ({"Authorization": f"Bearer {TOKEN}x"}, {}, "token mismatch"),  # longer
        ({"Authorization": f"Bearer x{TOKEN[1:]}"}, {}, "token mismatch"),  # first char off
        ({"Authorization": "Bearer ťøķēñ"}, {}, "token mismatch"),  # non-ASCII: no TypeError
        ({}, {"token": "\udcff"}, "token mismatch"),  # undecodable query text
        ({"Authorization": f"Basic {TOKEN}"}, {}, "unsupported Authorization scheme"),
        ({"Authorization": "Bearer wrong"}, {"token": TOKEN}, "token mismatch"),  # header wins
        ({}, {}, "missing credentials: source 'alertmanager' requires a token"),
    ],
)
def test_wrong_or_missing_token_is_refused(
    headers: dict[str, str], query: dict[str, str], reason: str
) -> None:
    assert reason in _refused(TOKENED, headers, query)


def test_either_credential_when_both_are_configured() -> None:
    both = SourceAuthConfig(secret=SecretStr(SECRET), token=SecretStr(TOKEN), source="security")
    assert verify(both, {"Authorization": f"Bearer {TOKEN}"}, {}, BODY, NOW) == "bearer"
    header = {"X-TicketBridge-Signature": sign(SECRET, BODY, NOW)}
    assert verify(both, header, {}, BODY, NOW) == "signature"
    assert "requires a signature or a token" in _refused(both, {})


def test_no_credential_configured_is_refused_unless_allowed() -> None:
    bare = SourceAuthConfig(source="generic")
    assert "source 'generic' has no credential configured" in _refused(bare, {})
    assert "no credential configured" in _refused(
        SourceAuthConfig(secret=SecretStr(""), token=SecretStr("")), {}
    )
    open_source = SourceAuthConfig(allow_unauthenticated=True, source="generic")
    assert verify(open_source, {}, {}, BODY, NOW) == "unauthenticated"


def test_configured_credentials_are_required_even_when_unauthenticated_is_allowed() -> None:
    config = SourceAuthConfig(
        token=SecretStr(TOKEN), allow_unauthenticated=True, source="alertmanager"
    )
    assert "missing credentials" in _refused(config, {})


def test_github_signature_is_accepted_for_github_only() -> None:
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    github = SourceAuthConfig(secret=SecretStr(SECRET), source="github")
    header = {"X-Hub-Signature-256": f"sha256={digest}"}
    assert verify(github, header, {}, BODY, NOW) == "github_signature"
    assert "signature mismatch" in _refused(github, {"X-Hub-Signature-256": "sha256=00"})
    assert "missing credentials" in _refused(SIGNED, header)


def test_secrets_stay_out_of_repr_and_config_maps_onto_it() -> None:
    config = SourceAuthConfig.from_config(
        "keeptrusts", SourceConfig(secret=SecretStr(SECRET), token=SecretStr(TOKEN))
    )
    assert (config.secret, config.token, config.source) == (
        SecretStr(SECRET),
        SecretStr(TOKEN),
        "keeptrusts",
    )
    assert SECRET not in repr(config)
    assert TOKEN not in repr(config)
    assert SourceAuthConfig.from_config("x", None) == SourceAuthConfig(source="x")


class BodyThatBreaks:
    """Fails where the secret is in use: while the HMAC's message is built."""

    def __radd__(self, other: bytes) -> bytes:
        raise RuntimeError("the body could not be read")


def test_the_secrets_stay_hidden_even_in_a_traceback_that_shows_frame_locals() -> None:
    configured = SourceConfig(secret=SecretStr(SECRET), token=SecretStr(TOKEN))
    both = SourceAuthConfig.from_config("security", configured)  # as the routes build it
    header = {"X-TicketBridge-Signature": sign(SECRET, BODY, NOW)}
    with pytest.raises(RuntimeError) as caught:
        verify(both, header, {}, cast(bytes, BodyThatBreaks()), NOW)
    shown = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    rendered = "".join(shown.format())
    assert "in _check_signature" in rendered
    assert "secret = SecretStr('**********')" in rendered
    assert SECRET not in rendered
    assert TOKEN not in rendered


# The README's signing lines, verbatim: a user signs with openssl, we verify.
README_SIGNING = """
BODY=$(cat "$FIXTURE"); T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$BODY" \\
  | openssl dgst -sha256 -hmac "$KEEPTRUSTS_WEBHOOK_SECRET" | sed 's/^.*= //')
printf 't=%s,v1=%s' "$T" "$SIG"
"""


def test_the_readme_openssl_one_liner_signs_as_we_verify() -> None:
    require(shutil.which("openssl") is not None and shutil.which("bash") is not None, "openssl")
    fixture = FIXTURES / "keeptrusts" / "escalation-created.json"
    env = {"PATH": os.environ["PATH"], "FIXTURE": str(fixture), "KEEPTRUSTS_WEBHOOK_SECRET": SECRET}
    header = subprocess.run(
        ["bash", "-c", README_SIGNING], env=env, capture_output=True, text=True, check=True
    ).stdout
    body = fixture.read_bytes().rstrip(b"\n")  # what "$BODY" holds and curl sends
    config = SourceAuthConfig(secret=SECRET, source="keeptrusts")
    now = datetime.now(UTC)
    assert verify(config, {"X-TicketBridge-Signature": header}, {}, body, now) == "signature"
