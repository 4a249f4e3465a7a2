"""Template rendering throughput, per stage, on one core.

    .venv/bin/python bench/render_throughput.py [--alerts 5000]

For a Markdown template (a field table, a list, a link, a code span) and a wiki template
(seed 000's hallucination bug), each alert is rendered through the stages a ticket goes
through: sandboxed Jinja → parse (markdown-it-py / wiki parser) → ADF (Cloud) or wiki (DC).
Prints alerts per second for each cumulative stage. Markdown templates fill their skeleton
(parsed once per shape, values put in: render/skeleton.py); wiki templates parse every text.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from ticketbridge.render import TemplateEngine, TemplateFormat, to_adf, to_wiki

MARKDOWN = """## {{ alert.title | md_escape }}
{{ alert.description | md_escape }}

| Field | Value |
|---|---|
| Source | {{ alert.source }} |
| Severity | **{{ alert.severity }}** |
| Confidence | {{ alert.confidence }} |
| Model | `{{ alert.model }}` |

- Review output
- Verify against knowledge base

[View in console]({{ alert.url }})
"""

WIKI = """h2. Issue
{{ alert.description | wiki_escape }}
h2. Details
* Confidence: {{ alert.confidence }}%
* Query: {{ alert.query | wiki_escape(inline=true) }}
* Category: {{ alert.category }}
h2. Action Items
* Review output
* Monitor for similar issues
[View in TruthVouch|{{ alert.url }}]
"""


def contexts(count: int) -> list[dict[str, Any]]:
    return [
        {
            "alert": {
                "title": f"Hallucination #{i} on model-{i % 7}",
                "description": f"The answer to query {i} cited a source that does not exist.",
                "source": "truthvouch",
                "severity": ("critical", "high", "medium")[i % 3],
                "confidence": round((i % 100) / 100, 2),
                "model": f"gpt-{i % 5}",
                "query": f"Who founded company {i}?",
                "category": "factual",
                "url": f"https://console.example/alerts/{i}",
            }
        }
        for i in range(count)
    ]


def measure(
    label: str, count: int, step: Callable[[dict[str, Any]], object], ctx: list[Any]
) -> None:
    started = time.perf_counter()
    for context in ctx:
        step(context)
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count / elapsed:>10,.0f} alerts/s  ({elapsed * 1e6 / count:,.0f} µs each)")


def run(name: str, source: str, fmt: TemplateFormat, ctx: list[dict[str, Any]]) -> None:
    engine = TemplateEngine()
    template = engine.compile(name, source, fmt)
    count = len(ctx)
    print(f"-- {name} ({fmt})")
    measure("jinja (sandboxed)", count, lambda c: engine.render(template, c), ctx)
    measure("jinja + parse", count, lambda c: engine.render_document(template, c), ctx)
    measure(
        "jinja + parse + ADF", count, lambda c: to_adf(engine.render_document(template, c)), ctx
    )
    measure(
        "jinja + parse + wiki", count, lambda c: to_wiki(engine.render_document(template, c)), ctx
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=5000)
    args = parser.parse_args()
    ctx = contexts(args.alerts)
    run("markdown_table", MARKDOWN, "markdown", ctx)
    run("seed000_wiki", WIKI, "wiki", ctx)


if __name__ == "__main__":
    main()
