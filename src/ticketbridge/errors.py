"""The one error tree of ticketbridge.

Every failure that crosses a layer is one of these. Errors from the outside world (httpx, Jira's
bodies, YAML, payloads) are translated into this tree at the boundary where they happen, so the
layers above branch on meaning, never on a library's exception or an HTTP status.

    TicketBridgeError
    ├── ConfigError                 the configuration is refused; .problems lists every one
    │   └── SiteChanged             Jira is another site than the one the store's tickets
    │                               belong to: nothing is written until the user decides
    ├── InputError                  an alert or payload is refused; .problems name the fields
    │   └── StoredValueRefused      the database refused a value parsing let through (a bound
    │                               missing at parsing; the transaction is rolled back)
    ├── SourceNotGranted            the caller may not speak for an alert's source (403)
    ├── SourceAuthError             a source request failed authentication (401)
    └── JiraError                   anything Jira (or the way to it) said or did
        ├── TransientError          worth retrying later, with backoff       (.transient = True)
        │   ├── RateLimited         429: .retry_after seconds, .reason (RateLimit-Reason)
        │   ├── Unavailable         5xx or a connection that could not be made
        │   └── Timeout             no answer in time, for a request that is safe to repeat
        ├── OutcomeUnknown          a create that may or may not have happened (timeout, dropped
        │                           connection): never retried blindly; the pipeline looks the
        │                           marker up first (SPEC §4.5)                (.transient = False)
        └── PermanentError          retrying the same request cannot help    (.transient = False)
            ├── AuthFailed          401
            │   └── GrantRevoked    the OAuth grant is gone (revoked, expired, a spent refresh
            │                       token): no retry helps; the message says how to reconnect
            ├── Forbidden           403
            ├── NotFound            404
            ├── Gone                410 (e.g. the removed /rest/api/3/search)
            ├── Conflict            409
            ├── DestinationRefused  the target is refused before any request (SSRF guard:
            │                       a private, loopback or metadata address, plain http)
            ├── WrongSite           the ticket's issue is on another Jira site: not written
            └── FieldErrors         400 with Jira's per-field messages and a hint that names the
                                    project, issue type and field

`transient` is part of the type, so a worker decides retry-or-dead-letter with one attribute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted path, and a line when known) and what."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line is not None else self.path
        return f"{where}: {self.message}"


class _Detailed(Protocol):
    """pydantic's `ValidationError`, FastAPI's `RequestValidationError`: a list of details."""

    def errors(self) -> Sequence[Any]: ...


def dotted(loc: Sequence[int | str]) -> str:
    """pydantic's ("auth", "email") → "auth.email"."""
    return ".".join(str(part) for part in loc)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_path(loc: Sequence[int | str], *, prefix: str = "", root: str = "$") -> str:
    """The one spelling of a field's place in a document (YAML, a payload, a request):
    ("routes", 2, "fields", "Escalation ID") → `routes[2].fields["Escalation ID"]`, after
    `prefix` when given; nothing at all → `root`."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
    return path or root


def problems_of(
    err: _Detailed, path: Callable[[Sequence[int | str]], str] = dotted
) -> list[Problem]:
    """The one translation of pydantic's error details into `Problem`s; `path` names a detail's
    location in the caller's terms (a dotted path, an environment variable, an argument)."""
    return [Problem(path(tuple(e.get("loc", ()))), str(e.get("msg"))) for e in err.errors()]


_Model = TypeVar("_Model", bound=BaseModel)


