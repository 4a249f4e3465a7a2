"""What becomes of an alert: `defaults`, `templates`, `routes` and `assignments` (SPEC §3).

Everything here is plain data. CEL expressions and Jinja2 templates are kept as text; the rules
layer compiles and type-checks the expressions, the render layer compiles the templates.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from ticketbridge.config.durations import Duration
from ticketbridge.domain import RecurAfterDone, RepeatMode, RouteAction, defaults
from ticketbridge.domain.severity import Severity
from ticketbridge.domain.states import TemplateFormat


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


FieldValue = str | bool | int | float | list[str]
"""A field value as written in YAML; strings are Jinja2 templates rendered per alert."""


def _due_form(value: Any) -> str:
    if isinstance(value, str) and any(mark in value for mark in ("{{", "{%")):
        return "template"
    return "per_severity" if isinstance(value, dict) else "offset"


DueSetting = Annotated[
    Annotated[Duration, Tag("offset")]
    | Annotated[dict[Severity, Duration], Tag("per_severity")]
    | Annotated[str, Tag("template")],
    Discriminator(_due_form),
]
"""`+2d` (one offset) or `{critical: 1d, high: 7d}` (per severity), counted from occurred_at,
or a Jinja2 template rendering an ISO date or such an offset per alert."""


class DedupConfig(StrictModel):
    """What a repeat of an already ticketed fingerprint does (SPEC §4.3)."""

    repeat: RepeatMode = defaults.REPEAT
    digest_interval: Duration = Field(
        default=defaults.DIGEST_INTERVAL,
        description="the digest comment is edited at most once per interval",
    )
    recur_after_done: RecurAfterDone = defaults.RECUR_AFTER_DONE
    reopen_within: Duration = defaults.REOPEN_WITHIN


class GroupConfig(StrictModel):
    """Alerts whose rendered `epic` key is equal go under one epic (SPEC §7)."""

    epic: str = Field(min_length=1, description="Jinja2 template of the group key")
    summary: str | None = Field(
        default=None, description="Jinja2 template of the epic's summary; the key when absent"
    )
    project: str | None = None


class LinkOption(StrictModel):
    """Relate the new issue to another one: an issue key, or the ticket of a fingerprint."""

    type: str = Field(default="Relates", min_length=1, description="Jira link type name")
    issue: str | None = Field(default=None, description="template rendering an issue key")
    fingerprint: str | None = Field(
        default=None, description="template rendering the fingerprint whose ticket to link"
    )

    @model_validator(mode="after")
    def _one_target(self) -> LinkOption:
        if (self.issue is None) == (self.fingerprint is None):
            raise ValueError("give exactly one of 'issue' or 'fingerprint'")
        return self


class TemplateConfig(StrictModel):
    """A named issue template: Jinja2 in Markdown (default) or Jira wiki markup."""

    summary: str = "{{ alert.title }}"
    description: str = "{{ alert.description }}"
    format: TemplateFormat = "markdown"


class SlaBreachConfig(StrictModel):
    """What a breach does besides being recorded, once per breach: the stale escalation's
    Jira write (`sync.escalate`'s priority, labels, a comment saying which clock breached)
    and its Slack message (`sync.notify.slack_webhook`)."""

    escalate: bool = False
    notify: bool = False


class SlaConfig(StrictModel):
    """SLA clocks (issue 15 item 3), per severity, counted from the alert's `occurred_at`:
    first response (first assignment, first transition out of the new category, or the first
    comment by an account other than ours) and resolution (the issue done)."""

    first_response: dict[Severity, Duration] = Field(default_factory=dict)
    resolution: dict[Severity, Duration] = Field(default_factory=dict)
    pause: list[str] = Field(
        default_factory=list, description="status names in which both clocks stop"
    )
    at_risk: float = Field(
        default=0.75, gt=0, lt=1, description="share of a budget elapsed that counts as at risk"
    )
    on_breach: SlaBreachConfig = Field(default_factory=SlaBreachConfig)


class Defaults(StrictModel):
    """What every ticket gets unless the matching route says otherwise."""

    site: str | None = Field(
        default=None, description="the Jira site (`jira.sites`) of routes that name none"
    )
    project: str = Field(default=defaults.PROJECT, min_length=1)
    issue_type: str = Field(default=defaults.ISSUE_TYPE, min_length=1)
    labels: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    assignee: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    template: str | None = None
    min_severity: Severity = defaults.MIN_SEVERITY
    priority: dict[Severity, str] = Field(default_factory=lambda: dict(defaults.PRIORITY))
    priority_by_action: dict[str, str] = Field(
        default_factory=lambda: dict(defaults.PRIORITY_BY_ACTION),
        description="attributes.action → priority; wins over the severity map",
    )
    issue_type_by_action: dict[str, str] = Field(
        default_factory=lambda: dict(defaults.ISSUE_TYPE_BY_ACTION)
    )
    due: dict[Severity, Duration] = Field(default_factory=lambda: dict(defaults.DUE))
    sla: SlaConfig | None = None
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    timezone: str = Field(
        default="UTC", description="IANA zone whose calendar the due dates are in"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"
            ) from err
        return value

    @field_validator("priority_by_action", "issue_type_by_action")
    @classmethod
    def _actions_lower_case(cls, value: dict[str, str]) -> dict[str, str]:
        """Actions are matched without regard to case (`Block` is `block`)."""
        return {action.lower(): mapped for action, mapped in value.items()}


class RouteConfig(StrictModel):
    """One routing rule; the first whose `when` holds decides (SPEC §3)."""

    name: str = Field(min_length=1)
    when: str = Field(default="true", min_length=1, description="CEL over the alert")
    action: RouteAction = "ticket"
    site: str | None = Field(default=None, description="the Jira site (`jira.sites`) it writes to")
    project: str | None = None
    issue_type: str | None = None
    priority: str | None = None
    assignee: str | None = None
    labels: list[str] = Field(default_factory=list, description="added to the default labels")
    components: list[str] | None = Field(default=None, description="replace the default ones")
    fields: dict[str, FieldValue] = Field(
        default_factory=dict, description="merged over the default fields"
    )
    template: str | None = None
    due: DueSetting | None = None
    sla: SlaConfig | None = Field(default=None, description="replaces the defaults' sla")
    min_severity: Severity | None = None
    group: GroupConfig | None = None
    link: list[LinkOption] = Field(default_factory=list)


class AssignmentRule(StrictModel):
    """Auto-assignment (seed 004): first matching rule names the assignee when a route doesn't."""

    when: str = Field(min_length=1, description="CEL over the alert")
    assignee: str = Field(min_length=1)
    name: str | None = None
