"""An approximation of Jira's text search (the `~` operator, Lucene underneath).

- Text and query are split into words (runs of letters and digits), case-insensitively.
- Every term of the query must occur in the text (Jira ANDs the terms; `AND` and a leading `+`
  say the same); `OR` between terms means either side (each side a group of ANDed terms).
- A term that splits into several words (`tb-1f2e`, `foo.bar`) or a phrase in inner double quotes
  (`summary ~ "\\"full screen\\""`) must occur as consecutive words.
- `*` at the end of a term matches any continuation (`win*`), `?` any single character.
- A plain word also matches simple English inflections of it (`alert` ~ `alerts`, `alerted`,
  `alerting`), standing in for Jira's stemming.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"\w+")
_INFLECTIONS = ("", "s", "es", "ed", "ing", "er", "ers")


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


def search_terms(query: str) -> list[list[str]]:
    """The query as a list of word sequences (phrases); each sequence must match in order."""
    terms: list[list[str]] = []
    for index, chunk in enumerate(query.split('"')):
        if index % 2:  # inside inner quotes: one phrase
            if words := _words(chunk):
                terms.append(words)
            continue
        for piece in chunk.split():
            if piece == "AND":
                continue
            words = [w.casefold() for w in re.findall(r"[\w*?]+", piece)]
            words = [w for w in words if w.strip("*?")]
            if words:
                terms.append(words)
    return terms


def _word_matches(pattern: str, word: str) -> bool:
    if "*" in pattern or "?" in pattern:
        regex = re.escape(pattern).replace(r"\*", r"\w*").replace(r"\?", r"\w")
        return re.fullmatch(regex, word) is not None
    return any(word == pattern + ending for ending in _INFLECTIONS) or any(
        pattern == word + ending for ending in _INFLECTIONS
    )


def _phrase_in(phrase: list[str], words: list[str]) -> bool:
    size = len(phrase)
    return any(
        all(_word_matches(p, w) for p, w in zip(phrase, words[start : start + size], strict=True))
        for start in range(len(words) - size + 1)
    )


def text_matches(query: str, texts: Iterable[str]) -> bool:
    """Whether `query` matches: every term of one of its `OR` groups occurs in one of `texts`."""
    documents = [_words(text) for text in texts]
    groups = [search_terms(group) for group in re.split(r"\s+OR\s+", query)]
    return any(
        terms and all(any(_phrase_in(term, words) for words in documents) for term in terms)
        for terms in groups
    )
