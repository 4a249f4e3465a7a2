"""Document → Atlassian Document Format v1 (Jira Cloud, REST v3), and ADF → plain text.

Every value `to_adf` returns is valid against Atlassian's JSON schema
(`@atlaskit/adf-schema` v1 full.json), whatever the document holds. The schema is stricter than
the document model, so content is adapted, never dropped:
- text nodes are never empty; newlines inside a text become `hardBreak` nodes; control
  characters other than tab and newline are removed;
- the `code` mark combines only with `link` (strong/em/strike on code are dropped);
- list items start with a paragraph; empty list items, cells and panels get an empty paragraph;
- a block a container may not hold is converted: a heading becomes a bold paragraph, a rule a
  `———` paragraph, a table one paragraph per row (`a | b`), and a nested quote or panel is
  flattened into its parent (a quote cannot hold a quote, a panel cannot hold a panel);
- tables are made rectangular; a table or list with nothing in it is left out;
- a link mark is written only when render/safety.py's URL policy allows its target (http,
  https, mailto), normalized; otherwise its text is written without it.
An empty document is `{"version": 1, "type": "doc", "content": []}` (the schema allows it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    HardBreak,
    Heading,
    Inline,
    Link,
    ListItem,
    Mark,
    Mention,
    OrderedList,
    Panel,
    Paragraph,
    Rule,
    Table,
    TableCell,
    Text,
)
from ticketbridge.render.safety import safe_href

Node = dict[str, Any]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_RULE_TEXT = "———"

_DOC = frozenset(
    {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "panel"}
    | {"rule", "table"}
)
_LIST_ITEM = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_QUOTE = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_PANEL = frozenset({"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "rule"})
_CELL = frozenset(
    {"paragraph", "panel", "blockquote", "orderedList", "bulletList", "rule", "heading"}
    | {"codeBlock"}
)


def clean_text(text: str) -> str:
    """Text as Jira can store it: CRLF/CR → LF, other control characters removed."""
    if text.isprintable():  # no control character at all (the common case, and cheap)
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def to_adf(doc: Document) -> Node:
    """The ADF value of `doc`: always valid against the ADF v1 schema. A fresh value each
    call (the caller may change it)."""
    return {"version": 1, "type": "doc", "content": _blocks(doc.blocks, _DOC)}


def adf_and_size(doc: Document) -> tuple[Node, int]:
    """`to_adf(doc)` and its `adf_size`."""
    adf = to_adf(doc)
    return adf, adf_size(adf)


def adf_size(adf: Mapping[str, Any]) -> int:
    """Length of the compact JSON of an ADF value, in UTF-16 code units as Jira (Java) counts."""
    text = json.dumps(adf, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one


# -- blocks -------------------------------------------------------------------------------


def _blocks(blocks: Iterable[Block], allowed: frozenset[str]) -> list[Node]:
    out: list[Node] = []
    for block in blocks:
        node = _block(block)
        if node is None:
            continue
        if node["type"] in allowed:  # the common case: no adapting (`_fit`) needed
            out.append(node)
        else:
            out.extend(_fit(node, allowed))
    return out


def _block(block: Block) -> Node | None:
    """The ADF node of `block` (None for a list or table with nothing in it)."""
    if isinstance(block, Paragraph):
        return _paragraph(block.content)
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 6)
        return {"type": "heading", "attrs": {"level": level}, "content": _inlines(block.content)}
    if isinstance(block, BulletList | OrderedList):
        items = [_list_item(item) for item in block.items]
        if items and isinstance(block, OrderedList):
            attrs: Node = {"order": max(block.start, 0)}
            return {"type": "orderedList", "attrs": attrs, "content": items}
        return {"type": "bulletList", "content": items} if items else None
    if isinstance(block, CodeBlock):
        return _code_block(block)
    if isinstance(block, BlockQuote):
        content = _blocks(block.content, _QUOTE)
        return {"type": "blockquote", "content": content or [_paragraph(())]}
    if isinstance(block, Panel):
        content = _blocks(block.content, _PANEL)
        panel_attrs: Node = {"panelType": block.kind}
        return {"type": "panel", "attrs": panel_attrs, "content": content or [_paragraph(())]}
    if isinstance(block, Rule):
        return {"type": "rule"}
    if isinstance(block, Table):
        return _table(block)
    return None  # pragma: no cover - every block type is handled above


def _paragraph(inlines: Sequence[Inline]) -> Node:
    return {"type": "paragraph", "content": _inlines(inlines)}


def _code_block(block: CodeBlock) -> Node:
    node: Node = {"type": "codeBlock"}
    if block.language and clean_text(block.language).strip():
        node["attrs"] = {"language": clean_text(block.language).strip()}
    text = clean_text(block.text)
    node["content"] = [{"type": "text", "text": text}] if text else []
    return node


def _list_item(item: ListItem) -> Node:
    content = _blocks(item.content, _LIST_ITEM)
    if not content or content[0]["type"] != "paragraph":
        content.insert(0, _paragraph(()))
    return {"type": "listItem", "content": content}


def _table(table: Table) -> Node | None:
    rows = [row for row in table.rows if row.cells]
    width = max((len(row.cells) for row in rows), default=0)
    if not width:
        return None
    adf_rows = []
    for row in rows:
        cells = list(row.cells) + [TableCell()] * (width - len(row.cells))
        adf_rows.append({"type": "tableRow", "content": [_cell(cell) for cell in cells]})
    return {"type": "table", "content": adf_rows}


def _cell(cell: TableCell) -> Node:
    content = _blocks(cell.content, _CELL) or [_paragraph(())]
    return {"type": "tableHeader" if cell.header else "tableCell", "content": content}


def _fit(node: Node, allowed: frozenset[str]) -> list[Node]:
    """`node` as blocks `allowed` in its container (see the module docstring)."""
    kind = node["type"]
    if kind in allowed:
        return [node]
    if kind == "heading":
        return [{"type": "paragraph", "content": [_with_strong(n) for n in node["content"]]}]
    if kind == "rule":
        return [{"type": "paragraph", "content": [{"type": "text", "text": _RULE_TEXT}]}]
    if kind == "table":
        return [_row_paragraph(row) for row in node["content"]]
    # blockquote, panel: flatten the children into the parent
    return [fitted for child in node["content"] for fitted in _fit(child, allowed)]


def _with_strong(inline: Node) -> Node:
    marks = inline.get("marks", [])
    if inline["type"] != "text" or any(m["type"] in ("strong", "code") for m in marks):
        return inline
    return {**inline, "marks": [*marks, {"type": "strong"}]}


def _row_paragraph(row: Node) -> Node:
    texts = [_node_text(cell).strip().replace("\n", " ") for cell in row["content"]]
    line = " | ".join(texts).strip()
    return {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}


# -- inlines ------------------------------------------------------------------------------


def _inlines(inlines: Iterable[Inline]) -> list[Node]:
    out: list[Node] = []
    for inline in inlines:
        if isinstance(inline, Text):
            text = inline.text
            if not inline.marks and text.isprintable():  # the common case, as `_text` does it
                if text:
                    out.append({"type": "text", "text": text})
            else:
                out.extend(_text(inline))
        elif isinstance(inline, HardBreak):
            out.append({"type": "hardBreak"})
        elif isinstance(inline, Mention):
            out.extend(_mention(inline))
    return out


def _text(inline: Text) -> Iterator[Node]:
    marks = _marks(inline.marks) if inline.marks else None
    if inline.text.isprintable():  # one line, nothing to clean
        if inline.text:
            node: Node = {"type": "text", "text": inline.text}
            if marks:
                node["marks"] = marks
            yield node
        return
    for index, line in enumerate(clean_text(inline.text).split("\n")):
        if index:
            yield {"type": "hardBreak"}
        if line:
            yield (
                {"type": "text", "text": line, "marks": marks}
                if marks
                else {
                    "type": "text",
                    "text": line,
                }
            )


def _mention(mention: Mention) -> Iterator[Node]:
    account = clean_text(mention.account_id).strip()
    if not account:
        yield from _text(Text(mention.text))
        return
    attrs = {"id": account}
    if mention.text:
        attrs["text"] = "@" + clean_text(mention.text).removeprefix("@")
    yield {"type": "mention", "attrs": attrs}


def _marks(marks: Sequence[Mark]) -> list[Node]:
    """ADF marks, de-duplicated; `code` keeps only a link beside it (schema rule)."""
    link = next((m for m in reversed(marks) if isinstance(m, Link)), None)
    simple = list(dict.fromkeys(m for m in marks if isinstance(m, str)))
    if "code" in simple:
        simple = ["code"]
    out: list[Node] = [{"type": name} for name in simple]
    href = None if link is None else safe_href(link.href)
    if href is not None:  # a target the URL policy refuses is no link: its text stays
        out.append({"type": "link", "attrs": {"href": href}})
    return out


# -- ADF → plain text ---------------------------------------------------------------------

_BLOCK_TYPES = frozenset(
    {"paragraph", "heading", "codeBlock", "blockquote", "panel", "rule", "table", "tableRow"}
    | {"bulletList", "orderedList", "listItem", "mediaSingle", "mediaGroup", "expand"}
    | {"nestedExpand", "taskList", "taskItem", "decisionList", "decisionItem", "blockCard"}
)


def adf_to_text(adf: Mapping[str, Any]) -> str:
    """The plain text of an ADF value (e.g. a comment read back): one line per block."""
    return _node_text(adf).strip("\n")


def _node_text(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or "@" + str(attrs.get("id", "")))
    if kind in ("emoji", "status"):
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url", ""))
    if kind == "date":
        return str(attrs.get("timestamp", ""))
    children = [c for c in node.get("content") or [] if isinstance(c, Mapping)]
    if kind == "tableRow":
        return " | ".join(_node_text(c).strip("\n") for c in children) + "\n"
    text = "".join(_node_text(c) for c in children)
    if kind in _BLOCK_TYPES:
        return text if text.endswith("\n") else text + "\n"
    return text
