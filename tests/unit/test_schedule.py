"""Reminder times for a visit (with daylight saving time) and how far away a visit is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file

import bot.services.schedule as schedule
from bot.i18n import use_language
from bot.services.schedule import describe_offset, later_by_months, visit_reminders

BRUSSELS = ZoneInfo("Europe/Brussels")
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def test_winter_and_summer_check_in_times() -> None:
    winter = visit_reminders(date(2027, 1, 11), date(2027, 1, 15), [], BRUSSELS)
    summer = visit_reminders(date(2027, 4, 12), date(2027, 4, 16), [], BRUSSELS)
    assert winter == [
        ("checkin", utc(2027, 1, 11, 8, 0), None),  # 09:00 CET
        ("after", utc(2027, 1, 16, 9, 0), None),  # 10:00 CET the day after the last day
    ]
    assert summer == [
        ("checkin", utc(2027, 4, 12, 7, 0), None),  # 09:00 CEST
        ("after", utc(2027, 4, 17, 8, 0), None),
    ]
    for _kind, due, _offset in winter + summer:
        assert due.tzinfo is UTC


def test_reminders_across_the_spring_clock_change() -> None:
    # Clocks go forward on Sunday 28 March 2027; the visit starts on Monday 5 April.
    reminders = visit_reminders(
        date(2027, 4, 5), date(2027, 4, 9), [14 * DAY, 3 * HOUR, 10 * MINUTE], BRUSSELS
    )
    assert reminders == [
        ("before", utc(2027, 3, 22, 8, 0), 14 * DAY),  # 09:00 CET, still winter time
        ("before", utc(2027, 4, 5, 4, 0), 3 * HOUR),  # 06:00 CEST
        ("before", utc(2027, 4, 5, 6, 50), 10 * MINUTE),  # 08:50 CEST
        ("checkin", utc(2027, 4, 5, 7, 0), None),
        ("after", utc(2027, 4, 10, 8, 0), None),
    ]


def test_whole_days_keep_the_local_hour_and_hours_keep_real_time() -> None:
    # A visit on Sunday 28 March 2027, the day the clocks go forward at 02:00.
    start = date(2027, 3, 28)
    by_kind = {
        offset: due
        for kind, due, offset in visit_reminders(start, start, [2 * DAY, 10 * HOUR], BRUSSELS)
        if kind == "before"
    }
    checkin = utc(2027, 3, 28, 7, 0)  # 09:00 CEST
    assert by_kind[2 * DAY] == utc(2027, 3, 26, 8, 0)  # 09:00 CET: 47 real hours before
    assert checkin - by_kind[2 * DAY] == 47 * HOUR
    assert by_kind[10 * HOUR] == utc(2027, 3, 27, 21, 0)  # exactly 10 hours before
    assert checkin - by_kind[10 * HOUR] == 10 * HOUR


def test_reminders_across_the_autumn_clock_change() -> None:
    # Clocks go back on Sunday 31 October 2027; the visit starts on Monday 1 November.
    reminders = visit_reminders(date(2027, 11, 1), date(2027, 11, 3), [7 * DAY], BRUSSELS)
    assert reminders[0] == ("before", utc(2027, 10, 25, 7, 0), 7 * DAY)  # 09:00 CEST
    assert reminders[1] == ("checkin", utc(2027, 11, 1, 8, 0), None)  # 09:00 CET


def test_duplicates_collapse_and_non_positive_offsets_are_ignored() -> None:
    offsets = [DAY, 7 * DAY, DAY, timedelta(hours=24), timedelta(0), -HOUR, 10 * MINUTE]
    reminders = visit_reminders(date(2027, 4, 12), date(2027, 4, 16), offsets, BRUSSELS)
    assert [(kind, offset) for kind, _due, offset in reminders] == [
        ("before", 7 * DAY),
        ("before", DAY),
        ("before", 10 * MINUTE),
        ("checkin", None),
        ("after", None),
    ]
    dues = [due for _kind, due, _offset in reminders]
    assert dues == sorted(dues) and len(set(dues)) == len(dues)


def test_other_time_zones_and_hours() -> None:
    lisbon = visit_reminders(
        date(2027, 1, 11), date(2027, 1, 11), [HOUR], ZoneInfo("Europe/Lisbon")
    )
    assert lisbon[0] == ("before", utc(2027, 1, 11, 8, 0), HOUR)
    assert lisbon[1] == ("checkin", utc(2027, 1, 11, 9, 0), None)  # Lisbon is on UTC in winter
    helsinki = visit_reminders(
        date(2027, 7, 5), date(2027, 7, 6), [DAY], ZoneInfo("Europe/Helsinki"), hour=8
    )
    assert helsinki == [
        ("before", utc(2027, 7, 4, 5, 0), DAY),  # 08:00 EEST
        ("checkin", utc(2027, 7, 5, 5, 0), None),
        ("after", utc(2027, 7, 7, 7, 0), None),  # 10:00 EEST
    ]


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError):
        visit_reminders(date(2027, 4, 16), date(2027, 4, 12), [DAY], BRUSSELS)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, utc(2027, 2, 28, 9, 0)),  # clamped, 10:00 CET
        (date(2027, 5, 15), 3, utc(2027, 8, 15, 8, 0)),  # 10:00 CEST
        (date(2027, 11, 30), 3, utc(2028, 2, 29, 9, 0)),  # a leap year
        (date(2027, 4, 12), 0, utc(2027, 4, 12, 8, 0)),
    ],
)
def test_later_by_months(day: date, months: int, expected: datetime) -> None:
    result = later_by_months(day, months, BRUSSELS)
    assert result == expected and result.tzinfo is UTC


def test_later_by_months_at_another_hour() -> None:
    assert later_by_months(date(2027, 1, 10), 6, BRUSSELS, hour=18) == utc(2027, 7, 10, 16, 0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (14 * DAY, "in 14 days"),
        (2 * DAY, "in 2 days"),
        (DAY, "tomorrow"),
        (timedelta(hours=23, minutes=45), "tomorrow"),
        (47 * HOUR, "in 2 days"),
        (3 * HOUR, "in 3 hours"),
        (HOUR, "in 1 hour"),
        (timedelta(minutes=59, seconds=45), "in 1 hour"),
        (90 * MINUTE, "in 2 hours"),
        (10 * MINUTE, "in 10 minutes"),
        (MINUTE, "in 1 minute"),
        (timedelta(seconds=30), "now"),
        (timedelta(0), "now"),
        (-HOUR, "now"),
    ],
)
def test_describe_offset(delta: timedelta, text: str) -> None:
    with use_language("en"):
        assert describe_offset(delta) == text


def test_describe_offset_fits_a_reminder_sentence() -> None:
    offsets = [14 * DAY, DAY, 10 * MINUTE]
    reminders = visit_reminders(date(2027, 4, 12), date(2027, 4, 16), offsets, BRUSSELS)
    template = "Your visit starts {when}."  # as the reminder message will say it
    sentences = [
        template.format(when=describe_offset(offset))
        for kind, _due, offset in reminders
        if kind == "before" and offset is not None
    ]
    assert sentences == [
        "Your visit starts in 14 days.",
        "Your visit starts tomorrow.",
        "Your visit starts in 10 minutes.",
    ]


def test_texts_are_marked_for_translation() -> None:
    found = {
        message
        for _line, message, _comments, _context in extract_from_file(
            "python", Path(schedule.__file__)
        )
    }
    assert {
        "now",
        "tomorrow",
        ("in {count} minute", "in {count} minutes"),
        ("in {count} hour", "in {count} hours"),
        ("in {count} day", "in {count} days"),
    } <= found
