"""The default Jira the emulator starts with, and loading a seed file (YAML or JSON) on top.

Seed format (every section optional)::

    users:            # replaces the default users when given
      - {name: admin, email: admin@example.com, displayName: Admin, apiToken: emulator-token,
         password: admin, pat: emulator-pat, admin: true, accountId: "712020:…"}
    issueTypes:       # added to the defaults (Epic, Task, Bug, Story, Incident, Sub-task)
      - {name: Service Request, description: "A request from a customer.", subtask: false}
    customFields:     # added to the default custom fields
      - {id: customfield_10100, name: Team, type: select, options: [Red, Blue]}
        # type: text | textarea | select | multiselect | number | date | user | labels
        #       | epiclink | epicname (Jira Software's Epic Link / Epic Name)
    workflows:        # added to the default workflow ("default")
      - name: change
        initial: Open
        statuses: [{name: Open, category: new}, {name: Approved, category: indeterminate},
                   {name: Closed, category: done}]
        transitions: [{id: "11", name: Approve, to: Approved, from: [Open]},
                      {id: "21", name: Close, to: Closed}]    # no `from`: from anywhere
    projects:         # replaces the default projects when given
      - key: OPS
        name: Operations
        lead: admin
        workflow: default
        issueTypes: [Task, Bug]                # default: all but Sub-task on DC-only types
        screens: {default: [summary, description, customfield_10010], Bug: [...]}
        required: {default: [customfield_10011]}
        components: [api, web]
    addProjects:      # added to the projects (the defaults, or `projects` when given)
      - {key: AIGOV, name: AI Governance, workflow: change, issueTypes: [Task, Service Request]}
    webhooks:
      - {name: tb, url: "http://127.0.0.1:8000/v1/jira/webhook", events: [jira:issue_created],
         jql: "project = OPS", secret: s3cret}
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jira_emulator.defaults import (
    CATEGORY_IDS,
    CUSTOM_TYPES,
    DATACENTER_SOFTWARE_FIELDS,
    DEFAULT_CUSTOM_FIELDS,
    DEFAULT_PROJECTS,
    DEFAULT_USERS,
    DEFAULT_WORKFLOW,
    EPIC_NAME_PLUGIN,
    SYSTEM_FIELDS,
    SYSTEM_ON_SCREEN,
)
from jira_emulator.model import (
    FieldDef,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    State,
    StatusDef,
    TransitionDef,
    User,
    Webhook,
    Workflow,
)


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message names the entry and field."""


def account_id_for(email: str) -> str:
    """Deterministic Cloud-style accountId (`712020:<uuid>`), stable across runs."""
    return f"712020:{uuid.uuid5(uuid.NAMESPACE_URL, 'mailto:' + email.lower())}"


def load_seed_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError(f"seed file {path}: top level must be a mapping")
    return data


