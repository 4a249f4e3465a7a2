"""The in-memory Jira site `FakeProvider` serves: what is configured, what is stored, and the
rules Jira applies when an issue is written.

`FakeSite` holds the site's configuration (projects, fields, users, create screens; by default
the Jira emulator's `jira.defaults`), the stored `FakeIssue`s tests read and arrange through
`.issues`, the test controls (`fail_next`, `drop_next_create`, `hide_field`, `index_now`, the
per-method `calls` count) and the checks a create goes through: a valid project, issue type,
summary, priority and parent; fields off the create screen dropped with a warning; Labels
required on the screen when a marker needs them (fail closed, as `JiraProvider`). The Provider
port's methods over this site are in `fake.py`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import structlog

from ticketbridge.clock import Clock, Monotonic, system_clock
from ticketbridge.domain.states import Flavor
from ticketbridge.errors import FieldErrors, JiraError, NotFound, OutcomeUnknown
from ticketbridge.providers.base import (
    Capabilities,
    FieldDef,
    IssueDraft,
    IssueRef,
    Marker,
    Project,
    User,
)
from ticketbridge.providers.fake_store import FakeIssue, as_text, marker_labels
from ticketbridge.providers.jira import defaults as jd
from ticketbridge.providers.jira.bodies import marker_needs_labels
from ticketbridge.providers.jira.dialect import dialect_for
from ticketbridge.providers.jira.shaping import shape_value
from ticketbridge.render import clip_summary

log = structlog.get_logger("ticketbridge.providers.fake")

FIELDS, HIDDEN, PROJECTS, USERS = jd.FIELDS, jd.HIDDEN, jd.PROJECTS, jd.USERS


class FakeSite:
    """One Jira site in memory. Not thread-safe; meant for one event loop in tests."""

    def __init__(
        self,
        *,
        flavor: Flavor = "cloud",
        base_url: str = "https://fake.atlassian.net",
        search_lag: float = 0.0,
        clock: Monotonic = time.monotonic,
        now: Clock = system_clock,
        fields: Sequence[FieldDef] = FIELDS,
        users: Sequence[User] = USERS,
        projects: Sequence[Project] = PROJECTS,
        site_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Which site this is (Provider.site_id); a test moves "to another site" by changing it.
        self.site = site_id or f"{flavor}:{self.base_url}"
        self.search_lag = search_lag
        self.clock = clock
        self.now = now  # the time of day issues and comments are stamped with
        self.issues: dict[str, FakeIssue] = {}
        self.users = list(users)
        self._flavor: Flavor = flavor
        self._fields = tuple(fields)
        self._projects = tuple(projects)
        self._hidden: set[tuple[str, str, str]] = set()
        self._hidden_in_project: set[tuple[str, str]] = set(HIDDEN)
        self._failures: dict[str, list[JiraError]] = {}
        self._drops = 0
        self._ids = itertools.count(10001)
        self._seq: dict[str, itertools.count[int]] = {}
        self.calls: dict[str, int] = {}

    # --- test controls ----------------------------------------------------------------------

    def fail_next(self, op: str, error: JiraError, times: int = 1) -> None:
        """The next `times` calls of method `op` (e.g. "create_issue") raise `error`."""
        self._failures.setdefault(op, []).extend([error] * times)

    def drop_next_create(self, times: int = 1) -> None:
        """The next creates commit, then raise `OutcomeUnknown` (response lost)."""
        self._drops += times

    def hide_field(self, project: str, issue_type: str, field_id: str) -> None:
        """Take a field off the create screen of project/issue type."""
        self._hidden.add((project, issue_type, field_id))

    def index_now(self) -> None:
        """Let search see every issue at once (end the index lag)."""
        now = self.clock()
        for issue in self.issues.values():
            issue.visible_at = min(issue.visible_at, now)

    def _enter(self, op: str) -> None:
        """Count a call of `op` and raise the failure queued for it, if any."""
        self.calls[op] = self.calls.get(op, 0) + 1
        pending = self._failures.get(op)
        if pending:
            raise pending.pop(0)

    def _maybe_drop(self) -> None:
        if self._drops:
            self._drops -= 1
            raise OutcomeUnknown("connection dropped after the create was sent")

    # --- capabilities -----------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        """What `JiraProvider` reports for the same flavour."""
        return dialect_for(self._flavor).capabilities

    # --- storing a new issue ----------------------------------------------------------------

    def _store(self, draft: IssueDraft) -> IssueRef:
        self._check_create(draft)
        extra = self._on_screen(draft)
        now = self.now()
        seq = self._seq.setdefault(draft.project, itertools.count(1))
        issue = FakeIssue(
            id=str(next(self._ids)),
            key=f"{draft.project}-{next(seq)}",
            project=draft.project,
            issue_type=draft.issue_type,
            summary=clip_summary(draft.summary),
            status=jd.STATUSES[0],
            created=now,
            updated=now,
            visible_at=self.clock() + self.search_lag,
            description=draft.description,
            priority=draft.priority or "Medium",
            assignee=self._assignee(draft.assignee),
            labels=list(dict.fromkeys([*draft.labels, *marker_labels(draft.marker)])),
            due_date=draft.due_date,
            parent=draft.parent,
            fields=extra,
        )
        if draft.marker:
            issue.properties[Marker.PROPERTY_KEY] = draft.marker.property_value
        self.issues[issue.key] = issue
        return self._ref(issue)

    def _check_create(self, draft: IssueDraft) -> None:
        if draft.marker and not self._on_create_screen(draft.project, draft.issue_type, "labels"):
            raise marker_needs_labels(draft.project, draft.issue_type)
        problems: dict[str, str] = {}
        if draft.project not in {p.key for p in self._projects}:
            problems["project"] = "valid project is required"
        elif draft.issue_type not in {t.name for t in jd.ISSUE_TYPES}:
            problems["issuetype"] = "The issue type selected is invalid."
        if not draft.summary.strip():
            problems["summary"] = "You must specify a summary of the issue."
        if draft.priority and draft.priority not in {p.name for p in jd.PRIORITIES}:
            problems["priority"] = f"Priority name '{draft.priority}' is not valid"
        if draft.parent and draft.parent not in self.issues:
            problems["parent"] = f"Issue '{draft.parent}' does not exist"
        if problems:
            raise FieldErrors(
                "Jira refused the issue",
                fields=problems,
                hint=f"check {', '.join(problems)} of {draft.project}/{draft.issue_type}",
            )

    def _on_screen(self, draft: IssueDraft) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for name, value in draft.fields.items():
            fdef = self._field(name)
            if fdef is None or not self._on_create_screen(draft.project, draft.issue_type, fdef.id):
                log.warning(
                    "field dropped: not on the create screen",
                    field=name,
                    project=draft.project,
                    issue_type=draft.issue_type,
                )
                continue
            if fdef.schema_type == "user" and isinstance(value, str):
                user = self._user(value)
                value = (
                    (user.account_id if self._flavor == "cloud" else user.name) if user else None
                )
            kept[fdef.id] = self._shaped(fdef, value)
        return kept

    def _on_create_screen(self, project: str, issue_type: str, field_id: str) -> bool:
        return (project, field_id) not in self._hidden_in_project and (
            project,
            issue_type,
            field_id,
        ) not in self._hidden

    # --- lookups ----------------------------------------------------------------------------

    def _shaped(self, fdef: FieldDef, value: Any) -> Any:
        """A field value as Jira stores it for the field's schema type."""
        return shape_value(fdef, value, user_key=self.capabilities.user_key, text=as_text)

    def _field(self, name: str) -> FieldDef | None:
        for f in self._fields:
            if name in (f.id, f.name):
                return f
        return None

    def _assignee(self, who: str | None) -> User | None:
        if who is None:
            return None
        user = self._user(who)
        if user is None:
            log.warning("assignee unknown; issue left unassigned", assignee=who)
        return user

    def _user(self, who: str) -> User | None:
        for u in self.users:
            if who in (u.account_id, u.name, u.email):
                return u
        return None

    def _ref(self, issue: FakeIssue) -> IssueRef:
        return IssueRef(issue.id, issue.key, f"{self.base_url}/browse/{issue.key}")

    def _get(self, key: str) -> FakeIssue:
        issue = self.issues.get(key) or next((i for i in self.issues.values() if i.id == key), None)
        if issue is None:
            raise NotFound(f"Issue does not exist or you do not have permission to see it: {key}")
        return issue
