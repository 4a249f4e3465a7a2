"""`ticketbridge send FILE|-`: post alerts to a running ticketbridge over HTTP.

Why HTTP and not the services directly: the server is the one place that validates, commits and
answers 202, so `send` exercises exactly the path a real source uses; it needs no database
credentials, works against a remote instance, and the server's in-process workers pick the
alerts up at once. Input: one JSON object, a JSON list, or JSON Lines; sent in batches (≤ 1,000)
with a progress bar when there are many.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.progress import Progress

from ticketbridge.cli.common import Exit, JsonOption, console, fail, print_json, translate_errors
from ticketbridge.errors import InputError, Problem

DEFAULT_URL = "http://127.0.0.1:8080"


def load_alerts(text: str) -> list[dict[str, Any]]:
    """A JSON object, a JSON list of objects, or JSON Lines; InputError names the bad line."""
    stripped = text.strip()
    if not stripped:
        raise InputError("no alerts", [Problem("input", "the input is empty")])
    try:
        data = json.loads(stripped)
    except ValueError:
        data = list(_json_lines(stripped))
    items = data if isinstance(data, list) else [data]
    problems = [
        Problem(f"[{i}]", "expected an alert object")
        for i, item in enumerate(items)
        if not isinstance(item, dict)
    ]
    if problems:
        raise InputError("bad input", problems)
    return items


def _json_lines(text: str) -> Iterator[Any]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise InputError(
                "not JSON or JSON Lines", [Problem(f"line {number}", str(exc))]
            ) from exc


@translate_errors
def send(
    file: Annotated[str, typer.Argument(help="A JSON or JSONL file of alerts, or - for stdin.")],
    url: Annotated[
        str, typer.Option(envvar="TICKETBRIDGE_URL", help="Base URL of ticketbridge serve.")
    ] = DEFAULT_URL,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="TICKETBRIDGE_API_KEY", help="An API key with the ingest scope."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Alerts per request.")] = 500,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait", help="Answer with each alert's decision (?wait=true) or at once."
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Send alerts to a running ticketbridge (POST /v1/alerts)."""
    text = sys.stdin.read() if file == "-" else _read(Path(file))
    alerts = load_alerts(text)
    if not api_key:
        fail("an API key is needed: --api-key or TICKETBRIDGE_API_KEY", Exit.USAGE)
    results = _post_all(alerts, url.rstrip("/"), api_key, batch, show=not as_json, wait=wait)
    if as_json:
        print_json({"results": results})
        return
    new = sum(1 for r in results if not r.get("duplicate"))
    console.print(f"[green]✓[/green] {len(results)} alert(s) accepted ({new} new)")
    if not wait:
        console.print("decisions follow: `ticketbridge explain ALERT_ID`", style="dim")
    if len(results) <= 20:
        for r in results:
            console.print(f"  {r['id']}  {r['state']:<10} {r.get('decision') or ''}")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", Exit.USAGE)


def _post_all(
    alerts: list[dict[str, Any]], url: str, api_key: str, batch: int, *, show: bool, wait: bool
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {api_key}"}
    params = {"wait": "true"} if wait else {}
    with (
        httpx.Client(base_url=url, headers=headers, params=params, timeout=30.0) as client,
        Progress(console=console, disable=not show or len(alerts) <= batch) as progress,
    ):
        task = progress.add_task("sending", total=len(alerts))
        for start in range(0, len(alerts), batch):
            chunk = alerts[start : start + batch]
            results.extend(_post(client, chunk, offset=start))
            progress.advance(task, len(chunk))
    return results


def _post(client: httpx.Client, chunk: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    try:
        response = client.post("/v1/alerts", json=chunk)
    except httpx.TransportError as exc:
        fail(f"cannot reach ticketbridge at {client.base_url} ({exc!r}); is `serve` running?")
    body: dict[str, Any] = _body(response)
    if response.status_code != 202:
        _refused(response, body, offset)
    results: list[dict[str, Any]] = body["results"]
    for r in results:
        r["index"] = r.get("index", 0) + offset
    return results


def _refused(response: httpx.Response, body: dict[str, Any], offset: int) -> NoReturn:
    problems = [
        Problem(_shift(p.get("path", ""), offset), p.get("message", ""))
        for p in body.get("problems", [])
    ]
    message = body.get("message") or response.text[:200]
    if response.status_code == 422 or (response.status_code == 403 and problems):
        raise InputError(f"the server refused the alerts: {message}", problems)
    code = Exit.USAGE if response.status_code in (401, 403) else Exit.FAILED
    fail(f"HTTP {response.status_code}: {message}", code)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _shift(path: str, offset: int) -> str:
    """The server numbers items within one batch; renumber within the whole input."""
    if path.startswith("[") and "]" in path:
        index, rest = path[1:].split("]", 1)
        if index.isdigit():
            return f"[{int(index) + offset}]{rest}"
    return path
