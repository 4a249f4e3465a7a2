"""The report charts on the fixed data set: each SVG is valid XML with its <title> and <desc>,
its data table holds the summary's numbers, and both match the golden files in
tests/fixtures/reports (TICKETBRIDGE_REGOLD=1 rewrites them after a deliberate change)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_data import NOW, SLA, load

from ticketbridge.domain import Severity
from ticketbridge.services.report_charts import Chart, charts, report_html
from ticketbridge.services.reports import ReportService, Summary
from ticketbridge.storage import Database
from ticketbridge.storage.reports import report_reader

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "reports"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def summary(tmp_path: Path) -> Summary:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    await db.upgrade()
    try:
        await load(db)
        service = ReportService(
            report_reader(db), lambda: NOW, {Severity(k): v for k, v in SLA.items()}
        )
        return await service.summary(7)
    finally:
        await db.aclose()


def _golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("TICKETBRIDGE_REGOLD") == "1":
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


async def test_each_chart_is_valid_svg_with_title_desc_and_its_table(summary: Summary) -> None:
    found = {chart.name: chart for chart in charts(summary)}
    assert list(found) == ["created-vs-resolved", "backlog-age", "sla", "priority"]
    for chart in found.values():
        root = ET.fromstring(chart.svg)
        assert root.tag == f"{SVG}svg"
        assert root.find(f"{SVG}title").text == chart.title  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").text  # type: ignore[union-attr]
        table = ET.fromstring(chart.table)
        assert table.tag == "table"
        assert chart.svg in chart.html
        assert chart.table in chart.html
    backlog = _cells(found["backlog-age"])
    assert backlog == [
        ["1-5", "1", "0"],
        ["6-10", "1", "0"],
        ["11-30", "0", "1"],
        [">30", "1", "1"],
    ]
    assert ["breached", "1", "0"] in _cells(found["sla"])
    assert ["Unknown", "4", "1"] in _cells(found["priority"])


def _cells(chart: Chart) -> list[list[str]]:
    table = ET.fromstring(chart.table)
    return [[cell.text or "" for cell in row] for row in table.iter("tr")][1:]


async def test_charts_match_the_golden_files(summary: Summary) -> None:
    for chart in charts(summary):
        text = f"{chart.svg}\n{chart.table}\n"
        assert text == _golden(f"{chart.name}.svg.html", text), chart.name


async def test_the_page_escapes_and_holds_every_chart(summary: Summary) -> None:
    page = report_html(summary, heading="<b>ops</b> & co")
    assert "&lt;b&gt;ops&lt;/b&gt; &amp; co" in page
    assert page.count("<svg ") == 4
    assert page.count("<table ") == 4
