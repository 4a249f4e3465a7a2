"""ticketbridge.render: templates → document model → ADF (Cloud) | wiki markup (Data Center).

One template renders right for both flavours: Markdown (default) or Jira wiki markup is parsed
into the `Document` model, which `to_adf` turns into schema-valid ADF and `to_wiki` into escaped
wiki markup.
"""

from ticketbridge.render.adf import adf_size, adf_to_text, to_adf
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
    PanelKind,
    Paragraph,
    Rule,
    Table,
    TableCell,
    TableRow,
    Text,
)
from ticketbridge.render.markdown import md_escape, parse_markdown
from ticketbridge.render.text import to_text
from ticketbridge.render.wiki import to_wiki, wiki_escape

__all__ = [
    "Block",
    "BlockQuote",
    "BulletList",
    "CodeBlock",
    "Document",
    "HardBreak",
    "Heading",
    "Inline",
    "Link",
    "ListItem",
    "Mark",
    "Mention",
    "OrderedList",
    "Panel",
    "PanelKind",
    "Paragraph",
    "Rule",
    "Table",
    "TableCell",
    "TableRow",
    "Text",
    "adf_size",
    "adf_to_text",
    "md_escape",
    "parse_markdown",
    "to_adf",
    "to_text",
    "to_wiki",
    "wiki_escape",
]
