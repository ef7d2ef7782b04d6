"""Unit tests for bot.geo: normalisation, country resolution, city index and distances."""

from __future__ import annotations

import re
import threading
import unicodedata

import pytest

from bot.geo import (
    COSME,
    DEFAULT_ELIGIBLE,
    EU27,
    City,
    CityIndex,
    CityResolution,
    CountryMatch,
    country_name,
    distance_km,
    normalise,
    resolve_country,
)

MUNICH = 2867714
VIENNA = 2761369
COLOGNE = 2886242
FRANKFURT_MAIN = 2925533
FRANKFURT_ODER = 2925535
GRAZ = 2778067
BRUSSELS = 2800866
WARSAW = 756135
HAMBURG = 2911298
BERLIN = 2950159
STUTTGART = 2825297
SALZBURG = 2766824
DUSSELDORF = 2934246


@pytest.fixture(scope="module")
def index() -> CityIndex:
    """One fully loaded default index shared by the whole module."""
    idx = CityIndex()
    idx.load()
    return idx


def _plain(text: str) -> str:
    """Casefold, strip accents and punctuation (no ae/oe/ue folding) for homonym checks."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


# --------------------------------------------------------------------------- constants


def test_country_lists() -> None:
    assert len(EU27) == 27 == len(set(EU27))
    assert "GR" in EU27 and "EL" not in EU27
    assert set(COSME) == {"IS", "AL", "BA", "XK", "ME", "MK", "RS", "TR", "AM", "MD", "UA"}
    assert DEFAULT_ELIGIBLE == EU27 + COSME
    assert not set(EU27) & set(COSME)
    assert all(len(code) == 2 and code.isupper() for code in DEFAULT_ELIGIBLE)


# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (("München", "Muenchen", "Munchen", "MÜNCHEN", "  münchen "), "munchen"),
        (("Köln", "Koeln", "Koln", "KÖLN"), "koln"),
        (("Düsseldorf", "Duesseldorf", "Dusseldorf"), "dusseldorf"),
        (("Österreich", "Oesterreich", "Osterreich"), "osterreich"),
        (("Straße", "Strasse", "STRASSE"), "strasse"),
        (("Frankfurt (Oder)", "Frankfurt/Oder", "frankfurt - oder", "Frankfurt  Oder"), None),
        (("Saint-Étienne", "saint etienne", "Saint   Etienne!"), "saint etienne"),
        (("Kraków", "Krakow"), "krakow"),
        (("Łódź", "Lodz"), "lodz"),
    ],
)
def test_normalise_variants_meet(variants: tuple[str, ...], expected: str | None) -> None:
    results = {normalise(v) for v in variants}
    assert len(results) == 1, results
    if expected is not None:
        assert results == {expected}


@pytest.mark.parametrize("text", ["", "   ", "😀", "---", "!!!", "/ . ,"])
def test_normalise_empty(text: str) -> None:
    assert normalise(text) == ""


def test_normalise_is_idempotent() -> None:
    for text in ("München", "Frankfurt (Oder)", "Bosnia & Herzegovina", "'s-Hertogenbosch"):
        once = normalise(text)
        assert normalise(once) == once
        assert once == once.strip() and "  " not in once


# --------------------------------------------------------------------------- country_name


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        ("DE", "en", "Germany"),
        ("DE", "de", "Deutschland"),
        ("AT", "de", "Österreich"),
        ("TR", "en", "Türkiye"),
        ("TR", "de", "Türkei"),
        ("XK", "en", "Kosovo"),
        ("XK", "de", "Kosovo"),
        ("MK", "en", "North Macedonia"),
        ("MK", "de", "Nordmazedonien"),
        ("CZ", "de", "Tschechien"),
        ("US", "de", "Vereinigte Staaten"),
        ("de", "de", "Deutschland"),
        ("DE", "de_DE", "Deutschland"),
        ("DE", "de-AT", "Deutschland"),
        ("DE", "xx", "Germany"),  # unknown locale falls back to English
        ("DE", "", "Germany"),
    ],
)
def test_country_name(code: str, locale: str, expected: str) -> None:
    assert country_name(code, locale) == expected


@pytest.mark.parametrize("code", ["QQ", "XY", "123", "", "DEU"])
def test_country_name_unknown_returns_code(code: str) -> None:
    assert country_name(code, "en") == code
    assert country_name(code, "de") == code


# --------------------------------------------------------------------------- resolve_country


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" De ", "DE"),
        ("DEU", "DE"),
        ("deu", "DE"),
        ("AUT", "AT"),
        ("GRC", "GR"),
        ("EL", "GR"),
        ("XK", "XK"),
        ("Germany", "DE"),
        ("germany", "DE"),
        ("GERMANY", "DE"),
        ("Deutschland", "DE"),
        ("Österreich", "AT"),
        ("Oesterreich", "AT"),
        ("Osterreich", "AT"),
        ("Austria", "AT"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Tschechien", "CZ"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Niederlande", "NL"),
        ("Turkey", "TR"),
        ("Türkei", "TR"),
        ("Tuerkei", "TR"),
        ("Türkiye", "TR"),
        ("Bosnia", "BA"),
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnien und Herzegowina", "BA"),
        ("North Macedonia", "MK"),
        ("Macedonia", "MK"),
        ("Nordmazedonien", "MK"),
        ("Moldova", "MD"),
        ("Moldawien", "MD"),
        ("Republik Moldau", "MD"),
        ("Kosovo", "XK"),
        ("Ukraine", "UA"),
        ("Armenien", "AM"),
        ("Serbia", "RS"),
        ("Montenegro", "ME"),
        ("Albanien", "AL"),
        ("Iceland", "IS"),
        ("Island", "IS"),
        ("Griechenland", "GR"),
        ("Frankreich", "FR"),
        ("Polska", "PL"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Italia", "IT"),
        ("Luxemburg", "LU"),
        ("Zypern", "CY"),
        ("Germnay", "DE"),
        ("Itlay", "IT"),
        ("Spian", "ES"),
        ("Deutchland", "DE"),
        ("Frnace", "FR"),
        ("Polnad", "PL"),
        ("Portgal", "PT"),
        ("Sweeden", "SE"),
        ("Croatai", "HR"),
        ("Ukrain", "UA"),
        ("Kosowo", "XK"),
        ("I live in Germany", "DE"),
        ("🇩🇪", "DE"),
    ],
)
def test_resolve_country_eligible(text: str, code: str) -> None:
    match = resolve_country(text, DEFAULT_ELIGIBLE)
    assert match == CountryMatch(code=code, eligible=True, suggestions=())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("US", "US"),
        ("Vereinigte Staaten", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("GB", "GB"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Großbritannien", "GB"),
        ("Schweiz", "CH"),
        ("Switzerland", "CH"),
        ("CHE", "CH"),
        ("Norway", "NO"),
        ("Norwegen", "NO"),
        ("Russland", "RU"),
        ("Japan", "JP"),
        ("Brasilien", "BR"),
        ("Elfenbeinküste", "CI"),
        ("GE", "GE"),
    ],
)
def test_resolve_country_ineligible(text: str, code: str) -> None:
    match = resolve_country(text, DEFAULT_ELIGIBLE)
    assert match.code == code
    assert match.eligible is False
    assert match.suggestions == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdfgh",
        "hello world",
        "😀",
        "🙂👍",
        "qwertz",
        "xyz",
        "n/a",
        "12345",
        "ZZ",
        "QQ",
        "Dx",
        "!!",
        "Frankfurt",
        "lorem ipsum dolor",
    ],
)
def test_resolve_country_nonsense(text: str) -> None:
    match = resolve_country(text, DEFAULT_ELIGIBLE)
    assert match.code is None
    assert match.eligible is False
    assert len(match.suggestions) <= 3
    assert set(match.suggestions) <= set(DEFAULT_ELIGIBLE)


@pytest.mark.parametrize("text", ["Ge", "ES", "it", "at", "no"])
def test_two_letters_match_codes_only(text: str) -> None:
    match = resolve_country(text, DEFAULT_ELIGIBLE)
    assert match.code == text.upper()


def test_two_letters_never_fuzzy() -> None:
    assert resolve_country("Dq", DEFAULT_ELIGIBLE) == CountryMatch(None, False, ())
    assert resolve_country("xx", DEFAULT_ELIGIBLE) == CountryMatch(None, False, ())


def test_ambiguous_typo_gives_suggestions() -> None:
    match = resolve_country("Slovania", DEFAULT_ELIGIBLE)
    assert match.code is None
    assert {"SI", "SK"} <= set(match.suggestions)
    assert len(match.suggestions) <= 3


def test_suggestions_only_from_eligible() -> None:
    match = resolve_country("Slovania", ["SI", "DE"])
    assert match.code is None
    assert match.suggestions == ("SI",)
    assert resolve_country("Slovania", ["DE"]).suggestions == ()


def test_eligibility_follows_given_list() -> None:
    assert resolve_country("Germany", ["AT"]) == CountryMatch("DE", False, ())
    assert resolve_country("Austria", ["at"]) == CountryMatch("AT", True, ())
    assert resolve_country("Norway", [*DEFAULT_ELIGIBLE, "NO"]).eligible is True


def test_all_eligible_names_resolve_in_both_languages() -> None:
    for code in DEFAULT_ELIGIBLE:
        for locale in ("en", "de"):
            name = country_name(code, locale)
            assert resolve_country(name, DEFAULT_ELIGIBLE) == CountryMatch(code, True, ()), name
        assert resolve_country(code.lower(), DEFAULT_ELIGIBLE).code == code


# --------------------------------------------------------------------------- CityIndex


@pytest.mark.parametrize(
    ("country", "text", "geoname_id", "name"),
    [
        ("DE", "München", MUNICH, "München"),
        ("DE", "münchen", MUNICH, "München"),
        ("DE", "Muenchen", MUNICH, "München"),
        ("DE", "Munchen", MUNICH, None),
        ("DE", "Munich", MUNICH, "Munich"),
        ("DE", "MUNICH", MUNICH, "Munich"),
        ("DE", "Köln", COLOGNE, "Köln"),
        ("DE", "Koeln", COLOGNE, "Köln"),
        ("DE", "Koln", COLOGNE, "Köln"),
        ("DE", "Cologne", COLOGNE, "Cologne"),
        ("DE", "Frankfurt", FRANKFURT_MAIN, None),
        ("DE", "Frankfurt am Main", FRANKFURT_MAIN, "Frankfurt am Main"),
        ("DE", "Frankfurt (Oder)", FRANKFURT_ODER, "Frankfurt (Oder)"),
        ("DE", "Frankfurt Oder", FRANKFURT_ODER, None),
        ("DE", "Hamburg", HAMBURG, "Hamburg"),
        ("DE", "berlin", BERLIN, "Berlin"),
        ("DE", "Düsseldorf", DUSSELDORF, "Düsseldorf"),
        ("DE", "Duesseldorf", DUSSELDORF, "Düsseldorf"),
        ("DE", "Dusseldorf", DUSSELDORF, None),
        ("de", " Stuttgart ", STUTTGART, "Stuttgart"),
        ("AT", "Wien", VIENNA, "Wien"),
        ("AT", "Vienna", VIENNA, "Vienna"),
        ("AT", "Graz", GRAZ, "Graz"),
        ("AT", "Salzburg", SALZBURG, "Salzburg"),
        ("BE", "Bruxelles", BRUSSELS, "Bruxelles"),
        ("BE", "Brussel", BRUSSELS, None),
        ("BE", "Brüssel", BRUSSELS, "Brüssel"),
        ("BE", "Brussels", BRUSSELS, "Brussels"),
        ("PL", "Warszawa", WARSAW, "Warszawa"),
        ("PL", "Warschau", WARSAW, "Warschau"),
        ("PL", "Warsaw", WARSAW, "Warsaw"),
    ],
)
def test_city_exact(
    index: CityIndex, country: str, text: str, geoname_id: int, name: str | None
) -> None:
    result = index.resolve(country, text)
    assert result.exact is not None, result
    assert result.exact.geoname_id == geoname_id
    assert result.exact.country == country.strip().upper()
    assert result.candidates == ()
    assert normalise(result.exact.name) == normalise(text)
    if name is not None:
        assert result.exact.name == name


def test_cologne_spellings_share_one_city(index: CityIndex) -> None:
    ids = {index.resolve("DE", t).exact.geoname_id for t in ("Köln", "Koeln", "Koln", "Cologne")}
    assert ids == {COLOGNE}


def test_frankfurt_is_the_most_populous(index: CityIndex) -> None:
    main = index.resolve("DE", "Frankfurt").exact
    oder = index.get(FRANKFURT_ODER)
    assert main is not None and oder is not None
    assert main.geoname_id == FRANKFURT_MAIN
    assert main.population > oder.population


@pytest.mark.parametrize(
    ("country", "text", "geoname_id"),
    [
        ("DE", "Muncen", MUNICH),
        ("DE", "Hamburgh", HAMBURG),
        ("DE", "Hambrug", HAMBURG),
        ("DE", "Berlni", BERLIN),
        ("DE", "Stuttgard", STUTTGART),
        ("DE", "Frankfrut", FRANKFURT_MAIN),
        ("DE", "Berlin Germany", BERLIN),
        ("AT", "Salzbrug", SALZBURG),
        ("AT", "Wein", VIENNA),
        ("BE", "Bruxeles", BRUSSELS),
        ("PL", "Warszwa", WARSAW),
    ],
)
def test_city_typos(index: CityIndex, country: str, text: str, geoname_id: int) -> None:
    result = index.resolve(country, text)
    assert result.exact is None
    assert 1 <= len(result.candidates) <= 3
    assert result.candidates[0].geoname_id == geoname_id
    ids = [c.geoname_id for c in result.candidates]
    assert len(ids) == len(set(ids))


def test_typo_candidates_are_ranked_and_displayable(index: CityIndex) -> None:
    result = index.resolve("DE", "Muncen")
    assert result.candidates[0].name == "München"
    assert index.resolve("DE", "Berlni").candidates[0].name == "Berlin"
    frankfurts = index.resolve("DE", "Frankfrut").candidates
    names = [c.name for c in frankfurts]
    assert len(names) == len(set(names))


def test_short_form_finds_qualified_names(index: CityIndex) -> None:
    result = index.resolve("DE", "Freiburgg")
    assert result.exact is None
    assert any(c.name.startswith("Freiburg") for c in result.candidates)


@pytest.mark.parametrize(
    ("country", "text"),
    [
        ("DE", ""),
        ("DE", "   "),
        ("DE", "M"),
        ("DE", "Mü"),
        ("DE", "asdfgh"),
        ("DE", "hello world"),
        ("DE", "xyz"),
        ("DE", "qwertzuiop"),
        ("DE", "foo bar baz"),
        ("DE", "qwe rty uiop"),
        ("DE", "😀"),
        ("AT", "zzzzzz"),
        ("US", "New York"),
        ("ZZ", "Berlin"),
        ("", "Berlin"),
    ],
)
def test_city_nothing(index: CityIndex, country: str, text: str) -> None:
    assert index.resolve(country, text) == CityResolution(None, ())


def test_city_of_other_country_is_not_exact(index: CityIndex) -> None:
    assert index.resolve("AT", "Hamburg").exact is None
    assert index.resolve("DE", "Graz").exact is None


def test_get(index: CityIndex) -> None:
    munich = index.get(MUNICH)
    assert isinstance(munich, City)
    assert munich.name == "Munich"  # canonical GeoNames name, not a display spelling
    assert munich.country == "DE"
    assert munich.population > 1_000_000
    assert 48.0 < munich.latitude < 48.3 and 11.4 < munich.longitude < 11.7
    assert index.get(-1) is None
    assert index.get(5128581) is None  # New York City: not an eligible country


def test_display_name_keeps_canonical_data(index: CityIndex) -> None:
    shown = index.resolve("DE", "Muenchen").exact
    canonical = index.get(MUNICH)
    assert shown is not None and canonical is not None
    assert (shown.geoname_id, shown.latitude, shown.longitude, shown.population) == (
        canonical.geoname_id,
        canonical.latitude,
        canonical.longitude,
        canonical.population,
    )


@pytest.mark.parametrize(
    ("country", "first", "second"),
    [
        ("DE", "Neuenkirchen", "Neunkirchen"),
        ("DE", "Laer", "Lahr"),
        ("ES", "Baeza", "Baza"),
    ],
)
def test_digraph_folding_does_not_merge_cities(
    index: CityIndex, country: str, first: str, second: str
) -> None:
    # ae/oe/ue folding makes these share a normalised name ("Laer" vs Lahr's alias "Lar"),
    # yet typing either spelling must still give its own town.
    a = index.resolve(country, first).exact
    b = index.resolve(country, second).exact
    assert a is not None and b is not None
    assert a.geoname_id != b.geoname_id
    assert (a.name, b.name) == (first, second)


@pytest.mark.parametrize(
    ("country", "text", "expected"),
    [
        ("DE", "Goettingen", "Göttingen"),
        ("DE", "Saarbruecken", "Saarbrücken"),
        ("DE", "Nuernberg", "Nürnberg"),
        ("DE", "Nurnberg", "Nürnberg"),
        ("SE", "Malmo", "Malmö"),
        ("PL", "Krakow", "Kraków"),
        ("IT", "Roma", "Roma"),
        ("IT", "Milano", "Milano"),
    ],
)
def test_display_spelling(index: CityIndex, country: str, text: str, expected: str) -> None:
    city = index.resolve(country, text).exact
    assert city is not None
    assert city.name == expected


def test_every_city_resolves_to_itself_or_a_true_homonym(index: CityIndex) -> None:
    # Sweep the whole index (white-box: there is no public iterator). Typing a city's own
    # name must give that city, or another city spelled the same up to accents/punctuation,
    # never a different city merged only by the ae/oe/ue folding.
    cities = index._cities
    assert len(cities) > 10_000
    for city in cities:
        found = index.resolve(city.country, city.name).exact
        assert found is not None, city
        if found.geoname_id != city.geoname_id:
            assert _plain(found.name) == _plain(city.name), (city, found)


def test_restricted_index_is_lazy_threadsafe_and_filtered() -> None:
    idx = CityIndex(countries=["at"], min_population=100_000)
    assert idx.loaded is False
    threads = [threading.Thread(target=idx.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert idx.loaded is True
    idx.load()  # idempotent
    graz = idx.resolve("AT", "Graz").exact
    assert graz is not None and graz.geoname_id == GRAZ
    assert idx.resolve("AT", "Wien").exact is not None
    assert idx.resolve("AT", "Leoben").exact is None  # ~25k inhabitants: below the threshold
    assert idx.resolve("DE", "Berlin") == CityResolution(None, ())
    assert idx.get(BERLIN) is None


def test_index_does_not_load_until_used() -> None:
    idx = CityIndex(countries=["MT"])
    assert idx.loaded is False
    assert idx.resolve("MT", "") == CityResolution(None, ())  # empty input needs no data
    assert idx.loaded is False
    assert idx.resolve("MT", "Valletta").exact is not None
    assert idx.loaded is True


# --------------------------------------------------------------------------- distance


def test_distance_munich_vienna(index: CityIndex) -> None:
    munich, vienna = index.get(MUNICH), index.get(VIENNA)
    assert munich is not None and vienna is not None
    km = distance_km(munich.latitude, munich.longitude, vienna.latitude, vienna.longitude)
    assert km == pytest.approx(355, abs=10)


def test_distance_berlin_munich(index: CityIndex) -> None:
    berlin, munich = index.get(BERLIN), index.get(MUNICH)
    assert berlin is not None and munich is not None
    km = distance_km(berlin.latitude, berlin.longitude, munich.latitude, munich.longitude)
    assert km == pytest.approx(504, abs=10)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 0.0), (0.0, 0.0), 0.0),
        ((0.0, 0.0), (0.0, 1.0), 111.195),
        ((0.0, 0.0), (0.0, 180.0), 20015.1),
        ((90.0, 0.0), (-90.0, 0.0), 20015.1),
        ((52.52, 13.405), (48.1374, 11.5755), 504.4),
    ],
)
def test_distance_values(a: tuple[float, float], b: tuple[float, float], expected: float) -> None:
    assert distance_km(*a, *b) == pytest.approx(expected, abs=0.5)
    assert distance_km(*a, *b) == pytest.approx(distance_km(*b, *a))