def _req(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise SeedError(f"{where}: missing required field {key!r}")
    return entry[key]


def _add_users(state: State, entries: list[dict[str, Any]]) -> None:
    for index, entry in enumerate(entries):
        where = f"users[{index}]"
        name = str(_req(entry, "name", where))
        email = str(entry.get("email") or f"{name}@example.com")
        state.users[name] = User(
            name=name,
            email=email,
            display_name=str(entry.get("displayName") or name),
            account_id=str(entry.get("accountId") or account_id_for(email)),
            password=entry.get("password"),
            api_token=entry.get("apiToken"),
            pat=entry.get("pat"),
            admin=bool(entry.get("admin", False)),
            active=bool(entry.get("active", True)),
            time_zone=str(entry.get("timeZone", "Etc/UTC")),
        )


def _add_custom_field(state: State, entry: Mapping[str, Any], index: int) -> None:
    where = f"customFields[{index}]"
    name = str(_req(entry, "name", where))
    kind = str(_req(entry, "type", where))
    if kind not in CUSTOM_TYPES and kind not in ("epiclink", "epicname"):
        raise SeedError(f"{where}.type: unknown custom field type {kind!r}")
    field_id = str(entry.get("id") or f"customfield_{state.next_id('customfield', 10100)}")
    number = int(field_id.rsplit("_", 1)[-1])
    if kind == "epiclink":
        plugin, schema = "com.pyxis.greenhopper.jira:gh-epic-link", {"type": "any"}
    elif kind == "epicname":  # Jira Software's Epic Name: a string, stored as text
        plugin, schema, kind = EPIC_NAME_PLUGIN, {"type": "string"}, "text"
    else:
        short, schema = CUSTOM_TYPES[kind]
        plugin = f"com.atlassian.jira.plugin.system.customfieldtypes:{short}"
    options = [
        (str(10100 + number % 100 * 10 + i), str(v)) for i, v in enumerate(entry.get("options", []))
    ]
    state.fields[field_id] = FieldDef(
        id=field_id,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        schema={**schema, "custom": plugin, "customId": number},
        custom=True,
        options=options,
        flavors=tuple(entry.get("flavors", ("cloud", "datacenter"))),
        rich=kind == "textarea",
    )


def _add_workflow(state: State, entry: Mapping[str, Any], index: int) -> None:
    where = f"workflows[{index}]"
    names: list[str] = []
    for s_index, status in enumerate(_req(entry, "statuses", where)):
        s_name = str(_req(status, "name", f"{where}.statuses[{s_index}]"))
        category = str(status.get("category", "indeterminate"))
        if category not in CATEGORY_IDS:
            raise SeedError(
                f"{where}.statuses[{s_index}].category: {category!r} is not one of "
                "new, indeterminate, done"
            )
        existing = state.status_by_name(s_name)
        if existing is None:
            status_id = str(status.get("id") or state.next_id("status", 10100))
            state.statuses[status_id] = StatusDef(status_id, s_name, category)
        names.append(s_name)
    transitions = [
        TransitionDef(
            id=str(t.get("id") or (i + 1) * 10 + 1),
            name=str(_req(t, "name", f"{where}.transitions[{i}]")),
            to=str(_req(t, "to", f"{where}.transitions[{i}]")),
            sources=[str(s) for s in t.get("from", [])],
        )
        for i, t in enumerate(_req(entry, "transitions", where))
    ]
    for t in transitions:
        if t.to not in names:
            raise SeedError(f"{where}: transition {t.name!r} goes to unknown status {t.to!r}")
    initial = str(entry.get("initial") or names[0])
    state.workflows[str(_req(entry, "name", where))] = Workflow(
        name=str(entry["name"]), statuses=names, initial=initial, transitions=transitions
    )


def _add_issue_type(state: State, entry: Mapping[str, Any], index: int) -> None:
    where = f"issueTypes[{index}]"
    name = str(_req(entry, "name", where))
    if state.issue_type_by_name(name) is not None:
        raise SeedError(f"{where}.name: issue type {name!r} exists already")
    subtask = bool(entry.get("subtask", False))
    type_id = str(entry.get("id") or state.next_id("issuetype", 10100))
    if type_id in state.issue_types:
        raise SeedError(f"{where}.id: {type_id!r} is taken")
    state.issue_types[type_id] = IssueType(
        type_id, name, str(entry.get("description", "")), subtask, -1 if subtask else 0
    )


def _default_screen(state: State, issue_type: IssueType) -> list[str]:
    custom = [
        f.id
        for f in state.visible_fields()
        if f.custom and (issue_type.name == "Epic" or f.schema.get("custom") != EPIC_NAME_PLUGIN)
    ]  # Epic Name's field context is the Epic issue type only
    # Cloud puts `parent` (epic or sub-task parent) on every screen; DC only on sub-tasks.
    extra = ["parent"] if issue_type.subtask or state.flavor == "cloud" else []
    return [*SYSTEM_ON_SCREEN, *extra, *custom]


def _add_project(
    state: State, entry: Mapping[str, Any], index: int, section: str = "projects"
) -> None:
    where = f"{section}[{index}]"
    key = str(_req(entry, "key", where)).upper()
    if key in state.projects:
        raise SeedError(f"{where}.key: project {key!r} exists already")
    type_names = entry.get("issueTypes") or [t.name for t in state.issue_types.values()]
    types: list[IssueType] = []
    for name in type_names:
        found = state.issue_type_by_name(str(name))
        if found is None:
            raise SeedError(f"{where}.issueTypes: unknown issue type {name!r}")
        types.append(found)
    workflow = str(entry.get("workflow", "default"))
    if workflow not in state.workflows:
        raise SeedError(f"{where}.workflow: unknown workflow {workflow!r}")
    screens = {t.name: _default_screen(state, t) for t in types}
    for name, field_ids in dict(entry.get("screens", {})).items():
        resolved = [_field_id(state, str(f), f"{where}.screens.{name}") for f in field_ids]
        for must in ("summary", "issuetype", "project"):
            if must not in resolved:
                resolved.insert(0, must)
        if name == "default":
            screens = {t.name: list(resolved) for t in types} | {"default": resolved}
        else:
            screens[str(name)] = resolved
    required = {
        str(name): [_field_id(state, str(f), f"{where}.required.{name}") for f in ids]
        for name, ids in dict(entry.get("required", {})).items()
    }
    if state.flavor == "datacenter" and "Epic" in screens and "Epic" not in required:
        _require_epic_name(state, screens["Epic"], required)
    state.projects[key] = Project(
        id=str(entry.get("id") or state.next_id("project", 10000)),
        key=key,
        name=str(entry.get("name", key)),
        lead=str(entry.get("lead", next(iter(state.users), "admin"))),
        workflow=workflow,
        issue_types=[t.id for t in types],
        screens=screens,
        required=required,
        components=[str(c) for c in entry.get("components", [])],
    )


def _require_epic_name(state: State, screen: list[str], required: dict[str, list[str]]) -> None:
    """Jira Software on Data Center refuses an Epic without its Epic Name ("Epic Name is
    required."): required on the Epic screen when the field is there and the seed is silent."""
    names = [f for f in screen if state.fields[f].schema.get("custom") == EPIC_NAME_PLUGIN]
    if names:
        required["Epic"] = [*required.get("default", []), *names]


def _field_id(state: State, ref: str, where: str) -> str:
    if ref in state.fields:
        return ref
    found = state.field_by_name(ref)
    if found is None:
        raise SeedError(f"{where}: unknown field {ref!r}")
    return found.id


def _add_webhooks(state: State, entries: list[dict[str, Any]]) -> None:
    for index, entry in enumerate(entries):
        where = f"webhooks[{index}]"
        webhook_id = state.next_id("webhook", 1)
        state.webhooks[webhook_id] = Webhook(
            id=webhook_id,
            name=str(entry.get("name", f"webhook-{webhook_id}")),
            url=str(_req(entry, "url", where)),
            events=[str(e) for e in entry.get("events", ["jira:issue_created"])],
            jql=entry.get("jql"),
            secret=entry.get("secret"),
            enabled=bool(entry.get("enabled", True)),
        )


def _base_catalogue(state: State) -> None:
    for type_id, name, desc, subtask, level in [
        ("10000", "Epic", "A big user story that needs to be broken down.", False, 1),
        ("10001", "Task", "A small, distinct piece of work.", False, 0),
        ("10002", "Bug", "A problem or error.", False, 0),
        ("10003", "Story", "Functionality or a feature expressed as a user goal.", False, 0),
        ("10004", "Incident", "An unplanned interruption or reduction in quality.", False, 0),
        ("10005", "Sub-task", "A small piece of work that's part of a larger task.", True, -1),
    ]:
        state.issue_types[type_id] = IssueType(type_id, name, desc, subtask, level)
    for prio_id, name in enumerate(["Highest", "High", "Medium", "Low", "Lowest"], start=1):
        state.priorities[str(prio_id)] = Priority(str(prio_id), name, f"{name.lower()}.svg")
    for res_id, name, desc in [
        ("10000", "Done", "Work has been completed on this issue."),
        ("10001", "Won't Fix", "This issue won't be actioned."),
        ("10002", "False Positive", "The reported problem is not a real problem."),
        ("10003", "Duplicate", "The problem is a duplicate of an existing issue."),
    ]:
        state.resolutions[res_id] = Resolution(res_id, name, desc)
    for link_id, name, inward, outward in [
        ("10000", "Blocks", "is blocked by", "blocks"),
        ("10001", "Cloners", "is cloned by", "clones"),
        ("10002", "Duplicate", "is duplicated by", "duplicates"),
        ("10003", "Relates", "relates to", "relates to"),
    ]:
        state.link_types[link_id] = LinkType(link_id, name, inward, outward)
    for field_id, name, schema in SYSTEM_FIELDS:
        state.fields[field_id] = FieldDef(
            id=field_id,
            name=name,
            kind="labels" if field_id == "labels" else "system",
            schema={**schema, "system": field_id},
            rich=field_id in ("description", "environment"),
        )
    for status in DEFAULT_WORKFLOW["statuses"]:
        state.statuses[status["id"]] = StatusDef(status["id"], status["name"], status["category"])


def build_state(flavor: str, base_url: str, seed: Mapping[str, Any] | None) -> State:
    """The default Jira, extended (issue types, custom fields, workflows, added projects,
    webhooks) or replaced (users, projects) by the sections of `seed`."""
    if flavor not in ("cloud", "datacenter"):
        raise SeedError(f"flavor: {flavor!r} is not one of cloud, datacenter")
    seed = seed or {}
    state = State(flavor=flavor, base_url=base_url.rstrip("/"))  # type: ignore[arg-type]
    _base_catalogue(state)
    _add_workflow(state, DEFAULT_WORKFLOW, 0)
    _add_users(state, list(seed.get("users") or DEFAULT_USERS))
    for entry in [*DEFAULT_CUSTOM_FIELDS, *DATACENTER_SOFTWARE_FIELDS]:
        _add_custom_field(state, entry, -1)
    for index, entry in enumerate(seed.get("issueTypes") or []):
        _add_issue_type(state, entry, index)
    for index, entry in enumerate(seed.get("customFields") or []):
        _add_custom_field(state, entry, index)
    for index, entry in enumerate(seed.get("workflows") or []):
        _add_workflow(state, entry, index)
    for index, entry in enumerate(seed.get("projects") or DEFAULT_PROJECTS):
        _add_project(state, entry, index)
    for index, entry in enumerate(seed.get("addProjects") or []):
        _add_project(state, entry, index, section="addProjects")
    _add_webhooks(state, list(seed.get("webhooks") or []))
    return state
