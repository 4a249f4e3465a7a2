"""JQL date values and functions: absolute and relative dates, now(), currentUser(), startOfDay()…

Dates are interpreted in UTC (real Jira uses the searching user's time zone; the emulator's
users all live in UTC).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from jira_emulator.jql.ast import Function

DATE_FORMATS_HINT = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
)
_ABSOLUTE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_PERIOD = re.compile(r"([-+]?)\s*((?:\d+\s*[wdhmWDHM]\s*)+)")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhmWDHM])")
_INCREMENT = re.compile(r"([-+]?)(\d+)([yMwdhm]?)")
_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}


@dataclass(frozen=True)
class Context:
    """What a query is evaluated against: the current time and the searching user."""

    now: datetime
    current_user: tuple[str, ...] = ()


class FunctionProblem(ValueError):
    """A function call Jira refuses; the message is Jira's."""


def to_datetime(value: object) -> datetime | None:
    """A document's date value (datetime, date or ISO string) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, str):
        try:
            return to_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def parse_date(text: str, now: datetime, *, number: bool = False) -> datetime | None:
    """A JQL date literal: absolute (read in `now`'s time zone: the searching user's), a period
    relative to now, or epoch millis; None if invalid."""
    text = text.strip()
    if number:
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    if match := _ABSOLUTE.fullmatch(text):
        year, month, day, hour, minute = match.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                tzinfo=now.tzinfo or UTC,
            )
        except ValueError:
            return None
    if match := _PERIOD.fullmatch(text):
        minutes = sum(
            int(amount) * _UNIT_MINUTES[unit.lower()]
            for amount, unit in _PERIOD_PART.findall(match.group(2))
        )
        sign = -1 if match.group(1) == "-" else 1
        return now + timedelta(minutes=sign * minutes)
    return None


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _shift(moment: datetime, increment: str, name: str, default_unit: str) -> datetime:
    match = _INCREMENT.fullmatch(increment.strip())
    if match is None:
        raise FunctionProblem(
            f"Duration for function '{name}' should have the format (+/-)n(yMwdm), "
            "e.g -1M for 1 month earlier."
        )
    sign = -1 if match.group(1) == "-" else 1
    amount, unit = sign * int(match.group(2)), match.group(3) or default_unit
    if unit == "y":
        return _add_months(moment, 12 * amount)
    if unit == "M":
        return _add_months(moment, amount)
    return moment + timedelta(minutes=amount * _UNIT_MINUTES[unit])


def _start_of(unit: str, now: datetime) -> datetime:
    day = datetime.combine(now.date(), time(), now.tzinfo or UTC)
    if unit == "week":  # Jira's default locale starts weeks on Sunday
        return day - timedelta(days=(day.weekday() + 1) % 7)
    if unit == "month":
        return day.replace(day=1)
    return day


def _end_of(unit: str, now: datetime) -> datetime:
    start = _start_of(unit, now)
    if unit == "week":
        following = start + timedelta(days=7)
    elif unit == "month":
        following = _add_months(start, 1)
    else:
        following = start + timedelta(days=1)
    return following - timedelta(milliseconds=1)


_DATE_FUNCTIONS = {
    "startofday": ("startOfDay", "day", _start_of, "d"),
    "endofday": ("endOfDay", "day", _end_of, "d"),
    "startofweek": ("startOfWeek", "week", _start_of, "w"),
    "endofweek": ("endOfWeek", "week", _end_of, "w"),
    "startofmonth": ("startOfMonth", "month", _start_of, "M"),
    "endofmonth": ("endOfMonth", "month", _end_of, "M"),
}


def _check_arity(name: str, args: tuple[str, ...], most: int) -> None:
    if len(args) <= most:
        return
    if most == 0:
        raise FunctionProblem(
            f"Function '{name}' expected '0' arguments but received '{len(args)}'."
        )
    raise FunctionProblem(
        f"Function '{name}' expected between '0' and '{most}' arguments but received '{len(args)}'."
    )


def call_function(function: Function, context: Context) -> list[datetime | str]:
    """The values a JQL function stands for (dates or user identifiers)."""
    folded = function.name.lower()
    if folded == "now":
        _check_arity("now", function.args, 0)
        return [context.now]
    if folded == "currentuser":
        _check_arity("currentUser", function.args, 0)
        return list(context.current_user)
    if folded in _DATE_FUNCTIONS:
        name, unit, anchor, default_unit = _DATE_FUNCTIONS[folded]
        _check_arity(name, function.args, 1)
        moment = anchor(unit, context.now)
        if function.args:
            moment = _shift(moment, function.args[0], name, default_unit)
        return [moment]
    raise FunctionProblem(f"Unable to find JQL function '{function.display()}'.")
