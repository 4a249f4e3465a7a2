"""What every adapter needs: JSON decoding, pydantic errors translated into `InputError` with a
field path, severity words, deterministic ids and fingerprints, and UTC timestamps; the bounds
of what the store can keep are `sources._bounds`' (re-exported here).

Every failure leaves here as `ticketbridge.errors.InputError` whose problems name the field
(`alerts[0].severity`; `$` is the payload itself), never as a pydantic or json exception.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import from_json

from ticketbridge.domain import (
    Alert,
    AlertStatus,
    Severity,
    derive_fingerprint,
    fingerprint_fields_for,
    scoped_fingerprint,
)
from ticketbridge.errors import InputError, Problem
from ticketbridge.sources._bounds import (
    MAX_LENGTHS,
    NUL_FREE,
    NUL_MESSAGE,
    ROOT,
    in_range_numbers,
    join_path,
    may_hold_large_numbers,
    storable,
)

MAX_BATCH = 1000
RawPayload = bytes | bytearray | str | Mapping[str, Any] | Sequence[Any]
NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

# Words sources use beyond Severity.parse's synonyms (seed 003's `urgent`, Jira's own names,
# P1..P5 as on-call tools number them).
_EXTRA_SEVERITY_WORDS = {
    "urgent": "critical",
    "highest": "critical",
    "crit": "critical",
    "emergency": "critical",
    "page": "critical",
    "p1": "critical",
    "p2": "high",
    "p3": "medium",
    "med": "medium",
    "p4": "low",
    "lowest": "info",
    "p5": "info",
    "debug": "info",
}
_SEVERITY_WORDS = ", ".join(s.value for s in Severity)
_SEVERITY_BY_VALUE = {s.value: s for s in Severity}


class NativeModel(BaseModel):
    """Base of the per-source payload models: unknown keys are kept (`model_extra`), numbers
    are accepted where a source's ids are strings, NaN and infinity are refused."""

    model_config = ConfigDict(
        extra="allow",
        coerce_numbers_to_str=True,
        allow_inf_nan=False,
        populate_by_name=True,
    )

    def extras(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def attributes_with(
        self, known: Mapping[str, Any], under: Mapping[str, Any] = {}
    ) -> dict[str, Any]:
        """An alert's `attributes`: `under`, then the payload's unknown fields, then the `known`
        fields that are set (None: left out)."""
        return {**under, **self.extras(), **{k: v for k, v in known.items() if v is not None}}


def invalid(path: str, message: str) -> InputError:
    return InputError("invalid payload", [Problem(path=path, message=message)])


def load_json(payload: RawPayload) -> Any:
    """The payload as JSON values: bytes and text are decoded (UTF-8, strict JSON), parsed
    mappings and lists are taken as they are."""
    if isinstance(payload, bytes | bytearray):
        raw = bytes(payload)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid(ROOT, f"body is not UTF-8 (byte {exc.start})") from None
    elif isinstance(payload, str):
        text = payload
        raw = payload.encode("utf-8", "surrogatepass")
    else:
        in_range_numbers(payload)  # parsed by the caller: any float is possible
        return payload
    try:
        # pydantic-core's parser (jiter): strict JSON (no NaN/Infinity), several times faster
        # than the json module on the 1,000-alert bodies of the ingest hot path.
        data = from_json(text, allow_inf_nan=False, cache_strings=False)
    except ValueError as exc:  # its message says where: "… at line 1 column 7"
        raise invalid(ROOT, f"body is not JSON: {exc}") from None
    if may_hold_large_numbers(raw):
        in_range_numbers(data)
    return data


def validate(model: type[ModelT], data: Any, *, path: str = "") -> ModelT:
    """`model.model_validate(data)`, with every error translated into one `InputError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(path=join_path(path, *error["loc"]), message=_message(error))
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise InputError("invalid payload", problems) from None
    except RecursionError:
        raise invalid(path or ROOT, "payload is nested too deeply") from None


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] in {"model_type", "dict_type", "model_attributes_type"}:
        return "expected a JSON object"
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] == NUL_FREE:
        return NUL_MESSAGE
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # our own message, without pydantic's prefix
    return str(error["msg"])


def severity_from_word(value: object) -> Severity:
    """A severity word (any case, with the common synonyms and the on-call words of foreign
    sources: `urgent`, `P1`..`P5`); `ValueError` saying what is allowed."""
    return _severity(value, _EXTRA_SEVERITY_WORDS)


def severity_from_name(value: object) -> Severity:
    """A severity of our own Alert JSON: a name or a synonym `Severity.parse` knows, any case.
    Not the on-call words of `severity_from_word`: our format documents its five names."""
    return _severity(value, {})


def _severity(value: object, extra_words: Mapping[str, str]) -> Severity:
    if isinstance(value, str):
        exact = _SEVERITY_BY_VALUE.get(value)  # the common case, without normalising
        if exact is not None:
            return exact
        word = value.strip().lower()
        try:
            return Severity.parse(extra_words.get(word, word))
        except ValueError:
            raise ValueError(f"unknown severity {value!r}; use one of {_SEVERITY_WORDS}") from None
    if isinstance(value, Severity):
        return value
    raise ValueError(f"expected a severity string ({_SEVERITY_WORDS})")


def parse_severity(value: object, path: str) -> Severity:
    """`severity_from_word`, failing with an `InputError` that names `path`."""
    try:
        return severity_from_word(value)
    except ValueError as exc:
        raise invalid(path, str(exc)) from None


def _status_word(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


SeverityWord = Annotated[Severity, BeforeValidator(severity_from_word)]
SeverityName = Annotated[Severity, BeforeValidator(severity_from_name)]
StatusWord = Annotated[AlertStatus, BeforeValidator(_status_word)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, strict=False)]


def _link_title(value: str) -> str:
    return value.strip() or "Link"


class LinkModel(NativeModel):
    """A `{title, url}` deep link as our Alert JSON and several sources send it."""

    title: Annotated[str, AfterValidator(_link_title)] = "Link"  # blank: a link still needs text
    url: NonEmptyStr


def _digest(*parts: object) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def derive_id(source: str, entry: object) -> str:
    """A stable id for an entry that has none: the same delivery retried gets the same id."""
    return f"{source}_{_digest(entry)[:20]}"


def event_id(alert_id: str, status: AlertStatus) -> str:
    """The id of a delivery about `alert_id`. Ingest is idempotent on (source, id), so the
    source's resolution of an alert is its own event: `<id>:resolved`, never a duplicate of
    the detection that carried `<id>`."""
    return f"{alert_id}:resolved" if status is AlertStatus.RESOLVED else alert_id


def batch_entries(
    data: Any, batch_key: str | None, single_key: str, max_batch: int = MAX_BATCH
) -> list[tuple[str, Any]]:
    """The entries of a payload that is one object, a list, or `{batch_key: [...]}` (an object
    that has `single_key` is one entry; no `batch_key`: no such envelope), each with the path
    prefix its errors are reported under. A batch holds 1 to `max_batch` entries.
    """
    if isinstance(data, list):
        return [(f"[{i}]", entry) for i, entry in enumerate(_sized(data, ROOT, max_batch))]
    if (
        batch_key is not None
        and isinstance(data, dict)
        and batch_key in data
        and single_key not in data
    ):
        batch = data[batch_key]
        if not isinstance(batch, list):
            raise invalid(batch_key, "expected a list")
        sized = _sized(batch, batch_key, max_batch)
        return [(f"{batch_key}[{i}]", entry) for i, entry in enumerate(sized)]
    return [("", data)]


def _sized(batch: list[Any], path: str, max_batch: int) -> list[Any]:
    """As on `POST /v1/alerts`: a batch holds 1 to `max_batch` alerts."""
    if not 1 <= len(batch) <= max_batch:
        raise invalid(path, f"expected 1 to {max_batch} alerts, got {len(batch)}")
    return batch


def parse_each(
    items: Iterable[tuple[str, Any]],
    build: Callable[[str, Any], T],
    *,
    check_storable: bool = True,
) -> list[T]:
    """`build(path, item)` for every item; the problems of all bad items are reported together.
    Built alerts are checked with `storable` unless the builder's model already refused it all."""
    results: list[T] = []
    problems: list[Problem] = []
    for path, item in items:
        try:
            result = build(path, item)
            if check_storable and isinstance(result, Alert):
                storable(result, path)
            results.append(result)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError("invalid payload", problems)
    return results


def with_fingerprint(
    alert: Alert,
    given: str | None,
    configured: Sequence[str] | None,
    *,
    identity: str | None = None,
) -> Alert:
    """The alert with its dedup key: derived from the configured fields when the operator set
    some (their explicit choice wins), else the one the source gave, else derived from the
    per-source default fields of `domain.fingerprint`. `identity` is the id the source gave
    the alert itself, which the derivation sees as `id` (an `event_id` is one delivery about
    it, and must not split the alert's fingerprint). The key is stored scoped by the alert's
    source (`scoped_fingerprint`): no source's alert folds into another source's ticket."""
    if not configured and given:
        key = given
    else:
        fields = tuple(configured) if configured else fingerprint_fields_for(alert.source)
        data = alert.as_mapping()
        if identity is not None:
            data["id"] = identity
        key = derive_fingerprint(data, fields)
    if len(key) > MAX_LENGTHS["fingerprint"]:  # a given one: `storable` refuses it, by path
        return replace(alert, fingerprint=key)
    return replace(alert, fingerprint=scoped_fingerprint(alert.source, key))


class Built(NamedTuple):
    """What an entry builder makes: the alert (no fingerprint yet), the fingerprint the source
    gave (if any) and the source's own id of the alert (if any)."""

    alert: Alert
    fingerprint: str | None = None
    identity: str | None = None


AlertBuilder = Callable[[str, Any, datetime], Built]


def parse_batch(
    payload: RawPayload,
    build: AlertBuilder,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None,
) -> list[Alert]:
    """A payload of one alert, a list, or `{"alerts": [...]}`: `build(path, entry, received_at)`
    gives each alert (without fingerprint) and the fingerprint its source gave, if any."""
    data = load_json(payload)

    def one(path: str, entry: Any) -> Alert:
        built = build(path, entry, received_at)
        return with_fingerprint(
            built.alert, built.fingerprint, fingerprint_fields, identity=built.identity
        )

    return parse_each(batch_entries(data, "alerts", "title"), one)
