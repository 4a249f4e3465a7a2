"""The Jinja2 sandbox templates run in: no escapes, and bounded time, iterations and sizes.

On top of Jinja's `ImmutableSandboxedEnvironment` (no `_`-attributes, no internal attributes of
functions/frames/generators, no mutation of lists/dicts/sets, `unsafe` callables refused):
- an unsafe attribute raises at once (Jinja would return an undefined and fail only on use);
- budgets per render (a `Budget` set by the engine): wall time, total loop iterations (every
  `{% for %}` is wrapped at compile time), `range()` ≤ 100,000 items;
- every operation that could allocate without bound is checked *before* it runs: `*` and `+`
  on strings and lists, `**` and `*` on big integers, printf `%` and `str.format` widths,
  `str.center/ljust/rjust/zfill/expandtabs/replace/join`, and the `center`, `indent`,
  `replace`, `join` and `format` filters. The engine caps the rendered output as well.
- `lipsum` is removed (it generates text at will); includes and imports have no loader.

Every `{{ … }}` output passes through `finalize`. When the engine renders a document it sets
the format's escape (`active_escape`): every value is escaped for that markup (`md_escape` for
Markdown, `wiki_escape` for wiki markup) unless it is already markup — the result of the
`md_escape`, `wiki_escape` or `url` filters (`Escaped`) or of `safe` (`Markup`) — so alert
text is text wherever a template puts it, by default. Then, when an `OutputRecorder` is active
(the engine's fast path), the value's text is kept and a placeholder (`\ue000<n>\ue001`,
private-use characters) goes in the output instead.

A budget that runs out raises `SandboxLimitError`; the engine ends the render there and keeps
what was written, with a marker (templates.py). Other refusals (`SecurityError`) are errors.
"""

from __future__ import annotations

import re
import string
import time
import types
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, filters, pass_context, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it.common.normalize_url import normalizeLink
from markupsafe import Markup, soft_str

from ticketbridge.render.adf import clean_text
from ticketbridge.render.markdown import md_escape
from ticketbridge.render.safety import PLAIN_URL
from ticketbridge.render.wiki import wiki_escape

MAX_RANGE = 100_000
MAX_INT_BITS = 100_000
MAX_FORMAT_WIDTH = 1_000
ITERATION_FILTER = "tb_budgeted"


class SandboxLimitError(SecurityError):
    """A template went over one of the sandbox's budgets."""


@dataclass
class Budget:
    """Limits of one render; `tick` is called for every loop iteration and every call."""

    seconds: float
    iterations: int
    max_size: int
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def tick(self, iterations: int = 0) -> None:
        self.iterations -= iterations
        if self.iterations < 0:
            raise SandboxLimitError("too many loop iterations (limit per render reached)")
        if time.monotonic() > self.deadline:
            raise SandboxLimitError(f"rendering took longer than {self.seconds:g} s")

    def check_size(self, size: int, what: str) -> None:
        if size > self.max_size:
            raise SandboxLimitError(f"{what} would be {size:,} long (limit {self.max_size:,})")


_BUDGET: ContextVar[Budget | None] = ContextVar("ticketbridge_template_budget", default=None)
_DEFAULT_BUDGET = Budget(seconds=float("inf"), iterations=1 << 62, max_size=1_000_000)


def active_budget() -> ContextVar[Budget | None]:
    """The context variable the engine sets around each render."""
    return _BUDGET


def _budget() -> Budget:
    return _BUDGET.get() or _DEFAULT_BUDGET


_DICT_ATTRIBUTES = frozenset(dir(dict))


class Escaped(str):
    """Text already written in the markup of the document being rendered (the result of the
    `md_escape`, `wiki_escape` and `url` filters): the escape at output leaves it as it is."""

    __slots__ = ()


Escape = Callable[..., str]
_ESCAPE: ContextVar[Escape | None] = ContextVar("ticketbridge_escape", default=None)


