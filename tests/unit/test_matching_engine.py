"""The matching engine on small hand-made populations: hard rules, ranking, explanations."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.matching.engine import MatchIndex, NoMatch, Participant
from bot.matching.explain import explain
from bot.matching.vocabulary import Vocabulary

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


VISITOR = Participant(
    key="v",
    role="visitor",
    country="DE",
    ecosystems=("textiles", "digital"),
    offers="We build digital twins of weaving machines.",
    seeks="Know-how in recycled fibres and textile recycling.",
    languages=("de", "en"),
    available_from=date(2027, 3, 1),
    available_to=date(2027, 6, 30),
)
HOST = Participant(
    key="h",
    role="host",
    country="PT",
    ecosystems=("textiles",),
    offers="Wir zeigen Textilrecycling und Recyclingfasern aus Alttextilien.",
    seeks="Partner für digitale Zwillinge in der Weberei.",
    languages=("pt", "en"),
    available_from=date(2027, 4, 1),
    available_to=date(2027, 9, 30),
)


def index(vocabulary: Vocabulary, *people: Participant) -> MatchIndex:
    return MatchIndex(list(people), vocabulary, today=TODAY)


def test_complementary_pair_is_proposed_both_ways(vocabulary: Vocabulary) -> None:
    idx = index(vocabulary, VISITOR, HOST)
    [p] = idx.propose("v")
    assert p.key == "h" and p.score > 50
    assert p.reasons.you_visit
    assert p.reasons.they_offer_you_seek and p.reasons.you_offer_they_seek
    assert p.reasons.shared_ecosystems == ("textiles",)
    assert p.reasons.shared_languages == ("en",)
    assert p.reasons.window == (date(2027, 4, 1), date(2027, 6, 30))
    [back] = idx.propose("h")
    assert back.key == "v" and not back.reasons.you_visit


def test_explanation_is_in_the_readers_language(vocabulary: Vocabulary) -> None:
    idx = index(vocabulary, VISITOR, HOST)
    [p] = idx.propose("v")
    en = explain(p.reasons, vocabulary, "en")
    de = explain(p.reasons, vocabulary, "de")
    assert en[0].startswith("They offer what you seek:")
    assert de[0].startswith("Dort wird geboten, was Sie suchen:")
    assert "Textilien" in " ".join(de) and "Textiles" in " ".join(en)
    assert "01.04.2027 – 30.06.2027" in " ".join(de)
    assert "You would visit them." in en


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"country": "DE"}, NoMatch.NO_OTHER_COUNTRY),
        ({"role": "visitor"}, NoMatch.NO_COUNTERPART_ROLE),
        ({"languages": ("pt",)}, NoMatch.NO_SHARED_LANGUAGE),
        ({"available_from": date(2027, 7, 1), "available_to": None}, NoMatch.NO_OVERLAPPING_DATES),
        ({"available_from": date(2027, 6, 29), "available_to": None}, NoMatch.NO_OVERLAPPING_DATES),
        ({"paused": True}, NoMatch.NO_COUNTERPART_ROLE),
    ],
)
def test_hard_rules_are_never_broken(vocabulary: Vocabulary, change: dict, reason) -> None:
    idx = index(vocabulary, VISITOR, replace(HOST, **change))
    assert idx.propose("v") == []
    assert idx.why_none("v") == reason


def test_three_working_days_of_overlap_are_enough(vocabulary: Vocabulary) -> None:
    # Wed 23 – Fri 25 June 2027 overlap: exactly 3 working days.
    host = replace(HOST, available_from=date(2027, 6, 23), available_to=date(2027, 6, 25))
    visitor = replace(VISITOR, available_to=date(2027, 6, 25))
    assert [p.key for p in index(vocabulary, visitor, host).propose("v")] == ["h"]
    host = replace(host, available_from=date(2027, 6, 24))
    assert index(vocabulary, visitor, host).propose("v") == []


def test_visitor_with_an_exchange_is_not_proposed_again(vocabulary: Vocabulary) -> None:
    idx = index(vocabulary, replace(VISITOR, has_exchange=True), HOST)
    assert idx.propose("h") == []
    assert idx.why_none("v") == NoMatch.EXCHANGE_DONE
    both = replace(VISITOR, role="both", has_exchange=True)
    other_visitor = replace(HOST, key="v2", role="visitor")
    # A "both" profile that already travelled can still host.
    assert [p.key for p in index(vocabulary, both, other_visitor).propose("v")] == ["v2"]


def test_paused_and_excluded(vocabulary: Vocabulary) -> None:
    idx = index(vocabulary, replace(VISITOR, paused=True), HOST)
    assert idx.propose("v") == [] and idx.why_none("v") == NoMatch.PAUSED
    idx = index(vocabulary, VISITOR, HOST)
    assert idx.propose("v", exclude={"h"}) == []
    assert idx.why_none("v", exclude={"h"}) == NoMatch.ALL_SEEN


def test_reciprocal_pair_ranks_above_one_sided(vocabulary: Vocabulary) -> None:
    one_sided = replace(HOST, key="h1", seeks="Partners for tourism marketing.")
    idx = index(vocabulary, VISITOR, HOST, one_sided)
    ranked = [p.key for p in idx.propose("v")]
    assert ranked == ["h", "h1"]


def test_both_roles_meet_either_way(vocabulary: Vocabulary) -> None:
    a = replace(VISITOR, role="both")
    b = replace(HOST, role="both")
    assert [p.key for p in index(vocabulary, a, b).propose("v")] == ["h"]


def test_unknown_key_and_empty_population(vocabulary: Vocabulary) -> None:
    idx = index(vocabulary, VISITOR)
    assert idx.propose("nobody") == []
    assert idx.why_none("nobody") == NoMatch.UNKNOWN
    assert idx.propose("v") == []
    assert len(MatchIndex([], vocabulary, today=TODAY)) == 0
