"""Drill: Jira stops delivering webhooks while 100 issues change; the next automatic reconcile
repairs every alert, in a handful of Jira requests (DefectDojo's way costs one GET per ticket).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from api_harness import open_api
from pipeline_harness import FakeClock
from sync_harness import SECRET, alert_state

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.bootstrap.jira_webhooks import WebhookPlan, register_plan
from ticketbridge.config.schema import Config
from ticketbridge.services.periodic import ScheduleStatus

ISSUES = 100
HOOK = "http://tb.test/v1/jira/webhook"


def _config() -> Config:
    jira = {
        "url": "http://jira.test",
        "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
        "webhook": {"secret": SECRET},
    }
    return Config.model_validate({"jira": jira})


async def test_a_delivery_outage_is_repaired_by_the_next_automatic_reconcile(
    tmp_path: Path,
) -> None:
    emu, clock = Emulator("cloud"), FakeClock()
    config = _config()
    async with open_api(tmp_path, config, workers=1, transport=emu.transport(), clock=clock) as api:
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

        scheduler = api.container.scheduler
        assert scheduler is not None
        assert "reconcile" in await scheduler.run_due()  # the run at start

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
        clock.now += config.sync.reconcile_every  # the next period, without waiting five minutes
        assert "reconcile" in await scheduler.run_due()
        rows = {
            row.name: row
            for row in await ScheduleStatus(api.container.database.unit_of_work).rows()
        }
        assert rows["reconcile"].last_outcome == (
            f"{ISSUES} changed, 0 deleted, 4 Jira requests; applied {ISSUES}"
        )

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
