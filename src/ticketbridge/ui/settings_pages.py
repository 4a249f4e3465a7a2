"""Defaults and mappings: the default project, issue type, assignee (searched among the
users Jira lets be assigned in the project, as typed), labels (those in use suggested, new
ones typed: Jira keeps no label catalogue), the project's components, custom fields picked
by name (kept by id) with a value each, the priority and the SLA budget (due date) of each
severity, and two-way sync's mappings (a Jira status by id, a resolution by name → the
alerts' state), picked from what Jira lists (projects, the project's issue types and
components, users, fields, priorities, statuses, resolutions) or from a list of budgets,
never typed. A value set in ticketbridge.yaml is shown read-only with its origin; a save is
checked whole by the config loader and applies from the next alert (and Jira delivery),
without a restart."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ticketbridge.domain.states import JIRA_OUTCOMES
from ticketbridge.errors import ConfigError, InputError
from ticketbridge.services.stored_settings import Setting, severities
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.team_forms import indexed_picker, team_rows, teams_from
from ticketbridge.ui.web import Pages, field

OUTCOMES = sorted(state.value for state in JIRA_OUTCOMES)
# The SLA budgets offered (`defaults.due`, the config loader's duration form); a stored or
# configured value not among them is offered as well.
DUE_CHOICES = ("4h", "8h", "1d", "3d", "7d", "14d", "30d", "90d")
MAX_LISTED = 50  # labels, components or fields a form may set
TEMPLATE_LIMIT = 4096  # a field's value: a template over the alert
_RULE_KEYS = ("name", "when", "assignee")  # of an assignment rule (`assignments:`)
# The user pickers: the search box's parameter → the radio buttons' name and container id.
USER_PICKERS = {
    "assignee_query": ("assignee", "assignee-results", "radio"),
    "rule_query": ("rule_new_assignee", "rule-assignee-results", "radio"),
    "team_query": ("team_new_members", "team-member-results", "checkbox"),
}
TURNS = ("12h", "1d", "7d", "14d")  # a rotation's turn lengths offered
MAX_SEARCHES = 3  # user searches one press of Find (no JavaScript) makes in Jira


def _chosen(form: FormData, shown: dict[str, Setting]) -> dict[str, Any]:
    """The form's values for the settings that are not read-only."""
    values: dict[str, Any] = {}
    for name in ("project", "issue_type"):
        value = field(form, name, 255)
        if value and not shown[name].read_only:
            values[name] = value
    if not shown["priority"].read_only:
        priority = {s: field(form, f"priority.{s}", 255) for s in severities()}
        values["priority"] = {s: name for s, name in priority.items() if name}
    if not shown["due"].read_only:
        due = {s: field(form, f"due.{s}", 20) for s in severities()}
        values["due"] = {s: budget for s, budget in due.items() if budget}
    values |= _assigned_and_set(form, shown)
    for setting, prefix in (("sync.status_ids", "status."), ("sync.resolutions", "resolution.")):
        # Only a form that listed Jira's statuses (resolutions) replaces the mapping: one
        # saved while Jira could not be read must not wipe it.
        listed = field(form, f"listed.{prefix.rstrip('.')}", 1) == "1"
        if listed and not shown[setting].read_only:
            values[setting] = _picked(form, prefix)
    return values


def _assigned_and_set(form: FormData, shown: dict[str, Setting]) -> dict[str, Any]:
    """The assignee, labels, components, fields and assignment rules the form changes. Like
    the mappings, only a form that listed a kind (`listed.<kind>`) replaces it."""
    values: dict[str, Any] = {}
    # The id Jira references (accountId / username), as the user picker listed it; blank:
    # nobody (the issue is left unassigned unless a route or an assignment rule names someone).
    if "assignee" in form:
        _changed(values, shown["assignee"], field(form, "assignee", 255) or None)
    if field(form, "listed.labels", 1) == "1":  # Jira's labels hold no spaces: they separate
        given = [*_many(form, "labels"), field(form, "labels_new", 4096)]
        words = [w for text in given for w in re.split(r"[\s,]+", text)]
        _changed(values, shown["labels"], _unique(words))
    if field(form, "listed.components", 1) == "1":
        _changed(values, shown["components"], _unique(_many(form, "components")))
    if field(form, "listed.fields", 1) == "1":
        _changed(values, shown["fields"], _fields(form))
    if field(form, "listed.assignments", 1) == "1":
        _changed(values, shown["assignments"], _rules(form))
    if field(form, "listed.teams", 1) == "1":
        _changed(values, shown["teams"], teams_from(form, shown["teams"].value or {}))
    return values


