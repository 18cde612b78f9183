"""Year-less dateline dates resolve to the latest matching date not after reference + 1 day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.readers.wiretext.datelines import parse_month, parse_weekday
from transforms.readers.wiretext.dates import published_at_for, resolve_month_day, resolve_weekday

REF = datetime(2026, 1, 16, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("month", "day", "reference", "expected"),
    [
        (1, 15, datetime(2026, 1, 16, tzinfo=UTC), date(2026, 1, 15)),
        (12, 31, datetime(2026, 1, 2, tzinfo=UTC), date(2025, 12, 31)),
        (1, 17, datetime(2026, 1, 16, 23, tzinfo=UTC), date(2026, 1, 17)),  # Tokyo is ahead
        (1, 18, datetime(2026, 1, 16, 23, tzinfo=UTC), date(2025, 1, 18)),  # too far ahead
        (1, 1, datetime(2025, 12, 31, 20, tzinfo=UTC), date(2026, 1, 1)),
        (2, 29, datetime(2026, 3, 1, tzinfo=UTC), date(2024, 2, 29)),
        (2, 29, datetime(2028, 3, 1, tzinfo=UTC), date(2028, 2, 29)),
        (2, 29, datetime(2101, 1, 1, tzinfo=UTC), date(2096, 2, 29)),  # 2100 is no leap year
    ],
)
def test_resolve_month_day(month: int, day: int, reference: datetime, expected: date) -> None:
    assert resolve_month_day(month, day, reference) == expected


def test_resolve_month_day_uses_utc_date_of_an_aware_reference() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 2026-01-17 08:00 in Tokyo is still Jan 16 in UTC, so Jan 18 is too far ahead.
    assert resolve_month_day(1, 18, datetime(2026, 1, 17, 8, tzinfo=tokyo)) == date(2025, 1, 18)
    assert resolve_month_day(1, 17, datetime(2026, 1, 17, 8, tzinfo=tokyo)) == date(2026, 1, 17)


@pytest.mark.parametrize(("month", "day"), [(2, 30), (13, 1), (0, 5), (4, 31)])
def test_resolve_month_day_rejects_impossible_dates(month: int, day: int) -> None:
    with pytest.raises(ValueError):
        resolve_month_day(month, day, REF)


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [
        (4, date(2026, 1, 16)),  # Friday: the reference day itself
        (5, date(2026, 1, 17)),  # Saturday: one day ahead is allowed
        (6, date(2026, 1, 11)),  # Sunday: two days ahead is not
        (0, date(2026, 1, 12)),
    ],
)
def test_resolve_weekday(weekday: int, expected: date) -> None:
    assert resolve_weekday(weekday, REF) == expected


def test_resolve_weekday_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        resolve_weekday(7, REF)


@pytest.mark.parametrize(
    ("token", "month"),
    [
        ("Jan.", 1),
        ("Jan", 1),
        ("January", 1),
        ("Sept.", 9),
        ("Sep", 9),
        ("SEPT", 9),
        ("March", 3),
        ("Mar.", 3),
        ("May", 5),
        ("june", 6),
        ("Dec.", 12),
        ("Febr.", 2),
    ],
)
def test_parse_month(token: str, month: int) -> None:
    assert parse_month(token) == month


@pytest.mark.parametrize("token", ["Janu", "Foo", "", "12", "Mon"])
def test_parse_month_rejects_other_words(token: str) -> None:
    assert parse_month(token) is None


@pytest.mark.parametrize(
    ("token", "weekday"),
    [("Monday", 0), ("Tues.", 1), ("Wed", 2), ("THURSDAY", 3), ("Fri.", 4), ("Sunday", 6)],
)
def test_parse_weekday(token: str, weekday: int) -> None:
    assert parse_weekday(token) == weekday


def test_published_at_keeps_the_reference_time_on_the_dateline_day() -> None:
    assert published_at_for(date(2026, 1, 16), REF) == REF
    assert published_at_for(date(2026, 1, 15), REF) == datetime(2026, 1, 15, tzinfo=UTC)
    naive = published_at_for(date(2026, 1, 16), datetime(2026, 1, 16, 9, 30))
    assert naive == REF and naive.tzinfo is not None


_references = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


@given(
    month_day=st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)),
    reference=_references,
)
def test_month_day_is_never_after_reference_plus_one_day(
    month_day: date, reference: datetime
) -> None:
    resolved = resolve_month_day(month_day.month, month_day.day, reference)
    limit = reference.date() + timedelta(days=1)
    assert (resolved.month, resolved.day) == (month_day.month, month_day.day)
    assert resolved <= limit
    if (month_day.month, month_day.day) != (2, 29):
        assert limit - resolved < timedelta(days=366)
    else:
        assert limit - resolved < timedelta(days=366 * 8 + 2)


@given(weekday=st.integers(min_value=0, max_value=6), reference=_references)
def test_weekday_is_within_the_week_before_reference_plus_one_day(
    weekday: int, reference: datetime
) -> None:
    resolved = resolve_weekday(weekday, reference)
    limit = reference.date() + timedelta(days=1)
    assert resolved.weekday() == weekday
    assert timedelta(0) <= limit - resolved < timedelta(days=7)
