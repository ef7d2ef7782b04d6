"""PNG charts for statistics messages: a bar chart and cumulative timelines.

Drawn with Pillow in the DejaVu fonts the bot ships (``bot/data/fonts``), at twice the size and
then scaled down, which smooths lines and dots. Every call draws on an image and with font
objects of its own (only the font files' bytes are cached), so charts can be drawn from worker
threads. Charts are 800×450 pixels, readable on a phone. Text is drawn as given (any Unicode,
nothing is parsed), and dates on the time axis are formatted in the reader's language.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from itertools import pairwise

from PIL import Image, ImageDraw, ImageFont

from bot.i18n import format_date
from bot.services.event_media import FONT_DIR
from bot.services.ui import cut

WIDTH_PX, HEIGHT_PX = 800, 450
SCALE = 2  # drawn at twice the size, then scaled down
COLOR = (31, 78, 156)  # #1f4e9c
FILL = (*COLOR, 38)  # the area under a line, 15 % opaque
INK = (34, 34, 34)
TICK_INK = (68, 68, 68)
MUTED = (102, 102, 102)  # the note of an empty chart
AXIS = (120, 120, 120)
GRID = (228, 231, 236)
MAX_LABEL = 24
HOUR_STEPS = (1, 2, 3, 4, 6, 12)  # hours between ticks on a short timeline
MAX_HOUR_TICKS = 8
MAX_DATE_TICKS = 7
MAX_Y_INTERVALS = 6
# Text sizes in pixels.
TITLE_PX, TITLE_MIN_PX = 18, 13
LABEL_PX, TICK_PX, VALUE_PX, NOTE_PX = 14, 12, 12, 19
EDGE = 12  # free pixels along the image's border
TICK_LEN = 4
CROWDED_ANGLES = (30, 45, 60, 90)  # degrees, the least that keeps crowded labels apart
MAX_BAR = 110  # pixels: a few bars stay bars, not walls
PLOT_GUESS = WIDTH_PX - 2 * EDGE - 100  # about the plot's width, before the y axis is known


@cache
def _font_bytes(bold: bool) -> bytes:
    """The font file, read once (bytes are immutable, so threads share them safely)."""
    return (FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")).read_bytes()


@dataclass(frozen=True)
class _Label:
    """A tick label: its lines, the size and the angle it is drawn at (degrees, counter-clockwise).

    Horizontal labels hang centred below their tick; turned ones end at it."""

    lines: tuple[str, ...]
    size: int
    angle: int = 0


class _Canvas:
    """One chart being drawn: the image at ``SCALE`` times the size and its own fonts.

    Coordinates are in pixels of the final image; the canvas multiplies them."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH_PX * SCALE, HEIGHT_PX * SCALE), "white")
        self.draw = ImageDraw.Draw(self.image, "RGBA")
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}

    def font(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (size, bold)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(
                io.BytesIO(_font_bytes(bold)),
                size * SCALE,
                layout_engine=ImageFont.Layout.BASIC,  # the same pixels with or without libraqm
            )
        return self._fonts[key]

    def width(self, text: str, size: int, bold: bool = False) -> float:
        return self.font(size, bold).getlength(text) / SCALE

    def height(self, size: int, bold: bool = False) -> float:
        """The height of a line: ascent and descent."""
        ascent, descent = self.font(size, bold).getmetrics()
        return (ascent + descent) / SCALE

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        *,
        anchor: str = "la",
        fill: tuple[int, ...] = INK,
        bold: bool = False,
    ) -> None:
        x, y = xy
        font = self.font(size, bold)
        self.draw.text((x * SCALE, y * SCALE), text, font=font, fill=fill, anchor=anchor)

    def turned(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        angle: float,
        pivot: tuple[float, float],
        fill: tuple[int, ...] = INK,
    ) -> None:
        """``text`` turned by ``angle`` degrees about its point ``pivot`` (fractions of its
        width and height), which lands on ``xy``."""
        font = self.font(size)
        ascent, descent = font.getmetrics()
        w, h = math.ceil(font.getlength(text)) + 2, ascent + descent
        layer = Image.new("L", (w, h), 0)
        ImageDraw.Draw(layer).text((1, 0), text, font=font, fill=255)
        turned = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        dx, dy = pivot[0] * w - w / 2, pivot[1] * h - h / 2
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        px = turned.width / 2 + dx * cos + dy * sin
        py = turned.height / 2 - dx * sin + dy * cos
        left, top = round(xy[0] * SCALE - px), round(xy[1] * SCALE - py)
        self.image.paste(Image.new("RGB", turned.size, fill[:3]), (left, top), turned)

    def line(
        self, points: Sequence[tuple[float, float]], fill: tuple[int, ...], width: float
    ) -> None:
        scaled = [(x * SCALE, y * SCALE) for x, y in points]
        self.draw.line(scaled, fill=fill, width=round(width * SCALE), joint="curve")

    def rectangle(self, box: tuple[float, float, float, float], fill: tuple[int, ...]) -> None:
        self.draw.rectangle(tuple(round(v * SCALE) for v in box), fill=fill)

    def polygon(self, points: Sequence[tuple[float, float]], fill: tuple[int, ...]) -> None:
        self.draw.polygon([(x * SCALE, y * SCALE) for x, y in points], fill=fill)

    def dot(self, xy: tuple[float, float], radius: float, fill: tuple[int, ...]) -> None:
        x, y = xy
        r = radius * SCALE
        self.draw.ellipse((x * SCALE - r, y * SCALE - r, x * SCALE + r, y * SCALE + r), fill=fill)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.reduce(SCALE).save(buf, format="PNG")
        return buf.getvalue()


