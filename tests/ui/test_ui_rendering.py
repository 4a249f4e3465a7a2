"""What the UI renders from hostile values: the ADF preview escapes every text and keeps only
http(s) links; the page templates autoescape; the route list marks routes that can never match;
the CEL box names the error."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ticketbridge.bootstrap import load_config, pipeline_settings, routing
from ticketbridge.services.planning import Planner
from ticketbridge.services.previews import Previews
from ticketbridge.ui.adf_html import adf_html
from ticketbridge.ui.web import Pages


def _doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def test_adf_text_is_escaped_and_only_web_links_survive() -> None:
    html = adf_html(
        _doc(
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "<script>alert(1)</script>"},
                    {
                        "type": "text",
                        "text": "bad",
                        "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}],
                    },
                    {
                        "type": "text",
                        "text": "ok",
                        "marks": [{"type": "link", "attrs": {"href": 'https://x.test/"><b>'}}],
                    },
                ],
            }
        )
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://x.test/&#34;&gt;&lt;b&gt;"' in html


def test_deeply_nested_adf_stops_instead_of_recursing_forever() -> None:
    node: dict[str, Any] = {"type": "text", "text": "deep"}
    for _ in range(500):
        node = {"type": "blockquote", "content": [node]}
    assert "deep" not in adf_html(_doc(node))


def test_pages_autoescape_what_users_typed() -> None:
    class NoAccounts:  # rendering never asks for a session
        pass

    pages = Pages(NoAccounts())  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/ui/login",
        "headers": [],
        "query_string": b"",
    }
    response = pages.render(
        Request(scope),
        "login.html",
        {"title": "Sign in", "next": "/ui", "username": '"><img src=x onerror=alert(1)>'},
    )
    body = bytes(response.body).decode()
    assert "<img src=x" not in body
    assert "&#34;&gt;&lt;img" in body


def _previews(yaml: str) -> Previews:
    config = load_config(text=yaml, env={})
    router, composer = routing(config)
    pipeline = pipeline_settings(config)
    planner = Planner(router, composer, pipeline)
    return Previews(
        planner, config.routes, config.templates, lambda: None, lambda: None, {}, lambda: "cloud"
    )  # type: ignore[arg-type]


def test_routes_after_an_always_true_or_identical_condition_are_marked() -> None:
    previews = _previews(
        "routes:\n"
        "  - {name: a, when: 'severity == \"high\"'}\n"
        "  - {name: b, when: 'severity==\"high\"'}\n"
        "  - {name: c, when: 'kind == \"x\"'}\n"
        "  - {name: all, when: 'true'}\n"
        "  - {name: d, when: 'kind == \"y\"'}\n"
    )
    marked = {row.route.name: row.shadowed_by for row in previews.routes()}
    assert marked == {"a": None, "b": "a", "c": None, "all": None, "d": "all"}


def test_the_cel_box_names_syntax_and_type_errors() -> None:
    previews = _previews("")
    assert previews.check_condition('sev(severity) >= sev("high")') == []
    assert previews.check_condition('severity == "high" &&')
    assert "boolean" in previews.check_condition("confidence")[0]
