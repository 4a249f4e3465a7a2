"""Strict mode: every REST v3 request checked against Atlassian's OpenAPI spec of Jira Cloud.

The vendored spec (`specs/jira-cloud-v3.json`, OpenAPI 3.0.1) is read lazily, once per process;
a validator per operation is compiled on first use. A request is matched to a path template
(the most specific template wins: `/issue/bulk` before `/issue/{issueIdOrKey}`), then:
- its path parameters and query parameters are checked against their schemas (types, enums,
  required ones present; arrays may be repeated or comma-separated, as Jira accepts);
- a query parameter the operation does not define is reported (real Jira ignores it silently,
  which hides typos in a client);
- a JSON body is validated against the operation's requestBody schema, `$ref`s resolved through
  a `referencing` registry holding the whole spec; OpenAPI's `nullable` is honoured and
  `readOnly` properties are not required in requests (`writeOnly` ones not in responses).
Problems name the operation, the place (`body.fields.labels[0]`, `query parameter 'maxResults'`)
and the schema location in the spec. Only `/rest/api/3/` is checked: REST v2 (not in this
spec), `/_emulator/*` and everything else pass through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_SPEC = "jira-cloud-v3.json"
_URI = "urn:jira-cloud-v3"
_CHECKED_PREFIX = "/rest/api/3/"
_METHODS = frozenset(("get", "put", "post", "delete", "patch", "head", "options"))
_PARAM = re.compile(r"\{([^}/]+)\}")

Query = Mapping[str, str | list[str]]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _nullable_type(
    validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable"):
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


def _nullable_enum(
    validator: Any, enums: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable"):
        return
    yield from Draft4Validator.VALIDATORS["enum"](validator, enums, instance, schema)


def _required_skipping(hidden: str) -> Any:
    def required(
        validator: Any, names: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if not isinstance(instance, dict):
            return
        properties = schema.get("properties", {})
        for name in names:
            if name not in instance and not properties.get(name, {}).get(hidden):
                yield ValidationError(f"{name!r} is a required property")

    return required


# `extend` is untyped in types-jsonschema; the classes it returns are ordinary validators.
_REQUEST = extend(  # type: ignore[no-untyped-call]
    Draft4Validator,
    {"type": _nullable_type, "enum": _nullable_enum, "required": _required_skipping("readOnly")},
)
_RESPONSE = extend(  # type: ignore[no-untyped-call]
    Draft4Validator,
    {"type": _nullable_type, "enum": _nullable_enum, "required": _required_skipping("writeOnly")},
)


@dataclass(frozen=True)
class _Template:
    path: str
    regex: re.Pattern[str]
    specificity: tuple[int, int]


@cache
def _load(spec_path: str) -> dict[str, Any]:
    """The spec, parsed once per process (2.4 MB)."""
    if spec_path == DEFAULT_SPEC:
        text = resources.files("jira_emulator.specs").joinpath(DEFAULT_SPEC).read_text()
    else:
        text = Path(spec_path).read_text()
    spec: dict[str, Any] = json.loads(text)
    return spec


class _Spec:
    """Path matching and lazily compiled validators over one spec document."""

    def __init__(self, spec_path: str) -> None:
        self.document = _load(spec_path)
        self.registry: Registry[Any] = Registry().with_resource(
            _URI, Resource.from_contents(self.document, default_specification=DRAFT4)
        )
        self.templates = sorted(
            (self._template(path) for path in self.document["paths"]),
            key=lambda t: t.specificity,
            reverse=True,
        )
        self._validators: dict[tuple[str, bool], Validator] = {}

    @staticmethod
    def _template(path: str) -> _Template:
        pattern = "".join(
            f"(?P<p{index}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(_PARAM.split(path))
        )
        literal = len(_PARAM.sub("", path))
        return _Template(path, re.compile(pattern + "/?"), (literal, -len(_PARAM.findall(path))))

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        for template in self.templates:
            found = template.regex.fullmatch(path)
            if found:
                names = _PARAM.findall(template.path)
                values = [found.group(f"p{2 * i + 1}") for i in range(len(names))]
                return template.path, dict(zip(names, values, strict=True))
        return None

    def validator(self, pointer: str, response: bool = False) -> Validator:
        key = (pointer, response)
        if key not in self._validators:
            cls = _RESPONSE if response else _REQUEST
            self._validators[key] = cls({"$ref": f"{_URI}#{pointer}"}, registry=self.registry)
        return self._validators[key]

    def schema_location(self, start: str, error: ValidationError) -> str:
        """The JSON pointer in the spec of the schema keyword that failed."""
        pointer, node = start, self.resolve(start)
        for segment in error.schema_path:
            # `$ref` is transparent in jsonschema's schema_path: follow it while walking.
            while isinstance(node, dict) and isinstance(node.get("$ref"), str):
                pointer = node["$ref"].split("#", 1)[-1]
                node = self.resolve(pointer)
            pointer = f"{pointer}/{_escape(str(segment))}"
            node = _child(node, segment)
        return f"#{pointer}"

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/") if pointer.strip("/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node


@cache
def _spec_for(spec_path: str) -> _Spec:
    """One parsed spec with its compiled validators per process, shared by every emulator."""
    return _Spec(spec_path)


def _child(node: Any, segment: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(segment)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return None


def _coerce(raw: list[str], schema: Mapping[str, Any]) -> tuple[object, str | None]:
    """A query parameter's value in its schema's type, or a problem saying which type."""
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        values = []
        for piece in (part for value in raw for part in value.split(",")):
            value, problem = _coerce([piece], items)
            if problem:
                return None, problem
            values.append(value)
        return values, None
    value = raw[-1]
    try:
        if kind == "integer":
            return int(value), None
        if kind == "number":
            return float(value), None
    except ValueError:
        return None, f"must be {kind} (got {value!r})"
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            return None, f"must be boolean (got {value!r})"
        return value.lower() == "true", None
    if "enum" in schema and value not in schema["enum"]:
        return None, f"must be one of {schema['enum']} (got {value!r})"
    return value, None


class StrictValidator:
    """Validates requests (and, for tests, responses) against the vendored v3 spec."""

    def __init__(self, spec_path: Path | str | None = None, *, enabled: bool = True) -> None:
        self.spec_path = str(spec_path) if spec_path is not None else DEFAULT_SPEC
        self.enabled = enabled
        self._spec: _Spec | None = None

    @property
    def spec(self) -> _Spec:
        if self._spec is None:
            self._spec = _spec_for(self.spec_path)
        return self._spec

    def operation(
        self, method: str, path: str
    ) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        """(path template, operation object, path parameters), or None if unknown."""
        found = self.spec.match(path)
        if found is None:
            return None
        template, params = found
        operation = self.spec.document["paths"][template].get(method.lower())
        return None if operation is None else (template, operation, params)

    def validate_request(self, method: str, path: str, query: Query, body: object) -> list[str]:
        """Problems with the request; empty when the spec allows it (or it is not v3)."""
        if not path.startswith(_CHECKED_PREFIX):
            return []
        where = f"{method.upper()} {path}"
        found = self.spec.match(path)
        if found is None:
            return [f"{where}: unknown path (not in the Jira Cloud REST API v3 spec)"]
        template, path_params = found
        item = self.spec.document["paths"][template]
        if method.lower() not in item:
            allowed = ", ".join(sorted(m.upper() for m in item if m in _METHODS))
            return [f"{where}: method not allowed on {template} (the spec has {allowed})"]
        operation = item[method.lower()]
        problems = list(self._parameter_problems(operation, path_params, query))
        problems += self._body_problems(template, method.lower(), operation, body)
        return [f"{where}: {problem}" for problem in problems]

    def _parameter_problems(
        self, operation: Mapping[str, Any], path_params: Mapping[str, str], query: Query
    ) -> Iterator[str]:
        declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        for name in query:
            if name not in declared:
                yield f"query parameter '{name}' is not defined for this operation"
        for parameter in operation.get("parameters", []):
            place, name = parameter["in"], parameter["name"]
            if place == "path" and name in path_params:
                raw = [path_params[name]]
            elif place == "query" and name in query:
                value = query[name]
                raw = [value] if isinstance(value, str) else list(value)
            else:
                if place == "query" and parameter.get("required"):
                    yield f"query parameter '{name}' is required"
                continue
            _, problem = _coerce(raw, parameter.get("schema", {}))
            if problem:
                yield f"{place} parameter '{name}' {problem}"

    def _body_problems(
        self, template: str, method: str, operation: Mapping[str, Any], body: object
    ) -> list[str]:
        request_body = operation.get("requestBody")
        if request_body is None:
            return []
        if body is None:
            return ["body is required"] if request_body.get("required") else []
        if "application/json" not in request_body.get("content", {}):
            return []
        pointer = (
            f"/paths/{_escape(template)}/{method}/requestBody/content/application~1json/schema"
        )
        return self._schema_problems(pointer, body, "body", response=False)

    def _schema_problems(
        self, pointer: str, value: object, label: str, *, response: bool
    ) -> list[str]:
        validator = self.spec.validator(pointer, response)
        instance: Any = value
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        return [
            f"{label}{error.json_path[1:]}: {error.message} "
            f"(schema {self.spec.schema_location(pointer, error)})"
            for error in errors
        ]

    def validate_response(self, method: str, path: str, status: int, body: object) -> list[str]:
        """Problems of a JSON response against the spec's schema for that status (tests)."""
        found = self.operation(method, path)
        if found is None:
            return [f"{method.upper()} {path}: unknown operation"]
        template, operation, _ = found
        answer = operation.get("responses", {}).get(str(status))
        if answer is None or "application/json" not in answer.get("content", {}):
            return []
        pointer = (
            f"/paths/{_escape(template)}/{method.lower()}/responses/{status}"
            "/content/application~1json/schema"
        )
        problems = self._schema_problems(pointer, body, "response", response=True)
        return [f"{method.upper()} {path} → {status}: {problem}" for problem in problems]


class StrictMiddleware:
    """Pure ASGI: answers 400 `{"errorMessages": ["strict mode: …"], "errors": {}}` when on."""

    def __init__(self, app: ASGIApp, validator: StrictValidator) -> None:
        self.app = app
        self.validator = validator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not self.validator.enabled
            or not path.startswith(_CHECKED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        raw = await _read_body(receive)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        problems = _parse_problems(scope["method"], path, raw)
        if not problems:
            body = json.loads(raw) if raw.strip() else None
            problems = self.validator.validate_request(scope["method"], path, query, body)
        if problems:
            await _refuse(send, problems)
            return
        await self.app(scope, _replay(raw, receive), send)


def _parse_problems(method: str, path: str, raw: bytes) -> list[str]:
    if not raw.strip():
        return []
    try:
        json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{method} {path}: body is not valid JSON ({exc})"]
    return []


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message["type"] == "http.request" and message.get("more_body", False)
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, problems: list[str]) -> None:
    body = json.dumps({"errorMessages": [f"strict mode: {p}" for p in problems], "errors": {}})
    headers = [
        (b"content-type", b"application/json;charset=UTF-8"),
        (b"content-length", str(len(body.encode())).encode()),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})
