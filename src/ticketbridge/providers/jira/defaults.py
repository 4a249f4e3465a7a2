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
    "TRANSITIONS",
]

TO_DO = Status("10000", "To Do", "new")
IN_PROGRESS = Status("3", "In Progress", "indeterminate")
DONE = Status("10001", "Done", "done")
STATUSES = (TO_DO, IN_PROGRESS, DONE)

# Jira's simplified workflow: every status reachable from every other ("global" transitions).
TRANSITIONS = (
    Transition("11", "To Do", TO_DO),
    Transition("21", "In Progress", IN_PROGRESS),
    Transition("31", "Done", DONE),
)

PRIORITIES = (
    Priority("1", "Highest"),
    Priority("2", "High"),
    Priority("3", "Medium"),
    Priority("4", "Low"),
    Priority("5", "Lowest"),
)

RESOLUTIONS = ("Done", "Won't Do", "Duplicate", "Cannot Reproduce", "False Positive")

LINK_TYPES = ("Relates", "Blocks", "Duplicate", "Cloners")

ISSUE_TYPES = (
    IssueType("10001", "Task"),
    IssueType("10002", "Bug"),
    IssueType("10003", "Story"),
    IssueType("10004", "Epic"),
    IssueType("10005", "Incident"),
    IssueType("10006", "Sub-task", subtask=True),
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
