"""PNG charts for statistics messages: a bar chart and cumulative timelines.

matplotlib's object API with the Agg canvas only (never ``pyplot``): every call builds its own
``Figure``, so charts can be drawn from worker threads and no global figure is left behind.
Charts are 800×450 pixels, readable on a phone. Text is drawn as given (no mathtext), and
dates on the time axis are formatted in the reader's language.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING

from bot.i18n import format_date

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@cache
def _mpl() -> SimpleNamespace:
    """matplotlib, imported on the first chart (in the worker thread that draws it): it takes
    a third of a second, which the bot's start should not pay."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DayLocator, date2num, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    return SimpleNamespace(
        FigureCanvasAgg=FigureCanvasAgg,
        AutoDateLocator=AutoDateLocator,
        DayLocator=DayLocator,
        date2num=date2num,
        num2date=num2date,
        Figure=Figure,
        FuncFormatter=FuncFormatter,
        MaxNLocator=MaxNLocator,
    )


WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
WIDTH_PX, HEIGHT_PX = int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI)
COLOR = "#1f4e9c"
MAX_LABEL = 24
HOUR_STEPS = (1, 2, 3, 4, 6, 12)  # hours between ticks on a short timeline
MAX_HOUR_TICKS = 8


def _figure(title: str, ylabel: str) -> tuple[Figure, Axes]:
    fig = _mpl().Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    _mpl().FigureCanvasAgg(fig)  # attaches itself to the figure
    ax = fig.add_subplot()
    ax.set_title(title, parse_math=False, fontsize=13)
    if ylabel:
        ax.set_ylabel(ylabel, parse_math=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(_mpl().MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def _empty(ax: Axes, empty_text: str) -> None:
    ax.set_axis_off()
    if empty_text:
        ax.text(
            0.5,
            0.5,
            empty_text,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=14,
            color="#666666",
            wrap=True,
            parse_math=False,
        )


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


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
    fig, ax = _figure(title, ylabel)
    if not any(values):
        _empty(ax, empty_text)
        return _png(fig)
    positions = list(range(len(values)))
    bars = ax.bar(positions, values, color=COLOR, width=0.7)
    ax.bar_label(bars, labels=[str(v) for v in values], padding=2, fontsize=10)
    shown = [_short(label) for label in labels]
    crowded = len(shown) > 6 or max(len(label) for label in shown) > 10
    ax.set_xticks(
        positions,
        shown,
        parse_math=False,
        rotation=30 if crowded else 0,
        ha="right" if crowded else "center",
        rotation_mode="anchor",
    )
    ax.margins(y=0.12)
    return _png(fig)


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
    fig, ax = _figure(title, ylabel)
    if not any(ys):
        _empty(ax, empty_text)
        return _png(fig)
    points = sorted(zip(xs, ys, strict=True))
    days = [_mpl().date2num(x) for x, _y in points]
    counts = [y for _x, y in points]
    ax.step(days, counts, where="post", color=COLOR, linewidth=2)
    ax.fill_between(days, counts, step="post", color=COLOR, alpha=0.15)
    if len(points) <= 31:
        ax.plot(days, counts, "o", color=COLOR, markersize=4)
    ax.annotate(
        str(counts[-1]),
        (days[-1], counts[-1]),
        textcoords="offset points",
        xytext=(0, 6),
        ha="center",
        fontsize=10,
    )
    first, last = points[0][0], points[-1][0]
    span = (last - first).days
    if span <= 10:
        ax.xaxis.set_major_locator(_mpl().DayLocator())
        if span < 2:
            ax.set_xlim(
                _mpl().date2num(first - timedelta(days=1)),
                _mpl().date2num(last + timedelta(days=1)),
            )
    else:
        ax.xaxis.set_major_locator(_mpl().AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(
        _mpl().FuncFormatter(lambda x, _pos: format_date(_mpl().num2date(x).date()))
    )
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    if min(counts) >= 0:
        ax.set_ylim(bottom=0)
    ax.margins(y=0.12)
    return _png(fig)


def _hour_ticks(
    first: datetime, last: datetime, tz: tzinfo
) -> tuple[float, float, dict[float, str]]:
    """Axis limits on whole local hours around ``first``..``last`` and labelled hour ticks."""
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
            x = float(_mpl().date2num(moment))
            if x not in ticks:
                label = moment.strftime("%H:%M")
                if moment.date() != previous_day:
                    label += "\n" + format_date(moment.date())
                    previous_day = moment.date()
                ticks[x] = label
        wall += timedelta(hours=step)
    limits = (
        float(_mpl().date2num(lo.replace(tzinfo=tz))),
        float(_mpl().date2num(hi.replace(tzinfo=tz))),
    )
    return *limits, ticks


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
    fig, ax = _figure(title, ylabel)
    if not times:
        _empty(ax, empty_text)
        return _png(fig)
    local = sorted(t.astimezone(tz) for t in times)
    xs = [float(_mpl().date2num(t)) for t in local]
    counts = list(range(1, len(local) + 1))
    ax.step(xs, counts, where="post", color=COLOR, linewidth=2)
    ax.fill_between(xs, counts, step="post", color=COLOR, alpha=0.15)
    if len(local) <= 31:
        ax.plot(xs, counts, "o", color=COLOR, markersize=4)
    ax.annotate(
        str(counts[-1]),
        (xs[-1], counts[-1]),
        textcoords="offset points",
        xytext=(0, 6),
        ha="center",
        fontsize=10,
    )
    first, last = local[0], local[-1]
    if last - first <= timedelta(days=2):
        left, right, ticks = _hour_ticks(first, last, tz)
        ax.set_xlim(left, right)
        ax.set_xticks(list(ticks), list(ticks.values()), parse_math=False, fontsize=9)
    else:
        if (last - first).days <= 10:
            ax.xaxis.set_major_locator(_mpl().DayLocator(tz=tz))
        else:
            ax.xaxis.set_major_locator(_mpl().AutoDateLocator(tz=tz, minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(
            _mpl().FuncFormatter(lambda x, _pos: format_date(_mpl().num2date(x, tz=tz).date()))
        )
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.12)
    return _png(fig)
