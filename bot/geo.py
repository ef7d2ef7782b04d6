"""Country and city resolution for cxbot (EU-27 + COSME): pure Python, no Telegram or DB code."""

from __future__ import annotations

import asyncio
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from rapidfuzz import fuzz, process

from bot import regions
from bot.city_data import (
    Keys,
    Record,
    city_keys,
    read_cities,
    short_form,
    sub_phrases,
    usable_alternate,
)
from bot.matching.normalise import (
    GERMAN_LETTERS,
    compare_form,
    expand_umlauts,
    light_fold,
    normalise,
)

__all__ = [
    "COSME",
    "DEFAULT_ELIGIBLE",
    "EU27",
    "City",
    "CityIndex",
    "CityResolution",
    "CountryMatch",
    "country_name",
    "distance_km",
    "normalise",
    "resolve_country",
]

EU27: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip
"""ISO 3166-1 alpha-2 codes of the 27 EU member states (Greece is GR, not EL)."""

COSME: tuple[str, ...] = ("IS", "AL", "BA", "XK", "ME", "MK", "RS", "TR", "AM", "MD", "UA")
"""ISO alpha-2 codes of the non-EU countries taking part in COSME / the Single Market Programme."""

DEFAULT_ELIGIBLE: tuple[str, ...] = EU27 + COSME
"""Countries eligible for ClusterXchange by default (EU-27 followed by COSME countries)."""

EARTH_RADIUS_KM = 6371.0088

# --------------------------------------------------------------------------- countries

# CLDR pseudo / grouping territories that are not countries a user lives in.
_PSEUDO_TERRITORIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})

# Two-letter aliases that are not ISO codes but are commonly used (EU uses EL for Greece).
_TWO_LETTER_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}

# Extra spellings (English, German, endonyms, sports codes) on top of the CLDR names.
_VARIANTS: dict[str, tuple[str, ...]] = {
    "DE": (
        "Germany",
        "Deutschland",
        "BRD",
        "Bundesrepublik Deutschland",
        "Federal Republic of Germany",
        "GER",
    ),
    "AT": ("Austria", "Österreich", "Republik Österreich"),
    "CH": ("Switzerland", "Schweiz", "Suisse", "Svizzera", "Swiss", "SUI"),
    "NL": ("Holland", "The Netherlands", "Netherlands", "Nederland", "Niederlande", "NED"),
    "BE": ("Belgium", "Belgien", "België", "Belgique"),
    "CZ": (
        "Czech Republic",
        "Czechia",
        "Czech",
        "Tschechien",
        "Tschechische Republik",
        "Česko",
        "Česká republika",
    ),
    "SK": ("Slovakia", "Slovak Republic", "Slowakei", "Slowakische Republik", "Slovensko"),
    "SI": ("Slovenia", "Slowenien", "Slovenija"),
    "HR": ("Croatia", "Kroatien", "Hrvatska", "CRO"),
    "TR": ("Turkey", "Türkei", "Türkiye", "Turkiye"),
    "BA": (
        "Bosnia",
        "Bosnien",
        "Bosnia and Herzegovina",
        "Bosnia-Herzegovina",
        "Bosnien-Herzegowina",
        "Bosna i Hercegovina",
        "BiH",
    ),
    "MK": (
        "North Macedonia",
        "Macedonia",
        "Republic of North Macedonia",
        "Nordmazedonien",
        "Mazedonien",
        "Republik Nordmazedonien",
        "FYROM",
        "Severna Makedonija",
        "Makedonija",
    ),
    "MD": ("Moldova", "Republic of Moldova", "Moldawien", "Republik Moldau", "Moldau"),
    "XK": ("Kosovo", "Kosova", "Republic of Kosovo", "KOS"),
    "RS": ("Serbia", "Serbien", "Srbija", "Republic of Serbia"),
    "ME": ("Montenegro", "Crna Gora"),
    "AL": ("Albania", "Albanien", "Shqipëria", "Shqipëri"),
    "AM": ("Armenia", "Armenien", "Hayastan"),
    "UA": ("Ukraine", "Ukrajina", "Ukraina"),
    "IS": ("Iceland", "Island", "Ísland"),
    "GR": ("Greece", "Griechenland", "Hellas", "Ellada", "Hellenic Republic"),
    "IE": ("Ireland", "Irland", "Republic of Ireland", "Eire", "Éire"),
    "GB": (
        "UK",
        "United Kingdom",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Großbritannien",
        "Grossbritannien",
        "Schottland",
        "Nordirland",
        "Vereinigtes Königreich",
    ),
    "US": (
        "USA",
        "United States",
        "United States of America",
        "America",
        "Amerika",
        "Vereinigte Staaten",
        "Vereinigte Staaten von Amerika",
        "Vereinigten Staaten",
    ),
    "RU": ("Russia", "Russland", "Russian Federation", "Russische Föderation"),
    "NO": ("Norway", "Norwegen", "Norge", "Noreg"),
    "LI": ("Liechtenstein",),
    "VA": ("Vatican", "Vatican City", "Vatikan", "Vatikanstadt", "Holy See"),
    "KR": ("South Korea", "Korea", "Südkorea"),
    "KP": ("North Korea", "Nordkorea"),
    "CI": ("Ivory Coast", "Elfenbeinküste"),
}

