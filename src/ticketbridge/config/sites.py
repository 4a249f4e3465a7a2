"""Several Jira sites in one deployment (issue 18, item 4): `jira: {sites: {name: <connection>}}`.

The single `jira:` form is one site named `default`. With `sites`, each name is a connection of
its own (its provider, rate governor and metadata cache); a route's `site` or the defaults'
names where its issues go, and the *default site* (`defaults.site`, else the first one listed)
takes every route that names none.

The default site is also the one the stored connection, OAuth 2.0 (3LO), the admin UI's Jira
page and `ticketbridge config jira` manage; the others are read from the file only, so OAuth
2.0, whose rotating tokens have one home in the database, is refused on them.

A ticket records its site's name (`Ticket.connection`); tickets made before sites existed have
none (`""`), which means the default site.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, StringConstraints, Tag, model_validator

from ticketbridge.config.document import ConfigDocument, Location
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.models import StrictModel
from ticketbridge.errors import Problem

DEFAULT_SITE = "default"
"""The name of the single `jira:` form's site."""
UNNAMED = ""
"""`Ticket.connection` of tickets made before sites were named: the default site's."""

SiteName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
"""A site's name: lower case letters, digits, `-` and `_`, up to 32 characters."""


class JiraSites(StrictModel):
    """`jira: {sites: {cloud: {…}, dc: {…}}}`: named connections, each a full `jira:` block."""

    sites: dict[SiteName, JiraConfig] = Field(min_length=1, max_length=16)

    @model_validator(mode="after")
    def _oauth2_on_one_site(self) -> JiraSites:
        oauth = [name for name, site in self.sites.items() if site.auth.type == "oauth2"]
        if len(oauth) > 1:
            raise ValueError(
                f"OAuth 2.0 (3LO) keeps its tokens in one place: only one site may use it, "
                f"not {', '.join(oauth)}"
            )
        return self


_ONE, _SEVERAL = "one site", "several sites"
FORM_TAGS = frozenset({_ONE, _SEVERAL})
"""The union tags pydantic puts in an error's location under `jira` (never a YAML key)."""


def _jira_form(value: Any) -> str:
    several = isinstance(value, JiraSites) or (isinstance(value, dict) and "sites" in value)
    return _SEVERAL if several else _ONE


JiraSection = Annotated[
    Annotated[JiraConfig, Tag(_ONE)] | Annotated[JiraSites, Tag(_SEVERAL)],
    Discriminator(_jira_form),
]
"""What `jira:` holds: one connection, or several named ones."""


def connections(section: JiraConfig | JiraSites | None) -> dict[str, JiraConfig]:
    """Every site by name, in the order written (the single form: `default`)."""
    if section is None:
        return {}
    if isinstance(section, JiraSites):
        return dict(section.sites)
    return {DEFAULT_SITE: section}


def default_site(section: JiraConfig | JiraSites | None, chosen: str | None) -> str:
    """The site of routes that name none: `chosen` (`defaults.site`), else the first one."""
    if chosen is not None:
        return chosen
    return next(iter(connections(section)), DEFAULT_SITE)


def default_connections(default: str) -> tuple[str, ...]:
    """The `Ticket.connection` values of the default site's tickets: its name, and the tickets
    made before sites were named (another site's are just its name)."""
    return (UNNAMED, default)


def site_reference_problems(document: ConfigDocument) -> list[Problem]:
    """`defaults.site` and each route's `site` name a site of `jira:` (checked on the raw
    document, so these are listed with the schema's problems, with their lines)."""
    data = document.data if isinstance(document.data, dict) else {}
    names = _written_names(data.get("jira"))
    places: list[tuple[Location, Any]] = []
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and "site" in defaults:
        places.append((("defaults", "site"), defaults["site"]))
    routes = data.get("routes")
    for index, route in enumerate(routes if isinstance(routes, list) else []):
        if isinstance(route, dict) and "site" in route:
            places.append((("routes", index, "site"), route["site"]))
    return [
        document.problem(location, _unknown(value, names))
        for location, value in places
        if isinstance(value, str) and value not in names
    ]


def _written_names(jira: Any) -> list[str]:
    if isinstance(jira, dict) and isinstance(jira.get("sites"), dict):
        return [str(name) for name in jira["sites"]]
    return [DEFAULT_SITE] if isinstance(jira, dict) else []


def _unknown(value: str, names: list[str]) -> str:
    if not names:
        return f"unknown site '{value}': `jira:` names no site (sites need `jira.sites`)"
    return f"unknown site '{value}'; the sites are {', '.join(names)}"
