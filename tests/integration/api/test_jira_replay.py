"""Replay table: every real delivery in ../shared/realworld/webhooks (Cloud and Server shapes,
string timestamps, lower-case headers) sent signed to POST /v1/jira/webhook → stored, applied
with its outcome, and the alert's state after. Each issue but one (26313: not ours) has a
ticketed alert beforehand."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_harness import open_api
from sync_harness import SECRET, alert_state, deliveries, linked_ticket, post_delivery

from support.realworld import REALWORLD
from ticketbridge.config.schema import Config

JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
    "webhook": {"secret": SECRET},
}
# The issues the deliveries are about (id, key); 26313 is left unknown.
OURS = {
    "2": "ISEC-277",
    "11961": "INDEV-28",
    "30369": "BBCOM-1398",
    "19435": "INDEV-242",
    "11442": "INDEV-6",
    "10977": "TASK-23",
    "10105": "SQUAD-10",
    "10021": "KAN-22",
}
# file → (outcome, the alert's state after; None: no alert of ours)
REPLAY: dict[str, tuple[str, str | None]] = {
    "defectdojo-comment_created.json": ("unchanged", "ticketed"),
    "defectdojo-comment_created_with_email.json": ("unchanged", "ticketed"),
    # "Closed" in the new category, resolution Cancelled: neither name nor resolution decide
    "defectdojo-issue_updated_issue_commented.json": ("applied", "ticketed"),
    "jira-to-matrix-comment_created.json": ("unknown_issue", None),
    "jira-to-matrix-comment_deleted.json": ("unchanged", "ticketed"),
    "jira-to-matrix-comment_updated.json": ("unchanged", "ticketed"),
    "jira-to-matrix-issue_created.json": ("applied", "ticketed"),
    "jira-to-matrix-issue_updated_issue_assigned.json": ("applied", "ticketed"),
    "jira-to-matrix-issue_updated_status_changed.json": ("applied", "in_progress"),
    "osbot-jira-cloud-issue_deleted.json": ("applied", "ticket_deleted"),
    "osbot-jira-cloud-issue_updated.json": ("applied", "in_progress"),
    "skill-sync-jira-cloud-issue_created.json": ("applied", "ticketed"),
    "skill-sync-jira-cloud-issue_updated.json": ("applied", "ticketed"),
}


def test_the_table_covers_every_real_delivery() -> None:
    assert {p.name for p in (REALWORLD / "webhooks").glob("*.json")} == set(REPLAY)


@pytest.mark.parametrize("name", sorted(REPLAY))
async def test_a_real_delivery_is_stored_and_applied(tmp_path: Path, name: str) -> None:
    outcome, state = REPLAY[name]
    raw = (REALWORLD / "webhooks" / name).read_bytes()  # the bytes as they are: raw body
    async with open_api(tmp_path, Config.model_validate({"jira": JIRA})) as api:
        alerts = {
            key: await linked_ticket(api, n, key, issue)
            for n, (issue, key) in enumerate(OURS.items(), start=1)
        }
        await post_delivery(api, raw, f"replay-{name}")
        await api.container.sync.applier.apply_all()
        [logged] = await deliveries(api)
        assert (logged["identifier"], logged["applied"], logged["outcome"]) == (
            f"replay-{name}",
            True,
            outcome,
        )
        touched = logged["issue_key"] or next(
            (key for issue, key in OURS.items() if f"/issue/{issue}/" in raw.decode()), None
        )
        if state is None:
            assert logged["ticket_id"] is None
            return
        assert touched in alerts
        assert await alert_state(api, alerts[touched]) == state
