"""Report charts as SVG drawn on the server (no script, no CDN): created vs resolved per day,
backlog by age, SLA, priority distribution. Each chart carries a <title> and a <desc> and
stands beside its data as a table, so it reads the same in the admin UI, in exported HTML,
printed, and to a screen reader. Jinja2 with autoescape: every label is escaped.

`charts(summary)` gives the fragments (the admin UI embeds them); `report_html(summary)` a
whole page (`ticketbridge report --html`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import DictLoader, Environment, select_autoescape

from ticketbridge.domain.reports import Bucket, Dimension, Metric
from ticketbridge.services.reports import Summary

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 40, 40, 16
SERIES_CLASSES = ("current", "previous")

_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{ width }} {{ height }}" \
width="{{ width }}" height="{{ height }}" role="img" aria-labelledby="{{ id }}-title {{ id }}-desc">
<title id="{{ id }}-title">{{ title }}</title>
<desc id="{{ id }}-desc">{{ desc }}</desc>
<style>.current{fill:#2f6db5}.previous{fill:#9bb8dc}.axis{stroke:#444}\
text{font:11px sans-serif;fill:#222}</style>
<line class="axis" x1="{{ left }}" y1="{{ base }}" x2="{{ width }}" y2="{{ base }}"/>
<text x="4" y="{{ top + 8 }}">{{ top_value }}</text>
{% for bar in bars %}<rect class="{{ bar.series }}" x="{{ bar.x }}" y="{{ bar.y }}" \
width="{{ bar.width }}" height="{{ bar.height }}"><title>{{ bar.label }}</title></rect>
{% endfor %}{% for label in labels %}<text x="{{ label.x }}" y="{{ base + 14 }}" \
text-anchor="middle">{{ label.text }}</text>
{% endfor %}{% for legend in legends %}<rect class="{{ legend.series }}" x="{{ legend.x }}" \
y="{{ height - 14 }}" width="10" height="10"/><text x="{{ legend.x + 14 }}" \
y="{{ height - 5 }}">{{ legend.text }}</text>
{% endfor %}</svg>"""

_TABLE = """\
<table class="report-data" id="{{ id }}-data"><caption>{{ title }}</caption>
<thead><tr><th scope="col">{{ category }}</th>{% for name in series %}\
<th scope="col">{{ name }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr><th scope="row">{{ row[0] }}</th>{% for value in row[1:] %}\
<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>"""

_FIGURE = """\
<figure class="report-chart" id="{{ chart.name }}">
{{ chart.svg|safe }}
{{ chart.table|safe }}
</figure>"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ heading }}</title>
<style>body{font:14px sans-serif;margin:2em;max-width:70em}figure{display:flex;gap:2em;\
flex-wrap:wrap;align-items:flex-start;break-inside:avoid}table{border-collapse:collapse}\
th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}caption{font-weight:bold}</style>
</head><body><h1>{{ heading }}</h1>
<p>{{ summary.period.start.date() }} to {{ summary.period.end.date() }} (UTC, {{ \
summary.period.days }} days), compared with the {{ summary.period.days }} days before.</p>
{% for chart in charts %}{{ chart.html|safe }}
{% endfor %}{% if summary.notes %}<h2>Notes</h2><ul>{% for note in summary.notes %}\
<li>{{ note }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""

_env = Environment(
    loader=DictLoader({"svg": _SVG, "table": _TABLE, "figure": _FIGURE, "page": _PAGE}),
    autoescape=select_autoescape(default=True, default_for_string=True),
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    # Rendered by the autoescaping templates below: safe to place into HTML as they are.
    svg: str  # a standalone SVG document (valid XML)
    table: str  # its data as an HTML table
    html: str  # both in one <figure>


@dataclass(frozen=True)
class _Series:
    """A bar chart's data: one row per category, one value per series."""

    name: str
    title: str
    desc: str
    category: str
    series: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]  # (category, value per series) as text
    values: Sequence[tuple[int, ...]]


def charts(summary: Summary) -> list[Chart]:
    """The report's four charts, each with its data table."""
    return [
        _chart(data)
        for data in (
            _created_vs_resolved(summary),
            _backlog(summary),
            _sla(summary),
            _priority(summary),
        )
    ]


def report_html(summary: Summary, heading: str = "ticketbridge report") -> str:
    """A standalone page: the charts and their tables, the notes; prints as it shows."""
    return _env.get_template("page").render(
        summary=summary, charts=charts(summary), heading=heading
    )


