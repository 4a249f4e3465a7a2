"""What the admin UI's pickers offer, read from Jira over the connection in effect: projects,
the chosen project's issue types and components, priorities, statuses, resolutions, the labels
in use (Cloud lists them; Data Center has no such list: labels are typed there), the custom
fields by name (a mapping keeps the id), and users assignable in the project (searched as
typed). A user is kept by the id Jira references (accountId on Cloud, username on Data
Center) and shown by display name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ticketbridge.errors import JiraError
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.ui.ports import JiraUser, Metadata

_MAX_LABELS = 1000  # one page of `/label`: suggestions, not a catalogue
_MAX_USERS = 20  # assignees named by their display name (one read each)


async def read_metadata(provider: JiraProvider, project: str, users: Sequence[str]) -> Metadata:
    try:
        projects = [(p.key, p.name) for p in await provider.projects()]
        chosen = project in {key for key, _ in projects}
        types = await provider.issue_types(project) if chosen else ()
        priorities = [p.name for p in await provider.priorities()]
        statuses = [(s.id, s.name, str(s.category)) for s in await provider.statuses()]
        resolutions = _names(await provider.client.resolutions())
        components = _names(await provider.client.project_components(project)) if chosen else []
        labels = await _labels(provider)
        custom = sorted((f.name, f.id) for f in await provider.fields() if f.custom)
    except JiraError as error:
        return Metadata(error=f"Jira's metadata could not be read ({error.status or 'no answer'})")
    names = [t.name for t in types if not t.subtask]
    people = {user_id: await _display_name(provider, user_id) for user_id in users[:_MAX_USERS]}
    return Metadata(
        projects,
        names,
        priorities,
        statuses,
        resolutions,
        components=components,
        labels=labels,
        people=people,
        fields=[(field_id, name) for name, field_id in custom],
    )


async def assignable_users(provider: JiraProvider, project: str, query: str) -> list[JiraUser]:
    params = provider.dialect.assignable_params(project, query)
    found = await provider.client.assignable_users(params)
    users = (provider.dialect.user_from(u) for u in found if isinstance(u, dict))
    picked = [(provider.dialect.user_id(u), u) for u in users if u is not None and u.active]
    return [JiraUser(i, u.display_name or i) for i, u in picked if i]


async def _display_name(provider: JiraProvider, user_id: str) -> str:
    """Who `user_id` is; an id Jira does not know is shown as it is."""
    try:
        found = provider.dialect.user_from(
            await provider.client.user(provider.dialect.user_params(user_id))
        )
    except JiraError:
        found = None
    return found.display_name if found and found.display_name else user_id


async def _labels(provider: JiraProvider) -> list[str]:
    if provider.capabilities.flavor != "cloud":
        return []
    page = await provider.client.labels_page(0, _MAX_LABELS)
    return [str(v) for v in page.get("values") or ()] if isinstance(page, dict) else []


def _names(listed: Any) -> list[str]:
    return [str(x["name"]) for x in listed or () if isinstance(x, dict) and "name" in x]
