"""PNG charts: valid PNG of the phone size, empty input, no pyplot, no mathtext, threads."""

from __future__ import annotations

import ast
import random
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import bot.services.charts as charts
from bot.i18n import use_language
from bot.services.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    bar_chart_png,
    line_chart_png,
    timeline_chart_png,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, checking the signature and the chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    width, height = struct.unpack(">II", body[:8])
    assert data.endswith(b"IEND\xae\x42\x60\x82")
    return width, height


def timeline(n: int, start: date = date(2027, 1, 4)) -> tuple[list[date], list[int]]:
    """``n`` days with a cumulative count."""
    xs = [start + timedelta(days=2 * i) for i in range(n)]
    ys, total = [], 0
    for i in range(n):
        total += i % 3
        ys.append(total)
    return xs, ys


def test_sizes_are_for_phones() -> None:
    assert (WIDTH_PX, HEIGHT_PX) == (800, 450)


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        (["DE", "AT"], [3, 1]),
        (
            ["Deutschland", "Österreich", "Česko", "España", "Polska", "Italia", "France"],
            [12, 7, 0, 3, 1, 4, 25],
        ),
        (["A cluster with a name far too long for the axis of a phone"], [1]),
        (["a", "b"], [0, 5]),
        (["big"], [1_000_000]),
    ],
)
def test_bar_chart_is_a_png_of_the_right_size(labels: list[str], values: list[int]) -> None:
    data = bar_chart_png("Sign-ups by country", labels, values, ylabel="Participants")
    assert png_size(data) == (800, 450)


@pytest.mark.parametrize(("labels", "values"), [([], []), (["DE", "AT"], [0, 0])])
def test_bar_chart_with_nothing_to_plot(labels: list[str], values: list[int]) -> None:
    with_note = bar_chart_png("Visits", labels, values, empty_text="No data yet")
    without_note = bar_chart_png("Visits", labels, values)
    assert png_size(with_note) == png_size(without_note) == (800, 450)
    assert with_note != without_note  # the note is drawn


def test_empty_bar_chart_has_no_bars() -> None:
    empty = bar_chart_png("Visits", ["DE"], [0], empty_text="No data yet")
    full = bar_chart_png("Visits", ["DE"], [5], empty_text="No data yet")
    assert empty != full


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        bar_chart_png("x", ["a", "b"], [1])
    with pytest.raises(ValueError):
        line_chart_png("x", [date(2027, 1, 1)], [])


def test_text_is_not_read_as_mathtext() -> None:
    # With mathtext these would fail to parse ("$\frac$" has no arguments).
    title = r"Costs $\frac$ and $5 $\alpha"
    assert png_size(bar_chart_png(title, [r"$\frac$", "b$"], [1, 2], ylabel="$$")) == (800, 450)
    xs, ys = timeline(5)
    assert png_size(line_chart_png(title, xs, ys, ylabel=r"$\frac$")) == (800, 450)
    assert png_size(bar_chart_png("t", [], [], empty_text=r"$\frac$")) == (800, 450)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 40, 400])
def test_line_chart_is_a_png_of_the_right_size(n: int) -> None:
    xs, ys = timeline(n)
    ys[-1] += 1  # never all zero
    with use_language("de"):
        data = line_chart_png("Anmeldungen", xs, ys, ylabel="Teilnehmende")
    assert png_size(data) == (800, 450)


def test_line_chart_sorts_by_date() -> None:
    xs, ys = timeline(10)
    ordered = line_chart_png("Sign-ups", xs, ys)
    shuffled = line_chart_png("Sign-ups", xs[::-1], ys[::-1])
    assert ordered == shuffled


@pytest.mark.parametrize(("xs", "ys"), [([], []), ([date(2027, 1, 1), date(2027, 1, 2)], [0, 0])])
def test_line_chart_with_nothing_to_plot(xs: list[date], ys: list[int]) -> None:
    assert png_size(line_chart_png("Sign-ups", xs, ys, empty_text="No sign-ups yet")) == (800, 450)


def test_charts_can_be_drawn_from_threads() -> None:
    xs, ys = timeline(20)
    expected = bar_chart_png("Same", ["a", "b", "c"], [1, 2, 3])

    def draw(i: int) -> bytes:
        if i % 2:
            return line_chart_png(f"Thread {i}", xs, ys)
        return bar_chart_png("Same", ["a", "b", "c"], [1, 2, 3])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(draw, range(12)))
    for i, data in enumerate(results):
        assert png_size(data) == (800, 450)
        if i % 2 == 0:
            assert data == expected


