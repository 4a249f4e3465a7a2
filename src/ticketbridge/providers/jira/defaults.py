"""What a new Jira site ships with: the simplified workflow, priorities, resolutions, link types.

Used as the fake provider's configuration and as fallbacks where Jira's answer omits something.
"""

from __future__ import annotations

from ticketbridge.providers.base import FieldDef, IssueType, Priority, Status, Transition

__all__ = [
    "ISSUE_TYPES",
    "LINK_TYPES",
    "PRIORITIES",
    "RESOLUTIONS",
    "STATUSES",
    "SYSTEM_FIELDS",
    "WORKFLOW",
    "transitions_from",
]

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
