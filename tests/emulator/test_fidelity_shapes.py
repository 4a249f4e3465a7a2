"""The shape comparison the fidelity tests rely on finds what it must, and only that."""

from __future__ import annotations

import pytest
from shapes import compare, shape


def test_shape_merges_array_elements_and_names_json_types() -> None:
    value = {"a": [{"x": 1}, {"y": "s", "x": None}], "b": True, "c": None, "d": [], "e": 2.5}
    assert shape(value) == {
        "a": [{"x": "number", "y": "string"}],
        "b": "boolean",
        "c": "null",
        "d": [],
        "e": "number",
    }


@pytest.mark.parametrize(
    ("real", "emulated", "options", "expected"),
    [
        ({"a": 1}, {"a": 2}, {}, []),
        ({"a": 1, "b": "x"}, {"a": 1}, {}, ["$.b: missing"]),
        ({"a": 1}, {"a": 1, "z": []}, {}, ["$.z: extra"]),
        ({"a": 1}, {"a": 1, "z": []}, {"allow_extra": [r"\$\.z"]}, []),
        ({"a": "1"}, {"a": 1}, {}, ["$.a: real string, emulator number"]),
        ({"a": None}, {"a": {"deep": 1}}, {}, []),
        ({"a": {"deep": 1}}, {"a": None}, {}, []),
        ({"l": [{"k": 1}]}, {"l": [{"k": "1"}]}, {}, ["$.l[].k: real number, emulator string"]),
        ({"l": [{"k": 1}]}, {"l": []}, {}, []),
        ({"l": [1]}, {"l": {"k": 1}}, {}, ["$.l: real array, emulator object"]),
        (
            {"f": {"customfield_10001": 1, "summary": "s"}},
            {"f": {"summary": "s", "customfield_20000": "x"}},
            {"ignore": [r".*\.customfield_\d+"]},
            [],
        ),
        ([{"a": {"b": {"c": 1}}}], [{"a": {"b": {}}}], {}, ["$[].a.b.c: missing"]),
    ],
)
def test_compare_reports_missing_extra_and_type_differences(
    real: object, emulated: object, options: dict[str, list[str]], expected: list[str]
) -> None:
    assert [str(d) for d in compare(real, emulated, **options)] == expected
