"""Values shaped from the field schema, per flavour: (field, plain value) → what Jira expects."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import FieldDef
from ticketbridge.providers.jira.dialect import dialect_for
from ticketbridge.providers.jira.shaping import TEXTAREA, shape_value
from ticketbridge.render import DESCRIPTION_LIMIT, Document, adf_size

CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
OPTION = FieldDef("customfield_1", "Change Risk", True, "option", custom_type=CF + "select")
MULTI = FieldDef("customfield_2", "Systems", True, "array", "option", CF + "multiselect")
USER = FieldDef("customfield_3", "Reviewer", True, "user")
NUMBER = FieldDef("customfield_4", "Risk Score", True, "number")
DAY = FieldDef("customfield_5", "Review Date", True, "date")
MOMENT = FieldDef("customfield_6", "Detected At", True, "datetime")
LABELS = FieldDef("customfield_7", "Tags", True, "array", "string", CF + "labels")
COMPONENTS = FieldDef("components", "Components", False, "array", "component")
PRIORITY = FieldDef("priority", "Priority", False, "priority")
NOTES = FieldDef("customfield_8", "Notes", True, "string", custom_type=TEXTAREA)
TEXT = FieldDef("customfield_9", "Escalation ID", True, "string")

CASES: list[tuple[FieldDef, Any, str, Any]] = [
    (OPTION, "HIGH", "accountId", {"value": "HIGH"}),
    (OPTION, {"id": "10001"}, "accountId", {"id": "10001"}),
    (MULTI, ["api", "web"], "accountId", [{"value": "api"}, {"value": "web"}]),
    (MULTI, "api", "accountId", [{"value": "api"}]),
    (USER, "712020:abc", "accountId", {"accountId": "712020:abc"}),
    (USER, "bob", "name", {"name": "bob"}),
    (NUMBER, "7.5", "name", 7.5),
    (NUMBER, "7", "name", 7),
    (NUMBER, 3, "name", 3),
    (DAY, date(2030, 2, 1), "name", "2030-02-01"),
    (DAY, "2030-02-01T10:00:00", "name", "2030-02-01"),
    (MOMENT, datetime(2030, 2, 1, 12, 30, tzinfo=UTC), "name", "2030-02-01T12:30:00.000+0000"),
    (
        MOMENT,
        datetime(2030, 2, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        "name",
        "2030-02-01T12:30:00.000+0200",
    ),
    (LABELS, ["a", "b"], "name", ["a", "b"]),
    (COMPONENTS, ["api"], "name", [{"name": "api"}]),
    (PRIORITY, "High", "name", {"name": "High"}),
    (TEXT, 12345, "name", "12345"),
]


@pytest.mark.parametrize(("fdef", "value", "user_key", "expected"), CASES)
def test_shape(fdef: FieldDef, value: Any, user_key: Any, expected: Any) -> None:
    assert shape_value(fdef, value, user_key=user_key, text=str) == expected


@pytest.mark.parametrize(
    ("fdef", "value"), [(NUMBER, "lots"), (NUMBER, True), (DAY, "next week"), (MOMENT, "soon")]
)
def test_unshapeable_values_are_refused_naming_the_field(fdef: FieldDef, value: Any) -> None:
    with pytest.raises(FieldErrors) as caught:
        shape_value(fdef, value, user_key="name", text=str)
    assert fdef.id in caught.value.fields
    assert fdef.name in str(caught.value)


def test_textarea_is_adf_on_cloud_and_wiki_on_data_center() -> None:
    cloud, dc = dialect_for("cloud"), dialect_for("datacenter")
    adf = shape_value(NOTES, "Rotate *now*", user_key="accountId", text=cloud.rich_text)
    assert adf["type"] == "doc"
    assert adf["version"] == 1
    wiki = shape_value(NOTES, "Rotate the key", user_key="name", text=dc.rich_text)
    assert wiki == "Rotate the key"


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_description_fits_32767_with_a_visible_marker(flavor: str) -> None:
    dialect = dialect_for(flavor)
    doc = Document.plain("\n\n".join(f"para {n} " + "y" * 300 for n in range(300)))
    rendered = dialect.rich_text(doc)
    size = adf_size(rendered) if flavor == "cloud" else len(rendered)
    assert size <= DESCRIPTION_LIMIT
    assert "truncated by ticketbridge" in str(rendered)
    assert "para 0 " in str(rendered)
