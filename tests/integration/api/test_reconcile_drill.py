"""Drill: Jira stops delivering webhooks while 100 issues change; the next automatic reconcile
repairs every alert, in a handful of Jira requests (DefectDojo's way costs one GET per ticket).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from api_harness import open_api
from sync_harness import SECRET, alert_state

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.bootstrap.jira_webhooks import WebhookPlan, register_plan
from ticketbridge.config.schema import Config
from ticketbridge.workers.reconciling import ReconcileLoop

ISSUES = 100
HOOK = "http://tb.test/v1/jira/webhook"


def _config() -> Config:
    jira = {
        "url": "http://jira.test",
        "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
        "webhook": {"secret": SECRET},
    }
    return Config.model_validate({"jira": jira})


async def _runs(loop: ReconcileLoop, count: int) -> None:
    for _ in range(10_000):  # the loop's runs are events; this only bounds a broken loop
        if loop.runs >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"reconcile ran {loop.runs} times, not {count}")


async def test_a_delivery_outage_is_repaired_by_the_next_automatic_reconcile(
    tmp_path: Path,
) -> None:
    emu = Emulator("cloud")
    async with open_api(tmp_path, _config(), workers=1, transport=emu.transport()) as api:
        app = bootstrap.build_app(api.container)
        emu.webhooks.transport = httpx.ASGITransport(app=app)
        emu.webhooks.backoff = 0.0
        jira = api.container.config.jira
        assert jira is not None
        plan = WebhookPlan(HOOK, SECRET, 'project in ("OPS")')
        registered = await register_plan(api.container.settings, jira, plan, emu.transport())
        assert registered.outcome == "registered"
        alerts = [
            {
                "source": "generic",
                "id": f"a-{n}",
                "title": f"t{n}",
                "severity": "high",
                "fingerprint": f"f{n}",
            }
            for n in range(ISSUES)
        ]
        answer = await api.client.post("/v1/alerts", json=alerts, headers=api.auth("ingest"))
        assert answer.status_code == 202, answer.text
        await api.drain()
        await emu.drain_webhooks()
        assert {d.status for d in emu.deliveries} == {200}  # the webhook works
        await api.container.sync.applier.apply_all()

        loop = api.container.reconcile_loop
        assert loop is not None
        stop = asyncio.Event()
        running = asyncio.create_task(loop.run_forever(stop))
        await _runs(loop, 1)  # the run at start

        emu.webhooks.switch.drop = 1.0  # Jira stops delivering
        keys = sorted(i.key for i in emu.state.issues.values())
        async with emu.client(auth=("alice@example.com", "alice-token")) as person:
            for n, key in enumerate(keys):
                move = {"transition": {"id": "11"}}
                if n % 2:
                    move = {
                        "transition": {"id": "31"},
                        "fields": {"resolution": {"name": "False Positive"}},
                    }
                answer = await person.post(f"/rest/api/3/issue/{key}/transitions", json=move)
                assert answer.status_code == 204, answer.text
        await emu.drain_webhooks()
        assert len(emu.webhooks.dropped) == ISSUES
        assert await alert_state(api, "a-1") == "ticketed"  # nothing told us

        emu.requests.clear()
        loop.wake()  # the next tick, without waiting five minutes
        await _runs(loop, 2)
        stop.set()
        await running

        wanted = {key: "false_positive" if n % 2 else "in_progress" for n, key in enumerate(keys)}
        found = {}
        for n in range(ISSUES):
            view = await api.client.get(f"/v1/alerts/a-{n}", headers=api.auth("read"))
            found[view.json()["ticket"]["key"]] = view.json()["state"]
        assert found == wanted  # every alert repaired
        sent = sorted(r.route for r in emu.requests)
        assert sent == [
            "GET /rest/api/3/serverInfo",
            "POST /rest/api/3/changelog/bulkfetch",
            "POST /rest/api/3/issue/bulkfetch",
            "POST /rest/api/3/search/jql",
        ]  # 100 issues repaired in 4 requests; one GET each would be 100
