"""The offline map of Europe (bot/services/maps.py): projection, pins, PNG."""

from __future__ import annotations

import io

from PIL import Image

from bot import city_data
from bot.services import maps


def test_the_map_covers_the_eligible_countries_inside_the_picture() -> None:
    for lat, lon in ((64.15, -21.94), (40.18, 44.51), (35.17, 33.36), (69.65, 18.96)):
        # Reykjavik, Yerevan, Nicosia, Tromsø
        assert maps.inside(lat, lon)
        x, y = maps.project(lat, lon)
        assert 0 <= x < maps.WIDTH_PX and maps.HEIGHT_PX > y > 40
    west, east = maps.project(50.0, -5.0), maps.project(50.0, 20.0)
    assert west[0] < east[0]  # west on the left
    assert maps.project(60.0, 10.0)[1] < maps.project(40.0, 10.0)[1]  # north on top
    assert not maps.inside(-33.9, 18.4)  # Cape Town is off the map


def test_pins_are_drawn_where_they_are_and_places_off_the_map_are_skipped() -> None:
    places = city_data.background_places()
    assert len(places) > 10_000
    pins = [maps.Pin(1, 48.21, 16.37), maps.Pin(2, -33.9, 18.4)]
    png = maps.europe_map_png(places, pins, title="Suche: <b>&ü</b> " * 20, reader=(48.37, 10.89))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (maps.WIDTH_PX, maps.HEIGHT_PX)
    x, y = maps.project(48.21, 16.37)
    assert image.getpixel((round(x), round(y) + 7)) == maps.MARKER
    x, y = maps.project(48.37, 10.89)
    assert image.getpixel((round(x) + 10, round(y))) == maps.READER
