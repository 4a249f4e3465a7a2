"""`jira:` with several sites (issue 18, item 4): both forms, the default site, references to
sites checked with their lines, OAuth 2.0 on one site only, and the README's example."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.rules.router import Router

CLOUD = "{url: https://acme.atlassian.net, auth: {type: token, email: a@b.co, api_token: t}}"
DC = "{flavor: datacenter, url: https://jira.acme.com, auth: {type: pat, token: p}}"
SITES = f"jira:\n  sites:\n    cloud: {CLOUD}\n    dc: {DC}\n"
ALERT = {
    "id": "a-1",
    "source": "generic",
    "kind": "policy_violation",
    "title": "t",
    "severity": "high",
    "fingerprint": "fp-1",
    "occurred_at": "2026-11-20T10:00:00+00:00",
}
OAUTH = (
    "{url: https://%s.atlassian.net,"
    " auth: {type: oauth2, client_id: i, client_secret: s, cloud_id: c}}"
)


@pytest.mark.parametrize(
    ("text", "default", "others", "route_site"),
    [
        (f"jira: {CLOUD}\nroutes: [{{name: r}}]\n", "default", [], ""),
        (f"jira: {CLOUD}\nroutes: [{{name: r, site: default}}]\n", "default", [], "default"),
        (f"{SITES}routes: [{{name: r}}]\n", "cloud", ["dc"], ""),
        (f"{SITES}defaults: {{site: dc}}\nroutes: [{{name: r}}]\n", "dc", ["cloud"], "dc"),
        (f"{SITES}routes: [{{name: r, site: dc}}]\n", "cloud", ["dc"], "dc"),
    ],
)
def test_the_default_site_and_each_routes_site(
    text: str, default: str, others: list[str], route_site: str
) -> None:
    config = load_config(text=text, env={})
    assert config.default_site == default
    assert list(config.other_sites) == others
    assert config.primary_jira is config.sites[default]
    route = Router(config).route(ALERT)
    assert (route.name, route.connection) == ("r", route_site)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            f"{SITES}routes:\n  - {{name: r, site: clod}}\n",
            Problem("routes[0].site", "unknown site 'clod'; the sites are cloud, dc", 6),
        ),
        (
            f"{SITES}defaults:\n  site: nowhere\n",
            Problem("defaults.site", "unknown site 'nowhere'; the sites are cloud, dc", 6),
        ),
        (
            "routes:\n  - {name: r, site: dc}\n",
            Problem(
                "routes[0].site",
                "unknown site 'dc': `jira:` names no site (sites need `jira.sites`)",
                2,
            ),
        ),
        (
            f"jira:\n  sites:\n    a: {OAUTH % 'a'}\n    b: {OAUTH % 'b'}\n",
            Problem(
                "jira",
                "OAuth 2.0 (3LO) keeps its tokens in one place: only one site may use it, not a, b",
                1,
            ),
        ),
        (
            "jira:\n  sites:\n    Bad-Name: " + CLOUD + "\n",
            Problem(
                'jira.sites["Bad-Name"]["[key]"]',  # pydantic's place for a key's own error
                "String should match pattern '^[a-z][a-z0-9_-]{0,31}$'",
                3,
            ),
        ),
    ],
)
def test_bad_sites_are_named_with_their_line(text: str, problem: Problem) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(text=text, env={})
    assert problem in raised.value.problems


def test_the_default_site_also_writes_the_tickets_made_before_sites() -> None:
    config = load_config(text=SITES, env={})
    assert config.default_connections == ("", "cloud")


def test_the_readmes_example_is_valid_and_sends_the_soc_route_to_the_data_center() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Several Jira sites", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_config(text=example, env={"JIRA_API_TOKEN": "t", "JIRA_DC_PAT": "p"})
    assert (config.default_site, list(config.other_sites)) == ("cloud", ["dc"])
    route = Router(config).route(ALERT | {"kind": "intrusion"})
    assert (route.name, route.connection, route.project) == ("soc", "dc", "SEC")
