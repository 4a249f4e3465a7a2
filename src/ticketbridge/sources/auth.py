"""Authentication of native sources (SPEC §2): a signature, a bearer token or a URL token.

- `X-TicketBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, accepted
  within 5 minutes either side of now (replays and clock-skewed forgeries are refused). Several
  `v1=` values may be sent (a sender rotating secrets); one must match.
- `Authorization: Bearer <token>`, or `?token=<token>` for senders that cannot set headers.
- For `github` only, GitHub's own `X-Hub-Signature-256: sha256=<hex HMAC of body>` (GitHub
  cannot sign our way; it has no timestamp, so replays are left to the dedup of deliveries).

Every comparison is constant-time (`hmac.compare_digest` on bytes). A source with no credential
configured is refused unless `allow_unauthenticated` is set. Failures raise `SourceAuthError`
with a reason that never contains a secret or what the request presented.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ticketbridge.config import SourceConfig
from ticketbridge.errors import SourceAuthError

__all__ = [
    "GITHUB_SIGNATURE_HEADER",
    "REPLAY_WINDOW_SECONDS",
    "SIGNATURE_HEADER",
    "AuthMethod",
    "SourceAuthConfig",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-TicketBridge-Signature"
GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256"
REPLAY_WINDOW_SECONDS = 300
AuthMethod = Literal["signature", "github_signature", "bearer", "query_token", "unauthenticated"]


@dataclass(frozen=True)
class SourceAuthConfig:
    """What one source must present. Secrets are kept out of `repr` (and so out of logs)."""

    secret: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    allow_unauthenticated: bool = False
    source: str = "source"

    @classmethod
    def from_config(cls, source: str, config: SourceConfig | None) -> SourceAuthConfig:
        """The `sources.<name>` section of ticketbridge.yaml; no section means no credential."""
        if config is None:
            return cls(source=source)
        return cls(
            secret=config.secret.get_secret_value() if config.secret else None,
            token=config.token.get_secret_value() if config.token else None,
            allow_unauthenticated=config.allow_unauthenticated,
            source=source,
        )


def sign(secret: str, body: bytes, now: datetime) -> str:
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
        method = _verify_signatures(config.source, secret, lowered, raw_body, now)
        if method is not None:
            return method
    if token is not None:
        method = _verify_token(token, lowered, query)
        if method is not None:
            return method
    raise SourceAuthError(
        f"missing credentials: source '{config.source}' requires {_required(secret, token)}"
    )


def _required(secret: str | None, token: str | None) -> str:
    if secret is not None and token is not None:
        return "a signature or a token"
    if secret is not None:
        return f"a signature ({SIGNATURE_HEADER})"
    return "a token (Authorization: Bearer or ?token=)"


def _verify_signatures(
    source: str, secret: str, headers: Mapping[str, str], body: bytes, now: datetime
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


def _check_signature(secret: str, value: str, body: bytes, now: datetime) -> None:
    timestamp, candidates = _parse_signature(value)
    if abs(now.timestamp() - timestamp) > REPLAY_WINDOW_SECONDS:
        raise SourceAuthError("signature timestamp outside the 5-minute window")
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
        # Unix seconds have at most 12 digits for millennia; a longer run is no timestamp (and
        # past 4,300 digits int() itself refuses it).
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
    token: str, headers: Mapping[str, str], query: Mapping[str, str]
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


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _equal(presented: str, expected: str) -> bool:
    """Constant-time equality; bytes, so a non-ASCII guess is a mismatch, not a TypeError."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())
