"""JqlError and the exact wording of Jira's JQL error messages.

The wording comes from Jira itself: its JQL grammar (Jql.g) and functional tests of the parser
(TestJqlParsing), Atlassian's jql-editor message catalogue, and the examples of
`POST /rest/api/3/jql/parse` in the vendored OpenAPI spec. Parse errors carry the
"Error in the JQL Query: " prefix and, unless they happen at the end of the query, the
"(line L, character C)" suffix (both 1-based); validation errors (unknown field, unsupported
operator, bad date …) carry neither.
"""

from __future__ import annotations

from typing import Any

PREFIX = "Error in the JQL Query: "
OPERATORS_HINT = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
#: Cloud's `/rest/api/3/search/jql` refuses a query without a restriction with this message.
UNBOUNDED_MESSAGE = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


class JqlError(ValueError):
    """A JQL query Jira would refuse; `.messages` are Jira's own `errorMessages`."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)

    def body(self) -> dict[str, Any]:
        """The 400 body Jira answers with (an ErrorCollection)."""
        return {"errorMessages": list(self.messages), "errors": {}}


def at(message: str, line: int | None, column: int | None) -> JqlError:
    """A parse error, with the position suffix when the problem is not the end of the query."""
    where = "" if line is None else f" (line {line}, character {column})"
    return JqlError([f"{PREFIX}{message}{where}"])
