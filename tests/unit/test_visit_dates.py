"""Reading a visit's first and last day: ranges, German shorthand, working-day counts, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

import bot.services.visit_dates as visit_dates
from bot.i18n import use_language
from bot.services.profile_text import InputError
from bot.services.visit_dates import MAX_INPUT, parse_visit_dates

MON, FRI = date(2027, 4, 12), date(2027, 4, 16)  # Mon 12 – Fri 16 April 2027, no holidays


@pytest.mark.parametrize(
    "text",
    [
        "2027-04-12 – 2027-04-16",
        "2027-04-12 - 2027-04-16",
        "2027-04-12—2027-04-16",
        "2027-04-12 2027-04-16",
        "2027-04-12 to 2027-04-16",
        "2027-04-12 until 2027-04-16",
        "From 2027-04-12 to 2027-04-16",
        "12.4.2027 bis 16.4.2027",
        "vom 12.4.2027 bis zum 16.4.2027",
        "Von 12.04.2027 bis einschließlich 16.04.2027.",
        "12.04.27 - 16.04.27",
        "12.4.2027 16.4.2027",
        "  12.4.2027\u00a0–\u00a016.4.2027  ",
        "12/4/2027 - 16/4/2027",
        "12.4.2027to16.4.2027",
        "12.4.–16.4.2027",
        "12.4. - 16.4.2027",
        "12.4.-16.4.27",
        "12.–16.4.2027",
        "12. bis 16.4.2027",
        "vom 12.4. bis 16.4.2027",
        "2027-04-12 5",
        "12.4.2027 + 5",
        "12.4.2027+5",
        "12.4.2027 5 working days",
        "12.4.2027 5 Working Days",
        "12.4.2027 5 workdays",
        "12.4.2027 for 5 days",
        "12.4.2027 5 days",
        "12.4.2027 5 Arbeitstage",
        "12.4.2027 für 5 Arbeitstage",
        "12.4.2027 5 Werktage",
        "12.4.2027 5 Tage",
        "12.4.2027 + 5 Tage.",
    ],
)
def test_accepted_forms_give_monday_to_friday(text: str) -> None:
    assert parse_visit_dates(text, "DE") == (MON, FRI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The first date borrows the month from the second; the 28th before 3 May is in April.
        ("28.–3.5.2027", (date(2027, 4, 28), date(2027, 5, 3))),
        # The first date borrows the year; 28 December before 3 January is the year before.
        ("28.12.–3.1.2028", (date(2027, 12, 28), date(2028, 1, 3))),
        ("2027-04-16 - 2027-04-16", (FRI, FRI)),  # a single day is for check_stay to judge
        ("2027-04-12 1", (MON, MON)),
        ("2027-04-12 + 40", (MON, date(2027, 6, 8))),  # Ascension and Whit Monday are off
        ("2027-12-30 - 2028-01-05", (date(2027, 12, 30), date(2028, 1, 5))),
    ],
)
def test_borrowed_parts_and_edges(text: str, expected: tuple[date, date]) -> None:
    assert parse_visit_dates(text, "DE") == expected


def test_working_days_skip_the_host_countrys_holidays() -> None:
    # Thu 25 March 2027: Good Friday (26) and Easter Monday (29) are holidays in Germany,
    # only Easter Monday is one in France.
    assert parse_visit_dates("25.3.2027 + 5", "DE") == (date(2027, 3, 25), date(2027, 4, 2))
    assert parse_visit_dates("25.3.2027 + 5", "FR") == (date(2027, 3, 25), date(2027, 4, 1))
    # Starting on a Saturday: the weekend does not count.
    assert parse_visit_dates("2027-04-10 + 5", "DE") == (date(2027, 4, 10), FRI)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "couldn't read the dates"),
        ("   ", "couldn't read the dates"),
        ("next week", "couldn't read the dates"),
        ("nächste Woche", "couldn't read the dates"),
        ("5 Tage", "couldn't read the dates"),
        ("from 12 April to 16 April", "couldn't read the dates"),
        ("12.4.2027 tomorrow 16.4.2027", "couldn't read the dates"),
        ("12.4.2027 - 5", "couldn't read the dates"),
        ("12.4.20275", "couldn't read the dates"),
        ("12.4. - 16.4.", "couldn't read the dates"),
        ("12.4.2027", "only one date (12 Apr 2027)"),
        ("vom 2027-04-12", "only one date (12 Apr 2027)"),
        ("16.4.2027 - 12.4.2027", "The last day (12 Apr 2027) is before the first day (16 Apr"),
        ("2027-04-16 to 2027-04-12", "is before the first day"),
        ("2027-02-30 - 2027-03-02", "does not exist"),
        ("12.4.2027 - 31.4.2027", "does not exist"),
        ("31.–2.3.2027", "does not exist"),  # 31 February
        ("30.2.–2.3.2027", "does not exist"),
        ("12.13.2027 + 5", "does not exist"),
        ("12.4.2027 0", "from 1 to 40, not 0"),
        ("12.4.2027 99", "from 1 to 40, not 99"),
        ("12.4.2027 + 41 Arbeitstage", "from 1 to 40, not 41"),
    ],
)
def test_bad_input_is_explained(text: str, fragment: str) -> None:
    with use_language("en"), pytest.raises(InputError) as info:
        parse_visit_dates(text, "DE")
    assert fragment in str(info.value)


def test_help_names_the_accepted_formats() -> None:
    with use_language("en"), pytest.raises(InputError) as info:
        parse_visit_dates("next week", "DE")
    message = str(info.value)
    for example in ("2027-04-12 – 2027-04-16", "12.4.2027 – 16.4.2027", "12.4.2027 + 5"):
        assert example in message


def test_dates_in_messages_follow_the_language() -> None:
    with use_language("de"), pytest.raises(InputError) as info:
        parse_visit_dates("16.4.2027 - 12.4.2027", "DE")
    assert "12.04.2027" in str(info.value) and "16.04.2027" in str(info.value)


def test_input_is_cut_at_the_limit() -> None:
    head, tail = "12.4.2027", "– 16.4.2027"
    fits = head + " " * (MAX_INPUT - len(head) - len(tail)) + tail
    assert len(fits) == MAX_INPUT
    assert parse_visit_dates(fits, "DE") == (MON, FRI)
    with pytest.raises(InputError):
        parse_visit_dates(head + " " + fits[len(head) :], "DE")  # the year's last digit is cut
    with pytest.raises(InputError):
        parse_visit_dates("x" * 10_000 + " 12.4.2027 - 16.4.2027", "DE")


def test_messages_are_marked_for_translation_with_named_placeholders() -> None:
    path = Path(visit_dates.__file__)
    found = [message for _line, message, _c, _ctx in extract_from_file("python", path)]
    assert len(found) == 5 and all(isinstance(message, str) for message in found)
    assert sum("{" in message for message in found) == 3
    for message in found:
        assert "{}" not in message and "%" not in message
        message.format(end="E", start="S", low=1, high=40, given=0)  # no other placeholder
