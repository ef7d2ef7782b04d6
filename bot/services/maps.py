"""A picture of where organisations are: a PNG map of Europe drawn offline with Pillow.

No tile server and no map data beyond what the bot ships: the background is the GeoNames
cities of ``bot/data`` (about 25,000 places of 5,000 inhabitants or more across Europe) as
faint dots, which trace the coasts and the populated land well enough to read where a place
is. The numbered markers are the organisations in the order of their cards; a ring marks the
reader. Drawing is pure CPU: callers run :func:`europe_map_png` in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

WIDTH_PX, HEIGHT_PX = 800, 640
# Iceland to Armenia, Cyprus and the Canaries' latitude to the North Cape.
WEST, EAST, SOUTH, NORTH = -25.0, 46.0, 34.0, 71.5
_MID_LAT = math.radians(52.0)
_MARGIN, _TOP = 16, 44
BACKGROUND = (250, 250, 247)
LAND_DOT = (178, 184, 192)
MARKER = (200, 48, 48)
READER = (30, 90, 200)
INK = (40, 40, 40)


@dataclass(frozen=True)
class Pin:
    """One organisation on the map, numbered as its card."""

    number: int
    latitude: float
    longitude: float


def _scale() -> tuple[float, float, float]:
    """Pixels per degree, and the offsets that centre the map in the drawing area."""
    width_deg = (EAST - WEST) * math.cos(_MID_LAT)
    height_deg = NORTH - SOUTH
    area_w, area_h = WIDTH_PX - 2 * _MARGIN, HEIGHT_PX - _TOP - _MARGIN
    k = min(area_w / width_deg, area_h / height_deg)
    left = _MARGIN + (area_w - width_deg * k) / 2
    top = _TOP + (area_h - height_deg * k) / 2
    return k, left, top


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """The pixel of a place (an equirectangular projection true at 52° N)."""
    k, left, top = _scale()
    x = left + (longitude - WEST) * math.cos(_MID_LAT) * k
    y = top + (NORTH - latitude) * k
    return x, y


def inside(latitude: float, longitude: float) -> bool:
    """Whether the map shows this place."""
    return SOUTH <= latitude <= NORTH and WEST <= longitude <= EAST


@lru_cache(maxsize=4)
def _land(places: tuple[tuple[float, float], ...]) -> Image.Image:
    """The background for a set of places (drawn once per set, then copied)."""
    image = Image.new("RGB", (WIDTH_PX, HEIGHT_PX), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for latitude, longitude in places:
        if inside(latitude, longitude):
            x, y = project(latitude, longitude)
            draw.point((round(x), round(y)), fill=LAND_DOT)
    return image


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def europe_map_png(
    places: Sequence[tuple[float, float]],
    pins: Sequence[Pin],
    *,
    title: str,
    reader: tuple[float, float] | None = None,
) -> bytes:
    """The map as PNG bytes: ``places`` (latitude, longitude) as the faint background,
    ``pins`` as numbered markers (the first drawn last, on top), the reader as a ring."""
    image = _land(tuple(places)).copy()
    draw = ImageDraw.Draw(image)
    draw.text((_MARGIN, 12), title[:90], fill=INK, font=_font(18))
    if reader is not None and inside(*reader):
        x, y = project(*reader)
        draw.ellipse((x - 11, y - 11, x + 11, y + 11), outline=READER, width=4)
    small = _font(12)
    for pin in reversed(pins):
        if not inside(pin.latitude, pin.longitude):
            continue
        x, y = project(pin.latitude, pin.longitude)
        draw.ellipse((x - 10, y - 10, x + 10, y + 10), fill=MARKER, outline="white", width=2)
        draw.text((x, y), str(pin.number), fill="white", font=small, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
