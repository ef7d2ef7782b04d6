"""Dates as people type them: numbers, month names in English and German, months alone."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import use_language
from bot.services.date_text import examples, months_after, numeric, parse_date
from bot.services.profile_text import InputError
from bot.services.visit_dates import parse_days, parse_visit_dates

MARCH_1 = date(2027, 3, 1)


@pytest.mark.parametrize(
    "text",
    [
        "1 March 2027", "1 Mar 2027", "1 mar. 2027", "1. März 2027", "1. MÄRZ 2027",
        "1. Maerz 2027", "1. Marz 2027", "1.März 2027", "1st March 2027", "1st of March 2027",
        "March 1, 2027", "March 1st 2027", "1.3.27", "01.03.2027", "1/3/2027", "2027-03-01",
        "März 2027", "Maerz 2027", "march 2027", "MARCH 2027", "Mar 2027", "  März 2027.  ",
    ],
)  # fmt: skip
def test_one_date_in_either_language(text: str) -> None:
    assert parse_date(text) == MARCH_1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jänner 2027", date(2027, 1, 1)),
        ("Jaenner 2027", date(2027, 1, 1)),
        ("15. Okt. 2027", date(2027, 10, 15)),
        ("15 Oct 2027", date(2027, 10, 15)),
        ("3. Dezember 2027", date(2027, 12, 3)),
        ("3 Sept 2027", date(2027, 9, 3)),
        ("1. Mai 2027", date(2027, 5, 1)),
        ("1 May 2027", date(2027, 5, 1)),
        ("31. Juli 2027", date(2027, 7, 31)),
    ],
)
def test_every_month_has_its_names(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_a_month_alone_is_its_first_or_its_last_day() -> None:
    assert parse_date("Februar 2028") == date(2028, 2, 1)
    assert parse_date("Februar 2028", month_end=True) == date(2028, 2, 29)
    assert parse_date("June 2027", month_end=True) == date(2027, 6, 30)
    assert parse_date("12 June 2027", month_end=True) == date(2027, 6, 12)  # a day is a day


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("yesterday", "couldn't read that date"),
        ("March", "couldn't read that date"),
        ("1 March", "couldn't read that date"),  # no year
        ("31 February 2027", "does not exist"),
        ("30. Februar 2027", "does not exist"),
        ("Smarch 2027", "couldn't read that date"),
        ("Marchy 2027", "couldn't read that date"),
    ],
)
def test_what_is_not_a_date_is_explained(text: str, fragment: str) -> None:
    with use_language("en"), pytest.raises(InputError) as info:
        parse_date(text)
    assert fragment in str(info.value)


def test_the_hint_puts_the_readers_way_first() -> None:
    with use_language("en"), pytest.raises(InputError) as info:
        parse_date("soon")
    assert "like 1 March 2027 or 1.3.2027" in str(info.value)
    with use_language("de"), pytest.raises(InputError) as info:
        parse_date("bald")
    assert "1.3.2027 oder 1 March 2027" in str(info.value)
    assert examples(date(2027, 12, 1)) == {
        "example_en": "1 December 2027",
        "example_de": "1.12.2027",
    }


def test_numeric_leaves_the_rest_of_the_text() -> None:
    assert numeric("12.–16. April 2027") == "12.–16.4.2027"
    assert numeric("vom 12. April bis 16. April 2027") == "vom 12.4. bis 16.4.2027"
    assert numeric("Mai 2027 + 5 Arbeitstage") == "1.5.2027 + 5 arbeitstage"


def test_months_after_a_day() -> None:
    assert months_after(date(2026, 11, 21), 3) == [(2026, 12), (2027, 1), (2027, 2)]


@pytest.mark.parametrize(
    "text",
    [
        "12–16 April 2027", "12 – 16 Apr 2027", "12 to 16 April 2027", "12. bis 16. April 2027",
        "12.–16. April 2027", "12 April – 16 April 2027", "12. April bis 16. April 2027",
        "12 April 2027 – 16 April 2027", "April 12, 2027 – April 16, 2027", "12 April 2027 + 5",
        "12. April 2027 5 Arbeitstage", "12.4.2027 für 5 Arbeitstage",
    ],
)  # fmt: skip
def test_visit_dates_with_month_names(text: str) -> None:
    assert parse_visit_dates(text, "DE") == (date(2027, 4, 12), date(2027, 4, 16))


def test_event_days() -> None:
    assert parse_days("12. Mai 2027") == (date(2027, 5, 12), date(2027, 5, 12))
    assert parse_days("12–13 May 2027") == (date(2027, 5, 12), date(2027, 5, 13))
    assert parse_days("12.5.2027 + 5") is None
    assert parse_days("next week") is None
