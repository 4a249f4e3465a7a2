"""The root of `ticketbridge.yaml` (SPEC §3)."""

from __future__ import annotations

from pydantic import Field, PrivateAttr, field_validator

from ticketbridge.config.document import nearest_line
from ticketbridge.config.integrations import (
    AuditConfig,
    CallbackConfig,
    JiraConfig,
    SourceConfig,
    SyncConfig,
)
from ticketbridge.config.models import (
    AssignmentRule,
    Defaults,
    RouteConfig,
    StrictModel,
    TemplateConfig,
)
from ticketbridge.config.sites import (
    JiraSection,
    connections,
    default_connections,
    default_site,
)
from ticketbridge.config.teams import TeamSetting, refuse_nested_teams

Location = tuple[str | int, ...]
"""A place in the document: ("routes", 2, "when")."""


class Config(StrictModel):
    """A whole, valid configuration. `Config()` is the no-file default used by `make run`."""

    jira: JiraSection | None = Field(
        default=None,
        description="one connection, or `sites:` naming several; absent: `make run` starts "
        "the emulator instead",
    )
    defaults: Defaults = Field(default_factory=Defaults)
    templates: dict[str, TemplateConfig] = Field(default_factory=dict)
    routes: list[RouteConfig] = Field(default_factory=list, description="first match wins")
    assignments: list[AssignmentRule] = Field(default_factory=list)
    teams: dict[str, TeamSetting] = Field(
        default_factory=dict, description="assignee names that are a user, rotation or schedule"
    )
    sync: SyncConfig = Field(default_factory=SyncConfig)
    callbacks: list[CallbackConfig] = Field(default_factory=list)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)

    _lines: dict[Location, int] = PrivateAttr(default_factory=dict)
    _origin: str | None = PrivateAttr(default=None)

    @field_validator("teams")
    @classmethod
    def _members_are_users(cls, teams: dict[str, TeamSetting]) -> dict[str, TeamSetting]:
        refuse_nested_teams(teams)
        return teams

    def line_of(self, *location: str | int) -> int | None:
        """The 1-based YAML line of a key or item, e.g. line_of("routes", 2, "when"), or of its
        nearest ancestor written in the file."""
        return nearest_line(self._lines, location)

    @property
    def origin(self) -> str | None:
        """The file this configuration was read from, if any."""
        return self._origin

    @property
    def sites(self) -> dict[str, JiraConfig]:
        """Every Jira site by name (`config.sites`); the single `jira:` form is `default`."""
        return connections(self.jira)

    @property
    def default_site(self) -> str:
        """The site of routes that name none (`defaults.site`, else the first listed)."""
        return default_site(self.jira, self.defaults.site)

    @property
    def default_connections(self) -> tuple[str, ...]:
        """The `Ticket.connection` values the default site writes ("" and its name)."""
        return default_connections(self.default_site)

    @property
    def primary_jira(self) -> JiraConfig | None:
        """The default site's connection: the one the stored connection, OAuth 2.0 and the
        admin UI manage (None: no `jira:`, so the stored one or the emulator)."""
        return self.sites.get(self.default_site)

    @property
    def other_sites(self) -> dict[str, JiraConfig]:
        """The sites besides the default one, each written through its own provider."""
        return {name: site for name, site in self.sites.items() if name != self.default_site}

    def route(self, name: str) -> RouteConfig | None:
        return next((r for r in self.routes if r.name == name), None)