def test_pyplot_is_never_imported() -> None:
    tree = ast.parse(Path(charts.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert "matplotlib.backends.backend_agg.FigureCanvasAgg" in imported  # the parsing works
    assert not any("pyplot" in name for name in imported)
    script = (
        "import sys\n"
        "from datetime import date\n"
        "from bot.services.charts import bar_chart_png, line_chart_png\n"
        "bar_chart_png('t', ['a'], [1])\n"
        "bar_chart_png('t', [], [], empty_text='none')\n"
        "line_chart_png('t', [date(2027, 1, 1), date(2027, 2, 1)], [1, 2])\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


BERLIN = ZoneInfo("Europe/Berlin")


def signups(n: int, every: timedelta, start: datetime | None = None) -> list[datetime]:
    """``n`` aware sign-up times ``every`` apart."""
    start = start or datetime(2027, 5, 4, 7, 13, tzinfo=UTC)
    return [start + i * every for i in range(n)]


@pytest.mark.parametrize(
    "times",
    [
        signups(30, timedelta(minutes=37)),  # within one day
        signups(10, timedelta(seconds=20)),  # a burst within minutes
        signups(25, timedelta(hours=1.9)),  # almost two days
        signups(30, timedelta(hours=7)),  # about a week
        signups(200, timedelta(hours=9)),  # months
        signups(1, timedelta(0)),  # one single sign-up
        signups(5, timedelta(0)),  # all at the same moment
        signups(40, timedelta(minutes=11), datetime(2027, 3, 28, 0, 5, tzinfo=UTC)),  # DST
    ],
)
def test_timeline_chart_is_a_png_of_the_right_size(times: list[datetime]) -> None:
    for lang in ("en", "de"):
        with use_language(lang):
            data = timeline_chart_png("Sign-ups", times, tz=BERLIN, ylabel="Participants")
        assert png_size(data) == (800, 450)


def test_timeline_chart_in_other_time_zones() -> None:
    times = signups(12, timedelta(minutes=50))
    for tz in (UTC, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns")):
        assert png_size(timeline_chart_png("Sign-ups", times, tz=tz)) == (800, 450)


def test_timeline_chart_depends_on_the_time_zone() -> None:
    times = signups(12, timedelta(minutes=50))
    assert timeline_chart_png("Sign-ups", times, tz=UTC) != timeline_chart_png(
        "Sign-ups", times, tz=BERLIN
    )


def test_empty_timeline_chart() -> None:
    with_note = timeline_chart_png("Sign-ups", [], tz=BERLIN, empty_text="No sign-ups yet")
    without_note = timeline_chart_png("Sign-ups", [], tz=BERLIN)
    assert png_size(with_note) == png_size(without_note) == (800, 450)
    assert with_note != without_note  # the note is drawn


@pytest.mark.parametrize("every", [timedelta(minutes=23), timedelta(hours=13)])
def test_timeline_chart_ignores_input_order(every: timedelta) -> None:
    times = signups(40, every)
    shuffled = times[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != times
    # The same moments given in another zone are the same sign-ups.
    elsewhere = [t.astimezone(ZoneInfo("Asia/Tokyo")) for t in shuffled]
    expected = timeline_chart_png("Sign-ups", times, tz=BERLIN)
    assert timeline_chart_png("Sign-ups", shuffled, tz=BERLIN) == expected
    assert timeline_chart_png("Sign-ups", elsewhere, tz=BERLIN) == expected


def test_timeline_chart_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        timeline_chart_png("Sign-ups", [datetime(2027, 5, 4, 9, 0)], tz=BERLIN)


def test_timeline_text_is_not_read_as_mathtext() -> None:
    data = timeline_chart_png(r"$\frac$", signups(3, timedelta(hours=1)), tz=BERLIN, ylabel="$$")
    assert png_size(data) == (800, 450)


def test_timeline_charts_can_be_drawn_from_threads() -> None:
    times = signups(30, timedelta(minutes=37))
    expected = timeline_chart_png("Same", times, tz=BERLIN)

    def draw(i: int) -> bytes:
        if i % 2:
            return timeline_chart_png(f"Thread {i}", signups(20, timedelta(hours=9)), tz=UTC)
        return timeline_chart_png("Same", times, tz=BERLIN)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(draw, range(12)))
    for i, data in enumerate(results):
        assert png_size(data) == (800, 450)
        if i % 2 == 0:
            assert data == expected
