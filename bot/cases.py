"""Case rules that do not depend on Telegram: due times counted in business hours."""

from __future__ import annotations

import datetime as dt

from bot.config import BusinessHours


def add_business_hours(start: dt.datetime, hours: float, business: BusinessHours) -> dt.datetime:
    """The moment `hours` of business time after `start` (time zone aware, result in UTC)."""
    tz = business.timezone
    moment = start.astimezone(tz)
    remaining = dt.timedelta(hours=hours)
    while True:
        day_start = dt.datetime.combine(moment.date(), business.start, tz)
        day_end = dt.datetime.combine(moment.date(), business.end, tz)
        if moment.weekday() not in business.weekdays or moment >= day_end:
            moment = dt.datetime.combine(moment.date() + dt.timedelta(days=1), business.start, tz)
            continue
        moment = max(moment, day_start)
        available = day_end - moment
        if remaining <= available:
            return (moment + remaining).astimezone(dt.timezone.utc)
        remaining -= available
        moment = dt.datetime.combine(moment.date() + dt.timedelta(days=1), business.start, tz)


def business_hours_between(start: dt.datetime, end: dt.datetime, business: BusinessHours) -> float:
    """Business hours elapsed between two moments (0 when end is before start)."""
    tz = business.timezone
    moment, end = start.astimezone(tz), end.astimezone(tz)
    total = dt.timedelta()
    while moment < end:
        day_start = dt.datetime.combine(moment.date(), business.start, tz)
        day_end = dt.datetime.combine(moment.date(), business.end, tz)
        if moment.weekday() in business.weekdays:
            lo, hi = max(moment, day_start), min(end, day_end)
            if hi > lo:
                total += hi - lo
        moment = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(0, 0), tz)
    return total.total_seconds() / 3600


def format_due(due: dt.datetime, business: BusinessHours, language: str) -> str:
    local = due.astimezone(business.timezone)
    return local.strftime("%Y-%m-%d %H:%M")
