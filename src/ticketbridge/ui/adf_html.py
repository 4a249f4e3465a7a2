"""An ADF document as HTML, for the template preview: what Jira Cloud would show. Every text is
escaped (markupsafe); an unknown node shows its text only; links keep http(s) targets only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

_BLOCKS = {
    "paragraph": "p",
    "bulletList": "ul",
    "orderedList": "ol",
    "listItem": "li",
    "blockquote": "blockquote",
    "table": "table",
    "tableRow": "tr",
    "tableHeader": "th",
    "tableCell": "td",
    "panel": "div",
}
_MARKS = {"strong": "strong", "em": "em", "code": "code", "strike": "s", "underline": "u"}
_MAX_DEPTH = 40


def adf_html(doc: Mapping[str, Any] | None) -> Markup:
    if not doc:
        return Markup("")
    return Markup(_children(doc, 0))  # noqa: S704 - every text escaped in _text, tags ours


def _children(node: Mapping[str, Any], depth: int) -> str:
    content = node.get("content") or []
    return "".join(_node(child, depth + 1) for child in content if isinstance(child, Mapping))


def _node(node: Mapping[str, Any], depth: int) -> str:
    if depth > _MAX_DEPTH:
        return ""
    kind = node.get("type")
    if kind == "text":
        return _text(node)
    if kind == "hardBreak":
        return "<br>"
    if kind == "rule":
        return "<hr>"
    if kind == "heading":
        level = node.get("attrs", {}).get("level", 2)
        level = level if isinstance(level, int) and 1 <= level <= 6 else 2
        level = min(level + 2, 6)  # below the page's own headings
        return f"<h{level}>{_children(node, depth)}</h{level}>"
    if kind == "codeBlock":
        return f"<pre><code>{_children(node, depth)}</code></pre>"
    tag = _BLOCKS.get(str(kind))
    inner = _children(node, depth)
    if tag == "table":
        return f"<table><tbody>{inner}</tbody></table>"
    return f"<{tag}>{inner}</{tag}>" if tag else inner


def _text(node: Mapping[str, Any]) -> str:
    html = str(escape(str(node.get("text", ""))))
    for mark in node.get("marks") or []:
        if not isinstance(mark, Mapping):
            continue
        kind = mark.get("type")
        if kind == "link":
            href = str(mark.get("attrs", {}).get("href", ""))
            if href.startswith(("https://", "http://")):
                html = f'<a href="{escape(href)}" rel="noreferrer noopener">{html}</a>'
        elif (tag := _MARKS.get(str(kind))) is not None:
            html = f"<{tag}>{html}</{tag}>"
    return html
