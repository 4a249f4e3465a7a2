"""A real `ticketbridge serve`: with TICKETBRIDGE_METRICS_PORT, /metrics is served on that
port and not on the API's (issue 11 item 6); and a real browser renders /docs with every
request staying on the server (item 11: closed networks), showing the API's authorization."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from support.processes import BIN, clean_env, free_port, running
from support.requirements import find_binary, require


@dataclass(frozen=True)
class Served:
    api: str
    metrics: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("serve")
    api_port, metrics_port = free_port(), free_port()
    env = clean_env(
        {
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tb.db'}",
            "TICKETBRIDGE_DATA_DIR": str(workdir / "var"),
            "TICKETBRIDGE_WORKERS": "0",
            "TICKETBRIDGE_METRICS_PORT": str(metrics_port),
            "TICKETBRIDGE_LOG_LEVEL": "WARNING",
        }
    )
    api = f"http://127.0.0.1:{api_port}"
    with running(
        [str(BIN / "ticketbridge"), "serve", "--port", str(api_port)],
        ready_url=f"{api}/readyz",
        env=env,
        cwd=workdir,
        log=workdir / "serve.log",
    ):
        yield Served(api, f"http://127.0.0.1:{metrics_port}")


def test_metrics_are_on_their_own_port_only(served: Served) -> None:
    assert httpx.get(f"{served.api}/metrics", timeout=10).status_code == 404
    scraped = httpx.get(f"{served.metrics}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert "ticketbridge_outbox_jobs" in scraped.text
    assert httpx.get(f"{served.metrics}/v1/alerts", timeout=10).status_code == 404


@pytest.mark.browser
def test_a_browser_renders_docs_without_leaving_the_server(served: Served) -> None:
    chromium = find_binary("chromium", "/usr/bin/chromium*")
    require(chromium is not None, "Chromium")
    from playwright.sync_api import Route, sync_playwright

    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(served.api).netloc:
            route.continue_()
        else:  # what a closed network would drop
            elsewhere.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_server)
            page.goto(f"{served.api}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock").count()
            authorize = page.locator("button.authorize").count()
        finally:
            browser.close()
    assert elsewhere == []
    assert operations >= 10  # the API's routes, rendered by the local Swagger UI
    assert authorize == 1  # the declared security schemes
