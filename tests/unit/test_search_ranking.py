"""Ranking of /search on the engine's index: the query's concepts first (offered before
sought before related), ties by the engine's score, the hard rules and exclusions kept, a
name without concepts found fuzzily, and the criteria."""

from __future__ import annotations

from datetime import date

import pytest

from bot.matching.engine import MatchIndex, Participant
from bot.matching.vocabulary import Vocabulary
from bot.services.search.ranking import HOSTS, Filters, choices, narrow, rank

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def person(key: str, role: str, country: str, offers: str, seeks: str = "", **more) -> Participant:  # type: ignore[no-untyped-def]
    return Participant(
        key=key,
        role=role,
        country=country,
        ecosystems=more.pop("ecosystems", ("renewable-energy",)),
        offers=offers,
        seeks=seeks,
        languages=more.pop("languages", ("en", "de")),
        available_from=more.pop("available_from", date(2027, 1, 4)),
        available_to=more.pop("available_to", date(2027, 12, 31)),
        **more,
    )


@pytest.fixture
def index(vocabulary: Vocabulary) -> MatchIndex:
    people = [
        person("me", "visitor", "DE", "Energy consulting", "Partners in hydrogen"),
        person("offers", "host", "IT", "Green hydrogen electrolysers and hydrogen valleys"),
        person("seeks", "host", "FR", "Wind energy parks", "Partners for hydrogen storage"),
        person("related", "host", "AT", "Fuel cells for buses"),
        person("same-country", "host", "DE", "Hydrogen refuelling stations"),
        person("paused", "host", "PL", "Hydrogen pipelines", paused=True),
        person("visitor", "visitor", "ES", "Hydrogen trucks"),  # two visitors: no pair
        person("no-language", "host", "CZ", "Hydrogen buses", languages=("cs",)),
        person("soon", "host", "PT", "Hydrogen ports", available_from=date(2026, 11, 23)),
        person("other", "host", "NL", "Tulip logistics"),
    ]
    return MatchIndex(people, vocabulary, today=TODAY)


def keys(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.key for h in hits]


def test_concepts_rank_offers_before_seeks_before_related(
    index: MatchIndex, vocabulary: Vocabulary
) -> None:
    concepts = tuple(vocabulary.extract("Wasserstoff"))
    hits = rank(index, "me", concepts, "Wasserstoff")
    found = keys(hits)
    assert set(found) == {"offers", "soon", "seeks", "related"}
    assert found.index("offers") < found.index("seeks") < found.index("related")
    assert found.index("soon") < found.index("seeks")
    by_key = {h.key: h for h in hits}
    assert by_key["offers"].offered == ("hydrogen",)
    assert by_key["seeks"].sought == ("hydrogen",)
    assert by_key["related"].related == (("hydrogen", "fuel-cells"),)


def test_the_rules_and_exclusions_hold(index: MatchIndex, vocabulary: Vocabulary) -> None:
    concepts = tuple(vocabulary.extract("hydrogen"))
    found = keys(rank(index, "me", concepts, "hydrogen", exclude={"offers"}))
    for absent in ("me", "offers", "same-country", "paused", "visitor", "no-language"):
        assert absent not in found


def test_without_concepts_the_name_is_found_fuzzily(index: MatchIndex) -> None:
    names = {"other": "Tulpen Logistik Amsterdam", "offers": "H2 Italia"}
    assert keys(rank(index, "me", (), "Tulpen Logistk", names=names)) == ["other"]
    assert keys(rank(index, "me", (), "zzzz qqqq", names=names)) == []


def test_criteria_narrow_and_offer_what_is_left(index: MatchIndex, vocabulary: Vocabulary) -> None:
    concepts = tuple(vocabulary.extract("hydrogen"))
    hits = rank(index, "me", concepts, "hydrogen")
    assert keys(narrow(index, "me", hits, Filters(country="IT"), TODAY)) == ["offers"]
    assert keys(narrow(index, "me", hits, Filters(role=HOSTS), TODAY)) == keys(hits)
    # Within a month: only "soon" is there before January, and "me" only from 4 January.
    assert keys(narrow(index, "me", hits, Filters(soon=True), TODAY)) == []
    earlier = date(2026, 12, 20)
    assert keys(narrow(index, "me", hits, Filters(soon=True), earlier)) == keys(hits)
    countries = choices(index, "me", hits, Filters(country="IT"), "country", TODAY)
    assert set(countries) == {"IT", "FR", "AT", "PT"}
    assert choices(index, "me", hits, Filters(), "role", TODAY) == [HOSTS]
