"""Rich text as Jira Cloud shows it across API versions.

A rich-text value is stored as it arrived: an ADF document (REST v3) or a wiki-markup string
(REST v2). Cloud renders v3 reads as ADF and v2 reads (and webhook deliveries) as text, so the
emulator converts on the way out. The conversion is deliberately plain (text content, one
paragraph per line); the emulator is not a wiki renderer.
"""

from __future__ import annotations

from typing import Any

_BLOCKS = {"paragraph", "heading", "codeBlock", "blockquote", "listItem", "rule", "panel"}


def _walk(node: Any, out: list[str]) -> None:
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "text":
        out.append(str(node.get("text", "")))
        return
    if kind == "hardBreak":
        out.append("\n")
        return
    if kind in ("mention", "emoji", "status", "date"):
        attrs = node.get("attrs") or {}
        out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        return
    if kind == "inlineCard":
        out.append(str((node.get("attrs") or {}).get("url", "")))
        return
    for child in node.get("content") or []:
        _walk(child, out)
    if kind in _BLOCKS and out and not out[-1].endswith("\n"):
        out.append("\n")


def plain_text(value: Any) -> str:
    """The text of a stored rich-text value (for JQL `~` and webhook deliveries)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    out: list[str] = []
    _walk(value, out)
    return "".join(out).strip("\n")


def as_text(value: Any) -> str | None:
    """The value as REST v2 shows it: a string (or null)."""
    if value is None:
        return None
    return plain_text(value)


def as_adf(value: Any) -> dict[str, Any] | None:
    """The value as REST v3 shows it: an ADF document (or null)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    paragraphs: list[dict[str, Any]] = []
    for line in str(value).split("\n"):
        content = [{"type": "text", "text": line}] if line else []
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}
