"""Length limits (summary 255, description 32,767 as Jira counts them) and reading ADF back."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from support.realworld import load_json
from ticketbridge.render import (
    DESCRIPTION_LIMIT,
    Document,
    Measure,
    Paragraph,
    Text,
    adf_measure,
    adf_size,
    adf_to_text,
    clip_summary,
    jira_length,
    parse_markdown,
    text_measure,
    to_adf,
    to_text,
    to_wiki,
    truncate,
    wiki_measure,
)

Check = Callable[[Mapping[str, Any]], None]


def long_document(paragraphs: int = 300) -> Document:
    rows = "\n".join(f"| row {i} | {'v' * 40} |" for i in range(200))
    body = "\n\n".join(f"Paragraph {i}: " + "lorem ipsum " * 20 for i in range(paragraphs))
    return parse_markdown(f"# Alert\n\n{body}\n\n| k | v |\n|---|---|\n{rows}\n\n- a\n- b")


@pytest.mark.parametrize("measure", [text_measure, adf_measure, wiki_measure])
def test_truncate_fits_the_limit_and_says_how_much_was_cut(
    measure: Measure, assert_valid_adf: Check
) -> None:
    doc = long_document()
    assert measure(doc) > DESCRIPTION_LIMIT

    cut = truncate(doc, measure=measure)

    assert measure(cut) <= DESCRIPTION_LIMIT
    assert measure(cut) > DESCRIPTION_LIMIT - 600  # it keeps as much as fits
    marker = cut.blocks[-1]
    assert isinstance(marker, Paragraph)
    assert marker.content[0] == Text(
        f"… truncated by ticketbridge: {_omitted_in_marker(marker):,} characters omitted", ("em",)
    )
    assert to_text(cut).startswith("Alert\n\nParagraph 0: lorem ipsum")
    assert_valid_adf(to_adf(cut))


def test_the_marker_counts_the_omitted_characters() -> None:
    doc = Document(tuple(Paragraph((Text(f"{i:04d}" * 25),)) for i in range(100)))  # 100 × 100

    cut = truncate(doc, 2500)

    kept = sum(len(to_text(Document((block,)))) for block in cut.blocks[:-1])
    marker = cut.blocks[-1]
    assert isinstance(marker, Paragraph)
    assert _omitted_in_marker(marker) == 10_000 - kept
    assert to_text(doc).startswith(to_text(Document(cut.blocks[:-1])))


def _omitted_in_marker(marker: Paragraph) -> int:
    text = marker.content[0]
    assert isinstance(text, Text)
    return int(text.text.split(": ")[1].split(" ")[0].replace(",", ""))


def test_a_document_that_fits_is_returned_unchanged() -> None:
    doc = parse_markdown("short")

    assert truncate(doc, measure=adf_measure) is doc


def test_truncate_refuses_a_limit_smaller_than_its_marker() -> None:
    with pytest.raises(ValueError, match="no room for the truncation marker"):
        truncate(long_document(3), 20)


def test_lengths_count_utf16_units_like_jira() -> None:
    assert jira_length("a😀é") == 4
    assert adf_size({"t": "😀"}) == len('{"t":"😀"}') + 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Drift\non   model  x ", "Drift on model x"),
        ("a" * 255, "a" * 255),
        ("a" * 256, "a" * 254 + "…"),
        ("word " * 80, ("word " * 50).strip() + "…"),
        ("😀" * 200, "😀" * 127 + "…"),
        ("tab\tand\x00nul", "tab andnul"),
    ],
)
def test_clip_summary(value: str, expected: str) -> None:
    clipped = clip_summary(value)

    assert clipped == expected
    assert jira_length(clipped) <= 255


def test_adf_to_text_reads_jira_comment_bodies() -> None:
    """The comment example of Atlassian's own OpenAPI spec, and a rich body we produce."""
    spec = load_json("openapi/jira-cloud-v3.json")
    example = spec["paths"]["/rest/api/3/issue/{issueIdOrKey}/comment"]["post"]["requestBody"]
    body = example["content"]["application/json"]["example"]["body"]

    assert adf_to_text(body).startswith("Lorem ipsum dolor sit amet, consectetur")
    rich = to_adf(
        parse_markdown("**Approved** by @[5b10]\n\n- one\n- two\n\n| a | b |\n|--|--|\n| 1 | 2 |")
    )
    assert adf_to_text(rich) == "Approved by @5b10\none\ntwo\na | b\n1 | 2"


def test_adf_to_text_of_nodes_we_never_write() -> None:
    adf = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [
                {"type": "emoji", "attrs": {"shortName": ":ok:", "text": "👌"}},
                {"type": "mention", "attrs": {"id": "x", "text": "@Jane"}},
                {"type": "inlineCard", "attrs": {"url": "https://c.example"}},
            ]},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "m"}}]},
        ],
    }  # fmt: skip

    assert adf_to_text(adf) == "👌@Janehttps://c.example"


def test_the_truncation_marker_is_visible_in_wiki() -> None:
    cut = truncate(long_document(), 2000, measure=wiki_measure)

    assert re.search(r"\n\n_… truncated by ticketbridge: [\d,]+ characters omitted_$", to_wiki(cut))
