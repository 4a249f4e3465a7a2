"""`parse_config`: the YAML read and its schema checked, every problem listed with path and line.

This is the config layer's part of loading. The one loader every command, the API, the library
and the tests use is `ticketbridge.bootstrap.load_config`, which adds what only the layers
above can check (CEL conditions, templates, the Jira URL): `config check` then refuses exactly
what `serve` refuses.
"""

from __future__ import annotations

import copy
import difflib
import os
import types
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ticketbridge.config.document import ConfigDocument, parse_document
from ticketbridge.config.schema import Config, Location
from ticketbridge.config.sites import FORM_TAGS, JiraSites, site_reference_problems
from ticketbridge.errors import ConfigError, Problem

ConfigCheck = Callable[[ConfigDocument], Iterable[Problem]]
"""An extra check over the parsed document (the rules layer type-checks CEL this way)."""

EXTENSION_PREFIX = "x-"
_SHOW_INPUT = {"literal_error", "enum", "bool_parsing", "int_parsing", "float_parsing"}


TOP_LEVEL_UNDER = frozenset({"assignments", "teams"})
"""Sections `defaults_under` may lay under the file's whole (a list has no entries to merge)."""


def parse_config(
    path: Path | str | None = None,
    *,
    text: str | None = None,
    env: Mapping[str, str] | None = None,
    checks: Sequence[ConfigCheck] = (),
    known_templates: Collection[str] = (),
    defaults_under: Mapping[str, Any] | None = None,
) -> Config:
    """Load and validate `ticketbridge.yaml` from a path, or YAML `text`; no source → defaults.

    `env` defaults to the process environment (read now, never at import). `known_templates`
    are template names defined elsewhere (the built-in ones) that routes may refer to.
    `defaults_under`: `defaults:` values laid under the file's (the file's own win; the admin
    UI's stored defaults). Raises ConfigError listing every problem, each with its path and line.
    """
    if path is not None and text is not None:
        raise ValueError("give a path or text, not both")
    origin: str | None = None
    if path is not None:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot read {origin}", [Problem("(document)", err.strerror or str(err))]
            ) from err
    if text is None:
        if not defaults_under:
            return Config()
        text = ""
    document, problems = parse_document(text, os.environ if env is None else env, origin)
    if document.data is None and not problems:
        document.data = {}  # an empty file is the defaults
    if defaults_under:
        _lay_under(document, defaults_under)
    config = _validate(document, problems)
    problems.extend(_cross_reference_problems(document, known_templates))
    problems.extend(site_reference_problems(document))
    for check in checks:
        problems.extend(check(document))
    if problems or config is None:
        where = origin or "configuration"
        raise ConfigError(f"{where} is invalid ({len(problems)} problems)", _sorted(problems))
    config._lines = dict(document.lines)
    config._origin = origin
    return config


def _lay_under(document: ConfigDocument, values: Mapping[str, Any]) -> None:
    """`values` laid under the file's wherever it does not set them: a plain name is a
    `defaults:` entry (one of TOP_LEVEL_UNDER a section of its own, whole), a dotted one
    (`sync.status_ids`) an entry of its section. A file whose section is not a mapping keeps
    it, and the schema names it."""
    if not isinstance(document.data, dict):
        return
    for dotted, value in values.items():
        if dotted in TOP_LEVEL_UNDER:
            document.data.setdefault(dotted, copy.deepcopy(value))
            continue
        section_name, _, name = dotted.rpartition(".")
        section = document.data.setdefault(section_name or "defaults", {})
        if section is None:
            section = document.data[section_name or "defaults"] = {}
        if isinstance(section, dict):
            section.setdefault(name, dict(value) if isinstance(value, Mapping) else value)


def _validate(document: ConfigDocument, problems: list[Problem]) -> Config | None:
    if document.data is None:
        return None
    if not isinstance(document.data, dict):
        problems.append(Problem("(top level)", "the configuration must be a mapping of keys", 1))
        return None
    # Top-level `x-…` keys hold YAML anchors to reuse (`<<: *common`), as in Compose files.
    data = {k: v for k, v in document.data.items() if not k.startswith(EXTENSION_PREFIX)}
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        problems.extend(_problem_from_error(document, error) for error in err.errors())
        return None