def _fit(c: _Canvas, text: str, size: int, room: float, bold: bool = False) -> str:
    """``text``, shortened with "…" until it is at most ``room`` pixels wide."""
    if c.width(text, size, bold) <= room:
        return text
    short, long = 0, len(text)  # the longest prefix that fits lies in [short, long)
    while long - short > 1:
        middle = (short + long) // 2
        if c.width(text[:middle].rstrip() + "…", size, bold) <= room:
            short = middle
        else:
            long = middle
    return text[:short].rstrip() + "…"


def _title(c: _Canvas, title: str) -> float:
    """The title centred at the top, smaller or shortened when long; returns its bottom."""
    room = WIDTH_PX - 2 * EDGE
    size = next(
        (s for s in range(TITLE_PX, TITLE_MIN_PX - 1, -1) if c.width(title, s, True) <= room),
        TITLE_MIN_PX,
    )
    c.text((WIDTH_PX / 2, EDGE), _fit(c, title, size, room, True), size, anchor="ma", bold=True)
    return EDGE + c.height(size, True)


def _empty(c: _Canvas, top: float, empty_text: str) -> bytes:
    """No axes, and ``empty_text`` in grey, wrapped and centred below the title."""
    room = WIDTH_PX - 8 * EDGE
    lines: list[str] = []
    for paragraph in empty_text.splitlines():
        line = ""
        for word in paragraph.split():
            wider = f"{line} {word}" if line else word
            if line and c.width(wider, NOTE_PX) > room:
                lines.append(line)
                line = word
            else:
                line = wider
        lines.append(_fit(c, line, NOTE_PX, room))
    step = c.height(NOTE_PX) * 1.2
    y = (top + HEIGHT_PX) / 2 - step * len(lines) / 2
    for i, line in enumerate(lines):
        c.text((WIDTH_PX / 2, y + i * step), line, NOTE_PX, anchor="ma", fill=MUTED)
    return c.png()


