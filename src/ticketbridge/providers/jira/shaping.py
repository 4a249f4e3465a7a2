"""Field values shaped from the field's schema, as Jira's create and edit bodies want them.

Callers hand plain values (a string, a number, a date, a list); the schema from `/field` says
what Jira expects: an option is `{"value": …}`, a user `{"accountId": …}` on Cloud and
`{"name": …}` on Data Center, a date `YYYY-MM-DD`, a textarea ADF on v3 and a wiki string on v2
(cut to Jira's 32,767 characters), a text field one line of at most 255 characters.
A value that cannot take the shape is refused with a `FieldErrors` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import FieldDef
from ticketbridge.render import clip_summary

TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
TextRenderer = Callable[[Any], Any]  # str | Document -> ADF dict (v3) or wiki str (v2)


def is_textarea(fdef: FieldDef) -> bool:
    return fdef.custom_type == TEXTAREA or fdef.id in ("description", "environment")


def shape_value(
    fdef: FieldDef,
    value: Any,
    *,
    user_key: Literal["accountId", "name"],
    text: TextRenderer,
) -> Any:
    """`value` in the JSON shape Jira expects for `fdef`."""
    if value is None:
        return None
    if is_textarea(fdef):
        return text(value)
    kind = fdef.schema_type
    if kind == "array":
        items = [value] if isinstance(value, str | Mapping) else list(value)
        return [_scalar(fdef, fdef.items, v, user_key) for v in items]
    return _scalar(fdef, kind, value, user_key)


def _scalar(fdef: FieldDef, kind: str | None, value: Any, user_key: str) -> Any:
    if isinstance(value, Mapping):
        return dict(value)  # already shaped by the caller (e.g. {"id": "10000"})
    match kind:
        case "option" | "option-with-child":
            return {"value": str(value)}
        case "user":
            return {user_key: str(value)}
        case "priority" | "component" | "version" | "resolution":
            return {"name": str(value)}
        case "issuelink" | "issuetype" | "project":
            return {"key": str(value)} if kind != "issuetype" else {"name": str(value)}
        case "number":
            return _number(fdef, value)
        case "date":
            return _date(fdef, value)
        case "datetime":
            return _datetime(fdef, value)
        case "string":  # a text field holds one line of at most 255 characters: clipped,
            return clip_summary(value)  # so no value's length can make the create fail
        case _:
            return value


def _refuse(fdef: FieldDef, message: str) -> FieldErrors:
    return FieldErrors(
        f"value refused for field '{fdef.name}' ({fdef.id}): {message}",
        fields={fdef.id: message},
        hint=f"field '{fdef.name}' ({fdef.id}) expects {fdef.schema_type}",
    )


def _number(fdef: FieldDef, value: Any) -> float | int:
    if isinstance(value, bool):
        raise _refuse(fdef, "expects a number, got a boolean")
    if isinstance(value, int | float):
        return value
    try:
        number = float(str(value))
    except ValueError:
        raise _refuse(fdef, f"expects a number, got {value!r}") from None
    return int(number) if number.is_integer() else number


def _date(fdef: FieldDef, value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise _refuse(fdef, f"expects a date YYYY-MM-DD, got {value!r}") from None


def _datetime(fdef: FieldDef, value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise _refuse(fdef, f"expects an ISO 8601 datetime, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Jira's own format: 2019-07-06T15:25:00.000+0000
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}"
        + (moment.strftime("%z"))
    )
