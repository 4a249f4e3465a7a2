"""The error tree's promise: `transient` alone decides retry versus dead letter."""

from __future__ import annotations

import pytest

from ticketbridge import errors


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (errors.RateLimited("slow down", retry_after=2.0, reason="jira-burst-based"), True),
        (errors.Unavailable("503", status=503), True),
        (errors.Timeout("no answer"), True),
        (errors.OutcomeUnknown("create timed out"), False),
        (errors.FieldErrors("bad", fields={"priority": "not on screen"}), False),
        (errors.AuthFailed("401", status=401), False),
        (errors.Gone("410", status=410), False),
    ],
)
def test_transient_is_part_of_the_type(error: errors.JiraError, transient: bool) -> None:
    assert error.transient is transient
    assert isinstance(error, errors.TicketBridgeError)


def test_problems_are_listed_in_the_message_with_path_and_line() -> None:
    err = errors.ConfigError(
        "config refused",
        [errors.Problem("routes[0].when", "unknown name 'kindd'", line=12)],
    )
    assert "routes[0].when (line 12): unknown name 'kindd'" in str(err)


def test_validated_names_each_refused_field_in_the_callers_error() -> None:
    from pydantic import BaseModel

    from ticketbridge.errors import InputError, validated

    class Auth(BaseModel):
        email: str

    class Connection(BaseModel):
        auth: Auth
        timeout: float

    with pytest.raises(InputError) as caught:
        validated(Connection, {"auth": {}, "timeout": "soon"}, "not valid", InputError)

    assert [p.path for p in caught.value.problems] == ["auth.email", "timeout"]
    assert str(caught.value).startswith("not valid: auth.email: Field required")
