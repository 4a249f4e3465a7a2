"""The plain default issue for an alert, used until templates are wired in (`IssueComposer`).

Summary `[{severity}] {title}` clipped to Jira's 255 characters; a description (truncated to
Jira's limit) with the alert's text, a field table and its links; labels, priority and due
date from the route; the marker that makes the create findable again.
"""

from __future__ import annotations

import json
from typing import Any

from ticketbridge.domain import Alert, Ticket
from ticketbridge.domain.route import Route
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.render import clip_summary, truncate
from ticketbridge.render.document import (
    Block,
    BulletList,
    Document,
    Heading,
    Link,
    ListItem,
    Paragraph,
    Table,
    TableCell,
    TableRow,
    Text,
)


def _cell(text: str, header: bool = False) -> TableCell:
    return TableCell((Paragraph((Text(text),)),), header=header)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def alert_table(alert: Alert) -> Table:
    """The alert's facts and attributes as a two-column table."""
    facts: list[tuple[str, str]] = [
        ("Source", alert.source),
        ("Kind", alert.kind),
        ("Severity", alert.severity.value),
        ("Alert ID", alert.id),
        ("Occurred at", alert.occurred_at.isoformat()),
        ("Fingerprint", alert.fingerprint),
    ]
    if alert.confidence is not None:
        facts.append(("Confidence", f"{alert.confidence:g}"))
    facts.extend((name, _show(value)) for name, value in sorted(alert.attributes.items()))
    rows = [TableRow((_cell("Field", True), _cell("Value", True)))]
    rows.extend(TableRow((_cell(name), _cell(value))) for name, value in facts)
    return Table(tuple(rows))


def _links(alert: Alert) -> list[Block]:
    if not alert.links:
        return []
    items = tuple(
        ListItem((Paragraph((Text(link.title or link.url, (Link(link.url),)),)),))
        for link in alert.links
    )
    return [Heading(3, (Text("Links"),)), BulletList(items)]


def describe(alert: Alert) -> Document:
    blocks: list[Block] = list(Document.plain(alert.description).blocks)
    blocks.append(alert_table(alert))
    blocks.extend(_links(alert))
    return Document(tuple(blocks))


def default_summary(alert: Alert) -> str:
    return clip_summary(f"[{alert.severity.value}] {alert.title}")


class DefaultComposer:
    """Satisfies `IssueComposer` with the plain default rendering."""

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        return IssueDraft(
            project=route.project,
            issue_type=route.issue_type,
            summary=default_summary(alert),
            description=truncate(describe(alert)),
            priority=route.priority,
            labels=tuple(dict.fromkeys(route.labels)),
            components=route.components,
            assignee=route.assignee,
            due_date=route.due_date,
            fields=dict(route.fields),
            marker=Marker(ticket.marker_key),
        )
