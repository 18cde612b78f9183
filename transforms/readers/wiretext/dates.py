"""Dates of wire datelines, which name a month and day (or only a weekday) but never a year.

A dispatch is filed on or just before the time we first see it, so the date a dateline means is
the latest matching date no later than one day after that reference time (the extra day covers
agencies in time zones ahead of UTC, such as Tokyo or Sydney).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from transforms.readers.wiretext.datelines import DatelineDate
from transforms.records import ParseError

# A dateline may be up to this far ahead of the reference time's UTC date.
ALLOWED_LEAD = timedelta(days=1)
# Feb. 29 recurs at most every 8 years (1896 -> 1904, 2096 -> 2104).
_YEARS_TO_SEARCH = 9


def utc_date(moment: datetime) -> date:
    """Calendar date in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def latest_allowed_date(reference_time: datetime) -> date:
    return utc_date(reference_time) + ALLOWED_LEAD


def resolve_month_day(month: int, day: int, reference_time: datetime) -> date:
    """Latest `month`/`day` date no later than one day after the reference time.

    Raises ValueError for a month and day that never exist together (Feb. 30, month 13).
    """
    limit = latest_allowed_date(reference_time)
    date(2000, month, day)  # validates against a leap year, so Feb. 29 is accepted
    for year in range(limit.year, limit.year - _YEARS_TO_SEARCH, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # Feb. 29 outside a leap year
            continue
        if candidate <= limit:
            return candidate
    raise ValueError(f"no date {month}/{day} before {limit}")


def resolve_weekday(weekday: int, reference_time: datetime) -> date:
    """Latest date on `weekday` (Monday 0) no later than one day after the reference time."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday out of range: {weekday}")
    limit = latest_allowed_date(reference_time)
    return limit - timedelta(days=(limit.weekday() - weekday) % 7)


def published_at_for(day: date, reference_time: datetime) -> datetime:
    """Aware UTC datetime on `day`: the reference time itself when it falls on that day.

    Otherwise midnight UTC, because the dateline gives only the date and an earlier or later
    clock time would move the dispatch into another day's partition.
    """
    if reference_time.tzinfo is None:
        reference_utc = reference_time.replace(tzinfo=UTC)
    else:
        reference_utc = reference_time.astimezone(UTC)
    if reference_utc.date() == day:
        return reference_utc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def dateline_day(found: DatelineDate, reference_time: datetime) -> date:
    """Calendar date the dateline means; an explicit year wins, no date means the reference's."""
    try:
        if found.month is not None and found.day is not None:
            if found.year is not None:
                return date(found.year, found.month, found.day)
            return resolve_month_day(found.month, found.day, reference_time)
        if found.weekday is not None:
            return resolve_weekday(found.weekday, reference_time)
    except (ValueError, OverflowError) as error:
        raise ParseError("bad_dateline", str(error)) from error
    return utc_date(reference_time)