def _changed(values: dict[str, Any], setting: Setting, value: Any) -> None:
    """Save `value` unless it is what is in effect (nothing to record) or read-only."""
    if value != setting.value and not setting.read_only:
        values[setting.name] = value


def _many(form: FormData, name: str) -> list[str]:
    return _many_of(form.getlist(name))


def _many_of(values: list[Any]) -> list[str]:
    return [v[:255] for v in values if isinstance(v, str)]


def _unique(names: list[str]) -> list[str]:
    """In order, blanks and repeats left out, at most MAX_LISTED."""
    return list(dict.fromkeys(n for n in names if n))[:MAX_LISTED]


def _fields(form: FormData) -> dict[str, str]:
    """`field.<id>` → its value (a template over the alert; blank: no longer set), and the
    field picked by name (`field_new`, its id) with `field_new_value`."""
    mapped = _picked(form, "field.", limit=TEMPLATE_LIMIT)
    added, value = field(form, "field_new", 255), field(form, "field_new_value", TEMPLATE_LIMIT)
    if added and value:
        mapped[added] = value
    return dict(list(mapped.items())[:MAX_LISTED])


def _rules(form: FormData) -> list[dict[str, str]]:
    """The assignment rules in order (`rule.<n>.when|name|assignee`, `rule.<n>.drop` to
    remove one), then the one added (`rule_new_*`, its assignee picked from Jira's users).
    A rule half filled in is kept, so the config loader names what it lacks."""
    rows = [
        {key: field(form, f"rule.{n}.{key}", TEMPLATE_LIMIT) for key in _RULE_KEYS}
        for n in range(MAX_LISTED)
        if f"rule.{n}.when" in form and field(form, f"rule.{n}.drop", 1) != "1"
    ]
    rows.append({key: field(form, f"rule_new_{key}", TEMPLATE_LIMIT) for key in _RULE_KEYS})
    rules = [{k: v for k, v in row.items() if v} for row in rows]
    return [rule for rule in rules if rule][:MAX_LISTED]


def _users_named(shown: dict[str, Setting]) -> list[str]:
    """The assignees and team members in use that are Jira users (not teams): to show by
    display name."""
    rules, teams = shown["assignments"].value or [], shown["teams"].value or {}
    named = [shown["assignee"].value, *(r.get("assignee") for r in rules if isinstance(r, dict))]
    for row in team_rows(teams):
        named += [*row.members, *(shift.user for shift in row.shifts or ())]
    return [n for n in dict.fromkeys(named) if isinstance(n, str) and n and n not in teams]


def _picker(asked: str) -> tuple[str, str, str] | None:
    """The input a user picker's search box (`asked`) fills: its name, the container of its
    choices, radio or checkbox; None when `asked` is no search box."""
    return USER_PICKERS.get(asked) or indexed_picker(asked)


def _picked(form: FormData, prefix: str, limit: int = 40) -> dict[str, str]:
    """`<prefix><Jira's id or name>` → an outcome; blank: not mapped (the default applies).
    The config loader refuses what Jira's lists did not offer (a status id not numeric, an
    outcome not among OUTCOMES)."""
    picked: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith(prefix) and isinstance(value, str) and value:
            picked[name.removeprefix(prefix)[:255]] = value[:limit]
    return picked


