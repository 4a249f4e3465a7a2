"""Jira connection (form and Test Connection), dead letters, alerts and tickets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ticketbridge.domain import AlertState, DecisionKind, JobState
from ticketbridge.errors import ConfigError, InputError, Problem
from ticketbridge.services.queries import PENDING, AlertFilter
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.web import Pages, field

_JIRA_FIELDS = ("flavor", "url", "auth_type", "user", "secret", "project_key")
_PAGE = 50


def _alert_filter(source: str, state: str, decision: str) -> tuple[AlertFilter, list[Problem]]:
    problems: list[Problem] = []
    parsed_state: AlertState | None = None
    parsed_decision: Any = None
    if state:
        try:
            parsed_state = AlertState(state)
        except ValueError:
            problems.append(Problem("state", f"unknown state {state[:40]!r}"))
    if decision == PENDING:
        parsed_decision = PENDING
    elif decision:
        try:
            parsed_decision = DecisionKind(decision)
        except ValueError:
            problems.append(Problem("decision", f"unknown decision {decision[:40]!r}"))
    where = AlertFilter(source=source[:64] or None, state=parsed_state, decision=parsed_decision)
    return where, problems


def _job_ids(values: list[Any]) -> list[int]:
    return [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 19]


def operate_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    jira, outbox, accounts = container.ui_jira, container.outbox, container.accounts

    @router.get("/ui/jira", response_class=HTMLResponse)
    async def jira_page(request: Request, saved: str = "") -> Response:
        active = await pages.active(request)
        context = {"title": "Jira connection", "jira": jira.current(), "report": None}
        if saved:
            context["notice"] = "Saved. Running processes use it from their next Jira call."
        return pages.render(request, "jira.html", context, active=active)

    @router.post("/ui/jira", response_class=HTMLResponse)
    async def jira_save(request: Request) -> Response:
        active, form = await pages.writing(request)
        values = {name: field(form, name) for name in _JIRA_FIELDS}
        try:
            saved = jira.save(values)
        except (InputError, ConfigError) as error:
            shown = {**jira.current().__dict__, **values, "secret_hint": None}
            shown.pop("secret", None)  # never echoed back into the form
            context = {"title": "Jira connection", "jira": _Shown(shown), "report": None}
            context["problems"] = list(error.problems) or [Problem("connection", str(error))]
            return pages.render(request, "jira.html", context, status=422, active=active)
        detail = {k: v for k, v in values.items() if k != "secret"}
        detail["secret"] = "replaced" if values["secret"] else "kept"
        await accounts.record(active.user.username, "jira.connection.save", saved.url, detail)
        return RedirectResponse("/ui/jira?saved=1", status_code=303)

    @router.post("/ui/jira/test", response_class=HTMLResponse)
    async def jira_test(request: Request) -> Response:
        active, _ = await pages.writing(request, admin=False)
        report = await jira.test()
        context = {"title": "Jira connection", "jira": jira.current(), "report": report}
        return pages.render(request, "jira.html", context, active=active)

    @router.get("/ui/dead-letters", response_class=HTMLResponse)
    async def dead_letters(
        request: Request, cursor: str | None = None, notice: str = ""
    ) -> Response:
        active = await pages.active(request)
        page = await outbox.page(state=JobState.DEAD, limit=_PAGE, cursor=cursor)
        context = {
            "title": "Dead letters",
            "jobs": page.items,
            "next_cursor": page.next_cursor,
            "notice": notice[:200],
        }
        return pages.render(request, "dead_letters.html", context, active=active)

    async def retry(request: Request, ids: list[int], who: str) -> Response:
        retried = [job.id for job_id in ids if (job := await outbox.retry(job_id))]
        await accounts.record(who, "outbox.retry", "dead letters", {"jobs": retried})
        notice = f"{len(retried)} job(s) queued again" if retried else "nothing to retry"
        return RedirectResponse(f"/ui/dead-letters?{urlencode({'notice': notice})}", 303)

    @router.post("/ui/dead-letters/retry")
    async def retry_selected(request: Request) -> Response:
        active, form = await pages.writing(request)
        return await retry(request, _job_ids(form.getlist("job")), active.user.username)

    @router.post("/ui/dead-letters/retry-all")
    async def retry_all(request: Request) -> Response:
        active, _ = await pages.writing(request)
        page = await outbox.page(state=JobState.DEAD, limit=_PAGE)
        return await retry(request, [job.id for job in page.items], active.user.username)

    @router.post("/ui/dead-letters/{job_id}/drop")
    async def drop(request: Request, job_id: int) -> Response:
        active, _ = await pages.writing(request)
        dropped = await outbox.drop(job_id)
        who = active.user.username
        await accounts.record(who, "outbox.drop", f"job {job_id}", {"found": bool(dropped)})
        notice = f"job {job_id} dropped" if dropped else f"no dead job {job_id}"
        return RedirectResponse(f"/ui/dead-letters?{urlencode({'notice': notice})}", 303)

    @router.get("/ui/alerts", response_class=HTMLResponse)
    async def alerts(
        request: Request,
        source: str = "",
        state: str = "",
        decision: str = "",
        cursor: str | None = None,
    ) -> Response:
        active = await pages.active(request)
        where, problems = _alert_filter(source, state, decision)
        try:
            page = await container.alerts.page(limit=_PAGE, cursor=cursor, where=where)
        except InputError as error:  # a cursor that is not ours
            problems += error.problems
            page = await container.alerts.page(limit=_PAGE, where=where)
        query = {"source": source, "state": state, "decision": decision}
        context = {
            "title": "Alerts",
            "alerts": page.items,
            "where": where,
            "states": [s.value for s in AlertState],
            "decisions": [PENDING, *(d.value for d in DecisionKind)],
            "next_cursor": page.next_cursor,
            "next_query": urlencode({**query, "cursor": page.next_cursor or ""}),
            "problems": problems,
            "problems_title": "Filter ignored:",
        }
        return pages.render(request, "alerts.html", context, active=active)

    @router.get("/ui/tickets", response_class=HTMLResponse)
    async def tickets(request: Request, cursor: str | None = None) -> Response:
        active = await pages.active(request)
        try:
            page = await container.alerts.ticket_page(limit=_PAGE, cursor=cursor)
        except InputError:
            page = await container.alerts.ticket_page(limit=_PAGE)
        context = {"title": "Tickets", "tickets": page.items, "next_cursor": page.next_cursor}
        return pages.render(request, "tickets.html", context, active=active)

    return router


class _Shown:
    """The form as typed, shown again after a refusal (attribute access for the template)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
