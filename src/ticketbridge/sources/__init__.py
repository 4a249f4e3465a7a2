"""ticketbridge.sources: native payloads in, as they are, authenticated (SPEC §2).

Pure parsing and signature checks, no I/O. `SOURCES[name].parse_alerts(body, received_at=...)`
gives domain `Alert`s; `SOURCES["github"].parse_push(...)` a `PushEvent` for the audit trail;
`auth.verify(...)` checks the request's credentials first. Bad payloads raise `InputError`
naming the field path, failed authentication `SourceAuthError`.
"""

from ticketbridge.sources.auth import SourceAuthConfig, precheck, sign, verify
from ticketbridge.sources.model import Commit, PushEvent
from ticketbridge.sources.registry import SOURCES, AlertParser, PushParser, SourceAdapter

__all__ = [
    "SOURCES",
    "AlertParser",
    "Commit",
    "PushEvent",
    "PushParser",
    "SourceAdapter",
    "SourceAuthConfig",
    "precheck",
    "sign",
    "verify",
]
