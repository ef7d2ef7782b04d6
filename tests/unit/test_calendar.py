"""The visit's .ics file: parsed back with icalendar, all-day dates, exclusive end, the alarm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from bot.services.calendar import PRODID, visit_ics

START, END = date(2027, 4, 12), date(2027, 4, 16)


def _ics(**overrides: object) -> bytes:
    kwargs: dict[str, object] = {
        "uid": "visit-42@cxbot",
        "start": START,
        "end": END,
        "summary": "ClusterXchange visit: Têxtil cluster",
        "description": "Host: Têxtil cluster\nGuest: Zürich Medtech; see you soon, 1 + 1",
        "location": "Zürich, Switzerland",
        "now": datetime(2026, 11, 21, 11, 30, tzinfo=timezone(timedelta(hours=1))),
    }
    kwargs.update(overrides)
    return visit_ics(**kwargs)  # type: ignore[arg-type]


def test_calendar_and_event_fields_survive_a_round_trip() -> None:
    data = _ics()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    cal = Calendar.from_ical(data)
    assert str(cal["prodid"]) == PRODID == "-//cxbot//ClusterXchange//EN"
    assert str(cal["version"]) == "2.0"
    assert str(cal["method"]) == "PUBLISH"
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["uid"]) == "visit-42@cxbot"
    assert str(event["summary"]) == "ClusterXchange visit: Têxtil cluster"
    assert str(event["description"]) == (
        "Host: Têxtil cluster\nGuest: Zürich Medtech; see you soon, 1 + 1"
    )
    assert str(event["location"]) == "Zürich, Switzerland"
    assert str(event["transp"]) == "TRANSPARENT"
    assert event.decoded("dtstamp") == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    assert b"DTSTAMP:20261121T103000Z" in data


def test_all_day_dates_with_an_exclusive_end() -> None:
    data = _ics()
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert type(start) is date and type(end) is date  # DATE values, not DATE-TIME
    assert start == START
    assert end == date(2027, 4, 17)  # the day after the last day
    assert b"DTSTART;VALUE=DATE:20270412" in data
    assert b"DTEND;VALUE=DATE:20270417" in data


def test_one_day_visit_ends_the_next_day() -> None:
    event = Calendar.from_ical(_ics(start=START, end=START)).walk("VEVENT")[0]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(days=1)


def test_a_display_alarm_one_day_before() -> None:
    data = _ics()
    alarms = Calendar.from_ical(data).walk("VALARM")
    assert len(alarms) == 1
    alarm = alarms[0]
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == timedelta(days=-1)
    assert str(alarm["description"]) == "ClusterXchange visit: Têxtil cluster"
    assert b"TRIGGER:-P1D" in data


def test_non_ascii_text_is_utf8() -> None:
    data = _ics(summary="Besuch in Zürich – Têxtil", location="Łódź")
    assert "Zürich – Têxtil".encode() in data
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["summary"]) == "Besuch in Zürich – Têxtil"
    assert str(event["location"]) == "Łódź"


def test_naive_now_is_taken_as_utc() -> None:
    event = Calendar.from_ical(_ics(now=datetime(2026, 11, 21, 10, 0))).walk("VEVENT")[0]
    assert event.decoded("dtstamp") == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_bad_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        _ics(start=END, end=START)
    with pytest.raises(TypeError):
        _ics(start=datetime(2027, 4, 12, 9, 0))
