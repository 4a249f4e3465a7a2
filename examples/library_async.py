"""The async core, `Bridge`, for code that already runs an event loop.

    TICKETBRIDGE_OUTBOUND_ALLOW=127.0.0.1/32 JIRA_URL=http://127.0.0.1:8081 \
        python examples/library_async.py

(The emulator listens on loopback, which ticketbridge refuses to reach unless told to.)

Syncs a batch of alerts concurrently (one issue each, however often they repeat) and reads
them back with a search.
"""

from __future__ import annotations

import asyncio
import os

from ticketbridge.library import Bridge

JIRA_URL = os.environ.get("JIRA_URL", "http://127.0.0.1:8081")
JIRA_EMAIL = os.environ.get("JIRA_EMAIL", "admin@example.com")
JIRA_API_TOKEN = os.environ.get("JIRA_API_TOKEN", "emulator-token")


async def main() -> None:
    bridge = Bridge.connect(cloud_url=JIRA_URL, email=JIRA_EMAIL, api_token=JIRA_API_TOKEN)
    async with bridge:
        alerts = [
            {"id": f"drift-{n}", "title": f"Model drift on endpoint {n}", "severity": "high"}
            for n in range(3)
        ]
        issues = await asyncio.gather(
            *(bridge.sync_alert(alert, "AIGOV", "Task") for alert in alerts + alerts)
        )
        print("Issues:", sorted({issue.key for issue in issues if issue is not None}))
        for issue in await bridge.search('project = AIGOV AND summary ~ "drift"'):
            print(f"- {issue.key}: {issue.fields.summary} ({issue.fields.priority.name})")


if __name__ == "__main__":
    asyncio.run(main())
