"""Webhook deliveries (the log two-way sync keeps), Audit (the events, Verify, the export
pack) and Dashboard (the reports' figures against the previous period, and their charts)."""

from __future__ import annotations

import asyncio
import base64
import io
import tempfile
import zipfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ticketbridge.domain.audit import EventType
from ticketbridge.domain.deliveries import DeliveryOutcome
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.audit_export import ExportRange
from ticketbridge.services.audit_service import EventFilter
from ticketbridge.services.queries import decode_cursor, page_of
from ticketbridge.services.report_charts import charts
from ticketbridge.services.reports import Summary
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.web import Pages

_PAGE = 50
DAY_CHOICES = (1, 7, 14, 30, 90)


def _outcome(text: str) -> tuple[DeliveryOutcome | None, list[Problem]]:
    if not text:
        return None, []
    try:
        return DeliveryOutcome(text), []
    except ValueError:
        return None, [Problem("outcome", f"unknown outcome {text[:40]!r}")]


def _day(name: str, text: str, end: bool) -> tuple[datetime | None, list[Problem]]:
    """A date from the filter form, as the start (or the end) of that UTC day."""
    if not text:
        return None, []
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None, [Problem(name, "a date as YYYY-MM-DD")]
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC), []


def _event_filter(query: dict[str, str]) -> tuple[EventFilter, list[Problem]]:
    problems: list[Problem] = []
    kind = query["type"]
    if kind and kind not in EventType.__members__:
        problems.append(Problem("type", f"unknown event type {kind[:40]!r}"))
        kind = ""
    since, bad_since = _day("since", query["since"], end=False)
    until, bad_until = _day("until", query["until"], end=True)
    wanted = EventFilter(
        types=(kind,) if kind else (),
        alert=query["alert"][:200] or None,
        ticket_key=query["ticket"][:64] or None,
        since=since,
        until=until,
    )
    return wanted, problems + bad_since + bad_until


def _first_bad(findings: list[Any]) -> int | None:
    positions = [f.position for f in findings if f.position is not None]
    return min(positions) if positions else None


def _chart_views(summary: Summary) -> list[dict[str, str]]:
    """Each chart's SVG as an image (its own <style> stays inside it: the page's CSP allows
    no inline style) beside its data table, the same text a screen reader gets."""
    return [
        {
            "name": chart.name,
            "title": chart.title,
            "src": "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode(),
            "table": chart.table,
        }
        for chart in charts(summary)
    ]


def _zipped(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                pack.write(path, f"audit-export/{path.relative_to(directory)}")
    return buffer.getvalue()


def observe_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    trail = container.trail

    @router.get("/ui/deliveries", response_class=HTMLResponse)
    async def deliveries(request: Request, outcome: str = "", cursor: str = "") -> Response:
        active = await pages.active(request)
        wanted, problems = _outcome(outcome)
        log = container.sync.deliveries
        try:
            page = await log.page(limit=_PAGE, cursor=cursor or None, outcome=wanted)
        except InputError as error:  # a cursor that is not ours
            problems += error.problems
            page = await log.page(limit=_PAGE, outcome=wanted)
        context = {
            "title": "Webhook deliveries",
            "deliveries": page.items,
            "outcomes": [o.value for o in DeliveryOutcome],
            "outcome": wanted.value if wanted else "",
            "next_query": urlencode({"outcome": outcome[:40], "cursor": page.next_cursor or ""}),
            "next_cursor": page.next_cursor,
            "problems": problems,
            "problems_title": "Filter ignored:",
        }
        return pages.render(request, "deliveries.html", context, active=active)

    async def audit_context(query: dict[str, str], cursor: str) -> dict[str, Any]:
        wanted, problems = _event_filter(query)
        try:
            decoded = decode_cursor(cursor or None)
        except InputError as error:
            problems += error.problems
            decoded = None
        after = decoded - 1 if decoded is not None else None  # cursors hold position + 1
        events = await trail.events(wanted, limit=_PAGE + 1, after=after)
        page = page_of(events, _PAGE, lambda e: e.position + 1)
        return {
            "title": "Audit",
            "events": [(e, e.document()) for e in page.items],
            "query": query,
            "types": list(EventType.__members__),
            "next_cursor": page.next_cursor,
            "next_query": urlencode({**query, "cursor": page.next_cursor or ""}),
            "problems": problems,
            "problems_title": "Filter ignored:",
        }

    def audit_query(values: Any) -> dict[str, str]:
        names = ("type", "alert", "ticket", "since", "until")
        return {name: str(values.get(name, ""))[:200] for name in names}

    @router.get("/ui/audit", response_class=HTMLResponse)
    async def audit(request: Request, cursor: str = "") -> Response:
        active = await pages.active(request)
        context = await audit_context(audit_query(request.query_params), cursor[:100])
        return pages.render(request, "audit.html", context, active=active)

    @router.post("/ui/audit/verify", response_class=HTMLResponse)
    async def verify(request: Request) -> Response:
        active, _ = await pages.writing(request, admin=False)
        report = await trail.verifier.verify()
        context = await audit_context(audit_query({}), "")
        context["verified"] = report
        context["first_bad"] = _first_bad(report.findings)
        return pages.render(request, "audit.html", context, active=active)

    @router.post("/ui/audit/export")
    async def export(request: Request) -> Response:
        active, _ = await pages.writing(request, admin=False)
        with tempfile.TemporaryDirectory(prefix="tb-audit-") as scratch:
            out = Path(scratch) / "pack"
            try:
                await trail.exporter.export(ExportRange(0, None, {"via": "admin-ui"}), out)
            except InputError as error:
                context = await audit_context(audit_query({}), "")
                context["problems"], context["problems_title"] = error.problems, "Not exported:"
                return pages.render(request, "audit.html", context, status=422, active=active)
            data = await asyncio.to_thread(_zipped, out)
        disposition = 'attachment; filename="ticketbridge-audit-export.zip"'
        headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
        return Response(data, media_type="application/zip", headers=headers)

    @router.get("/ui/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request, days: str = "7") -> Response:
        active = await pages.active(request)
        problems: list[Problem] = []
        try:
            summary = await container.reports.summary(int(days) if days.isdigit() else -1)
        except InputError as error:
            problems = list(error.problems)
            summary = await container.reports.summary(7)
        context = {
            "title": "Dashboard",
            "summary": summary,
            "counts": [c for c in summary.counts if c.bucket is None],
            "rates": [r for r in summary.rates if not r.route],
            "charts": _chart_views(summary),
            "day_choices": DAY_CHOICES,
            "problems": problems,
            "problems_title": "Shown for 7 days instead:",
        }
        return pages.render(request, "dashboard.html", context, active=active)

    return router