def _turned_box(c: _Canvas, label: _Label) -> tuple[list[float], list[float]]:
    """The corners of a turned label relative to its pivot (the right end's middle)."""
    a = math.radians(label.angle)
    w, h = c.width(label.lines[0], label.size), c.height(label.size)
    corners = [(x - w, y - h / 2) for x in (0, w) for y in (0, h)]
    xs = [dx * math.cos(a) + dy * math.sin(a) for dx, dy in corners]
    ys = [-dx * math.sin(a) + dy * math.cos(a) for dx, dy in corners]
    return xs, ys


def _extent(c: _Canvas, label: _Label) -> tuple[float, float, float]:
    """How far a label reaches left of its tick, right of it and down from the axis."""
    gap = TICK_LEN + 3
    if not label.angle:
        half = max(c.width(line, label.size) for line in label.lines) / 2
        return half, half, gap + c.height(label.size) * len(label.lines)
    xs, ys = _turned_box(c, label)
    return -min(xs), max(xs), gap + max(ys) - min(ys)


def _draw_label(c: _Canvas, x: float, axis_y: float, label: _Label) -> None:
    """A horizontal label hangs centred below its tick; a turned one ends at it, rising."""
    gap = TICK_LEN + 3
    if not label.angle:
        line_h = c.height(label.size)
        for i, line in enumerate(label.lines):
            y = axis_y + gap + i * line_h
            c.text((x, y), line, label.size, fill=TICK_INK, anchor="ma")
        return
    _xs, ys = _turned_box(c, label)
    pivot = (x, axis_y + gap - min(ys))
    c.turned(pivot, label.lines[0], label.size, label.angle, (1.0, 0.5), TICK_INK)


def _nice_step(span: float, intervals: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … that cuts ``span`` in at most ``intervals``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if span / step <= intervals:
                return step
        magnitude *= 10


@dataclass(frozen=True)
class _Plot:
    """The plotting area (pixels) and the range of values it shows upwards."""

    left: float
    top: float
    right: float
    bottom: float
    low: float
    high: float

    def x(self, fraction: float) -> float:
        return self.left + fraction * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)


def _axes(
    c: _Canvas,
    *,
    title_bottom: float,
    ylabel: str,
    low: float,
    high: float,
    headroom: float,
    ticks: Sequence[tuple[float, _Label]],
) -> _Plot:
    """Lays out and draws the frame: the y label, integer y ticks with grid lines, the axes and
    the x tick labels at their ``(fraction of the width, label)``. ``headroom`` pixels stay free
    above ``high`` (for the values written over bars and lines)."""
    extents = [_extent(c, label) for _f, label in ticks]
    bottom = HEIGHT_PX - EDGE - max((down for _l, _r, down in extents), default=0.0)
    top = title_bottom + 14
    room = bottom - top
    # The axis reaches 12 % over the data, and at least far enough for the headroom.
    ratio = min(headroom / room, 0.5)
    span = high - low
    high_axis = max(high + 0.12 * span, (high - low * ratio) / (1 - ratio))
    low_axis = low - 0.12 * span if low < 0 else low
    step = _nice_step(high_axis - low_axis, MAX_Y_INTERVALS)
    y_ticks = [
        k * step for k in range(math.ceil(low_axis / step), math.floor(high_axis / step) + 1)
    ]
    tick_w = max(c.width(str(t), TICK_PX) for t in y_ticks)
    left = EDGE + tick_w + TICK_LEN + 5
    if ylabel:
        left += c.height(LABEL_PX) + 8
    right = WIDTH_PX - EDGE - 8
    # Move the sides in until no x label runs over the image's edge.
    for _ in range(8):
        overflow_left = max(
            (
                EDGE - (left + f * (right - left) - lr[0])
                for (f, _l), lr in zip(ticks, extents, strict=True)
            ),
            default=0.0,
        )
        overflow_right = max(
            (
                left + f * (right - left) + lr[1] - (WIDTH_PX - EDGE)
                for (f, _l), lr in zip(ticks, extents, strict=True)
            ),
            default=0.0,
        )
        if overflow_left <= 0 and overflow_right <= 0:
            break
        left += max(overflow_left, 0.0) + 0.5
        right -= max(overflow_right, 0.0) + 0.5
    plot = _Plot(left, top, right, bottom, low_axis, high_axis)
    if ylabel:
        shown = _fit(c, ylabel, LABEL_PX, room)
        c.turned(
            (EDGE + c.height(LABEL_PX) / 2, (top + bottom) / 2), shown, LABEL_PX, 90, (0.5, 0.5)
        )
    for t in y_ticks:
        y = plot.y(t)
        if t != low_axis:
            c.line([(left, y), (right, y)], GRID, 1)
        c.line([(left - TICK_LEN, y), (left, y)], AXIS, 1)
        c.text((left - TICK_LEN - 4, y), str(t), TICK_PX, anchor="rm", fill=TICK_INK)
    c.line([(left, top), (left, bottom), (right, bottom)], AXIS, 1)
    for fraction, label in ticks:
        x = plot.x(fraction)
        c.line([(x, bottom), (x, bottom + TICK_LEN)], AXIS, 1)
        _draw_label(c, x, bottom, label)
    return plot


