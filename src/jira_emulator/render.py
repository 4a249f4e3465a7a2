"""JSON shapes of Jira resources, as the recorded real responses and deliveries show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from jira_emulator.defaults import CATEGORY_COLORS, CATEGORY_IDS, CATEGORY_NAMES
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
)
from jira_emulator.richtext import as_adf, as_text


def jira_time(moment: datetime | None) -> str | None:
    """Jira's timestamp format: `2025-07-25T21:06:34.639+0200`."""
    if moment is None:
        return None
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}"
        + (moment.strftime("%z") or "+0000")
    )


class Renderer:
    """Renders resources for one REST version (`"2"` or `"3"`) of one emulated site."""

    def __init__(self, state: State, api: str) -> None:
        self.state = state
        self.api = api
        self.root = f"{state.base_url}/rest/api/{api}"

    @property
    def cloud(self) -> bool:
        return self.state.flavor == "cloud"

    def rich(self, value: Any) -> Any:
        return as_adf(value) if self.api == "3" else as_text(value)

    def avatars(self, kind: str, ident: str) -> dict[str, str]:
        base = f"{self.state.base_url}/secure/{kind}avatar?ownerId={quote(ident)}"
        return {size: f"{base}&size={size}" for size in ("48x48", "24x24", "16x16", "32x32")}

    # -- people ------------------------------------------------------------------------------
    def user(self, user: User | None, *, email: bool = True) -> dict[str, Any] | None:
        if user is None:
            return None
        if self.cloud:
            body: dict[str, Any] = {
                "self": f"{self.root}/user?accountId={quote(user.account_id)}",
                "accountId": user.account_id,
            }
        else:
            body = {
                "self": f"{self.root}/user?username={quote(user.name)}",
                "name": user.name,
                "key": user.name,
            }
        if email:
            body["emailAddress"] = user.email
        body |= {
            "avatarUrls": self.avatars("user", user.name),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
        }
        if self.cloud:
            body["accountType"] = "atlassian"
        return body

    def user_by_name(self, name: str | None) -> dict[str, Any] | None:
        return self.user(self.state.users.get(name)) if name else None

    # -- catalogue ---------------------------------------------------------------------------
    def status_category(self, key: str) -> dict[str, Any]:
        return {
            "self": f"{self.root}/statuscategory/{CATEGORY_IDS[key]}",
            "id": CATEGORY_IDS[key],
            "key": key,
            "colorName": CATEGORY_COLORS[key],
            "name": CATEGORY_NAMES[key],
        }

    def status(self, status: StatusDef) -> dict[str, Any]:
        return {
            "self": f"{self.root}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.state.base_url}/",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.status_category(status.category),
        }

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        return {
            "self": f"{self.root}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.state.base_url}/images/icons/issuetypes/{issue_type.id}.svg",
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "avatarId": 10318,
            "hierarchyLevel": issue_type.hierarchy_level,
        }

    def priority(self, priority: Priority) -> dict[str, Any]:
        return {
            "self": f"{self.root}/priority/{priority.id}",
            "iconUrl": f"{self.state.base_url}/images/icons/priorities/{priority.icon}",
            "name": priority.name,
            "id": priority.id,
        }

    def resolution(self, resolution: Resolution) -> dict[str, Any]:
        return {
            "self": f"{self.root}/resolution/{resolution.id}",
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def project(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self.root}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "avatarUrls": self.avatars("project", project.key),
            "projectTypeKey": project.project_type,
            "simplified": False,
        }
        if full:
            body |= {
                "description": "",
                "lead": self.user_by_name(project.lead),
                "components": [
                    {"id": str(10000 + i), "name": name}
                    for i, name in enumerate(project.components)
                ],
                "issueTypes": [
                    self.issue_type(self.state.issue_types[t]) for t in project.issue_types
                ],
                "assigneeType": "UNASSIGNED",
                "versions": [],
                "roles": {},
            }
        return body

    def component(self, project: Project, index: int, name: str) -> dict[str, Any]:
        """A ProjectComponent as Atlassian's reference shows it, without lead or assignee."""
        component_id = str(10000 + index)
        return {
            "self": f"{self.root}/component/{component_id}",
            "id": component_id,
            "name": name,
            "description": "",
            "assigneeType": "PROJECT_DEFAULT",
            "realAssigneeType": "PROJECT_DEFAULT",
            "isAssigneeTypeValid": False,
            "project": project.key,
            "projectId": int(project.id),
        }

    def project_ref(self, project: Project) -> dict[str, Any]:
        body = self.project(project)
        body.pop("expand")
        return body

    def field(self, field: FieldDef) -> dict[str, Any]:
        # as recorded: custom fields are searched as cf[N] or by name, system ones by id
        clause = [f"cf[{field.schema['customId']}]", field.name] if field.custom else [field.id]
        body: dict[str, Any] = {
            "id": field.id,
            "key": field.id,
            "name": field.name,
            "custom": field.custom,
            "orderable": field.id not in ("status", "created", "updated", "creator"),
            "navigable": True,
            "searchable": True,
            "clauseNames": clause,
            "schema": field.schema,
        }
        if field.custom:
            body["untranslatedName"] = field.name
        return body

    def option(self, field: FieldDef, option: tuple[str, str]) -> dict[str, Any]:
        return {
            "self": f"{self.root}/customFieldOption/{option[0]}",
            "value": option[1],
            "id": option[0],
        }

    def link_type(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": f"{self.root}/issueLinkType/{link_type.id}",
        }

    def transition(self, transition: TransitionDef, *, fields: bool) -> dict[str, Any]:
        target = self.state.status_by_name(transition.to)
        assert target is not None
        body: dict[str, Any] = {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(target),
            "hasScreen": target.category == "done",
            "isGlobal": not transition.sources,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        if fields:
            body["fields"] = {}
            if target.category == "done":
                body["fields"]["resolution"] = {
                    "required": False,
                    "schema": {"type": "resolution", "system": "resolution"},
                    "name": "Resolution",
                    "key": "resolution",
                    "hasDefaultValue": True,
                    "operations": ["set"],
                    "allowedValues": [self.resolution(r) for r in self.state.resolutions.values()],
                }
        return body
