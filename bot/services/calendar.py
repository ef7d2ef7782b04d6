"""An iCalendar file (``.ics``) for a visit, to send as a document people add to their calendar.

The visit is an all-day event; ``DTEND`` is exclusive, so it is the day after the last day.
A display alarm reminds one day before. Pure function, no Telegram.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

PRODID = "-//cxbot//ClusterXchange//EN"


def visit_ics(
    *,
    uid: str,
    start: date,
    end: date,
    summary: str,
    description: str,
    location: str,
    now: datetime,
) -> bytes:
    """The visit from ``start`` to ``end`` (inclusive) as an all-day event in a VCALENDAR."""
    from icalendar import Alarm, Calendar, Event  # a fiftieth of a second, not at start

    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("start and end must be dates, not datetimes")
    if end < start:
        raise ValueError("end must not be before start")
    stamp = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(days=-1))

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    event.add("transp", "TRANSPARENT")
    event.add_component(alarm)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add_component(event)
    return cal.to_ical()