def _created_vs_resolved(summary: Summary) -> _Series:
    values = [(d.created, d.resolved) for d in summary.per_day]
    rows = [(d.day.isoformat(), str(d.created), str(d.resolved)) for d in summary.per_day]
    created, resolved = sum(v[0] for v in values), sum(v[1] for v in values)
    return _Series(
        "created-vs-resolved",
        "Created vs resolved per day",
        f"Tickets created ({created}) and resolved ({resolved}) on each UTC day of the period.",
        "Day",
        ("created", "resolved"),
        rows,
        values,
    )


def _backlog(summary: Summary) -> _Series:
    counts = [summary.count(Metric.BACKLOG, b) for b in Bucket]
    open_now = summary.count(Metric.BACKLOG).current
    return _Series(
        "backlog-age",
        "Open backlog by age (days)",
        f"{open_now} tickets open now by days since their first alert, "
        "beside the backlog at the start of the period.",
        "Age (days)",
        ("now", "at period start"),
        [(b.value, str(c.current), str(c.previous)) for b, c in zip(Bucket, counts, strict=True)],
        [(c.current, c.previous) for c in counts],
    )


def _sla(summary: Summary) -> _Series:
    metrics = (Metric.SLA_MET, Metric.SLA_BREACHED, Metric.SLA_AT_RISK)
    counts = [summary.count(m) for m in metrics]
    rate = next(r for r in summary.rates if r.name == "sla_success_rate" and r.route == "")
    success = "no ticket judged yet" if rate.current is None else f"{rate.current:.0%} met"
    return _Series(
        "sla",
        "SLA: met, breached, at risk",
        f"Tickets created in the period against their SLA target ({success}), "
        "beside the period before.",
        "SLA",
        ("this period", "period before"),
        [
            (m.value.removeprefix("sla_"), str(c.current), str(c.previous))
            for m, c in zip(metrics, counts, strict=True)
        ],
        [(c.current, c.previous) for c in counts],
    )


def _priority(summary: Summary) -> _Series:
    totals = [t for t in summary.totals if t.dimension is Dimension.PRIORITY]
    desc = (
        "Tickets created in the period by Jira priority (Unknown: Jira has told none),"
        " beside the period before."
    )
    return _Series(
        "priority",
        "Priority distribution",
        desc,
        "Priority",
        ("this period", "period before"),
        [(t.key, str(t.current), str(t.previous)) for t in totals],
        [(t.current, t.previous) for t in totals],
    )


@dataclass(frozen=True)
class _Bar:
    series: str
    x: int
    y: int
    width: int
    height: int
    label: str


def _chart(data: _Series) -> Chart:
    top_value = max((max(v) for v in data.values if v), default=0) or 1
    base = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT) // max(1, len(data.rows))
    bar_width = max(1, (slot - 4) // len(data.series))
    bars: list[_Bar] = []
    labels = []
    for n, (row, values) in enumerate(zip(data.rows, data.values, strict=True)):
        for s, value in enumerate(values):
            height = round(value * (base - TOP) / top_value)
            x = LEFT + n * slot + 2 + s * bar_width
            label = f"{row[0]}, {data.series[s]}: {value}"
            bars.append(_Bar(SERIES_CLASSES[s], x, base - height, bar_width, height, label))
        labels.append({"x": LEFT + n * slot + slot // 2, "text": _short(row[0], slot)})
    legends = [
        {"series": SERIES_CLASSES[s], "text": name, "x": LEFT + s * 140}
        for s, name in enumerate(data.series)
    ]
    svg = _env.get_template("svg").render(
        id=data.name, title=data.title, desc=data.desc, width=WIDTH, height=HEIGHT,
        left=LEFT, top=TOP, base=base, top_value=top_value, bars=bars, labels=labels,
        legends=legends,
    )  # fmt: skip
    table = _env.get_template("table").render(
        id=data.name, title=data.title, category=data.category, series=data.series, rows=data.rows
    )
    chart = Chart(data.name, data.title, svg, table, "")
    html = _env.get_template("figure").render(chart=chart)
    return Chart(data.name, data.title, svg, table, html)


def _short(text: str, room: int) -> str:
    """A category label that fits its slot (about 6 px a character): a day as MM-DD."""
    if len(text) * 6 <= room:
        return text
    return text[5:] if len(text) == 10 and text[4] == "-" else text[: max(1, room // 6)]