def validated(
    model: type[_Model],
    data: object,
    message: str,
    refusal: type[_ProblemsError] | None = None,
) -> _Model:
    """`model` from `data`, or `refusal` (default `ConfigError`) with `message` and a problem per
    field pydantic refused."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise (refusal or ConfigError)(message, problems_of(err)) from err


class TicketBridgeError(Exception):
    """Root of every error ticketbridge raises on purpose."""

    transient: ClassVar[bool] = False


class _ProblemsError(TicketBridgeError):
    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{message}: {detail}" if detail else message)


class ConfigError(_ProblemsError):
    """The configuration is refused whole; `problems` lists every error with path and line."""


class SiteChanged(ConfigError):
    """The Jira we talk to is another site than the one the store's tickets belong to (a test
    site then production, a restored or migrated site): an issue key means nothing across
    sites, so nothing is written until `ticketbridge site rebind` or `site separate`."""

    def __init__(self, current: str, others: Mapping[str, int]) -> None:
        counted = ", ".join(f"{count} on {site}" for site, count in sorted(others.items()))
        super().__init__(
            f"the Jira site changed: the connection is {current}, but tickets belong to "
            f"another site ({counted}); nothing is written until you decide",
            [
                Problem(
                    "jira",
                    "`ticketbridge site rebind` if the issues moved here with their keys (a "
                    "migration), `ticketbridge site separate` to keep the sites apart",
                )
            ],
        )
        self.current = current
        self.others = dict(others)


class InputError(_ProblemsError):
    """An alert or native payload is refused; `problems` name the offending fields."""


class SourceNotGranted(_ProblemsError):
    """An alert names a source its caller was not granted; `problems` name each `source`."""


class StoredValueRefused(InputError):
    """The database (or its driver) refused a value of the input: nothing of the transaction is
    kept. Parsing bounds every value the store cannot take, so this is the net under a bound
    that is missing; its cause is chained, never put into the message (it holds the value)."""

    def __init__(self) -> None:
        problem = Problem("$", "a value cannot be stored (out of range or not storable text)")
        super().__init__("the database refused a value", [problem])


class SourceAuthError(TicketBridgeError):
    """A source request failed authentication; the message says why, never the secret."""


class JiraError(TicketBridgeError):
    """Anything that went wrong talking to Jira."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class TransientError(JiraError):
    transient: ClassVar[bool] = True


class RateLimited(TransientError):
    def __init__(
        self, message: str, *, retry_after: float | None, reason: str | None = None
    ) -> None:
        self.retry_after = retry_after
        self.reason = reason
        super().__init__(message, status=429)


class Unavailable(TransientError):
    pass


class Timeout(TransientError):
    pass


class OutcomeUnknown(JiraError):
    """A write whose effect is unknown; resolve by looking the marker up, never by repeating it."""


class PermanentError(JiraError):
    pass


class AuthFailed(PermanentError):
    pass


RECONNECT_HINT = "reconnect: ticketbridge config jira --oauth"


class GrantRevoked(AuthFailed):
    """Atlassian refused the OAuth grant itself (`invalid_grant`: the app was removed from the
    user's connected apps, the refresh token expired or was reused): only a new consent helps,
    so jobs dead-letter with the way to give it instead of retrying."""

    def __init__(self, why: str) -> None:
        super().__init__(f"the Jira OAuth grant is no longer valid ({why}); {RECONNECT_HINT}")


class Forbidden(PermanentError):
    pass


class NotFound(PermanentError):
    pass


class Gone(PermanentError):
    pass


class Conflict(PermanentError):
    pass


class DestinationRefused(PermanentError):
    """The outbound guard refused the target (`providers.outbound`); nothing was sent."""


class WrongSite(PermanentError):
    """The ticket's issue is on another Jira site than the connection's: writing its key here
    would write into an unrelated issue."""


class FieldErrors(PermanentError):
    """Jira refused fields (400). Keeps Jira's own messages and adds a hint for the operator."""

    def __init__(
        self,
        message: str,
        *,
        messages: Sequence[str] = (),
        fields: Mapping[str, str] | None = None,
        hint: str | None = None,
        status: int | None = 400,
    ) -> None:
        self.messages: tuple[str, ...] = tuple(messages)
        self.fields: dict[str, str] = dict(fields or {})
        self.hint = hint
        super().__init__(message, status=status)
