"""Routing throughput: alerts routed per second by `rules.Router` with 50 routes, on one core.

    .venv/bin/python bench/routing_throughput.py [--alerts 20000] [--routes 50]
    .venv/bin/python bench/routing_throughput.py --compose [--template builtin/security_alert]

`--render` renders the template with `TemplateEngine` directly; `--compose` runs what the outbox
runs per create: `RulesRouter` + `TemplateComposer` (as `bootstrap.routing` wires them) into an
`IssueDraft`, then its description to ADF as the Cloud provider does; it also prints the
drafts (issues rendered) per second of that CPU time. `--drafts` routes every alert first, then
times only the drafts + ADF of those routed to a ticket: issues rendered per second (the
rendering target, ≥ 5,000/s with the SPEC template).

The 50 routes mix what the seeds configure: kind/source guards, `sev()` thresholds, attribute
lookups (some alerts lack the attribute, so those conditions fail to evaluate and are skipped
with a reason), `in` lists, `startsWith`, null confidence. Alerts are spread so that some match
early, some late and some fall through to the defaults.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime
from typing import Any

from ticketbridge.bootstrap import routing
from ticketbridge.config import Config, Defaults, RouteConfig, TemplateConfig
from ticketbridge.domain import Route, Ticket, TicketStatus
from ticketbridge.domain.alert import Alert, AlertLink
from ticketbridge.domain.severity import Severity
from ticketbridge.render import TemplateEngine, to_adf
from ticketbridge.rules import Router

# The SPEC §3 example template (as examples/ticketbridge.yaml has it: a blank line ends the table
# before the console link), used by every route when rendering is measured too.
TEMPLATE = TemplateConfig(
    summary="Hallucination: {{ alert.title }}",
    description=(
        "## Issue\n{{ alert.description }}\n| Field | Value |\n|---|---|\n"
        "| Confidence | {{ alert.confidence }} |\n\n[View in console]({{ alert.links[0].url }})\n"
    ),
)

KINDS = ["hallucination", "policy_violation", "escalation", "control_failure", "security_alert"]
SOURCES = ["truthvouch", "keeptrusts", "compliance", "security", "alertmanager"]


def make_routes(count: int) -> list[RouteConfig]:
    shapes = [
        'kind == "{kind}" && confidence < 0.{n}',
        'source == "{source}" && attributes.action == "block" && sev(severity) >= sev("high")',
        'kind == "{kind}" && attributes.control_id.startsWith("AWS_{n}")',
        'attributes.control_id in ["CTRL_{n}", "CTRL_{n}_B"]',
        'sev(severity) >= sev("critical") && has(attributes.team_{n})',
        'source == "{source}" && title.contains("{n}") && confidence != null',
    ]
    routes = []
    for index in range(count):
        shape = shapes[index % len(shapes)]
        when = shape.format(kind=KINDS[index % 5], source=SOURCES[index % 5], n=index)
        routes.append(RouteConfig(name=f"route-{index}", when=when, project="OPS", template="bug"))
    return routes


def make_alerts(count: int, seed: int = 7) -> list[Alert]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    alerts = []
    for index in range(count):
        attributes: dict[str, Any] = {"action": rng.choice(["block", "log", "redact"])}
        if rng.random() < 0.4:
            attributes["control_id"] = rng.choice(["AWS_3", "CTRL_21", "GH_1", "AWS_S3"])
        alerts.append(
            Alert(
                id=f"a{index}",
                source=rng.choice(SOURCES),
                kind=rng.choice(KINDS),
                title=f"alert {rng.randint(0, 60)}",
                severity=rng.choice(list(Severity)),
                fingerprint=f"fp{index}",
                occurred_at=now,
                received_at=now,
                confidence=rng.choice([None, rng.random()]),
                attributes=attributes,
                description=f"Query {index}: is the Earth flat?",
                links=(AlertLink("console", f"https://console.example/alerts/{index}"),),
            )
        )
    return alerts


def make_renderer() -> Any:
    engine = TemplateEngine()
    engine.compile("bug.summary", TEMPLATE.summary)
    engine.compile("bug.description", TEMPLATE.description)

    def render(alert: Alert | dict[str, Any], plan: Route) -> None:
        context = {"alert": alert.as_mapping() if isinstance(alert, Alert) else alert}
        engine.render("bug.summary", context)
        to_adf(engine.render_document("bug.description", context))

    return render


COMPOSED: list[int] = []  # one entry per draft composed (ignored alerts make none)


def make_composer(config: Config) -> Any:
    """route + draft + ADF per alert, through the pipeline's seams."""
    seam, composer = routing(config)
    composed: list[int] = COMPOSED

    def compose(alert: Alert) -> str:
        route = seam.route(alert)
        if route.action != "ticket":
            return route.name or "defaults"
        ticket = Ticket(
            alert.fingerprint,
            1,
            route.project,
            TicketStatus.PENDING,
            alert.occurred_at,
            alert.occurred_at,
        )
        draft = composer.draft(alert, route, ticket)
        if draft.description is not None:
            to_adf(draft.description)
        composed.append(1)
        return route.name or "defaults"

    return compose


