"""The emulator's default Jira: catalogue, custom fields, users, projects and workflow.

Status categories follow Jira's own ids, keys and colours (see the recorded `statusCategory`
objects in ../shared/realworld); everything else is the emulator's documented default seed.
"""

from __future__ import annotations

from typing import Any

CATEGORY_IDS = {"undefined": 1, "new": 2, "done": 3, "indeterminate": 4}
CATEGORY_NAMES = {"undefined": "No Category", "new": "To Do", "done": "Done"}
CATEGORY_NAMES["indeterminate"] = "In Progress"
CATEGORY_COLORS = {
    "undefined": "medium-gray",
    "new": "blue-gray",
    "done": "green",
    "indeterminate": "yellow",
}

SYSTEM_ON_SCREEN = [
    "summary",
    "issuetype",
    "project",
    "description",
    "priority",
    "labels",
    "assignee",
    "reporter",
    "duedate",
    "components",
    "environment",
    "fixVersions",
    "issuelinks",
    "attachment",
]

SYSTEM_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("summary", "Summary", {"type": "string"}),
    ("description", "Description", {"type": "string"}),
    ("environment", "Environment", {"type": "string"}),
    ("issuetype", "Issue Type", {"type": "issuetype"}),
    ("project", "Project", {"type": "project"}),
    ("priority", "Priority", {"type": "priority"}),
    ("labels", "Labels", {"type": "array", "items": "string"}),
    ("assignee", "Assignee", {"type": "user"}),
    ("reporter", "Reporter", {"type": "user"}),
    ("creator", "Creator", {"type": "user"}),
    ("status", "Status", {"type": "status"}),
    ("resolution", "Resolution", {"type": "resolution"}),
    ("resolutiondate", "Resolved", {"type": "datetime"}),
    ("created", "Created", {"type": "datetime"}),
    ("updated", "Updated", {"type": "datetime"}),
    ("duedate", "Due date", {"type": "date"}),
    ("components", "Components", {"type": "array", "items": "component"}),
    ("parent", "Parent", {"type": "issuelink"}),
    ("comment", "Comment", {"type": "comments-page"}),
    ("issuelinks", "Linked Issues", {"type": "array", "items": "issuelinks"}),
    ("subtasks", "Sub-tasks", {"type": "array", "items": "issuelinks"}),
    ("fixVersions", "Fix versions", {"type": "array", "items": "version"}),
    ("attachment", "Attachment", {"type": "array", "items": "attachment"}),
    ("statuscategorychangedate", "Status Category Changed", {"type": "datetime"}),
]

CUSTOM_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "text": ("textfield", {"type": "string"}),
    "textarea": ("textarea", {"type": "string"}),
    "select": ("select", {"type": "option"}),
    "multiselect": ("multiselect", {"type": "array", "items": "option"}),
    "number": ("float", {"type": "number"}),
    "date": ("datepicker", {"type": "date"}),
    "user": ("userpicker", {"type": "user"}),
    "labels": ("labels", {"type": "array", "items": "string"}),
}

DEFAULT_CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"id": "customfield_10010", "name": "Escalation ID", "type": "text"},
    {"id": "customfield_10011", "name": "Change Risk", "type": "select"}
    | {"options": ["LOW", "MEDIUM", "HIGH"]},
    {"id": "customfield_10012", "name": "Remediation Notes", "type": "textarea"},
    {"id": "customfield_10013", "name": "Affected Systems", "type": "multiselect"}
    | {"options": ["api", "web", "database", "identity", "network"]},
    {"id": "customfield_10014", "name": "Risk Score", "type": "number"},
    {"id": "customfield_10015", "name": "Review Date", "type": "date"},
    {"id": "customfield_10016", "name": "Security Reviewer", "type": "user"},
]

EPIC_NAME_PLUGIN = "com.pyxis.greenhopper.jira:gh-epic-label"
# Jira Software's epic fields on Data Center (Cloud has `parent` and no Epic Name since 2023).
# Epic Name is required on the Epic create screen, as Jira Software makes it.
DATACENTER_SOFTWARE_FIELDS: list[dict[str, Any]] = [
    {"id": "customfield_10017", "name": "Epic Link", "type": "epiclink", "flavors": ["datacenter"]},
    {"id": "customfield_10018", "name": "Epic Name", "type": "epicname", "flavors": ["datacenter"]},
]

DEFAULT_USERS: list[dict[str, Any]] = [
    {"name": "admin", "email": "admin@example.com", "displayName": "Emulator Admin"}
    | {"apiToken": "emulator-token", "password": "admin", "pat": "emulator-pat", "admin": True},
    {"name": "alice", "email": "alice@example.com", "displayName": "Alice Analyst"}
    | {"apiToken": "alice-token", "password": "alice", "pat": "alice-pat"},
    {"name": "bob", "email": "bob@example.com", "displayName": "Bob Builder"}
    | {"apiToken": "bob-token", "password": "bob", "pat": "bob-pat"},
    {"name": "carol", "email": "carol@example.com", "displayName": "Carol Compliance"}
    | {"apiToken": "carol-token", "password": "carol", "pat": "carol-pat"},
]

DEFAULT_PROJECTS: list[dict[str, Any]] = [
    {"key": "OPS", "name": "Operations"},
    {"key": "AIGOV", "name": "AI Governance"},
    {"key": "COMPLIANCE", "name": "Compliance"},
    {"key": "SEC", "name": "Security"},
    # INFRA's screens carry only the system fields and Escalation ID: the project where
    # "not on the appropriate screen" refusals can be exercised. It has components too.
    {"key": "INFRA", "name": "Infrastructure"}
    | {"screens": {"default": [*SYSTEM_ON_SCREEN, "customfield_10010"]}}
    | {"components": ["database", "network", "storage"]},
]

DEFAULT_WORKFLOW: dict[str, Any] = {
    "name": "default",
    "initial": "To Do",
    "statuses": [
        {"id": "10000", "name": "To Do", "category": "new"},
        {"id": "3", "name": "In Progress", "category": "indeterminate"},
        {"id": "10001", "name": "Under Review", "category": "indeterminate"},
        {"id": "10002", "name": "Done", "category": "done"},
    ],
    "transitions": [
        {"id": "11", "name": "Start Progress", "to": "In Progress", "from": ["To Do"]},
        {"id": "21", "name": "Request Review", "to": "Under Review", "from": ["In Progress"]},
        {"id": "31", "name": "Done", "to": "Done"}
        | {"from": ["To Do", "In Progress", "Under Review"]},
        {"id": "41", "name": "Back to In Progress", "to": "In Progress", "from": ["Under Review"]},
        {"id": "51", "name": "Stop Progress", "to": "To Do", "from": ["In Progress"]},
        {"id": "61", "name": "Reopen", "to": "To Do", "from": ["Done"]},
    ],
}
