"""Regions for countries and for holidays, the reader's alphabet, short technical terms and
the files the report accepts."""

from __future__ import annotations

from datetime import date

import pytest

from bot import regions
from bot.geo import DEFAULT_ELIGIBLE, CityIndex, resolve_country
from bot.i18n import country_name, sort_key
from bot.scheme import check_stay, end_after_working_days, holiday_region, working_days
from bot.services import documents
from bot.services.profile_text import InputError, clean_text, has_short_term


@pytest.fixture(scope="module")
def cities() -> CityIndex:
    index = CityIndex(DEFAULT_ELIGIBLE)
    index.load()
    return index


# ------------------------------------------------------------------ regions typed as countries


@pytest.mark.parametrize(
    ("text", "code", "region"),
    [
        ("Bavaria", "DE", "Bavaria"),
        ("Bayern", "DE", "Bavaria"),
        ("BAYERN", "DE", "Bavaria"),
        ("Nordrhein Westfalen", "DE", "North Rhine-Westphalia"),
        ("Thueringen", "DE", "Thuringia"),
        ("Wien", "AT", "Vienna"),  # the Land, not "Moldawien"
        ("Kärnten", "AT", "Carinthia"),
        ("Euskadi", "ES", "Basque Country"),
        ("Cataluña", "ES", "Catalonia"),
        ("Sicilia", "IT", "Sicily"),
        ("Alto Adige", "IT", "South Tyrol"),
        ("Wallonie", "BE", "Wallonia"),
        ("Bretagne", "FR", "Brittany"),
        ("Azoren", "PT", "Azores"),
        ("Bavria", "DE", "Bavaria"),
    ],
)
def test_a_region_names_its_country(text: str, code: str, region: str) -> None:
    match = resolve_country(text, DEFAULT_ELIGIBLE)
    assert (match.code, match.eligible) == (code, True)
    assert match.region is not None and match.region.en == region


def test_countries_still_come_first() -> None:
    assert resolve_country("Luxembourg", DEFAULT_ELIGIBLE).region is None
    assert resolve_country("Germany", DEFAULT_ELIGIBLE).code == "DE"
    assert resolve_country("Bulgaria", DEFAULT_ELIGIBLE).code == "BG"
    assert resolve_country("Frankfurt", DEFAULT_ELIGIBLE).code is None


def test_no_region_name_is_shared_by_two_regions() -> None:
    seen: dict[str, regions.Region] = {}
    for region in regions.REGIONS:
        for name in {region.en, region.de, *region.also}:
            key = regions.normalise(name)
            assert seen.setdefault(key, region) == region, name


# ------------------------------------------------------------------ regional holidays


@pytest.mark.parametrize(
    ("geoname_id", "subdivision"),
    [
        (2867714, "BY"),  # Munich
        (2950159, "BE"),  # Berlin
        (2954172, "Augsburg"),  # a city with a holiday of its own
        (2825297, "BW"),  # Stuttgart
        (2761369, "9"),  # Vienna
        (3128760, "Barcelona"),
        (3117735, "MD"),  # Madrid
        (3173435, "MI"),  # Milan: Sant'Ambrogio
        (3169070, "RM"),  # Rome
        (2973783, "6AE"),  # Strasbourg
        (2994160, "57"),  # Metz
        (2990999, None),  # Nancy: Lorraine keeps no extra holiday
        (2735943, "13"),  # Porto (ISO 3166-2:PT, not GeoNames' number)
        (2267057, "11"),  # Lisbon
        (3191281, "BIH"),  # Sarajevo
        (3204541, "SRP"),  # Banja Luka
        (756135, None),  # Warsaw: Poland's holidays are national
    ],
)
def test_a_citys_holiday_region(
    cities: CityIndex, geoname_id: int, subdivision: str | None
) -> None:
    city = cities.get(geoname_id)
    assert city is not None
    assert holiday_region(city.country, city.admin1, cities.spellings(geoname_id)) == subdivision


