"""Issues read like the `jira` client's resources: attributes over Jira's JSON."""

from __future__ import annotations

import pytest

from ticketbridge.library import JiraObject

FIELDS = {
    "summary": "Flat earth",
    "priority": None,
    "status": {"name": "To Do", "statusCategory": {"key": "new"}},
    "components": [{"name": "AI-Engine"}],
    "labels": ["hallucination"],
}


def test_attributes_nested_objects_lists_and_nulls() -> None:
    fields = JiraObject(FIELDS)

    assert fields.summary == "Flat earth"
    assert fields.priority is None
    assert fields.status.name == "To Do"
    assert fields.status.statusCategory.key == "new"
    assert [c.name for c in fields.components] == ["AI-Engine"]
    assert fields.labels == ["hallucination"]
    assert fields["status"]["name"] == "To Do"
    assert fields.raw() == FIELDS


def test_a_field_jira_did_not_send_is_an_error_not_none() -> None:
    with pytest.raises(AttributeError, match="summry"):
        _ = JiraObject(FIELDS).summry
