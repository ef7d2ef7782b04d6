"""PNG charts drawn with Pillow: valid PNG of the phone size, what is drawn where, empty input,
text drawn as given (any Unicode, no markup), DST days, threads, and no matplotlib anywhere."""

from __future__ import annotations

import io
import math
import random
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

import bot.services.charts as charts
from bot.i18n import use_language
from bot.services.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    bar_chart_png,
    line_chart_png,
    timeline_chart_png,
)
from bot.services.ui import cut

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


# What is drawn where, read back from the pixels.


def pixels(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    return image.convert("RGB")


def is_bar(pixel: tuple[int, int, int]) -> bool:
    return all(abs(p - c) <= 12 for p, c in zip(pixel, charts.COLOR, strict=True))


def is_ink(pixel: tuple[int, int, int]) -> bool:
    """Dark grey text or axes (not the blue of the bars)."""
    return max(pixel) < 130 and max(pixel) - min(pixel) < 30


def bar_columns(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """(left, right, top, bottom) of every bar, from the blue columns."""
    bars: list[tuple[int, int, int, int]] = []
    width, height = image.size
    for x in range(width):
        blue = [y for y in range(height) if is_bar(image.getpixel((x, y)))]
        if len(blue) < 3:
            continue
        if bars and bars[-1][1] == x - 1:
            left, _right, top, bottom = bars[-1]
            bars[-1] = (left, x, min(top, blue[0]), max(bottom, blue[-1]))
        else:
            bars.append((x, x, blue[0], blue[-1]))
    return bars


CASES = {
    "bars": lambda: bar_chart_png("Sign-ups by country", ["DE", "AT"], [3, 1], ylabel="People"),
    "crowded": lambda: bar_chart_png(
        "Exchanges by phase: a partnership with a very long name indeed, longer than a phone",
        ["Deutschland", "Österreich", "Ελλάδα", "A cluster with a name far too long", "Polska"],
        [12, 7, 2, 1_000_000, 4],
        ylabel="A label on the y axis that is much too long to fit the height of the plot area",
    ),
    "forty": lambda: bar_chart_png("Forty", [f"Country {i}" for i in range(40)], list(range(40))),
    "line": lambda: line_chart_png("Sign-ups", *timeline(40), ylabel="People"),
    "one day": lambda: line_chart_png("Sign-ups", [date(2027, 3, 1)], [4], ylabel="People"),
    "hours": lambda: timeline_chart_png(
        "Sign-ups", signups(25, timedelta(hours=1.9)), tz=BERLIN, ylabel="People"
    ),
    "weeks": lambda: timeline_chart_png("Sign-ups", signups(30, timedelta(hours=7)), tz=BERLIN),
    "empty": lambda: bar_chart_png("Visits", [], [], empty_text="No data yet " * 20),
}


@pytest.mark.parametrize("case", list(CASES))
def test_nothing_is_cut_off(case: str) -> None:
    """A white border all round: no title, label or value runs over the image's edge."""
    for lang in ("en", "de"):
        with use_language(lang):
            image = pixels(CASES[case]())
        width, height = image.size
        border = [(x, y) for x in range(width) for y in (*range(4), *range(height - 4, height))]
        border += [(x, y) for y in range(height) for x in (*range(4), *range(width - 4, width))]
        assert all(image.getpixel(xy) == (255, 255, 255) for xy in border), case


def test_bars_are_as_high_as_their_values_and_carry_them_on_top() -> None:
    image = pixels(CASES["bars"]())
    bars = bar_columns(image)
    assert len(bars) == 2
    (_l1, _r1, top1, bottom1), (_l2, _r2, top2, bottom2) = bars
    assert abs(bottom1 - bottom2) <= 1  # one base line
    assert (bottom1 - top1) / (bottom2 - top2) == pytest.approx(3, rel=0.05)
    for left, right, top, _bottom in bars:
        above = [(x, y) for x in range(left, right + 1) for y in range(max(top - 22, 0), top - 1)]
        assert any(is_ink(image.getpixel(xy)) for xy in above)  # the value
    # The title is written at the top, the y label at the left.
    assert any(is_ink(image.getpixel((x, y))) for x in range(300, 500) for y in range(8, 35))
    assert any(is_ink(image.getpixel((x, y))) for x in range(8, 30) for y in range(150, 300))


def free_strip(image: Image.Image, start: tuple[float, float], angle: float, length: int) -> bool:
    """Whether the line from ``start`` down and to the left at ``angle`` degrees is free of
    text: the gap between two neighbouring turned labels."""
    a = math.radians(angle)
    for step in range(length):
        x = round(start[0] - step * math.cos(a))
        y = round(start[1] + step * math.sin(a))
        if 0 <= x < image.width and 0 <= y < image.height and is_ink(image.getpixel((x, y))):
            return False
    return True


@pytest.mark.parametrize(
    ("labels", "angle"),
    [
        (["Deutschland", "Österreich", "Česko", "España", "Polska", "Italia", "France"], 30),
        ([f"Country number {i}" for i in range(40)], 90),
    ],
)
def test_crowded_labels_are_turned_and_kept_apart(labels: list[str], angle: int) -> None:
    values = [i % 5 + 1 for i in range(len(labels))]
    image = pixels(bar_chart_png("Crowded", labels, values))
    bars = bar_columns(image)
    assert len(bars) == len(labels)
    axis = max(bottom for _l, _r, _t, bottom in bars) + 1
    centres = [(left + right) / 2 for left, right, _t, _b in bars]
    # Turned labels reach far below the axis, further than one line of text.
    rows = [
        y
        for y in range(axis + 2, HEIGHT_PX)
        for x in range(WIDTH_PX)
        if is_ink(image.getpixel((x, y)))
    ]
    assert max(rows) - axis > 40
    # Between every two neighbours runs a free strip parallel to the labels.
    for left, right in pairwise(centres):
        assert free_strip(image, ((left + right) / 2, axis + 8), angle, 100), (left, right)


def test_few_short_labels_stay_horizontal() -> None:
    image = pixels(bar_chart_png("Few", ["DE", "AT", "CH"], [3, 1, 2]))
    axis = max(bottom for _l, _r, _t, bottom in bar_columns(image)) + 1
    rows = [
        y
        for y in range(axis + 2, HEIGHT_PX)
        for x in range(WIDTH_PX)
        if is_ink(image.getpixel((x, y)))
    ]
    assert rows and max(rows) - axis < 25  # one line under the axis


def test_long_labels_are_shortened() -> None:
    def short(label: str) -> str:  # as bar_chart_png cuts its labels
        return cut(label, charts.MAX_LABEL)

    assert short("A cluster with a name far too long for the axis") == ("A cluster with a name f…")
    assert len(short("x" * 30)) == charts.MAX_LABEL
    assert short("x" * 24) == "x" * 24


@pytest.mark.parametrize(
    "draw",
    [
        lambda note: bar_chart_png(
            "Visits", ["DE", "AT"], [0, 0], ylabel="People", empty_text=note
        ),
        lambda note: line_chart_png("Sign-ups", [], [], empty_text=note),
        lambda note: timeline_chart_png("Sign-ups", [], tz=BERLIN, empty_text=note),
    ],
)
def test_an_empty_chart_shows_its_note_in_grey_and_nothing_else(
    draw: Callable[[str], bytes],
) -> None:
    with_note, without_note = pixels(draw("No data yet")), pixels(draw(""))
    width, height = with_note.size
    below_title = [(x, y) for x in range(0, width, 2) for y in range(50, height, 2)]
    assert all(without_note.getpixel(xy) == (255, 255, 255) for xy in below_title)
    grey = [xy for xy in below_title if with_note.getpixel(xy) != (255, 255, 255)]
    assert grey and all(150 < y < 300 and 250 < x < 550 for x, y in grey)  # in the middle
    assert any(abs(with_note.getpixel(xy)[0] - 102) < 20 for xy in grey)
    assert not any(is_bar(with_note.getpixel(xy)) for xy in below_title)


def test_a_long_empty_note_is_wrapped() -> None:
    image = pixels(bar_chart_png("Visits", [], [], empty_text="No data yet " * 20))
    rows = {
        y
        for y in range(50, HEIGHT_PX)
        for x in range(WIDTH_PX)
        if image.getpixel((x, y)) != (255, 255, 255)
    }
    assert max(rows) - min(rows) > 50  # several lines


def test_unicode_text_is_drawn_with_real_glyphs() -> None:
    """The shipped DejaVu has every letter (no empty boxes), and markup is drawn as text."""
    texts = ["Österreich", "Česko", "Ελλάδα", "Türkiye – Sakartvelo", "<b>&amp;</b> €"]
    font = TTFont(charts.FONT_DIR / "DejaVuSans.ttf")
    bold = TTFont(charts.FONT_DIR / "DejaVuSans-Bold.ttf")
    for face in (font, bold):
        cmap = face.getBestCmap()
        assert all(ord(ch) in cmap for text in texts for ch in text if not ch.isspace())
    data = bar_chart_png("Ελλάδα <b>&</b>", texts, [1, 2, 3, 4, 5], ylabel="Teilnehmende")
    assert png_size(data) == (800, 450)
    other = bar_chart_png("Ελλάδα <b>&</b>", [*texts[:2], "Ελλάδβ", *texts[3:]], [1, 2, 3, 4, 5])
    assert other != bar_chart_png("Ελλάδα <b>&</b>", texts, [1, 2, 3, 4, 5])


def test_hour_ticks_on_the_day_summer_time_begins() -> None:
    # 28 March 2027 in Berlin: 02:00 does not exist, the clock jumps to 03:00.
    first = datetime(2027, 3, 28, 0, 5, tzinfo=UTC).astimezone(BERLIN)  # 01:05 CET
    last = datetime(2027, 3, 28, 7, 14, tzinfo=UTC).astimezone(BERLIN)  # 09:14 CEST
    with use_language("en"):
        lo, hi, ticks = charts._hour_ticks(first, last, BERLIN)
    labels = [label.split("\n")[0] for label in ticks.values()]
    assert labels == ["00:00", "03:00", "04:00", "06:00", "08:00", "10:00"]
    assert next(iter(ticks.values())) == "00:00\n28 Mar 2027"  # the date under the day's first tick
    xs = list(ticks)
    assert xs == sorted(xs) and xs[0] == lo and xs[-1] == hi
    assert xs[1] - xs[0] == 2 * 3600  # 00:00 CET to 03:00 CEST: two real hours


def test_hour_ticks_on_the_day_summer_time_ends() -> None:
    # 31 October 2027 in Berlin: 02:00 to 03:00 happens twice.
    first = datetime(2027, 10, 30, 22, 30, tzinfo=UTC).astimezone(BERLIN)  # 00:30 CEST
    last = datetime(2027, 10, 31, 3, 40, tzinfo=UTC).astimezone(BERLIN)  # 04:40 CET
    lo, hi, ticks = charts._hour_ticks(first, last, BERLIN)
    labels = [label.split("\n")[0] for label in ticks.values()]
    assert labels == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"]
    xs = list(ticks)
    assert xs == sorted(xs) and lo <= xs[0] and xs[-1] <= hi
    assert xs[3] - xs[2] == 2 * 3600  # 02:00 CEST to 03:00 CET


def test_a_timeline_over_a_dst_change_is_drawn() -> None:
    for start in (
        datetime(2027, 3, 28, 0, 5, tzinfo=UTC),
        datetime(2027, 10, 30, 22, 5, tzinfo=UTC),
    ):
        image = pixels(
            timeline_chart_png("Sign-ups", signups(40, timedelta(minutes=11), start), tz=BERLIN)
        )
        assert sum(is_bar(image.getpixel((x, 300))) for x in range(WIDTH_PX)) > 0  # the line


SCRIPT = """
import sys
sys.modules["matplotlib"] = None  # importing matplotlib now fails
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo
from bot.services.charts import bar_chart_png, line_chart_png, timeline_chart_png
from bot.services.event_media import poster_pdf
from bot.services.exchanges.certificate import CertificateText, certificate_pdf
bar_chart_png("t", ["Österreich"], [1])
bar_chart_png("t", [], [], empty_text="none")
line_chart_png("t", [date(2027, 1, 1), date(2027, 2, 1)], [1, 2])
timeline_chart_png("t", [datetime(2027, 5, 4, 9, tzinfo=UTC)], tz=ZoneInfo("Europe/Berlin"))
poster = poster_pdf(
    event_name="Ελλάδα – Österreich", when="4 May 2027", where="Münster",
    link="https://t.me/cxbot_demo_bot?start=ev_x", instructions=["Scan the code."],
)
certificate = certificate_pdf(CertificateText(
    title="Teilnahmebescheinigung", scheme="ClusterXchange", body=["Anna Müller – Ελλάδα"],
    details=[("Datum", "4. Mai 2027")], footer="Ausgestellt am 5. Mai 2027",
))
assert poster.startswith(b"%PDF-") and certificate.startswith(b"%PDF-")
assert sys.modules["matplotlib"] is None
assert not [name for name in sys.modules if name.startswith("matplotlib.")]
print("ok")
"""


def test_charts_poster_and_certificate_need_no_matplotlib() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_fonts_are_the_shipped_ones() -> None:
    root = Path(__file__).resolve().parents[2]
    assert root / "bot" / "data" / "fonts" == charts.FONT_DIR
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (charts.FONT_DIR / name).is_file()
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert "matplotlib" not in source
