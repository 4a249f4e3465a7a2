"""Turning a REST field value into the stored form, with the messages real Jira refuses with."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jira_emulator import adf
from jira_emulator.model import FieldDef, Project, State
from jira_emulator.richtext import plain_text

MAX_LABEL = 255
MAX_SUMMARY = 255
MAX_TEXT = 32767


class FieldProblem(ValueError):
    """A value a field refuses; `str(problem)` is Jira's message for `errors[field]`."""


def _too_long(limit: int) -> str:
    return f"The entered text is too long. It exceeds the allowed limit of {limit:,} characters."


def _parse_rich(field: FieldDef, raw: Any, api: str) -> Any:
    if raw is None:
        return None
    if api == "3":
        if not isinstance(raw, dict):
            raise FieldProblem(adf.ADF_ERROR_MESSAGE)
        problems = adf.validate_adf(raw)
        if problems:
            raise FieldProblem(f"{adf.ADF_ERROR_MESSAGE}: {problems[0]}")
        text = plain_text(raw)
    else:
        if not isinstance(raw, str):
            raise FieldProblem("Operation value must be a string")
        text = raw
    # Counted on the text (an assumption for ADF: Jira may count the stored document).
    if len(text) > MAX_TEXT:
        raise FieldProblem(_too_long(MAX_TEXT))
    return raw


