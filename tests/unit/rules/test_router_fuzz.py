"""Whatever the alert mapping holds, routing returns a plan; it never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketbridge.config import Config, RouteConfig
from ticketbridge.rules import Router

ROUTER = Router(
    Config(
        routes=[
            RouteConfig(name="a", when='kind == "x" && confidence < 0.5'),
            RouteConfig(name="b", when='sev(severity) >= sev("high") && attributes.a == 1'),
            RouteConfig(name="c", when='has(attributes.b) && attributes.b.startsWith("z")'),
            RouteConfig(name="d", when='links.exists(l, l.url.contains("q"))'),
            RouteConfig(name="e", when='occurred_at > timestamp("2020-01-01T00:00:00Z")'),
        ]
    )
)
ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=3), c, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "id",
    "source",
    "kind",
    "title",
    "severity",
    "confidence",
    "status",
    "attributes",
    "occurred_at",
    "received_at",
    "links",
    "description",
    "fingerprint",
]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), ANY))
def test_routing_never_raises(alert: dict[str, Any]) -> None:
    plan = ROUTER.route(alert)
    assert plan.name in {"a", "b", "c", "d", "e", "defaults"}
    assert plan.reasons