def time_drafts(config: Config, alerts: list[Alert], repeat: int) -> None:
    """Only the rendering: draft + ADF of each alert routed to a ticket (routed beforehand)."""
    seam, composer = routing(config)
    work = []
    for alert in alerts:
        route = seam.route(alert)
        if route.action == "ticket":
            ticket = Ticket(
                alert.fingerprint,
                1,
                route.project,
                TicketStatus.PENDING,
                alert.occurred_at,
                alert.occurred_at,
            )
            work.append((alert, route, ticket))
    runs = []
    for _ in range(repeat + 1):  # the first run warms the caches
        cpu_started = time.process_time()
        for alert, route, ticket in work:
            draft = composer.draft(alert, route, ticket)
            if draft.description is not None:
                to_adf(draft.description)
        runs.append(time.process_time() - cpu_started)
    best = min(runs[1:])
    print(f"drafts + ADF: {len(work)} issues  runs: {repeat}  best CPU time: {best:.3f} s")
    print(f"issues rendered: {len(work) / best:,.0f}/s  ({best / len(work) * 1e6:.1f} µs each)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--routes", type=int, default=50)
    parser.add_argument("--mappings", action="store_true", help="route plain mappings")
    parser.add_argument("--repeat", type=int, default=3, help="report the best of N runs")
    parser.add_argument(
        "--render", action="store_true", help="also render summary + description to ADF"
    )
    parser.add_argument(
        "--compose", action="store_true", help="route + TemplateComposer draft + ADF (outbox)"
    )
    parser.add_argument(
        "--drafts", action="store_true", help="time only draft + ADF (issues rendered/s)"
    )
    parser.add_argument("--template", default="bug", help="template of every route (--compose)")
    args = parser.parse_args()
    routes = [r.model_copy(update={"template": args.template}) for r in make_routes(args.routes)]
    config = Config(
        routes=routes, templates={"bug": TEMPLATE}, defaults=Defaults(template=args.template)
    )
    if args.drafts:
        time_drafts(config, make_alerts(args.alerts), args.repeat)
        return
    router = Router(config)
    render = make_renderer() if args.render else None
    compose = make_composer(config) if args.compose else None
    alerts: list[Any] = make_alerts(args.alerts)
    if args.mappings:
        alerts = [{**a.as_mapping()} for a in alerts]
    for alert in alerts[:500]:
        router.route(alert)  # warm up
    runs = []
    counts: dict[str, int] = {}
    for _ in range(args.repeat):
        counts = {}
        cpu_started = time.process_time()
        for alert in alerts:
            if compose is not None:  # routes by itself, once, as the outbox does
                name = compose(alert)
                counts[name] = counts.get(name, 0) + 1
                continue
            plan = router.route(alert)
            counts[plan.name] = counts.get(plan.name, 0) + 1
            if render is not None:
                render(alert, plan)
        runs.append(time.process_time() - cpu_started)
    best = min(runs)
    kind = ("mapping" if args.mappings else "Alert") + (" + render to ADF" if render else "")
    if compose is not None:
        kind = f"Alert + RulesRouter + TemplateComposer({args.template}) + ADF"
    print(f"routes: {args.routes}  alerts: {len(alerts)}  input: {kind}  runs: {args.repeat}")
    print(f"best CPU time: {best:.3f} s  throughput: {len(alerts) / best:,.0f} alerts/s")
    print(f"mean CPU per alert: {best / len(alerts) * 1e6:.1f} µs")
    if compose is not None:
        drafts = len(COMPOSED) // args.repeat
        print(f"drafts composed per run: {drafts} (the rest ignored): {drafts / best:,.0f}/s")
    print(f"fell through to defaults: {counts.get('defaults', 0)}  routes hit: {len(counts)}")


if __name__ == "__main__":
    main()
