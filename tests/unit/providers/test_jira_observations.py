"""The one parser of Jira's issue JSON and webhook deliveries, over every real delivery in
../shared/realworld/webhooks (Cloud and Server shapes, string timestamps, thin deliveries)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from support.realworld import REALWORLD, load_json
from ticketbridge.domain.observed import ObservedVia
from ticketbridge.errors import InputError
from ticketbridge.providers.jira.observations import (
    moment,
    observation_from_delivery,
    observation_from_issue,
)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# file → (issue id, key, updated (UTC), changelog id, status id, category, resolution,
#         assignee, priority, author, deleted, comment ids)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "defectdojo-comment_created.json": (
        "2",
        "",
        _utc("2020-11-11T18:55:21.425+01:00"),
        None,
        None,
        None,
        None,
        None,
        None,
        "valentijn",
        False,
        ("456843",),
    ),
    "defectdojo-comment_created_with_email.json": (
        "2",
        "",
        _utc("2020-11-11T18:55:21.425+01:00"),
        None,
        None,
        None,
        None,
        None,
        None,
        "valentijn",
        False,
        ("456843",),
    ),
    # "Closed" by name, but in the new category: the category decides, never the name.
    "defectdojo-issue_updated_issue_commented.json": (
        "2",
        "ISEC-277",
        _utc("2020-11-11T18:54:32.155+01:00"),
        None,
        "10022",
        "new",
        "Cancelled",
        "valentijn",
        "Trivial (Sev5)",
        "valentijn",
        False,
        ("456841", "456843"),
    ),
    "jira-to-matrix-comment_created.json": (
        "26313",
        "",
        _utc("2017-11-30T12:28:04.304+03:00"),
        None,
        None,
        None,
        None,
        None,
        None,
        "ii_ivanov",
        False,
        ("31039",),
    ),
    "jira-to-matrix-comment_deleted.json": (
        "11961",
        "INDEV-28",
        _utc("2018-12-20T15:41:13.803+03:00"),
        None,
        None,
        None,
        None,
        None,
        None,
        "5b912e21fa38ae2c896099ae",
        False,
        ("10757",),
    ),
    "jira-to-matrix-comment_updated.json": (
        "11961",
        "INDEV-28",
        _utc("2018-12-20T15:41:13.803+03:00"),
        None,
        None,
        None,
        None,
        None,
        None,
        "5b912e21fa38ae2c896099ae",
        False,
        ("10757",),
    ),
    "jira-to-matrix-issue_created.json": (
        "30369",
        "BBCOM-1398",
        _utc("2018-01-11T13:08:03.317+03:00"),
        132597,
        "1",
        "new",
        None,
        "5b912f5c8a96e82b9549361c",
        "Medium",
        "jira_test",
        False,
        (),
    ),
    "jira-to-matrix-issue_updated_issue_assigned.json": (
        "19435",
        "INDEV-242",
        _utc("2019-06-13T12:51:58.248+03:00"),
        76941,
        "10257",
        "new",
        None,
        "5b912e21fa38ae2c896099ae",
        "Medium",
        "5c07f55ba1b46046f530e0f3",
        False,
        (),
    ),
    "jira-to-matrix-issue_updated_status_changed.json": (
        "11442",
        "INDEV-6",
        _utc("2019-01-30T15:51:33.199+03:00"),
        34911,
        "10258",
        "indeterminate",
        None,
        "5b912f1c1aa25f2be7d36947",
        "Highest",
        "5bcede20b3e37a158c364fef",
        False,
        (),
    ),
    "osbot-jira-cloud-issue_deleted.json": (
        "10977",
        "TASK-23",
        datetime(2020, 1, 29, 8, 45, 23, 796000, tzinfo=UTC),  # its timestamp
        None,
        None,
        None,
        None,
        None,
        None,
        "5dee69782c44a60edee17525",
        True,
        (),
    ),
    "osbot-jira-cloud-issue_updated.json": (
        "10105",
        "SQUAD-10",
        _utc("2020-01-28T18:32:34.874-06:00"),
        17324,
        "10006",
        "indeterminate",
        None,
        "5dee69782c44a60edee17525",
        "Medium",
        "5dee69782c44a60edee17525",
        False,
        (),
    ),
    "skill-sync-jira-cloud-issue_created.json": (
        "10021",
        "KAN-22",
        _utc("2024-12-29T08:41:23.303+05:30"),
        10025,
        "10000",
        "new",
        None,
        "712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4",
        "Medium",
        "712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4",
        False,
        (),
    ),
    "skill-sync-jira-cloud-issue_updated.json": (
        "10021",
        "KAN-22",
        _utc("2024-12-29T08:43:45.214+05:30"),
        10026,
        "10000",
        "new",
        None,
        "712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4",
        "Medium",
        "712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4",
        False,
        (),
    ),
}


def test_the_table_covers_every_real_delivery() -> None:
    on_disk = {p.name for p in (REALWORLD / "webhooks").glob("*.json")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_real_delivery_parses_to_its_observation(name: str) -> None:
    seen = observation_from_delivery(load_json(f"webhooks/{name}"))
    assert seen is not None
    got = (
        seen.issue_id, seen.issue_key, seen.updated, seen.changelog_id, seen.status_id,
        seen.status_category, seen.resolution, seen.assignee_account_id, seen.priority,
        seen.author_account_id, seen.deleted, tuple(c.comment_id for c in seen.comments),
    )  # fmt: skip
    assert got == EXPECTED[name]
    assert seen.via is ObservedVia.WEBHOOK
    assert not seen.thin


def test_a_status_change_is_a_transition_with_its_ids_and_category() -> None:
    seen = observation_from_delivery(
        load_json("webhooks/jira-to-matrix-issue_updated_status_changed.json")
    )
    assert seen is not None
    (change,) = seen.transitions
    assert (change.from_status_id, change.to_status_id, change.to_category) == (
        "10257",
        "10258",
        "indeterminate",
    )
    assert change.changelog_id == 34911
    assert change.to_status_name == "In Progress"  # the changelog's toString
    assert change.author_account_id == "5bcede20b3e37a158c364fef"


def test_a_deleted_comment_keeps_no_text() -> None:
    seen = observation_from_delivery(load_json("webhooks/jira-to-matrix-comment_deleted.json"))
    assert seen is not None
    assert [(c.deleted, c.text) for c in seen.comments] == [(True, "")]


def test_a_delivery_without_fields_is_thin_and_dated_by_its_timestamp() -> None:
    body = {
        "webhookEvent": "jira:issue_updated",
        "timestamp": "1735442025214",
        "user": {"name": "alice"},
        "issue": {"id": "10021", "key": "KAN-22", "self": "https://dc.example/rest/api/2/issue/1"},
        "changelog": {"id": "99", "items": []},
    }
    seen = observation_from_delivery(body)
    assert seen is not None
    assert seen.thin
    assert (seen.issue_key, seen.changelog_id, seen.author_account_id) == ("KAN-22", 99, "alice")
    assert seen.updated == datetime(2024, 12, 29, 3, 13, 45, 214000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "webhookEvent"),
        ({"webhookEvent": "jira:issue_updated"}, "issue"),
        ({"webhookEvent": "jira:issue_updated", "issue": {"fields": {}}}, "issue.id"),
        ({"webhookEvent": "comment_created", "comment": {"id": "1"}}, "comment.id"),
        (
            {"webhookEvent": "comment_created", "comment": {"id": "1", "created": 1}},
            "issue.id",
        ),
        (
            {
                "webhookEvent": "jira:issue_updated",
                "issue": {"id": "1", "fields": {"updated": "yesterday", "status": {"id": "1"}}},
            },
            "issue.fields.updated",
        ),
    ],
)
def test_an_unusable_delivery_names_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as refused:
        observation_from_delivery(body)
    assert [p.path for p in refused.value.problems] == [field]


def test_events_sync_does_not_use_are_none() -> None:
    assert observation_from_delivery({"webhookEvent": "worklog_created"}) is None


def test_an_issue_from_rest_takes_its_watermark_and_author_from_the_changelog() -> None:
    issue = {
        "id": "7",
        "key": "SEC-7",
        "fields": {
            "updated": 1735442025214,
            "status": {"id": "3", "name": "Fertig", "statusCategory": {"key": "done"}},
            "resolution": {"id": "10001", "name": "Won't Fix"},
            "assignee": None,
        },
    }
    histories = [
        {"id": "120", "created": "2024-12-29T03:10:00.000+0000", "author": {"accountId": "a1"},
         "items": [{"fieldId": "status", "from": "1", "to": "2", "toString": "Warten"}]},
        {"id": "121", "created": "2024-12-29T03:13:45.214+0000", "author": {"accountId": "a2"},
         "items": [{"field": "Status", "from": "2", "to": "3"}]},
    ]  # fmt: skip
    seen = observation_from_issue(
        issue, via=ObservedVia.RECONCILE, changelog=histories, author_account_id=None
    )
    assert (seen.changelog_id, seen.author_account_id) == (121, "a2")
    assert (seen.status_category, seen.resolution_id, seen.resolution) == (
        "done",
        "10001",
        "Won't Fix",
    )
    assert seen.assignee_account_id is None
    assert [
        (t.to_status_id, t.to_status_name, t.to_category, t.author_account_id)
        for t in seen.transitions
    ] == [("2", "Warten", None, "a1"), ("3", None, "done", "a2")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1605117321425, datetime(2020, 11, 11, 17, 55, 21, 425000, tzinfo=UTC)),
        ("2020-11-11T18:55:21.425123+0100", datetime(2020, 11, 11, 17, 55, 21, 425000, tzinfo=UTC)),
        ("2020-11-11T17:55:21.425Z", datetime(2020, 11, 11, 17, 55, 21, 425000, tzinfo=UTC)),
    ],
)
def test_times_are_utc_to_the_millisecond(raw: object, expected: datetime) -> None:
    assert moment(raw, "t") == expected