def _parse_labels(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise FieldProblem("Operation value must be an array of strings")
    for label in raw:
        _check_label(label)
    return list(dict.fromkeys(raw))


def _check_label(label: Any) -> str:
    if not isinstance(label, str) or not label:
        raise FieldProblem("Operation value must be a string")
    if re.search(r"\s", label):
        raise FieldProblem(f"The label '{label}' contains spaces which is invalid.")
    if len(label) > MAX_LABEL:
        raise FieldProblem(
            f"The label '{label}' exceeds the maximum length for a single label of "
            f"{MAX_LABEL} characters."
        )
    return label


def _parse_option(field: FieldDef, raw: Any) -> str:
    if isinstance(raw, dict) and "id" in raw:
        found = field.option_by_id(str(raw["id"]))
        if found is None:
            raise FieldProblem(f"Option id '{raw['id']}' is not valid")
        return found[1]
    if isinstance(raw, dict) and "value" in raw:
        found = field.option_by_value(str(raw["value"]))
        if found is None:
            raise FieldProblem(f"Option value '{raw['value']}' is not valid")
        return found[1]
    raise FieldProblem(f"Specify a valid 'id' or 'name' for {field.name}")


def _parse_user(state: State, raw: Any) -> str | None:
    if raw is None:
        return None
    if state.flavor == "cloud":
        account = raw.get("accountId") if isinstance(raw, dict) else None
        if account is None:
            # Cloud's GDPR mode: `name`/`key` are gone; only accountId identifies a user.
            raise FieldProblem("Specify a valid accountId for the user.")
        user = state.user_by_account_id(str(account))
        if user is None:
            raise FieldProblem(f"Specified user '{account}' does not exist.")
        return user.name
    name = raw.get("name") if isinstance(raw, dict) else None
    if name is None:
        raise FieldProblem("Specify a valid name for the user.")
    if str(name) not in state.users:
        raise FieldProblem(f"User '{name}' does not exist.")
    return str(name)


def _parse_date(raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        raise FieldProblem(f"Error parsing date string: {raw}") from None


def _parse_named(state: State, field_id: str, raw: Any) -> str | None:
    if field_id == "priority":
        if raw is None:
            return None
        if isinstance(raw, dict) and "id" in raw and str(raw["id"]) in state.priorities:
            return str(raw["id"])
        if isinstance(raw, dict) and "name" in raw:
            found = state.priority_by_name(str(raw["name"]))
            if found:
                return found.id
        raise FieldProblem("The priority selected is invalid.")
    if field_id == "parent":
        ref = raw.get("key") or raw.get("id") if isinstance(raw, dict) else None
        issue = state.issue_by_ref(str(ref)) if ref else None
        if issue is None:
            raise FieldProblem("Could not find issue by id or key.")
        return issue.key
    raise FieldProblem(
        f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."
    )


def parse_value(state: State, field: FieldDef, raw: Any, api: str, project: Project) -> Any:
    """The stored form of `raw` for `field`, or FieldProblem with Jira's message."""
    if field.rich:
        return _parse_rich(field, raw, api)
    if field.id == "summary":
        if not isinstance(raw, str):
            raise FieldProblem("Operation value must be a string")
        if len(raw) > MAX_SUMMARY:
            raise FieldProblem("Summary must be less than 255 characters.")
        return raw
    if field.kind == "labels":
        return _parse_labels(raw)
    if field.id == "components":
        names = [c.get("name") if isinstance(c, dict) else None for c in raw or []]
        for name in names:
            if name not in project.components:
                raise FieldProblem(f"Component name '{name}' is not valid")
        return names
    if field.id == "duedate" or field.kind == "date":
        return _parse_date(raw)
    if field.id == "fixVersions":
        for version in raw or []:
            name = (
                version.get("name") or version.get("id") if isinstance(version, dict) else version
            )
            raise FieldProblem(f"Version name '{name}' is not valid")  # projects have no versions
        return []
    if field.id in ("assignee", "reporter") or field.kind == "user":
        return _parse_user(state, raw)
    if field.kind == "select":
        return None if raw is None else _parse_option(field, raw)
    if field.kind == "multiselect":
        if not isinstance(raw, list):
            raise FieldProblem("Operation value must be an array")
        return [_parse_option(field, v) for v in raw]
    if field.kind == "number":
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise FieldProblem("Operation value must be a number")
        return None if raw is None else float(raw)
    if field.kind == "epiclink" and raw is not None:
        epic = state.issue_by_ref(str(raw))
        epic_type = state.issue_type_by_name("Epic")
        if epic is None or epic_type is None or epic.fields["issuetype"] != epic_type.id:
            raise FieldProblem(f"Epic '{raw}' does not exist.")
        return epic.key
    if field.kind in ("text", "epiclink"):
        if raw is not None and not isinstance(raw, str):
            raise FieldProblem("Operation value must be a string")
        if isinstance(raw, str) and len(raw) > MAX_SUMMARY:
            raise FieldProblem(_too_long(MAX_SUMMARY))
        return raw
    return _parse_named(state, field.id, raw)


def parse_list_item(state: State, field: FieldDef, raw: Any) -> str:
    """One element for an `add`/`remove` operation on an array field."""
    if field.kind == "labels":
        return _check_label(raw)
    if field.kind == "multiselect":
        return _parse_option(field, raw)
    if field.id == "components":
        return str(raw.get("name")) if isinstance(raw, dict) else str(raw)
    raise FieldProblem(f"Field '{field.id}' does not support add/remove operations")


def _display(state: State, field: FieldDef, value: Any) -> tuple[str | None, str | None]:
    if value is None or value == []:
        return None, None
    if field.rich:
        return None, plain_text(value)
    if field.id in ("assignee", "reporter") or field.kind == "user":
        user = state.users.get(value)
        ident = user.account_id if user and state.flavor == "cloud" else value
        return ident, user.display_name if user else value
    if field.id == "priority":
        return value, state.priorities[value].name
    if field.id == "issuetype":
        return value, state.issue_types[value].name
    if isinstance(value, list):
        return None, " ".join(str(v) for v in value)
    if field.kind == "select":
        option = field.option_by_value(value)
        return (option[0] if option else None), value
    if field.kind == "number":
        return None, f"{value:g}"
    if field.id == "duedate" or field.kind == "date":
        return value, value
    return None, str(value)


def change_strings(
    state: State, field: FieldDef, old: Any, new: Any
) -> tuple[str | None, str | None, str | None, str | None]:
    """(from, fromString, to, toString) of a changelog item."""
    from_, from_string = _display(state, field, old)
    to, to_string = _display(state, field, new)
    return from_, from_string, to, to_string