# Locales whose own-language name for the country should be understood (endonyms).
# Three-letter codes CLDR's territory aliases lack: Kosovo's user-assigned "XKX" (used by the
# EU and GeoNames; ISO 3166 has no code for Kosovo).
_EXTRA_ALPHA3 = {"xkx": "XK"}

_ENDONYM_LOCALES: dict[str, tuple[str, ...]] = {
    "AT": ("de",), "BE": ("nl", "fr", "de"), "BG": ("bg",), "HR": ("hr",), "CY": ("el", "tr"),
    "CZ": ("cs",), "DK": ("da",), "EE": ("et",), "FI": ("fi", "sv"), "FR": ("fr",),
    "DE": ("de",), "GR": ("el",), "HU": ("hu",), "IE": ("ga",), "IT": ("it",), "LV": ("lv",),
    "LT": ("lt",), "LU": ("lb", "fr", "de"), "MT": ("mt",), "NL": ("nl",), "PL": ("pl",),
    "PT": ("pt",), "RO": ("ro",), "SK": ("sk",), "SI": ("sl",), "ES": ("es", "ca", "eu", "gl"),
    "SE": ("sv",), "IS": ("is",), "AL": ("sq",), "BA": ("bs", "hr", "sr_Latn"),
    "XK": ("sq", "sr_Latn"), "ME": ("sr_Latn",), "MK": ("mk",), "RS": ("sr", "sr_Latn"),
    "TR": ("tr",), "AM": ("hy",), "MD": ("ro",), "UA": ("uk",), "CH": ("de", "fr", "it"),
    "NO": ("nb", "nn"), "LI": ("de",), "RU": ("ru",), "BY": ("be",),
}  # fmt: skip

# Fuzzy thresholds: max(ratio, 0.95 * token_set_ratio) on normalised strings, 0..100.
# No partial matching: it made "Wien" hit "Moldawien" and "Roma" hit "Romania".
_COUNTRY_RESOLVE_CUTOFF = 79.5
_COUNTRY_MARGIN = 4.0
_COUNTRY_SUGGEST_CUTOFF = 65.0
_SUGGEST_SPREAD = 15.0
_TOKEN_SET_WEIGHT = 0.95
_COUNTRY_FUZZY_MIN_LEN = 4
_REGION_CUTOFF = 85.0
_LEADING_ARTICLES = ("the ", "die ", "der ", "das ")
_SPELLED_LETTERS = re.compile(r"(?:[^\W\d_][.\s]*){2,3}")


@dataclass(frozen=True, slots=True)
class _CountryTables:
    """Lookup tables for resolve_country (built once, lazily)."""

    codes: frozenset[str]
    names: dict[str, str]
    alpha3: dict[str, str]
    fuzzy_keys: tuple[str, ...]
    fuzzy_codes: tuple[str, ...]


