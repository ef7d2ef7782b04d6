"""Informativeness weights and concept relations in the matching engine (issue 14)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.matching.engine import (
    _MAX_TEXT_POINTS,
    IDF_FROM,
    IDF_FULL,
    RELATED_CREDIT,
    W_COMPLEMENT,
    W_SHARED,
    WEIGHT_FLOOR,
    MatchIndex,
    Participant,
    _idf_weight,
    _Weights,
)
from bot.matching.explain import explain
from bot.matching.vocabulary import Vocabulary

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def person(key: str, role: str, country: str, offers: str = "", seeks: str = "") -> Participant:
    return Participant(key, role, country, offers=offers, seeks=seeks, languages=("en",))


def filler(n: int, offers: str = "", seeks: str = "") -> list[Participant]:
    """Visitors in one country who mention the given texts (to raise a concept's df)."""
    return [person(f"f{k:03d}", "visitor", "FR", offers, seeks) for k in range(n)]


# --- the weight function -------------------------------------------------------------------


def test_weight_is_one_in_small_populations() -> None:
    for population in range(IDF_FROM + 1):
        for df in range(population + 1):
            assert _idf_weight(df, population) == 1.0


def test_weight_falls_with_document_frequency_and_keeps_a_floor() -> None:
    population = 1_000
    weights = [_idf_weight(df, population) for df in (1, 5, 50, 200, 1_000)]
    assert weights == sorted(weights, reverse=True)
    assert weights[0] == pytest.approx(1.0)
    assert weights[-1] == pytest.approx(WEIGHT_FLOOR)
    assert all(WEIGHT_FLOOR <= w <= 1.0 for w in weights)


def test_weight_fades_in_between_the_thresholds() -> None:
    df_share = 0.8  # a generic concept
    fades = [
        _idf_weight(int(df_share * n), n) for n in (IDF_FROM, (IDF_FROM + IDF_FULL) // 2, IDF_FULL)
    ]
    assert fades[0] == 1.0
    assert fades[0] > fades[1] > fades[2] == pytest.approx(WEIGHT_FLOOR)


# --- the engine ----------------------------------------------------------------------------


def test_specific_concept_beats_a_generic_one(vocabulary: Vocabulary) -> None:
    """A visitor seeking hydrogen and internationalisation: the hydrogen host ranks above the
    internationalisation host once internationalisation is common in the population."""
    visitor = person("v", "visitor", "DE", seeks="hydrogen and internationalisation")
    generic = person("a", "host", "AT", offers="internationalisation support")
    specific = person("b", "host", "PT", offers="hydrogen electrolysers")
    crowd = filler(60, offers="internationalisation")
    idx = MatchIndex([visitor, generic, specific, *crowd], vocabulary, today=TODAY)
    assert idx.weight("hydrogen") > idx.weight("internationalisation")
    assert [p.key for p in idx.propose("v", 2)] == ["b", "a"]
    # Without the crowd both count the same and the tie goes to the lower slot.
    small = MatchIndex([visitor, generic, specific], vocabulary, today=TODAY)
    assert [p.key for p in small.propose("v", 2)] == ["a", "b"]


def test_reasons_lead_with_the_most_informative_concept(vocabulary: Vocabulary) -> None:
    visitor = person("v", "visitor", "DE", seeks="internationalisation and hydrogen")
    host = person("h", "host", "AT", offers="hydrogen and internationalisation")
    idx = MatchIndex([visitor, host, *filler(60, "internationalisation")], vocabulary, today=TODAY)
    [p] = idx.propose("v", 1)
    assert p.reasons.they_offer_you_seek == ("hydrogen", "internationalisation")


def test_weights_follow_upserts_and_removals(vocabulary: Vocabulary) -> None:
    crowd = filler(60, offers="internationalisation")
    idx = MatchIndex(crowd, vocabulary, today=TODAY)
    common = idx.weight("internationalisation")
    idx.remove([p.key for p in crowd[1:]])
    assert idx.weight("internationalisation") == 1.0  # a population of one
    idx.upsert(crowd[1:])
    assert idx.weight("internationalisation") == pytest.approx(common)


def test_a_related_offer_earns_partial_credit(vocabulary: Vocabulary) -> None:
    assert "renewable-energy" in vocabulary.neighbours("hydropower")
    assert "hydropower" in vocabulary.neighbours("renewable-energy")
    visitor = person("v", "visitor", "DE", seeks="renewable energy")
    related = person("a", "host", "AT", offers="hydropower plants")
    exact = person("b", "host", "PT", offers="renewable energy")
    nothing = person("c", "host", "IT", offers="bakery products")
    idx = MatchIndex([visitor, related, exact, nothing], vocabulary, today=TODAY)
    assert [p.key for p in idx.propose("v", 3)] == ["b", "a", "c"]
    raw = idx._concept_points(0, idx.scores("v")[0])
    # complement and shared concept for the exact offer, a share of both for the related one
    full = W_COMPLEMENT + W_SHARED
    assert raw.tolist() == pytest.approx([RELATED_CREDIT * full, full, 0.0])
    by_key = {p.key: p for p in idx.propose("v", 3)}
    assert by_key["a"].reasons.they_offer_related == (("renewable-energy", "hydropower"),)
    assert by_key["b"].reasons.they_offer_related == ()


def test_exact_and_related_offer_count_once(vocabulary: Vocabulary) -> None:
    visitor = person("v", "visitor", "DE", seeks="renewable energy")
    both = person("a", "host", "AT", offers="renewable energy, hydropower and wind energy")
    exact = person("b", "host", "PT", offers="renewable energy")
    idx = MatchIndex([visitor, both, exact], vocabulary, today=TODAY)
    they_give = idx._served(idx.concepts.seeks[0], idx.offers_by, _Weights(idx))
    assert they_give[1] == pytest.approx(1.0) and they_give[2] == pytest.approx(1.0)


def test_related_reason_is_explained_in_both_languages(vocabulary: Vocabulary) -> None:
    visitor = person("v", "visitor", "DE", seeks="textile recycling")
    host = person("h", "host", "AT", offers="recycling of plastics")
    idx = MatchIndex([visitor, host], vocabulary, today=TODAY)
    [p] = idx.propose("v", 1)
    assert p.reasons.they_offer_related == (("textile-recycling", "recycling"),)
    en = explain(p.reasons, vocabulary, "en")
    de = explain(p.reasons, vocabulary, "de")
    label = vocabulary.label("textile-recycling", "en")
    assert en[0] == f"They offer something close to what you seek: recycling (for {label})"
    assert de[0].startswith("Dort wird Verwandtes zu Ihrem Gesuch geboten: Recycling (zu ")
    [back] = idx.propose("h", 1)
    assert back.reasons.you_offer_related == (("textile-recycling", "recycling"),)
    assert explain(back.reasons, vocabulary, "en")[0].startswith(
        "You offer something close to what they seek: "
    )


def test_unknown_relation_is_rejected() -> None:
    item = {"id": "a", "en": "alpha", "de": "Alpha", "broader": ["nope"]}
    with pytest.raises(ValueError, match="unknown"):
        Vocabulary.from_data([item])


def test_text_similarity_never_outweighs_a_concept() -> None:
    assert _MAX_TEXT_POINTS < W_COMPLEMENT * WEIGHT_FLOOR