def test_corpus_christi_counts_in_bavaria_not_in_berlin() -> None:
    start, end = date(2027, 5, 24), date(2027, 5, 28)
    assert working_days(start, end, "DE", "BY") == 4
    assert working_days(start, end, "DE", "BE") == 5
    assert working_days(start, end, "DE") == 5
    assert check_stay(start, end, "DE", "BY").holidays == (date(2027, 5, 27),)
    assert end_after_working_days(start, 5, "DE", "BY") == date(2027, 5, 31)
    # A weekend holiday is not a skipped working day: Whit Sunday 16 May 2027.
    assert check_stay(date(2027, 5, 14), date(2027, 5, 19), "DE").holidays == (date(2027, 5, 17),)


def test_unknown_regions_fall_back_to_the_country() -> None:
    assert working_days(date(2027, 5, 24), date(2027, 5, 28), "DE", "XX") == 5
    assert working_days(date(2027, 5, 24), date(2027, 5, 28), "XK", "YY") == 5


# ------------------------------------------------------------------ the reader's alphabet


def test_sort_key_is_din_5007_1() -> None:
    names = ["Österreich", "Nordmazedonien", "Deutschland", "Dänemark", "Zypern", "Ägypten"]
    assert sorted(names, key=lambda n: sort_key(n, "de")) == [
        "Ägypten", "Dänemark", "Deutschland", "Nordmazedonien", "Österreich", "Zypern",
    ]  # fmt: skip
    assert sorted(["Straße", "Strasse", "Strand"], key=sort_key) == ["Strand", "Strasse", "Straße"]
    german = sorted(DEFAULT_ELIGIBLE, key=lambda c: sort_key(country_name(c, "de"), "de"))
    assert german[-1] == "CY"  # Zypern, not Österreich


# ------------------------------------------------------------------ short answers


@pytest.mark.parametrize("text", ["3D", "AI", "IoT", "5G", "ki", "R&D", "H2", "3D-Druck"])
def test_short_terms_are_answers(text: str) -> None:
    assert has_short_term(text)
    assert clean_text(text, limit=100, min_letters=3) == text


@pytest.mark.parametrize("text", ["!!", "12 34", "x", "ab", "..."])
def test_no_term_no_answer(text: str) -> None:
    assert not has_short_term(text)
    with pytest.raises(InputError, match="at least a word or two"):
        clean_text(text, limit=100, min_letters=3)


def test_long_answers_still_need_words() -> None:
    with pytest.raises(InputError, match="a sentence or a few words"):
        clean_text("3D AI", limit=2000, min_letters=10)


# ------------------------------------------------------------------ documents


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("\u202eattend\u200bance\x07\n.pdf", "attendance.pdf"),
        ("a\u2028b\u2029c\ufeff.pdf", "abc.pdf"),
        ("  \u200f ", "document"),
        (None, "document"),
        ("x" * 300 + ".pdf", "x" * 200),
    ],
)
def test_file_names_lose_control_and_format_characters(raw: str | None, clean: str) -> None:
    assert documents.clean_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "mime", "size", "refused"),
    [
        ("report.pdf", "application/pdf", 1000, None),
        ("photos.jpg", "image/jpeg", documents.MAX_BYTES, None),
        ("sheet.xlsx", None, None, None),
        ("notes", "text/plain", 10, None),
        ("run.EXE", None, 10, "programs or scripts"),
        ("a.pdf.exe", None, 10, "programs or scripts"),
        ("a.pdf", "application/x-msdownload; charset=binary", 10, "programs or scripts"),
        ("deck.pptm", None, 10, "programs or scripts"),
        ("big.pdf", "application/pdf", documents.MAX_BYTES + 1, "the limit is 20 MB"),
    ],
)
def test_what_a_report_accepts(
    name: str, mime: str | None, size: int | None, refused: str | None
) -> None:
    problem = documents.problem(name, mime, size)
    assert (problem is None) if refused is None else (refused in (problem or ""))


def test_a_refused_name_is_escaped() -> None:
    assert "&lt;b&gt;.exe" in (documents.problem("<b>.exe", None, 1) or "")