def bar_chart_png(
    title: str,
    labels: list[str],
    values: list[int],
    *,
    ylabel: str = "",
    empty_text: str = "",
) -> bytes:
    """Bars with their values on top; ``empty_text`` in the middle when there is nothing."""
    if len(labels) != len(values):
        raise ValueError("labels and values must have the same length")
    c = _Canvas()
    title_bottom = _title(c, title)
    if not any(values):
        return _empty(c, title_bottom, empty_text)
    n = len(values)
    shown = [cut(label, MAX_LABEL) for label in labels]
    crowded = n > 6 or max(len(label) for label in shown) > 10
    slot = PLOT_GUESS / n
    size, angle = TICK_PX, 0
    if crowded:
        # The least angle (then a smaller size) that keeps neighbouring labels apart.
        fits = [
            (s, a)
            for s in range(TICK_PX, 8, -1)
            for a in CROWDED_ANGLES
            if slot * math.sin(math.radians(a)) >= c.height(s) + 2
        ]
        size, angle = fits[0] if fits else (9, 90)
    ticks = [((i + 0.5) / n, _Label((label,), size, angle)) for i, label in enumerate(shown)]
    texts = [str(v) for v in values]
    value_px = next(
        (s for s in range(VALUE_PX, 8, -1) if max(c.width(t, s) for t in texts) <= slot * 0.9),
        0,
    )
    upright = value_px == 0  # too narrow: values written upwards
    value_px = value_px or 10
    value_h = max(c.width(t, value_px) for t in texts) if upright else c.height(value_px)
    plot = _axes(
        c,
        title_bottom=title_bottom,
        ylabel=ylabel,
        low=min(0, *values),
        high=max(0, *values),
        headroom=value_h + 6,
        ticks=ticks,
    )
    slot = (plot.right - plot.left) / n
    bar = min(slot * 0.7, MAX_BAR)
    zero = plot.y(0)
    for i, (value, text) in enumerate(zip(values, texts, strict=True)):
        x = plot.x((i + 0.5) / n)
        y = plot.y(value)
        c.rectangle((x - bar / 2, min(y, zero), x + bar / 2, max(y, zero)), COLOR)
        if upright:
            pivot = (0.0, 0.5) if value >= 0 else (1.0, 0.5)
            c.turned((x, y - 3 if value >= 0 else y + 3), text, value_px, 90, pivot)
        else:
            anchor, dy = ("md", -3) if value >= 0 else ("ma", 3)
            c.text((x, y + dy), text, value_px, anchor=anchor)
    return c.png()


