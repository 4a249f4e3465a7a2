"""What text from an alert may never become in Jira: a link we do not allow, or a mention.

One URL policy for every path (`safe_href`): a link is kept only when its target is an absolute
`http://` or `https://` URL with a host, or a `mailto:` address. Everything else (`javascript:`,
`data:`, `file:`, `vbscript:`, `ftp:`, relative and protocol-relative URLs, anything with a
control character) is refused. It is applied where links are read and where they are written:
- the Markdown parser's `validateLink` (a refused link stays literal text, as markdown-it keeps
  a `javascript:` one), so also the template fast path, which normalizes filled link
  destinations with that parser (render/skeleton_values.py);
- the wiki markup parser's `[text|url]` (render/wiki_inline.py);
- `to_adf` and `to_wiki`, the only ways out to Jira: a `Link` mark of a Document built in code
  (the default description lists the alert's links) is written only if allowed, its target
  percent-encoded (a space or newline can never end or break out of it).

Mentions notify people on real Jira, so only configuration makes them: a Document parsed from a
template's output keeps a mention only when its account id is written in the template's own
text (`keep_mentions`); one that came from a value (`{{ x | safe }}`) becomes plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.common.normalize_url import normalizeLink

from ticketbridge.render.document import (
    Document,
    Inline,
    Mention,
    Text,
    all_inlines,
    map_inlines,
)

ALLOWED_SCHEMES = ("http", "https", "mailto")
# URLs markdown-it's normalizeLink returns unchanged and the policy allows (a lower-case ASCII
# host, unreserved path/query characters): the common case skips mdurl's parse.
PLAIN_URL = re.compile(
    r"https?://[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?(?:[/?#][\w/.~=?#:@!$+,;-]*)?", re.A
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
_HOST_START = re.compile(r"//[A-Za-z0-9\[%]")  # a host name, an IPv6 address, or encoded
# The mention syntaxes of the two template formats (render/markdown.py, render/wiki_inline.py).
MARKDOWN_MENTION = re.compile(r"@\[([^\[\]\s|]+)\]")
WIKI_MENTION = re.compile(r"\[~(?:accountid:)?([^\]]+)\]", re.IGNORECASE)


def allowed_href(href: str) -> bool:
    """Whether `href`, as it would be written out, is a link target we allow (module doc)."""
    if not href or _FORBIDDEN.search(href):
        return False
    scheme = _SCHEME.match(href)
    if scheme is None or scheme.group(1).lower() not in ALLOWED_SCHEMES:
        return False
    rest = href[scheme.end() :]
    if scheme.group(1).lower() == "mailto":
        return bool(rest) and not rest.startswith("/")
    return _HOST_START.match(rest) is not None


def safe_href(href: str) -> str | None:
    """`href` normalized as markdown-it normalizes link destinations (percent-encoded where a URL
    may not hold a character as it is: spaces, control characters, `<>"[]|{}` …, existing `%XX`
    kept; an international host in punycode), or None when the policy refuses it."""
    if PLAIN_URL.fullmatch(href):  # what the parsers mostly give: normalized, and allowed
        return href
    encoded = normalizeLink(href.strip())
    return encoded if allowed_href(encoded) else None


def keep_mentions(
    doc: Document, allowed: frozenset[str], written: Callable[[str], str]
) -> Document:
    """`doc` with every mention whose account id is not in `allowed` turned back into the text
    it was written as (`written(account_id)`): values never mention anyone."""

    def unwanted(inline: Inline) -> bool:
        return isinstance(inline, Mention) and inline.account_id not in allowed

    def as_text(inline: Inline) -> Inline:
        return Text(written(inline.account_id)) if isinstance(inline, Mention) else inline

    if not any(map(unwanted, all_inlines(doc.blocks))):
        return doc
    return Document(map_inlines(doc.blocks, lambda i: as_text(i) if unwanted(i) else i))