@lru_cache(maxsize=64)
def _territories(locale: str) -> Mapping[str, str]:
    """CLDR territory names of a locale ('de', 'de_DE', 'de-DE'); {} if the locale is unknown."""
    try:
        return Locale.parse(locale.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return {}


@lru_cache(maxsize=1)
def _country_tables() -> _CountryTables:
    """Build the country name tables from CLDR (en, de, endonyms) plus the variant table."""
    en = _territories("en")
    de = _territories("de")
    codes = frozenset(
        code for code in en if len(code) == 2 and code.isalpha() and code not in _PSEUDO_TERRITORIES
    )
    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        key = normalise(name)
        if key and code in codes:
            names.setdefault(key, code)

    # Priority: curated variants, then English, German, endonyms (first wins on collisions).
    for code, variants in _VARIANTS.items():
        for variant in variants:
            add(variant, code)
    for table in (en, de):
        for code, name in table.items():
            add(name, code)
    for code, locales in _ENDONYM_LOCALES.items():
        for loc in locales:
            name = _territories(loc).get(code)
            if name:
                add(name, code)

    alpha3: dict[str, str] = {}
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(targets) == 1 and targets[0] in codes:
            alpha3[alias.casefold()] = targets[0]
    for alias, code in _EXTRA_ALPHA3.items():  # codes in use that CLDR does not list
        if code in codes:
            alpha3.setdefault(alias, code)

    fuzzy = [(key, code) for key, code in names.items() if len(key.replace(" ", "")) >= 4]
    return _CountryTables(
        codes=codes,
        names=names,
        alpha3=alpha3,
        fuzzy_keys=tuple(key for key, _ in fuzzy),
        fuzzy_codes=tuple(code for _, code in fuzzy),
    )


def country_name(code: str, locale: str) -> str:
    """Localised CLDR country name for an alpha-2 code ('en'/'de'); unknown code -> the code."""
    upper = code.strip().upper()
    name = _territories(locale).get(upper) or _territories("en").get(upper)
    return name if name and upper.isalpha() else code


@dataclass(frozen=True)
class CountryMatch:
    """Outcome of resolve_country: resolved code (if any), eligibility and fallback suggestions;
    ``region`` when a region was typed for its country ("Bayern" → DE)."""

    code: str | None
    eligible: bool
    suggestions: tuple[str, ...]
    region: regions.Region | None = None


def _flag_code(text: str) -> str | None:
    """Country code of a flag emoji made of two regional indicator symbols, else None."""
    letters = [ord(ch) - 0x1F1E6 for ch in text.strip() if 0x1F1E6 <= ord(ch) <= 0x1F1FF]
    if len(letters) != 2:
        return None
    return "".join(chr(ord("A") + n) for n in letters)


def _score(query: str, key: str) -> float:
    """Similarity used for fuzzy matching (same formula as _fuzzy)."""
    score = fuzz.ratio(query, key)
    if " " in query or " " in key:
        score = max(score, fuzz.token_set_ratio(query, key) * _TOKEN_SET_WEIGHT)
    return score


def _fuzzy(
    query: str, keys: Sequence[str], cutoff: float, limit: int, tokens: bool = True
) -> dict[int, float]:
    """Best score per key position: max(ratio, 0.95 * token_set_ratio); no partial matching."""
    scores: dict[int, float] = {}
    if not keys:
        return scores
    passes: list[tuple[Any, float]] = [(fuzz.ratio, 1.0)]
    if tokens:
        passes.append((fuzz.token_set_ratio, _TOKEN_SET_WEIGHT))
    for scorer, weight in passes:
        for _key, score, pos in process.extract(
            query, keys, scorer=scorer, limit=limit, score_cutoff=min(100.0, cutoff / weight)
        ):
            weighted = score * weight
            if weighted > scores.get(pos, -1.0):
                scores[pos] = weighted
    return scores


def _best_per_code(
    query: str, keys: Sequence[str], codes: Sequence[str]
) -> list[tuple[str, float]]:
    """Fuzzy-score query against country name keys; best score per code, best first."""
    best: dict[str, float] = {}
    for pos, score in _fuzzy(query, keys, _COUNTRY_SUGGEST_CUTOFF, 40).items():
        code = codes[pos]
        if score > best.get(code, -1.0):
            best[code] = score
    return sorted(best.items(), key=lambda item: -item[1])


def resolve_country(text: str, eligible: Sequence[str]) -> CountryMatch:
    """Resolve free text (code, alpha-3, EN/DE name, variant, typo, flag) to a country code."""
    eligible_set = frozenset(code.upper() for code in eligible)
    tables = _country_tables()

    def found(code: str) -> CountryMatch:
        return CountryMatch(code=code, eligible=code in eligible_set, suggestions=())

    flag = _flag_code(text)
    if flag is not None and flag in tables.codes:
        return found(flag)

    query = normalise(text)
    if not query:
        return CountryMatch(None, False, ())
    compact = query.replace(" ", "")
    # "U.K." / "U S A" may be joined up; "n/a" may not.
    spelled = compact if _SPELLED_LETTERS.fullmatch(text.strip()) else query

    # Two letters: exact ISO code (or a well-known alias such as UK/EL) only, never fuzzy.
    if len(compact) <= 2:
        upper = spelled.upper()
        code = _TWO_LETTER_ALIASES.get(upper, upper)
        if len(code) == 2 and code in tables.codes:
            return found(code)
        return CountryMatch(None, False, ())

    candidates = [query]
    for article in _LEADING_ARTICLES:
        if query.startswith(article):
            candidates.append(query[len(article) :])
    if spelled != query:
        candidates.append(spelled)
    for candidate in candidates:
        code = tables.names.get(candidate)
        if code is None and len(candidate) == 3:
            code = tables.alpha3.get(candidate)
        if code is not None:
            return found(code)

    region = regions.find_region(query)
    if region is not None:  # "Bayern", "Catalunya": the country it is in
        return CountryMatch(region.country, region.country in eligible_set, (), region)

    if len(compact) >= _COUNTRY_FUZZY_MIN_LEN:
        ranked = _best_per_code(query, tables.fuzzy_keys, tables.fuzzy_codes)
        if ranked and ranked[0][1] >= _COUNTRY_RESOLVE_CUTOFF:
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if ranked[0][1] - runner_up >= _COUNTRY_MARGIN:
                return found(ranked[0][0])
        region = _fuzzy_region(query)
        if region is not None:
            return CountryMatch(region.country, region.country in eligible_set, (), region)

    known = zip(tables.fuzzy_keys, tables.fuzzy_codes, strict=True)
    pairs = [(key, code) for key, code in known if code in eligible_set]
    ranked = _best_per_code(query, [k for k, _ in pairs], [c for _, c in pairs])
    close = [code for code, score in ranked if score >= ranked[0][1] - _SUGGEST_SPREAD]
    return CountryMatch(None, False, tuple(close[:3]))


def _fuzzy_region(query: str) -> regions.Region | None:
    """A region typed with a typo ("Bavria"), when one spelling is clearly the closest."""
    names = regions.region_names()
    keys = [k for k in names if len(k.replace(" ", "")) >= _COUNTRY_FUZZY_MIN_LEN]
    best = _fuzzy(query, keys, _REGION_CUTOFF, 5)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked:
        return None
    first = names[keys[ranked[0][0]]]
    rivals = [s for pos, s in ranked[1:] if names[keys[pos]] != first]
    if rivals and ranked[0][1] - rivals[0] < _COUNTRY_MARGIN:
        return None
    return first


# --------------------------------------------------------------------------- cities


@dataclass(frozen=True)
class City:
    """A populated place from GeoNames; name is the display spelling chosen for the user."""

    geoname_id: int
    name: str
    country: str
    latitude: float
    longitude: float
    population: int
    admin1: str = ""  # GeoNames' first-level region code (a Land, a community, …)


@dataclass(frozen=True)
class CityResolution:
    """Outcome of CityIndex.resolve: an exact match, or up to three fuzzy candidates."""

    exact: City | None
    candidates: tuple[City, ...]


_NO_CITY = CityResolution(None, ())
_CITY_FUZZY_CUTOFF = 80.0
_CITY_FUZZY_CUTOFF_SHORT = 75.0
_CITY_FUZZY_LIMIT = 60
_CITY_MAX_CANDIDATES = 3
_CITY_FUZZY_MIN_LEN = 3
_CITY_MAIN_NAME_SLACK = 10.0
_CITY_ALT_NAME_MIN_SCORE = 85.0


class _CountryCities:
    """Per-country search data: parallel lists of normalised names and city slots."""

    __slots__ = ("exact", "keys", "owners")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.owners: list[int] = []
        # normalised name -> slot, or tuple of slots (most populous first) when shared.
        self.exact: dict[str, int | tuple[int, ...]] = {}


class CityIndex:
    """In-memory GeoNames city index for exact and fuzzy city lookup within one country."""

    def __init__(self, countries: Iterable[str] | None = None, min_population: int = 5000) -> None:
        """Configure the index; nothing is loaded until load() or the first lookup."""
        source = DEFAULT_ELIGIBLE if countries is None else countries
        self._wanted = frozenset(code.strip().upper() for code in source)
        self._min_population = int(min_population)
        self._lock = threading.Lock()
        self._loaded = False
        self._cities: list[City] = []
        self._spellings: list[tuple[str, ...]] = []
        self._slot_by_id: dict[int, int] = {}
        self._by_country: dict[str, _CountryCities] = {}

    @property
    def loaded(self) -> bool:
        """True once the GeoNames data has been loaded."""
        return self._loaded

    async def ready(self) -> None:
        """Wait, off the event loop, until the data is loaded. The bot loads it in a worker
        thread after its start while it already answers; whatever looks up a city awaits this
        first, so no lookup ever loads the data on the event loop."""
        if not self._loaded:
            await asyncio.to_thread(self.load)

    def load(self) -> None:
        """Load and index the city data (blocking, idempotent, thread-safe)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._build(*read_cities(self._wanted, self._min_population))
            self._loaded = True

    def _build(self, records: list[Record], known: dict[int, Keys] | None = None) -> None:
        """Populate the index from compact records (most populous first). ``known``: the
        search keys of each record, whose alternate names are then usable ones already."""
        records.sort(key=lambda rec: (-rec[5], rec[0]))
        cities: list[City] = []
        spellings: list[tuple[str, ...]] = []
        slot_by_id: dict[int, int] = {}
        by_country: dict[str, _CountryCities] = {}
        interned: dict[str, str] = {}
        for gid, name, country, lat, lon, population, alternates, admin1 in records:
            if gid in slot_by_id:
                continue
            slot = len(cities)
            slot_by_id[gid] = slot
            admin1 = interned.setdefault(admin1, admin1)
            cities.append(City(gid, name, country, lat, lon, population, admin1))
            if known is not None:
                names = [name, *alternates]
                keys, short = known[gid]
            else:
                usable = (a for a in dict.fromkeys(alternates) if a != name and usable_alternate(a))
                names = [name, *usable]
                keys, short = city_keys(names)
            spellings.append(tuple(interned.setdefault(n, n) for n in names))
            data = by_country.setdefault(country, _CountryCities())
            for key in keys:
                key = interned.setdefault(key, key)
                data.keys.append(key)
                data.owners.append(slot)
                # Records are sorted, so slots of a shared name stay most populous first.
                previous = data.exact.get(key)
                if previous is None:
                    data.exact[key] = slot
                elif isinstance(previous, int):
                    data.exact[key] = (previous, slot)
                else:
                    data.exact[key] = (*previous, slot)
            if short is not None:
                data.keys.append(interned.setdefault(short, short))
                data.owners.append(slot)
        self._cities = cities
        self._spellings = spellings
        self._slot_by_id = slot_by_id
        self._by_country = by_country

    def get(self, geoname_id: int) -> City | None:
        """City by GeoNames id with its canonical (GeoNames main) name, or None."""
        self.load()
        slot = self._slot_by_id.get(int(geoname_id))
        return None if slot is None else self._cities[slot]

    def spellings(self, geoname_id: int) -> tuple[str, ...]:
        """The city's names (its GeoNames main name first), or none for an unknown id."""
        self.load()
        slot = self._slot_by_id.get(int(geoname_id))
        return () if slot is None else self._spellings[slot]

    def resolve(self, country: str, text: str) -> CityResolution:
        """Find a city of one country: exact (normalised) name match, else fuzzy candidates."""
        query = normalise(text or "")
        if not query:
            return _NO_CITY
        self.load()
        data = self._by_country.get((country or "").strip().upper())
        if data is None or not data.keys:
            return _NO_CITY
        if len(query) >= 2:
            slot = self._exact_slot(data, query, text)
            if slot is not None:
                return CityResolution(self._display(slot, query, text), ())
        if len(query.replace(" ", "")) < _CITY_FUZZY_MIN_LEN:
            return _NO_CITY
        # One substitution/transposition in a 4-letter name only reaches 75 ("Wein" -> "Wien").
        cutoff = _CITY_FUZZY_CUTOFF_SHORT if len(query) <= 4 else _CITY_FUZZY_CUTOFF
        best: dict[int, tuple[float, str]] = {}

        def offer(slot: int, score: float, key: str) -> None:
            if slot not in best or score > best[slot][0]:
                best[slot] = (score, key)

        for pos, score in _fuzzy(query, data.keys, cutoff, _CITY_FUZZY_LIMIT, False).items():
            offer(data.owners[pos], score, data.keys[pos])
        if " " in query:
            # Multi-word input ("Berlin Germany", "I live in Köln"): exact hits on word runs,
            # plus typo search on the first and last word; scored like token_set (x0.95).
            words = query.split()
            for phrase in sub_phrases(words):
                found = data.exact.get(phrase)
                slots = () if found is None else (found,) if isinstance(found, int) else found
                for slot in slots:
                    offer(slot, 100.0 * _TOKEN_SET_WEIGHT, phrase)
            for word in dict.fromkeys((words[0], words[-1])):
                if len(word) < 4:
                    continue
                word_cutoff = min(100.0, cutoff / _TOKEN_SET_WEIGHT)
                hits = _fuzzy(word, data.keys, word_cutoff, _CITY_FUZZY_LIMIT, False)
                for pos, score in hits.items():
                    offer(data.owners[pos], score * _TOKEN_SET_WEIGHT, data.keys[pos])
        ranked = sorted(
            best.items(), key=lambda item: (-item[1][0], -self._cities[item[0]].population)
        )
        candidates: list[City] = []
        for slot, (score, key) in ranked[:_CITY_MAX_CANDIDATES]:
            city = self._cities[slot]
            # Show the canonical name, except for a German spelling that matched clearly better
            # ("Muncen" -> "München", not "Munich"; but "Berlni" -> "Berlin", not "Berlini").
            main_keys = [normalise(city.name)]
            short = short_form(city.name)
            if short is not None:
                main_keys.append(short)
            main_score = max(_score(query, k) for k in main_keys)
            shown = city
            if score >= _CITY_ALT_NAME_MIN_SCORE and main_score < score - _CITY_MAIN_NAME_SLACK:
                alternative = self._display(slot, key, text)
                if any(ch in GERMAN_LETTERS for ch in alternative.name):
                    shown = alternative
            candidates.append(shown)
        return CityResolution(None, self._disambiguate(candidates))

    def _exact_slot(self, data: _CountryCities, query: str, raw: str) -> int | None:
        """Slot of the city named query; on shared names prefer literal spellings, then size."""
        found = data.exact.get(query)
        if found is None or isinstance(found, int):
            return found
        raw_light = light_fold(raw)
        for slot in found:  # most populous first
            for spelling in self._spellings[slot]:
                if light_fold(spelling) == raw_light or expand_umlauts(spelling) == raw_light:
                    return slot
        return found[0]

    def _disambiguate(self, candidates: list[City]) -> tuple[City, ...]:
        """Give candidates that share a display name a longer spelling where one exists."""
        out = list(candidates)
        for i, city in enumerate(candidates):
            twins = [c for c in candidates if c.name == city.name]
            if len(twins) < 2 or city is twins[0]:
                continue
            prefix = city.name.casefold() + " "
            longer = [
                s
                for s in self._spellings[self._slot_by_id[city.geoname_id]]
                if s.casefold().startswith(prefix)
            ]
            if longer:
                name = min(longer, key=lambda s: (s.isascii(), len(s)))
                out[i] = replace(city, name=name)
        return tuple(out)

    def _display(self, slot: int, key: str, raw: str) -> City:
        """The city with the spelling (among those normalising to key) that best fits raw."""
        city = self._cities[slot]
        spellings = [s for s in self._spellings[slot] if normalise(s) == key]
        if not spellings:
            return city
        raw_cmp = compare_form(raw)
        raw_light = light_fold(raw)
        raw_has_diacritics = not raw_cmp.isascii()
        main = city.name

        def rank(item: tuple[int, str]) -> tuple[int, int, int]:
            index, spelling = item
            fancy = not spelling.isascii()
            umlaut = any(ch in GERMAN_LETTERS for ch in spelling)
            light = light_fold(spelling)
            if raw_has_diacritics and compare_form(spelling) == raw_cmp:
                tier = 0  # typed exactly, diacritics included ("münchen" -> "München")
            elif spelling == main and light == raw_light:
                tier = 1  # the GeoNames main name ("Munich", "Koln" -> "Köln")
            elif umlaut and expand_umlauts(spelling) == raw_light:
                tier = 2  # umlaut written as digraph ("Muenchen" -> "München")
            elif umlaut and light == raw_light:
                tier = 3  # umlaut dropped ("Munchen" -> "München")
            elif compare_form(spelling) == raw_cmp:
                tier = 4  # typed exactly ("Wien", "Cologne")
            elif light == raw_light:
                tier = 5 if fancy else 6
            elif spelling == main:
                tier = 7
            else:
                tier = 8
            return (tier, 0 if fancy else 1, index)

        best = min(enumerate(spellings), key=rank)[1]
        if best == city.name:
            return city
        return replace(city, name=best)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km using the mean earth radius 6371.0088 km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
