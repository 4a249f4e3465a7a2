"""Authentication of native sources (SPEC §2): a signature, a bearer token or a URL token.

- `X-TicketBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, accepted
  within 5 minutes either side of now (replays and clock-skewed forgeries are refused). Several
  `v1=` values may be sent (a sender rotating secrets); one must match.
- `Authorization: Bearer <token>`, or `?token=<token>` for senders that cannot set headers.
- For `github` only, GitHub's own `X-Hub-Signature-256: sha256=<hex HMAC of body>` (GitHub
  cannot sign our way; it has no timestamp, so replays are left to the dedup of deliveries).

Every comparison is constant-time (`hmac.compare_digest` on bytes). A source with no credential
configured is refused unless `allow_unauthenticated` is set. Failures raise `SourceAuthError`
with a reason that never contains a secret or what the request presented. The configured secret
and token stay `SecretStr` through every frame here (a traceback or a repr shows '**********');
their value is taken only inside the expression that uses it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import SecretStr

from ticketbridge.config import SourceConfig
from ticketbridge.errors import SourceAuthError

SIGNATURE_HEADER = "X-TicketBridge-Signature"
GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256"
REPLAY_WINDOW_SECONDS = 300
AuthMethod = Literal["signature", "github_signature", "bearer", "query_token", "unauthenticated"]


@dataclass(frozen=True)
class SourceAuthConfig:
    """What one source must present. Secrets are kept out of `repr` (and so out of logs)."""

    secret: SecretStr | None = field(default=None, repr=False)
    token: SecretStr | None = field(default=None, repr=False)
    allow_unauthenticated: bool = False
    source: str = "source"

    @classmethod
    def from_config(cls, source: str, config: SourceConfig | None) -> SourceAuthConfig:
        """The `sources.<name>` section of ticketbridge.yaml; no section means no credential."""
        if config is None:
            return cls(source=source)
        return cls(
            secret=config.secret,
            token=config.token,
            allow_unauthenticated=config.allow_unauthenticated,
            source=source,
        )


def sign(secret: SecretStr | str, body: bytes, now: datetime) -> str:
    """The `X-TicketBridge-Signature` value for `body` at `now` (also used for our callbacks)."""
    timestamp = int(now.timestamp())
    return f"t={timestamp},v1={_hmac(secret, f'{timestamp}.'.encode() + body)}"


def verify(
    config: SourceAuthConfig,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    raw_body: bytes,
    now: datetime,
) -> AuthMethod:
    """How the request authenticated, or `SourceAuthError` saying why it did not."""

    def signed(secret: SecretStr, lowered: Mapping[str, str]) -> AuthMethod | None:
        return _verify_signatures(config.source, secret, lowered, raw_body, now)

    return _authenticate(config, headers, query, signed)


def precheck(
    config: SourceAuthConfig,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    now: datetime,
) -> AuthMethod | None:
    """What can be checked before the body is read, in `verify`'s order: the method when the
    headers alone authenticate (a token, or no credential where that is allowed); None when a
    signature header is well-formed (and, for ours, inside the replay window) and only the
    body can tell whether it matches; `SourceAuthError` otherwise. `verify` still decides."""

    def well_formed(_secret: SecretStr, lowered: Mapping[str, str]) -> AuthMethod | None:
        return _signature_well_formed(config.source, lowered, now)

    method = _authenticate(config, headers, query, well_formed)
    return None if method in ("signature", "github_signature") else method


SignatureCheck = Callable[[SecretStr, Mapping[str, str]], AuthMethod | None]


def _authenticate(
    config: SourceAuthConfig,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    signed: SignatureCheck,
) -> AuthMethod:
    """The order of the checks: no credential configured, a signature, a token."""
    secret, token = config.secret or None, config.token or None  # "" is not a credential
    if secret is None and token is None:
        if config.allow_unauthenticated:
            return "unauthenticated"
        raise SourceAuthError(
            f"source '{config.source}' has no credential configured: set a secret or a token"
            f" under sources.{config.source}, or allow_unauthenticated: true"
        )
    lowered = {name.lower(): value for name, value in headers.items()}
    if secret is not None:
        method = signed(secret, lowered)
        if method is not None:
            return method
    if token is not None:
        method = _verify_token(token, lowered, query)
        if method is not None:
            return method
    raise SourceAuthError(
        f"missing credentials: source '{config.source}' requires {_required(secret, token)}"
    )


def _required(secret: SecretStr | None, token: SecretStr | None) -> str:
    if secret is not None and token is not None:
        return "a signature or a token"
    if secret is not None:
        return f"a signature ({SIGNATURE_HEADER})"
    return "a token (Authorization: Bearer or ?token=)"


def _verify_signatures(
    source: str, secret: SecretStr, headers: Mapping[str, str], body: bytes, now: datetime
) -> AuthMethod | None:
    value = headers.get(SIGNATURE_HEADER.lower())
    if value is not None:
        _check_signature(secret, value, body, now)
        return "signature"
    github = headers.get(GITHUB_SIGNATURE_HEADER.lower())
    if source == "github" and github is not None:
        scheme, _, digest = github.strip().partition("=")
        if scheme != "sha256" or not _equal(digest.lower(), _hmac(secret, body)):
            raise SourceAuthError("signature mismatch")
        return "github_signature"
    return None


def _signature_well_formed(
    source: str, headers: Mapping[str, str], now: datetime
) -> AuthMethod | None:
    """`_verify_signatures` without the body: the header parses (ours: in the window)."""
    value = headers.get(SIGNATURE_HEADER.lower())
    if value is not None:
        _check_window(_parse_signature(value)[0], now)
        return "signature"
    github = headers.get(GITHUB_SIGNATURE_HEADER.lower())
    if source == "github" and github is not None:
        scheme, _, digest = github.strip().partition("=")
        if scheme != "sha256" or len(digest) != hashlib.sha256().digest_size * 2:
            raise SourceAuthError(f"malformed {GITHUB_SIGNATURE_HEADER} header")
        return "github_signature"
    return None


def _check_window(timestamp: int, now: datetime) -> None:
    if abs(now.timestamp() - timestamp) > REPLAY_WINDOW_SECONDS:
        raise SourceAuthError("signature timestamp outside the 5-minute window")


def _check_signature(secret: SecretStr, value: str, body: bytes, now: datetime) -> None:
    timestamp, candidates = _parse_signature(value)
    _check_window(timestamp, now)
    expected = _hmac(secret, f"{timestamp}.".encode() + body)
    # Every candidate is compared (no early exit on the first mismatch).
    matches = [_equal(candidate.lower(), expected) for candidate in candidates]
    if not any(matches):
        raise SourceAuthError("signature mismatch")


def _parse_signature(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        # Unix seconds have 10 digits until the year 2286; a longer `t=` is malformed, not
        # an integer to convert (thousands of digits raise in int() and overflow floats).
        if key == "t" and item.isascii() and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == "v1" and item:
            candidates.append(item)
    if timestamp is None or not candidates:
        raise SourceAuthError(
            f"malformed {SIGNATURE_HEADER} header: expected t=<unix seconds>,v1=<hex>"
        )
    return timestamp, candidates


def _verify_token(
    token: SecretStr, headers: Mapping[str, str], query: Mapping[str, str]
) -> AuthMethod | None:
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise SourceAuthError("unsupported Authorization scheme: use Bearer <token>")
        if not _equal(presented.strip(), token):
            raise SourceAuthError("token mismatch")
        return "bearer"
    presented_query = query.get("token")
    if presented_query is not None:
        if not _equal(presented_query, token):
            raise SourceAuthError("token mismatch")
        return "query_token"
    return None


def _hmac(secret: SecretStr | str, message: bytes) -> str:
    return hmac.new(_revealed(secret).encode(), message, hashlib.sha256).hexdigest()


def _equal(presented: str, expected: SecretStr | str) -> bool:
    """Constant-time equality; bytes, so a non-ASCII guess is a mismatch, not a TypeError."""
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), _revealed(expected).encode()
    )


def _revealed(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