def active_escape() -> ContextVar[Escape | None]:
    """The context variable the engine sets around a document's render (None: text, as is)."""
    return _ESCAPE


PLACEHOLDER_OPEN = "\ue000"
PLACEHOLDER_CLOSE = "\ue001"


class OutputRecorder:
    """The texts of a render's `{{ … }}` outputs, in order; the output holds placeholders.

    `values` are the texts as they are; `as_is[i]` says whether value i is written so (it is
    already markup, or no escape is active) or is to be escaped as its place in the document
    wants it (render/skeleton.py `placed_values`). `extra` is how much longer the output with
    the values as they are is than the one with placeholders: the engine's output cap counts
    the values as they are, before escaping."""

    __slots__ = ("as_is", "extra", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.as_is: list[bool] = []
        self.extra = 0

    def record(self, value: Any, escape: Escape | None) -> str:
        text = str(value)  # what Jinja would output (StrictUndefined raises here, as there)
        placeholder = f"{PLACEHOLDER_OPEN}{len(self.values)}{PLACEHOLDER_CLOSE}"
        self.values.append(text)
        self.as_is.append(escape is None or isinstance(value, Escaped | Markup))
        self.extra += len(text) - len(placeholder)
        return placeholder


_RECORDER: ContextVar[OutputRecorder | None] = ContextVar("ticketbridge_recorder", default=None)


def active_recorder() -> ContextVar[OutputRecorder | None]:
    """The context variable the engine's fast path sets around a render."""
    return _RECORDER


@pass_context  # a context-taking finalize is never applied to constants at compile time
def _finalize(_context: Context, value: Any) -> Any:
    recorder = _RECORDER.get()
    if recorder is not None:
        return recorder.record(value, _ESCAPE.get())
    escape = _ESCAPE.get()
    if escape is not None and not isinstance(value, Escaped | Markup):
        return escape(value)
    return value


class Sandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with budgets and size checks (module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_finalize,
        )
        self.globals.pop("lipsum", None)
        self.globals["range"] = _range
        self.filters.update(
            {
                ITERATION_FILTER: _budgeted,
                "md_escape": _md_escape,
                "wiki_escape": _wiki_escape,
                "url": _url,
                "listed": _listed,
                "center": _center,
                "indent": _indent,
                "replace": _replace,
                "join": _join,
                "format": _format,
            }
        )

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is not allowed"
        )

    def getattr(self, obj: Any, attribute: str) -> Any:
        budget = _BUDGET.get() or _DEFAULT_BUDGET
        if budget.iterations < 0 or time.monotonic() > budget.deadline:
            budget.tick()  # raises the limit's error (`tick()` inlined: this runs per lookup)
        # What the sandbox's lookup ends in for a name of a plain dict that is no dict attribute
        # (`getattr` fails, then `obj[attribute]` or, with no such key, undefined), without
        # raising AttributeError and KeyError first.
        if type(obj) is dict and isinstance(attribute, str) and attribute not in _DICT_ATTRIBUTES:
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        args = _checked_str_call(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        _check_format_string(value.__self__)
        return wrapped


# -- checks -------------------------------------------------------------------------------


def _check_binop(operator: str, left: Any, right: Any) -> None:
    budget = _budget()
    sequences = (str, list, tuple)
    if operator == "*":
        if isinstance(left, sequences) and isinstance(right, int):
            budget.check_size(len(left) * right, "a repeated value")
        elif isinstance(right, sequences) and isinstance(left, int):
            budget.check_size(len(right) * left, "a repeated value")
        elif isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0:
            _check_bits(abs(left).bit_length() * right)
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        budget.check_size(len(left) + len(right), "a concatenation")
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxLimitError(f"an integer of about {bits:,} bits is too large")


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_printf(fmt: str, args: Any) -> None:
    for match in _PRINTF.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise SandboxLimitError(f"format width {number!r} is not allowed")
    _ = args


def _check_format_string(fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as error:
        raise SecurityError(f"bad format string: {error}") from error
    for _literal, _field, spec, _conversion in parsed:
        if spec and "{" in spec:
            raise SandboxLimitError("nested format specifications are not allowed")
        for number in re.findall(r"\d+", spec or ""):
            if int(number) > MAX_FORMAT_WIDTH:
                raise SandboxLimitError(f"format width {number} is not allowed")


def _checked_str_call(obj: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments of a call of a `str` method, once its result is known to be bounded."""
    if not isinstance(obj, types.BuiltinMethodType) or not isinstance(obj.__self__, str):
        return args
    text: str = obj.__self__
    name = obj.__name__
    budget = _budget()
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        budget.check_size(args[0], f"str.{name}()")
    elif name == "expandtabs" and args and isinstance(args[0], int):
        budget.check_size(len(text) + text.count("\t") * args[0], "str.expandtabs()")
    elif name == "replace" and len(args) >= 2:
        budget.check_size(_replaced_size(text, str(args[0]), str(args[1])), "str.replace()")
    elif name == "join" and args:
        items = list(args[0])
        size = sum(len(i) for i in items if isinstance(i, str)) + len(text) * len(items)
        budget.check_size(size, "str.join()")
        return (items, *args[1:])
    return args


def _replaced_size(text: str, old: str, new: str) -> int:
    count = len(text) + 1 if not old else text.count(old)
    return len(text) + count * (len(new) - len(old))


# -- budgeted globals and filters ---------------------------------------------------------


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SandboxLimitError(f"range() of {len(numbers):,} items (limit {MAX_RANGE:,})")
    return numbers


def _budgeted(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.tick(1)
        yield item


def _md_escape(value: Any, inline: bool = False) -> Escaped:
    return Escaped(md_escape(value, inline))


def _wiki_escape(value: Any, inline: bool = False) -> Escaped:
    return Escaped(wiki_escape(value, inline))


def _url(value: Any) -> str:
    """A URL to write as a link target whole: normalized and percent-encoded as markdown-it does
    it (no space, newline or `[]|<>` is left to end it early); then escaped like any value.
    Whether it becomes a link is the URL policy's decision (render/safety.py)."""
    text = clean_text(soft_str(value)).strip()
    return text if PLAIN_URL.fullmatch(text) else normalizeLink(text)


def _listed(value: Any) -> list[Any]:
    """`value` if it is a list (or tuple), else (an undefined value too) an empty list: a loop
    over alert data that should be a list never fails on what it is instead."""
    return list(value) if isinstance(value, list | tuple) else []


def _center(value: Any, width: int = 80) -> str:
    _budget().check_size(int(width), "the center filter")
    return filters.do_center(value, width)


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = soft_str(value)
    step = len(width) if isinstance(width, str) else int(width)
    _budget().check_size(len(text) + step * (text.count("\n") + 1), "the indent filter")
    return filters.do_indent(text, width, first, blank)


@pass_eval_context
def _replace(
    eval_ctx: EvalContext, value: Any, old: Any, new: Any, count: int | None = None
) -> str:
    text = soft_str(value)
    _budget().check_size(_replaced_size(text, soft_str(old), soft_str(new)), "the replace filter")
    return filters.do_replace(eval_ctx, text, old, new, count)


@pass_eval_context
def _join(
    eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: str | None = None
) -> str:
    items = list(value)
    if attribute is not None:
        getter = filters.make_attrgetter(eval_ctx.environment, attribute)
        items = [getter(item) for item in items]
    size = sum(len(soft_str(item)) for item in items) + len(d) * max(len(items) - 1, 0)
    _budget().check_size(size, "the join filter")
    return filters.sync_do_join(eval_ctx, items, d)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_printf(soft_str(value), args)
    return filters.do_format(value, *args, **kwargs)