def _steps(c: _Canvas, plot: _Plot, fractions: list[float], counts: list[int]) -> None:
    """The counts as a step line (each holds until the next), filled lightly down to zero, with
    dots when there are few, and the last count written above its point."""
    points = [(plot.x(f), plot.y(v)) for f, v in zip(fractions, counts, strict=True)]
    line = [points[0]]
    for (_x0, y0), (x1, y1) in pairwise(points):
        line += [(x1, y0), (x1, y1)]
    base = min(max(plot.y(0), plot.top), plot.bottom)
    if line[-1][0] - line[0][0] >= 1:  # a single moment has no area
        c.polygon([*line, (line[-1][0], base), (line[0][0], base)], FILL)
    c.line(line, COLOR, 2)
    if len(points) <= 31:
        for point in points:
            c.dot(point, 3.2, COLOR)
    text = str(counts[-1])
    half = c.width(text, VALUE_PX) / 2
    x, y = points[-1]
    x = min(max(x, EDGE + half), WIDTH_PX - EDGE - half)
    c.text((x, y - 7), text, VALUE_PX, anchor="md")


def _date_ticks(first: date, last: date, daily: bool) -> list[date]:
    """A few well-spaced dates from ``first`` to ``last``: every day when ``daily``, otherwise
    the first of every 1, 2 or 3 days, week (Mondays), 2 weeks, 1, 2, 3 or 6 months, or years
    that gives at most ``MAX_DATE_TICKS``."""

    def every(days: int, phase: int = 0) -> list[date]:
        start = first.toordinal()
        start += (phase - start) % days
        return [date.fromordinal(o) for o in range(start, last.toordinal() + 1, days)]

    def months(step: int) -> list[date]:
        out, m = [], (first.year * 12 + first.month - 1)
        m += -m % step
        while (d := date(m // 12, m % 12 + 1, 1)) <= last:
            if d >= first:
                out.append(d)
            m += step
        return out

    def years(step: int) -> list[date]:
        start = first.year if (first.month, first.day) == (1, 1) else first.year + 1
        start += -start % step
        return [date(y, 1, 1) for y in range(start, last.year + 1, step)]

    if daily:
        return every(1)
    candidates: list[Callable[[], list[date]]] = [
        lambda: every(1),
        lambda: every(2),
        lambda: every(3),
        lambda: every(7, 1),  # date.fromordinal(1) is a Monday
        lambda: every(14, 1),
        lambda: months(1),
        lambda: months(2),
        lambda: months(3),
        lambda: months(6),
    ]
    candidates += [lambda s=s: years(s) for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)]
    for make in candidates:
        ticks = make()
        if len(ticks) <= MAX_DATE_TICKS:
            return ticks
    return []


def _date_labels(dates: list[date]) -> list[_Label]:
    return [_Label((format_date(d),), TICK_PX, 30) for d in dates]


def line_chart_png(
    title: str,
    xs: list[date],
    ys: list[int],
    *,
    ylabel: str = "",
    empty_text: str = "",
) -> bytes:
    """A cumulative count over time as a step line; ``empty_text`` when there is nothing."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys must have the same length")
    c = _Canvas()
    title_bottom = _title(c, title)
    if not any(ys):
        return _empty(c, title_bottom, empty_text)
    points = sorted(zip(xs, ys, strict=True))
    days = [x.toordinal() for x, _y in points]
    counts = [y for _x, y in points]
    span = days[-1] - days[0]
    if span < 2:
        lo, hi = days[0] - 1.0, days[-1] + 1.0
    else:
        lo, hi = days[0] - 0.05 * span, days[-1] + 0.05 * span
    dates = _date_ticks(
        date.fromordinal(math.ceil(lo)), date.fromordinal(math.floor(hi)), span <= 10
    )
    labels = _date_labels(dates)
    ticks = [
        ((d.toordinal() - lo) / (hi - lo), label) for d, label in zip(dates, labels, strict=True)
    ]
    plot = _axes(
        c,
        title_bottom=title_bottom,
        ylabel=ylabel,
        low=min(0, *counts),
        high=max(0, *counts),
        headroom=c.height(VALUE_PX) + 10,
        ticks=ticks,
    )
    _steps(c, plot, [(d - lo) / (hi - lo) for d in days], counts)
    return c.png()


def _hour_ticks(
    first: datetime, last: datetime, tz: tzinfo
) -> tuple[float, float, dict[float, str]]:
    """Axis limits on whole local hours around ``first``..``last`` and labelled hour ticks, as
    POSIX timestamps."""
    pad = timedelta(minutes=10)
    lo = (first - pad).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    hi = (last + pad).replace(tzinfo=None, minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hi = max(hi, lo + timedelta(hours=2))
    hours = (hi - lo) / timedelta(hours=1)
    step = next((s for s in HOUR_STEPS if hours / s <= MAX_HOUR_TICKS), HOUR_STEPS[-1])
    wall = lo.replace(hour=lo.hour - lo.hour % step)
    ticks: dict[float, str] = {}
    previous_day: date | None = None
    while wall <= hi:
        if wall >= lo:
            # Wall-clock hours skipped or repeated by a DST change are labelled as they really are.
            moment = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
            x = moment.timestamp()
            if x not in ticks:
                label = moment.strftime("%H:%M")
                if moment.date() != previous_day:
                    label += "\n" + format_date(moment.date())
                    previous_day = moment.date()
                ticks[x] = label
        wall += timedelta(hours=step)
    return lo.replace(tzinfo=tz).timestamp(), hi.replace(tzinfo=tz).timestamp(), ticks


def timeline_chart_png(
    title: str,
    times: list[datetime],
    *,
    tz: tzinfo,
    ylabel: str = "",
    empty_text: str = "",
) -> bytes:
    """The running count of aware ``times`` as a step line in local time ``tz``."""
    if any(t.tzinfo is None or t.utcoffset() is None for t in times):
        raise ValueError("times must be timezone-aware")
    c = _Canvas()
    title_bottom = _title(c, title)
    if not times:
        return _empty(c, title_bottom, empty_text)
    local = sorted(t.astimezone(tz) for t in times)
    moments = [t.timestamp() for t in local]
    counts = list(range(1, len(local) + 1))
    first, last = local[0], local[-1]
    if last - first <= timedelta(days=2):
        lo, hi, hours = _hour_ticks(first, last, tz)
        labelled = [(x, tuple(text.split("\n"))) for x, text in hours.items()]
        # The size at which the widest line fits between the closest two ticks.
        gaps = [b - a for (a, _la), (b, _lb) in pairwise(labelled)] or [hi - lo]
        room = PLOT_GUESS * min(gaps) / (hi - lo) - 8
        size = next(
            (
                s
                for s in range(TICK_PX, 8, -1)
                if all(c.width(line, s) <= room for _x, lines in labelled for line in lines)
            ),
            9,
        )
        ticks = [((x - lo) / (hi - lo), _Label(lines, size)) for x, lines in labelled]
    else:
        span = moments[-1] - moments[0]
        lo, hi = moments[0] - 0.05 * span, moments[-1] + 0.05 * span

        def midnight(d: date) -> float:
            return datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()

        start = datetime.fromtimestamp(lo, tz).date()
        end = datetime.fromtimestamp(hi, tz).date()
        dates = [
            d for d in _date_ticks(start, end, (last - first).days <= 10) if lo <= midnight(d) <= hi
        ]
        ticks = [
            ((midnight(d) - lo) / (hi - lo), label)
            for d, label in zip(dates, _date_labels(dates), strict=True)
        ]
    plot = _axes(
        c,
        title_bottom=title_bottom,
        ylabel=ylabel,
        low=0,
        high=counts[-1],
        headroom=c.height(VALUE_PX) + 10,
        ticks=ticks,
    )
    _steps(c, plot, [(m - lo) / (hi - lo) for m in moments], counts)
    return c.png()
