"""The YAML document before validation: plain data, the line of every key, `${ENV}` substituted.

Kept apart from the models so that every problem — YAML syntax, a missing variable, a schema
error, a CEL error found by the rules layer — can name the same path and line.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError

from ticketbridge.errors import Problem, field_path

Location = tuple[str | int, ...]

# `$${X}` is an escaped literal `${X}`; `${X:-fallback}` has a default.
_ENV_REF = re.compile(r"\$(\$?)\{([^}\n]*)\}")
# References are swapped for plain-word placeholders before parsing, because `${X}` is not a
# valid plain scalar inside a flow mapping (`auth: {api_token: ${X}}` in SPEC §3).
_PLACEHOLDER = re.compile(r"__tb_env_(\d+)__")
_ENV_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


def format_path(location: Location) -> str:
    """("routes", 2, "fields", "Escalation ID") → routes[2].fields["Escalation ID"]."""
    return field_path(location, root="(top level)")


def nearest_line(lines: Mapping[Location, int], location: Location) -> int | None:
    """The line of `location`, or of its nearest ancestor that has one."""
    for end in range(len(location), 0, -1):
        line = lines.get(location[:end])
        if line is not None:
            return line
    return None


@dataclass
class ConfigDocument:
    """Parsed YAML as plain Python data plus the 1-based line of each key and list item."""

    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    origin: str | None = None

    def line_of(self, location: Location) -> int | None:
        """The line of `location`, or of its nearest ancestor that has one."""
        return nearest_line(self.lines, location)

    def problem(self, location: Location, message: str) -> Problem:
        return Problem(format_path(location), message, self.line_of(location))


def parse_document(
    text: str, env: Mapping[str, str], origin: str | None = None
) -> tuple[ConfigDocument, list[Problem]]:
    """Parse YAML text; return the document and the problems found (syntax, env variables)."""
    references: list[tuple[str, str]] = []

    def to_placeholder(match: re.Match[str]) -> str:
        references.append((match.group(1), match.group(2)))
        return f"__tb_env_{len(references) - 1}__"

    yaml = YAML(typ="rt")  # YAML 1.2: `on`, `yes`, `no` stay strings
    try:
        with warnings.catch_warnings():
            # A redefined anchor is legal YAML; the latest definition wins, as everywhere.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            tree = yaml.load(_ENV_REF.sub(to_placeholder, text))
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"invalid YAML: {err.problem or err.context}"
        return ConfigDocument(None, origin=origin), [Problem("(document)", message, line)]
    except YAMLError as err:
        return ConfigDocument(None, origin=origin), [Problem("(document)", f"invalid YAML: {err}")]
    document = ConfigDocument(None, origin=origin)
    problems: list[Problem] = []
    resolver = _Resolver(references, env, document, problems)
    document.data = _plain(tree, (), document, resolver)
    return document, problems


def _plain(node: Any, location: Location, document: ConfigDocument, resolver: _Resolver) -> Any:
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            name = resolver.substitute(str(key), location)
            child = (*location, name)
            line = _key_line(node, key)
            if line is not None:
                document.lines[child] = line
            result[name] = _plain(value, child, document, resolver)
        return result
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*location, index)
            if node.lc.data and index in node.lc.data:
                document.lines[child] = node.lc.item(index)[0] + 1
            items.append(_plain(value, child, document, resolver))
        return items
    if isinstance(node, str):
        return resolver.substitute(str(node), location)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _key_line(node: CommentedMap, key: Any) -> int | None:
    """1-based line of a key; a key merged in with `<<: *anchor` has none, so the mapping's."""
    known = node.lc.data
    line: int | None = node.lc.key(key)[0] if known and key in known else node.lc.line
    return line + 1 if line is not None else None


@dataclass
class _Resolver:
    """Puts environment values where the placeholders are; a missing variable is a problem that
    names the variable and the place, never a value."""

    references: list[tuple[str, str]]
    env: Mapping[str, str]
    document: ConfigDocument
    problems: list[Problem]

    def substitute(self, text: str, location: Location) -> str:
        if "${" in text:  # every complete reference is a placeholder by now
            message = "unterminated ${ (write ${VARIABLE}, or $${ for a literal ${)"
            self.problems.append(self.document.problem(location, message))
        return _PLACEHOLDER.sub(lambda m: self._value(int(m.group(1)), location), text)

    def _value(self, index: int, location: Location) -> str:
        escaped, inner = self.references[index]
        if escaped:
            return "${" + inner + "}"
        name_match = _ENV_NAME.match(inner)
        if name_match is None:
            message = f"'${{{inner}}}' is not a valid ${{VARIABLE}} reference"
            self.problems.append(self.document.problem(location, message))
            return ""
        name, default = name_match.group(1), name_match.group(2)
        value = self.env.get(name)
        if value is None or (value == "" and default is not None):
            if default is not None:
                return default
            message = (
                f"environment variable {name} is not set (set it, or write ${{{name}:-default}})"
            )
            self.problems.append(self.document.problem(location, message))
            return ""
        return value