def _problem_from_error(document: ConfigDocument, error: ErrorDetails) -> Problem:
    location = _data_location(document.data, error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(location[-1])
        message = f"unknown key '{key}'"
        allowed = _allowed_keys(location[:-1], document.data)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        elif allowed:
            message += f"; expected one of: {', '.join(sorted(allowed))}"
    elif kind == "missing":
        message = f"required key '{location[-1]}' is missing"
    else:
        message = error["msg"].removeprefix("Value error, ")
        if kind in _SHOW_INPUT and isinstance(error["input"], str | int | float):
            message += f" (got {error['input']!r})"
    return document.problem(location, message)


def _data_location(data: Any, raw: tuple[int | str, ...]) -> Location:
    """Drop pydantic's union tags from an error location, keeping the path as written in YAML."""
    location: list[str | int] = []
    node = data
    for position, part in enumerate(raw):
        last = position == len(raw) - 1
        if part in FORM_TAGS:
            continue  # `jira:`'s form, one site or several
        if _has(node, part):
            node = node[part]
        elif not last or not isinstance(node, dict) or node.get("type") == part:
            continue  # a union tag such as 'pat' or 'offset', not a key of the document
        else:
            node = None
        location.append(part)
    return tuple(location)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _allowed_keys(location: Location, data: Any) -> list[str]:
    """The keys the model at `location` accepts, found by walking the Config type."""
    annotation: Any = Config
    node = data
    for part in location:
        annotation = _resolve(annotation, node)
        node = node[part] if _has(node, part) else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = _resolve(annotation, node)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _resolve(annotation: Any, node: Any) -> Any:
    """Unwrap Annotated and Optional; pick a union member by the node's `type` tag."""
    while True:
        origin = get_origin(annotation)
        if origin is not None and hasattr(annotation, "__metadata__"):
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = _pick_member(members, node)
            continue
        return annotation


def _pick_member(members: list[Any], node: Any) -> Any:
    members = [get_args(m)[0] if hasattr(m, "__metadata__") else m for m in members]  # tagged
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if isinstance(node, dict) and "sites" in node and JiraSites in models:
        return JiraSites  # `jira:`'s several-sites form
    if isinstance(node, dict) and "type" in node:
        for model in models:
            field = model.model_fields.get("type")
            if field is not None and node["type"] in get_args(field.annotation):
                return model
    return models[0] if len(models) == 1 else members[0]


def _cross_reference_problems(
    document: ConfigDocument, known_templates: Collection[str]
) -> list[Problem]:
    """Route names unique; templates referred to exist. Checked on the raw data so that these
    problems are listed together with the schema's."""
    data = document.data if isinstance(document.data, dict) else {}
    templates = data.get("templates")
    defined = set(templates) if isinstance(templates, dict) else set()
    check_templates = bool(defined) or bool(known_templates)
    available = defined | set(known_templates)
    problems: list[Problem] = []
    defaults = data.get("defaults")
    if check_templates and isinstance(defaults, dict):
        problems.extend(_template_ref(document, ("defaults",), defaults, available))
    routes = data.get("routes")
    seen: dict[str, int] = {}
    for index, route in enumerate(routes if isinstance(routes, list) else []):
        if not isinstance(route, dict):
            continue
        name = route.get("name")
        if isinstance(name, str) and name in seen:
            problems.append(
                document.problem(
                    ("routes", index, "name"),
                    f"route name '{name}' is already used by routes[{seen[name]}]",
                )
            )
        elif isinstance(name, str):
            seen[name] = index
        if check_templates:
            problems.extend(_template_ref(document, ("routes", index), route, available))
    return problems


def _template_ref(
    document: ConfigDocument, location: Location, block: dict[str, Any], available: set[str]
) -> list[Problem]:
    name = block.get("template")
    if not isinstance(name, str) or name in available:
        return []
    message = f"unknown template '{name}'"
    close = difflib.get_close_matches(name, sorted(available), n=1)
    message += (
        f" (did you mean '{close[0]}'?)" if close else f"; defined: {', '.join(sorted(available))}"
    )
    return [document.problem((*location, "template"), message)]


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line if p.line is not None else 0, p.path))
