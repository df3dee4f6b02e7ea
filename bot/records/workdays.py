"""Working days and business hours: when a case falls due, and how much of its time is used.

Which dates are working days, first match wins:
1. knowledge/calendar.yaml: a local closure (the counters are shut), then a year an admin entered
   (the State Council's schedule for a year the package does not know yet);
2. the State Council's schedule from the chinese-calendar package (OFFICIAL_YEARS): public holidays
   and make-up working days (调休), such as Sunday 2026-09-20;
3. nothing covers the date: BUSINESS_DAYS (Monday to Friday by default), with a warning logged
   once per year, so a deadline is always given.
Within a working day, the staff's business hours count (BUSINESS_HOURS_START to _END).
"""

from __future__ import annotations

import datetime as dt
import logging
from importlib import metadata
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _official_holidays

from bot.config import BusinessHours
from bot.knowledge.calendar import CALENDAR_FILE, LocalCalendar

log = logging.getLogger(__name__)
LOCAL = f"knowledge/{CALENDAR_FILE}"
OFFICIAL = f"State Council schedule (chinese-calendar {metadata.version('chinesecalendar')})"
FALLBACK = "BUSINESS_DAYS (no calendar covers this date)"
OFFICIAL_YEARS = (min(_official_holidays).year, max(_official_holidays).year)
COVERAGE_DAYS = 60  # `validate` warns when a day this close has no calendar
MAX_DAYS = 3660  # a deadline further than ten years away is a mistake in the settings, not a deadline


class NoWorkingTime(ValueError):
    """No business hours fall within ten years of the start"""


def official_working_day(day: dt.date) -> bool | None:
    """The State Council's answer for a date, or None for a year the package does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class WorkingTime:
    """Business hours on working days. One per knowledge-base version (it remembers what it warned about)."""

    def __init__(self, business: BusinessHours, local: LocalCalendar | None = None):
        self.business = business
        self.local = local or LocalCalendar()
        self._warned: set[int] = set()

    def source(self, day: dt.date) -> str:
        """What decides whether a date is a working day."""
        if self.local.closure_on(day) or day.year in self.local.years:
            return LOCAL
        return OFFICIAL if official_working_day(day) is not None else FALLBACK

    def is_working_day(self, day: dt.date) -> bool:
        if self.local.closure_on(day):
            return False
        if day.year in self.local.years:
            return self.local.years[day.year].is_working_day(day)
        official = official_working_day(day)
        if official is not None:
            return official
        if day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("No calendar covers %d: counting BUSINESS_DAYS as working days, without public holidays. "
                        "Enter the State Council's schedule for %d under 'years:' in %s.", day.year, day.year, LOCAL)
        return day.weekday() in self.business.weekdays

    def uncovered(self, start: dt.date, days: int) -> list[dt.date]:
        """The dates among `days` from `start` that no calendar covers."""
        dates = (start + dt.timedelta(days=n) for n in range(days))
        return [day for day in dates if self.source(day) == FALLBACK]

    def _day(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The business hours of a date, or None when it is not a working day."""
        if not self.is_working_day(day):
            return None
        tz = self.business.timezone
        return dt.datetime.combine(day, self.business.start, tz), dt.datetime.combine(day, self.business.end, tz)

    def add(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment `hours` of business time after `start` (time zone aware; the result in UTC)."""
        moment = start.astimezone(self.business.timezone)
        remaining = dt.timedelta(hours=hours)
        for offset in range(MAX_DAYS):
            hours_of_day = self._day(moment.date() + dt.timedelta(days=offset))
            if hours_of_day is None:
                continue
            opens, closes = hours_of_day
            begin = max(opens, moment) if offset == 0 else opens
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return (begin + remaining).astimezone(dt.UTC)
            remaining -= closes - begin
        raise NoWorkingTime(f"No {hours:g} business hours fall within ten years after {start.isoformat()}; check "
                            f"BUSINESS_DAYS and the closures in {LOCAL}.")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business hours elapsed between two moments (0 when end is before start)."""
        tz = self.business.timezone
        start, end = start.astimezone(tz), end.astimezone(tz)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            hours_of_day = self._day(day)
            if hours_of_day:
                low, high = max(start, hours_of_day[0]), min(end, hours_of_day[1])
                if high > low:
                    total += high - low
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600

    def exceptions(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.date, bool, str]]:
        """The dates from start to end (local) whose working status is not Monday-to-Friday's: holidays,
        closures and make-up working days, each as (date, is a working day, what says so)."""
        tz = self.business.timezone
        day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        found = []
        while day <= last:
            working = self.is_working_day(day)
            if working != (day.weekday() < 5):
                found.append((day, working, self.source(day)))
            day += dt.timedelta(days=1)
        return found


# -- saying times: every local time shown to citizens and staff is written here ----------------


def _zone(where: BusinessHours | ZoneInfo) -> ZoneInfo:
    return where.timezone if isinstance(where, BusinessHours) else where


def local_date(moment: dt.datetime, where: BusinessHours | ZoneInfo) -> dt.date:
    """The local day of a moment: the issue date a printed checklist carries."""
    return moment.astimezone(_zone(where)).date()


def local_time(moment: dt.datetime, where: BusinessHours | ZoneInfo) -> str:
    """A moment as the citizen and staff read it: local business time (or a zone's), to the minute (the zone
    is said once, where the times are listed)."""
    return moment.astimezone(_zone(where)).strftime("%Y-%m-%d %H:%M")


def local_moments(where: BusinessHours | ZoneInfo, *moments: dt.datetime) -> str:
    """Local times with the zone named once after them: '2024-05-01 09:00 – 2024-05-08 09:00 (Asia/Shanghai)'
    for a window, '2024-05-01 09:00 (Asia/Shanghai)' for one moment."""
    zone = _zone(where)
    return f"{' – '.join(local_time(moment, zone) for moment in moments)} ({zone.key})"


def zone_label(where: BusinessHours | ZoneInfo) -> str:
    """The business time zone (or a zone) as said once above a list of times: 'Asia/Shanghai (UTC+08:00)'."""
    zone = _zone(where)
    offset = dt.datetime.now(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"
