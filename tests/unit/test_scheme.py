"""Working days with public holidays, stay limits, the lump sum."""

from __future__ import annotations

from datetime import date

import pytest

from bot.scheme import check_stay, end_after_working_days, estimate_lump_sum, working_days


def test_weekends_and_host_holidays_are_not_working_days() -> None:
    # Mon 10 – Fri 14 May 2027: five weekdays, no holiday in Germany.
    assert working_days(date(2027, 5, 10), date(2027, 5, 14), "DE") == 5
    # Mon 3 – Fri 7 May 2027: Ascension Day (Thu 6 May) is a German holiday.
    assert working_days(date(2027, 5, 3), date(2027, 5, 7), "DE") == 4
    # Mon 29 Mar – Fri 2 Apr 2027: Good Friday (26 Mar) is outside, Easter Monday (29 Mar) in.
    assert working_days(date(2027, 3, 29), date(2027, 4, 2), "DE") == 4
    # 1 May 2028 is a Monday and a holiday in Austria.
    assert working_days(date(2028, 5, 1), date(2028, 5, 5), "AT") == 4
    assert working_days(date(2027, 5, 8), date(2027, 5, 9), "DE") == 0  # a weekend
    assert working_days(date(2027, 5, 9), date(2027, 5, 8), "DE") == 0  # reversed


def test_kosovo_and_other_cosme_countries_have_calendars() -> None:
    # 17 Feb is Independence Day in Kosovo: a Wednesday in 2027.
    assert working_days(date(2027, 2, 15), date(2027, 2, 19), "XK") == 4


@pytest.mark.parametrize(
    ("start", "end", "ok", "short", "long"),
    [
        (date(2027, 5, 10), date(2027, 5, 12), True, False, False),  # Mon–Wed: 3 working days
        (date(2027, 5, 13), date(2027, 5, 17), True, False, False),  # Thu, Fri, Mon: 3
        (date(2027, 5, 14), date(2027, 5, 17), False, True, False),  # Fri, Mon: 2
        (date(2027, 5, 3), date(2027, 6, 2), True, False, False),  # one month
        (date(2027, 5, 3), date(2027, 6, 3), False, False, True),  # over a month
    ],
)
def test_stay_limits(start: date, end: date, ok: bool, short: bool, long: bool) -> None:
    check = check_stay(start, end, "PT")
    assert (check.ok, check.too_short, check.too_long) == (ok, short, long)


def test_end_after_working_days_skips_weekends_and_holidays() -> None:
    assert end_after_working_days(date(2027, 5, 10), 5, "DE") == date(2027, 5, 14)
    # Thu 13, Fri 14, (weekend), Whit Monday 17 May is a holiday in Germany: Tue 18.
    assert end_after_working_days(date(2027, 5, 13), 3, "DE") == date(2027, 5, 18)
    assert end_after_working_days(date(2027, 5, 13), 3, "PT") == date(2027, 5, 17)
    with pytest.raises(ValueError):
        end_after_working_days(date(2027, 5, 3), 0, "DE")


@pytest.mark.parametrize(
    ("days", "km", "amount", "short", "near"),
    [
        (10, 800.0, 1100, False, False),
        (4, 800.0, 550, True, False),
        (10, 150.0, 550, False, True),
        (4, 150.0, 550, True, True),  # halved once, not twice
        (10, None, 1100, False, False),  # no coordinates: the distance cannot halve it
    ],
)
def test_lump_sum(days: int, km: float | None, amount: int, short: bool, near: bool) -> None:
    estimate = estimate_lump_sum(days, km, 1100)
    assert (estimate.amount, estimate.short_stay, estimate.near) == (amount, short, near)
    assert estimate.halved == (short or near)