def settings_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    defaults, jira = container.defaults, container.ui_jira

    async def context(project: str = "", **extra: Any) -> dict[str, Any]:
        shown = {s.name: s for s in await defaults.settings()}
        chosen = project or str(shown["project"].value or "")
        metadata = await jira.metadata(chosen, _users_named(shown))
        return {
            "title": "Defaults and mappings",
            "settings": shown,
            "chosen_project": chosen,
            "metadata": metadata,
            "severities": severities(),
            "outcomes": OUTCOMES,
            "due_choices": DUE_CHOICES,
            "teams": list(shown["teams"].value or {}),
            "team_rows": team_rows(shown["teams"].value or {}),
            "turns": TURNS,
            **extra,
        }

    @router.get("/ui/defaults", response_class=HTMLResponse)
    async def page(request: Request, project: str = "", saved: str = "") -> Response:
        active = await pages.active(request)
        notice = "Saved: the next alert is routed with these values." if saved else None
        values = await context(project[:255], notice=notice)
        return pages.render(request, "defaults.html", values, active=active)

    @router.get("/ui/defaults/users", response_class=HTMLResponse)
    async def users(request: Request, project: str = "") -> Response:
        """A user picker's choices as typed (htmx swaps them into the form): the default
        assignee's (`assignee_query`), the new assignment rule's or team's (`rule_query`,
        `team_query`), or those of a rule or team already made (`rule.<n>.query`,
        `team.<n>.query`, `team.<n>.shift_query`)."""
        active = await pages.active(request)
        asked = next((p for p in request.query_params if _picker(p)), "assignee_query")
        name, results, kind = _picker(asked) or USER_PICKERS["assignee_query"]
        query = request.query_params.get(asked, "").strip()[:100]
        found = await jira.users(project[:255], query)
        values = {"project": project[:255], "query": query, "users": found}
        values |= {"pick": name, "results": results, "kind": kind, "kept": []}
        if kind == "checkbox":  # the members ticked before this search stay ticked
            values["kept"] = _unique(_many_of(request.query_params.getlist(name)))
        return pages.render(request, "user_results.html", values, active=active)

    @router.post("/ui/defaults/check-rule", response_class=HTMLResponse)
    async def check_rule(request: Request) -> Response:
        """A new assignment rule's condition checked as typed, as the Routes page checks a
        route's (the same compiler; nothing is saved)."""
        active, form = await pages.writing(request, admin=False)
        errors = container.previews.check_condition(field(form, "rule_new_when", 10_000))
        return pages.render(request, "cel_result.html", {"cel_errors": errors}, active=active)

    async def searched(form: FormData, project: str) -> dict[str, dict[str, Any]]:
        """Without JavaScript, Find (`find`) searches Jira's users for each search box typed
        in: the choices by container id, for the page to list in place."""
        typed = [n for n in dict.fromkeys(form) if _picker(n) and field(form, n, 100).strip()]
        found: dict[str, dict[str, Any]] = {}
        for asked in typed[:MAX_SEARCHES]:
            query = field(form, asked, 100).strip()
            _, results, _ = _picker(asked) or USER_PICKERS["assignee_query"]
            found[results] = {"query": query, "users": await jira.users(project, query)}
        return found

    @router.post("/ui/defaults", response_class=HTMLResponse)
    async def save(request: Request) -> Response:
        """Save; or, for Find with a search box typed in (no JavaScript), the page again with
        the users found listed to pick (nothing saved: Enter with none typed saves)."""
        active, form = await pages.writing(request)
        project = field(form, "project", 255)
        found = await searched(form, project) if "find" in form else {}
        if found:
            notice = "Users found are listed under each search: pick, then Save defaults."
            values = await context(project, found=found, notice=notice)
            return pages.render(request, "defaults.html", values, active=active)
        shown = {s.name: s for s in await defaults.settings()}
        try:
            await defaults.save(_chosen(form, shown), active.user.username)
        except (InputError, ConfigError) as error:
            values = await context(project, problems=error.problems)
            return pages.render(request, "defaults.html", values, status=422, active=active)
        return RedirectResponse("/ui/defaults?saved=1", status_code=303)

    return router
