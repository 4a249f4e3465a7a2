"""Settings this build accepts but does not act on yet, so that nobody configures escalation and
gets nothing in silence: `config check` and start-up (`serve`, `worker`, `dev`) name each one
that is set, with its line.

The issue that implements a setting deletes its row here (tests/unit/config/test_inactive.py
writes each one in a file and expects the warning).
"""

from __future__ import annotations

from collections.abc import Mapping

from ticketbridge.config.document import format_path
from ticketbridge.config.schema import Config, Location
from ticketbridge.config.settings import Settings
from ticketbridge.errors import Problem

_ENV = "TICKETBRIDGE_"

INACTIVE: dict[Location, str] = {}
"""Location in ticketbridge.yaml (or, one upper-case part, TICKETBRIDGE_<part>) → what does not
happen although it is set."""


def inactive_settings(
    config: Config, settings: Settings | None = None, table: Mapping[Location, str] = INACTIVE
) -> list[Problem]:
    """A warning for each inactive setting (`table`'s) written in the file or the
    environment."""
    found: list[Problem] = []
    for location, what in table.items():
        if _is_variable(location):
            name = str(location[0]).lower()
            if settings is not None and name in settings.model_fields_set:
                found.append(Problem(_ENV + str(location[0]), f"not active yet: {what}"))
        elif _is_set(config, location):
            line = config.line_of(*location)
            found.append(Problem(format_path(location), f"not active yet: {what}", line))
    return found


def _is_variable(location: Location) -> bool:
    return len(location) == 1 and str(location[0]).isupper()


def _is_set(config: Config, location: Location) -> bool:
    """The key was given (in YAML or in code), not left to its default; null or an empty list
    counts as not given."""
    node: object = config
    for part in location:
        fields_set: set[str] = getattr(node, "model_fields_set", set())
        if part not in fields_set:
            return False
        node = getattr(node, str(part))
    return node not in (None, [], {})
