"""Vocabulary forms found missing or misread on real texts (tests/data/eval_real, issue 14)."""

from __future__ import annotations

import pytest

from bot.matching.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("new methods for fish processing", "fish-processing"),
        ("Fischverarbeitung an der Küste", "fish-processing"),
        ("die fischverarbeitenden Betriebe", "fish-processing"),
        ("quality products from the by-products", "by-products"),
        ("biological residues and side streams", "by-products"),
        ("Verwertung der Nebenprodukte", "by-products"),
        ("Urlaub auf dem Bauernhof", "agritourism"),
        ("sustainable agritourism in Albania", "agritourism"),
        ("Weinproben und Kellerführungen", "wine-tourism"),
        ("wine tourism routes", "wine-tourism"),
        ("von der Notfallmedizin bis zur Biosensorik", "biosensors"),
        ("Strategic Cluster Partnership of Photonics for Health", "biophotonics"),
        ("the role of clustering for competitiveness", "cluster-management"),
        ("develop the cluster movement in Ukraine", "cluster-management"),
        ("new added-value agrofood products", "food-processing"),
        ("Klein- und Mittelbetriebe des holzverarbeitenden Gewerbes", "forestry-wood"),
        ("die metallverarbeitende Industrie", "metalworking"),
        ("SMEs of the ICT sector", "it-services"),
        ("Standort für Informations- und Kommunikationstechnik (IKT)", "it-services"),
        ("food and bio resources", "bioeconomy"),
        ("Nutzung von Bioressourcen", "bioeconomy"),
        ("Beispiele von sozialen Unternehmen in der Sozialen Ökonomie", "social-innovation"),
    ],
)
def test_real_forms_map_to_concept(vocab: Vocabulary, text: str, concept: str) -> None:
    assert concept in vocab.extract(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Fischverarbeitung", "meat-processing"),  # another compound of the same head
        ("compliance with international standards", "regulatory-compliance"),
        ("attend some fish festivals and markets", "arts-culture"),
        ("Wir brauchen Trainingsdaten aus echter Fertigung", "skills-training"),
    ],
)
def test_wrong_senses_are_gone(vocab: Vocabulary, text: str, concept: str) -> None:
    assert concept not in vocab.extract(text)


@pytest.mark.parametrize(
    "text", ["führende Hersteller", "beratende Ingenieure", "umfassende Pläne"]
)
def test_short_participles_are_not_read_as_nouns(vocab: Vocabulary, text: str) -> None:
    assert vocab.extract(text) == {}


def test_international_standards_are_standardisation(vocab: Vocabulary) -> None:
    assert set(vocab.extract("compliance with international standards")) == {
        "standardisation-certification"
    }


@pytest.mark.parametrize(
    ("typo", "concept"),
    [
        ("Autmatisierung", "automation"),
        ("Fishverarbeitung", "fish-processing"),
        ("Schutzkleidung", "technical-textiles"),  # "Schutzbekleidung" without a syllable
    ],
)
def test_typos_in_a_compound_are_still_read(vocab: Vocabulary, typo: str, concept: str) -> None:
    assert set(vocab.extract(typo)) == {concept}


def test_relations_are_symmetric_and_known(vocab: Vocabulary) -> None:
    for concept in vocab.concepts:
        for other in vocab.neighbours(concept):
            assert other in vocab.concepts
            assert concept in vocab.neighbours(other)
    assert {"recycling", "textiles"} <= vocab.neighbours("textile-recycling")
    assert "fuel-cells" in vocab.neighbours("hydrogen")
    assert vocab.neighbours("no-such-concept") == frozenset()


def test_relations_do_not_change_the_signature() -> None:
    item = {"id": "a", "en": "alpha", "de": "Alpha"}
    other = {"id": "b", "en": "beta", "de": "Beta"}
    plain = Vocabulary.from_data([item, other])
    related = Vocabulary.from_data([{**item, "related": ["b"]}, other])
    assert plain.signature == related.signature
    assert related.neighbours("b") == frozenset({"a"})


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("Informations- und Kommunikationstechnik (IKT)", {"it-services"}),
        ("Lebensmittel- und Getränkeindustrie", {"food-processing", "beverages"}),
        (
            "die Holz-, Kunststoff- und Metallverarbeitung",
            {"forestry-wood", "plastics", "metalworking"},
        ),
        ("Solar- und Windenergie", {"photovoltaics", "wind-energy"}),
        ("Aus- und Weiterbildung", {"dual-vocational-training", "skills-training"}),
        ("im Groß- und Einzelhandel", {"retail"}),
        # Terms written with an ellipsis still meet the same words in a text.
        ("Maschinen- und Anlagenbau", {"mechanical-engineering"}),
        ("Aufbau- und Verbindungstechnik", {"electronic-packaging"}),
        ("Heizungs-, Lüftungs- und Klimatechnik", {"hvac"}),
        ("Luft- und Raumfahrt", {"aviation-aerospace"}),
    ],
)
def test_a_german_coordination_ellipsis_is_written_out(
    vocab: Vocabulary, text: str, concepts: set[str]
) -> None:
    assert set(vocab.extract(text)) == concepts


@pytest.mark.parametrize(
    "text",
    ["Vor- und Nachteile", "Ein- und Ausfuhr", "Klein- und Mittelbetriebe", "3D- und 2D-Teile"],
)
def test_an_ellipsis_without_a_known_term_adds_nothing(vocab: Vocabulary, text: str) -> None:
    assert vocab.extract(text) == {}
