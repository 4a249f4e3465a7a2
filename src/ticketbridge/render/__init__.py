"""ticketbridge.render: templates → document model → ADF (Cloud) | wiki markup (Data Center).

One template renders right for both flavours: Markdown (default) or Jira wiki markup is parsed
into the `Document` model, which `to_adf` turns into schema-valid ADF and `to_wiki` into escaped
wiki markup.
"""

from ticketbridge.domain.states import TemplateFormat
from ticketbridge.render.adf import adf_and_size, adf_size, adf_to_text, to_adf
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
from ticketbridge.render.limits import (
    DESCRIPTION_LIMIT,
    SUMMARY_LIMIT,
    Measure,
    adf_measure,
    clip_summary,
    jira_length,
    text_measure,
    truncate,
    wiki_measure,
)
from ticketbridge.render.markdown import md_escape, parse_markdown
from ticketbridge.render.templates import CompiledTemplate, TemplateEngine
from ticketbridge.render.text import to_text
from ticketbridge.render.wiki import to_wiki, wiki_escape, wiki_to_text
from ticketbridge.render.wiki_in import parse_wiki

__all__ = [
    "DESCRIPTION_LIMIT",
    "SUMMARY_LIMIT",
    "Block",
    "BlockQuote",
    "BulletList",
    "CodeBlock",
    "CompiledTemplate",
    "Document",
    "HardBreak",
    "Heading",
    "Inline",
    "Link",
    "ListItem",
    "Mark",
    "Measure",
    "Mention",
    "OrderedList",
    "Panel",
    "PanelKind",
    "Paragraph",
    "Rule",
    "Table",
    "TableCell",
    "TableRow",
    "TemplateEngine",
    "TemplateFormat",
    "Text",
    "adf_and_size",
    "adf_measure",
    "adf_size",
    "adf_to_text",
    "clip_summary",
    "jira_length",
    "md_escape",
    "parse_markdown",
    "parse_wiki",
    "text_measure",
    "to_adf",
    "to_text",
    "to_wiki",
    "truncate",
    "wiki_escape",
    "wiki_measure",
    "wiki_to_text",
]
