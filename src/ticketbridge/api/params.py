"""Query and path parameters shared by the read routes, each bounded where it crosses into the
database: ids fit 64 bits, text is NUL-free (PostgreSQL cannot hold U+0000) and no longer than
the columns it is compared with, so a hostile value is a 422 naming it, never a database error."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from ticketbridge.services.queries import MAX_POSITION

MAX_PAGE = 1000
_NUL_FREE = r"^[^\x00]*$"

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many.")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="`next_cursor` of the last page; absent: the first page."),
]
RowId = Annotated[int, Path(ge=1, le=MAX_POSITION, description="The id the list shows.")]
StoredKey = Annotated[
    str, Path(min_length=1, max_length=255, pattern=_NUL_FREE, description="The source's id.")
]


def search_text(description: str) -> Any:  # a Query() marker (FastAPI types it Any)
    """A text filter compared with a stored column (at most 255 characters, no NUL)."""
    return Query(min_length=1, max_length=255, pattern=_NUL_FREE, description=description)
