"""knowledge/calendar.yaml: working-day schedules an admin enters, and local closures.

The State Council's schedule for the years the chinese-calendar package knows is not here:
bot.records.workdays combines the two. This module only checks and builds the file's data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

CALENDAR_FILE = "calendar.yaml"
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class ScheduleYear:
    """One year's official schedule: days off (holidays) and make-up working days on weekends."""

    year: int
    notice: str
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


@dataclass(frozen=True)
class Closure:
    start: dt.date
    end: dt.date
    reason: str


@dataclass(frozen=True)
class LocalCalendar:
    """The data of calendar.yaml; empty when the file is missing."""

    years: Mapping[int, ScheduleYear] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()

    def closure_on(self, day: dt.date) -> Closure | None:
        return next((c for c in self.closures if c.start <= day <= c.end), None)


def _days(start: str, end: str | None) -> list[dt.date]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end or start)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def calendar_problems(data: dict) -> list[tuple[str, tuple, str]]:
    """Checks beyond the schema, as (severity, data path, sentence with the fix)."""
    problems = []
    seen_years = set()
    for i, entry in enumerate(data["years"]):
        year = entry["year"]
        if year in seen_years:
            problems.append((ERROR, ("years", i, "year"), f"the year {year} is entered twice; keep one entry."))
        seen_years.add(year)
        off = set()
        for j, holiday in enumerate(entry["holidays"]):
            start, end = holiday["from"], holiday.get("to")
            if end and end < start:
                problems.append((ERROR, ("years", i, "holidays", j, "to"),
                                 f"the holiday '{holiday['name']}' of {year} ends ({end}) before it starts ({start}); "
                                 "swap or fix the dates."))
                continue
            if any(day.year != year for day in _days(start, end)):
                problems.append((ERROR, ("years", i, "holidays", j),
                                 f"the holiday '{holiday['name']}' ({start} to {end or start}) is not in {year}; "
                                 f"enter it under the year it falls in."))
            off.update(_days(start, end))
        for j, text in enumerate(entry.get("workdays") or []):
            day = dt.date.fromisoformat(text)
            where = ("years", i, "workdays", j)
            if day.year != year:
                problems.append((ERROR, where, f"the make-up working day {text} is not in {year}; "
                                 "enter it under the year it falls in."))
            elif day in off:
                problems.append((ERROR, where, f"{text} is both a holiday and a make-up working day of {year}; "
                                 "check the State Council's notice and keep one."))
            elif day.weekday() < 5:
                problems.append((WARNING, where, f"the make-up working day {text} is a {day:%A}, which is a working "
                                 "day anyway; make-up working days (调休上班) fall on a Saturday or Sunday."))
    for i, closure in enumerate(data["closures"]):
        if closure.get("to") and closure["to"] < closure["from"]:
            problems.append((ERROR, ("closures", i, "to"), f"the closure '{closure['reason']}' ends ({closure['to']}) "
                             f"before it starts ({closure['from']}); swap or fix the dates."))
    return problems


def build_calendar(data: dict | None) -> LocalCalendar:
    """The checked data of calendar.yaml as a LocalCalendar (an empty one when there is no file)."""
    if not data:
        return LocalCalendar()
    years = {}
    for entry in data["years"]:
        holidays = frozenset(day for h in entry["holidays"] for day in _days(h["from"], h.get("to")))
        workdays = frozenset(dt.date.fromisoformat(d) for d in entry.get("workdays") or [])
        years[entry["year"]] = ScheduleYear(entry["year"], entry["notice"], holidays, workdays)
    closures = tuple(Closure(dt.date.fromisoformat(c["from"]), dt.date.fromisoformat(c.get("to") or c["from"]),
                             c["reason"]) for c in data["closures"])
    return LocalCalendar(years, closures)
