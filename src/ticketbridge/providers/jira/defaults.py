"""A reference Jira site: what a new site ships with (workflow, priorities, resolutions, link
types, issue types) plus the custom fields, users and projects the Jira emulator seeds by default.

The fake provider is configured from it, so one contract suite runs against both.
"""

from __future__ import annotations

from ticketbridge.providers.base import (
    FieldDef,
    IssueType,
    Priority,
    Project,
    Status,
    Transition,
    User,
)

TO_DO = Status("10000", "To Do", "new")
IN_PROGRESS = Status("3", "In Progress", "indeterminate")
UNDER_REVIEW = Status("10001", "Under Review", "indeterminate")
DONE = Status("10002", "Done", "done")
STATUSES = (TO_DO, IN_PROGRESS, UNDER_REVIEW, DONE)

# A typical software workflow: (transition, the statuses it leaves from).
WORKFLOW: tuple[tuple[Transition, tuple[Status, ...]], ...] = (
    (Transition("11", "Start Progress", IN_PROGRESS), (TO_DO,)),
    (Transition("21", "Request Review", UNDER_REVIEW), (IN_PROGRESS,)),
    (Transition("31", "Done", DONE), (TO_DO, IN_PROGRESS, UNDER_REVIEW)),
    (Transition("41", "Back to In Progress", IN_PROGRESS), (UNDER_REVIEW,)),
    (Transition("51", "Stop Progress", TO_DO), (IN_PROGRESS,)),
    (Transition("61", "Reopen", TO_DO), (DONE,)),
)


def transitions_from(status: Status) -> tuple[Transition, ...]:
    return tuple(t for t, sources in WORKFLOW if status in sources)


PRIORITIES = (
    Priority("1", "Highest"),
    Priority("2", "High"),
    Priority("3", "Medium"),
    Priority("4", "Low"),
    Priority("5", "Lowest"),
)

RESOLUTIONS = ("Done", "Won't Fix", "False Positive", "Duplicate")

LINK_TYPES = ("Relates", "Blocks", "Duplicate", "Cloners")

ISSUE_TYPES = (
    IssueType("10000", "Epic"),
    IssueType("10001", "Task"),
    IssueType("10002", "Bug"),
    IssueType("10003", "Story"),
    IssueType("10004", "Incident"),
    IssueType("10005", "Sub-task", subtask=True),
)

SYSTEM_FIELDS = (
    FieldDef("summary", "Summary", False, "string"),
    FieldDef("description", "Description", False, "string"),
    FieldDef("priority", "Priority", False, "priority"),
    FieldDef("labels", "Labels", False, "array", items="string"),
    FieldDef("components", "Components", False, "array", items="component"),
    FieldDef("assignee", "Assignee", False, "user"),
    FieldDef("duedate", "Due date", False, "date"),
    FieldDef("parent", "Parent", False, "issuelink"),
)

_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
# The custom fields, users and projects as the Jira emulator's default seed, so one
# contract suite can run against both.
FIELDS: tuple[FieldDef, ...] = (
    *SYSTEM_FIELDS,
    FieldDef("customfield_10010", "Escalation ID", True, "string", custom_type=_CF + "textfield"),
    FieldDef("customfield_10011", "Change Risk", True, "option", custom_type=_CF + "select"),
    FieldDef("customfield_10012", "Remediation Notes", True, "string", None, _CF + "textarea"),
    FieldDef("customfield_10013", "Affected Systems", True, "array", "option", _CF + "multiselect"),
    FieldDef("customfield_10014", "Risk Score", True, "number", custom_type=_CF + "float"),
    FieldDef("customfield_10015", "Review Date", True, "date", custom_type=_CF + "datepicker"),
    FieldDef("customfield_10016", "Security Reviewer", True, "user", None, _CF + "userpicker"),
)
# INFRA's create screen carries only the system fields and Escalation ID (as in the emulator).
HIDDEN: frozenset[tuple[str, str]] = frozenset(
    ("INFRA", f.id) for f in FIELDS if f.custom and f.id != "customfield_10010"
)
USERS: tuple[User, ...] = (
    User("Emulator Admin", "712020:admin", "admin", "admin@example.com"),
    User("Alice Analyst", "712020:alice", "alice", "alice@example.com"),
    User("Bob Builder", "712020:bob", "bob", "bob@example.com"),
    User("Carol Compliance", "712020:carol", "carol", "carol@example.com"),
)
PROJECTS: tuple[Project, ...] = (
    Project("10000", "OPS", "Operations"),
    Project("10001", "AIGOV", "AI Governance"),
    Project("10002", "COMPLIANCE", "Compliance"),
    Project("10003", "SEC", "Security"),
    Project("10004", "INFRA", "Infrastructure"),
)
