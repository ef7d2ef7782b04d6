"""The bilingual concept vocabulary: EN/DE free text, typos and compounds -> shared concepts."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bot.domain import ECOSYSTEMS
from bot.matching.normalise import normalise
from bot.matching.vocabulary import Concept, ConceptHit, Vocabulary

DATA = Path(__file__).resolve().parents[2] / "bot" / "matching" / "data" / "concepts.json"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


@pytest.fixture(scope="module")
def data() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


# --- EN and DE forms, typos and compounds meet -------------------------------------------


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("3D-Druck", "additive-manufacturing"),
        ("additive manufacturing", "additive-manufacturing"),
        ("additve manufacturing", "additive-manufacturing"),
        ("3d drucker", "additive-manufacturing"),
        ("3-D printing", "additive-manufacturing"),
        ("additivemanufacturing", "additive-manufacturing"),
        ("KI", "artificial-intelligence"),
        ("künstliche Intelligenz", "artificial-intelligence"),
        ("Kuenstliche Inteligenz", "artificial-intelligence"),
        ("AI", "artificial-intelligence"),
        ("artificial intelligence", "artificial-intelligence"),
        ("Kreislaufwirtschaft", "circular-economy"),
        ("Kreislaufwirtshaft", "circular-economy"),
        ("Kreislauf-Wirtschaft", "circular-economy"),
        ("circular economy", "circular-economy"),
        ("Wasserstoff", "hydrogen"),
        ("hydrogen", "hydrogen"),
        ("Wasserstofftechnologie", "hydrogen"),
        ("Wasserstoffspeicher", "hydrogen"),
        ("Grünwasserstoff", "hydrogen"),
        ("digitaler Zwilling", "digital-twin"),
        ("digitalen Zwillings", "digital-twin"),
        ("digital twins", "digital-twin"),
        ("Textilien", "textiles"),
        ("textiles", "textiles"),
        ("Textilindustrie", "textiles"),
        ("Photovoltaik", "photovoltaics"),
        ("Fotovoltaik", "photovoltaics"),
        ("PV", "photovoltaics"),
        ("solar panels", "photovoltaics"),
        ("Photovoltaikanlagen", "photovoltaics"),
        ("Internet der Dinge", "internet-of-things"),
        ("IoT", "internet-of-things"),
        ("Wärmepumpen", "heat-pumps"),
        ("Waermepumpe", "heat-pumps"),
        ("heat pumps", "heat-pumps"),
        ("Robotik", "robotics"),
        ("robotcs", "robotics"),
        ("Cybersicherheit", "cybersecurity"),
        ("cyber-security", "cybersecurity"),
        ("Elektromobilität", "e-mobility"),
        ("charging infrastructure", "e-mobility"),
        ("Lebensmittelsicherheit", "food-safety"),
        ("food safety", "food-safety"),
        ("Weinbau", "wine"),
        ("viticulture", "wine"),
        ("Leichtbau", "lightweight-construction"),
        ("lightweight construction", "lightweight-construction"),
        ("Internationalisierung", "internationalisation"),
        ("internationalization", "internationalisation"),
        ("Technologietransfer", "technology-transfer"),
        ("technology transfer", "technology-transfer"),
        ("duale Ausbildung", "dual-vocational-training"),
        ("apprenticeships", "dual-vocational-training"),
        ("Medizintechnik", "medical-devices"),
        ("medical devices", "medical-devices"),
        ("Intralogistik", "logistics"),
        ("Logistikzentrum", "logistics"),
        ("supply chain management", "logistics"),
        ("BIM", "bim"),
        ("Building Information Modeling", "bim"),
        ("Halbleiter", "semiconductors"),
        ("semiconductors", "semiconductors"),
        ("Verbundwerkstoffe", "composites"),
        ("composite materials", "composites"),
        ("Tourismus", "tourism"),
        ("tourism", "tourism"),
    ],
)
def test_forms_map_to_concept(vocab: Vocabulary, text: str, concept: str) -> None:
    hits = vocab.extract(text)
    assert concept in hits, hits
    hit = hits[concept]
    assert isinstance(hit, ConceptHit)
    assert hit.concept == concept
    assert vocab.extract(f"Wir suchen Partner für {text} und mehr.")[concept].term == hit.term


@pytest.mark.parametrize(
    ("english", "german"),
    [
        ("additive manufacturing", "3D-Druck"),
        ("artificial intelligence", "KI"),
        ("circular economy", "Kreislaufwirtschaft"),
        ("hydrogen", "Wasserstoff"),
        ("digital twin", "digitaler Zwilling"),
        ("textiles", "Textilien"),
        ("photovoltaics", "Photovoltaik"),
        ("wind energy", "Windkraft"),
        ("predictive maintenance", "vorausschauende Wartung"),
        ("public procurement", "öffentliche Beschaffung"),
        ("sustainable tourism", "sanfter Tourismus"),
        ("technical textiles", "technische Textilien"),
    ],
)
def test_english_and_german_meet(vocab: Vocabulary, english: str, german: str) -> None:
    assert set(vocab.extract(english)) == set(vocab.extract(german)) != set()


def test_sentence_with_several_concepts(vocab: Vocabulary) -> None:
    text = (
        "Wir sind ein Netzwerk aus dem Maschinenbau und suchen Partner für Wasserstoff-Antriebe, "
        "Batteriespeicher und KI-basierte Qualitätssicherung."
    )
    hits = vocab.extract(text)
    assert {
        "mechanical-engineering",
        "hydrogen",
        "batteries-storage",
        "artificial-intelligence",
        "quality-management",
    } <= set(hits)
    assert hits["hydrogen"].term == "Wasserstoff"


# --- what must not match -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We are a small company looking for partners",
        "Wir suchen Kontakte",
        "It has been a great experience and we hope to continue our cooperation next year.",
        "Please contact me by e-mail; I am available from Monday to Friday.",
        "The information will be shared with all members after the meeting.",
        "Our team has strong skills in project management and communication.",
        "Die Kosten für Reise und Unterkunft werden vom Programm getragen.",
        "Wir haben hohe Erwartungen und freuen uns auf Ihre Bewerbung.",
        "Der Besuch soll uns helfen, Prozesse zu optimieren und Kosten zu senken.",
        "Ich habe viel Erfahrung und betone die Bedeutung persönlicher Kontakte.",
        "He said Kai was right, and the plan was designated as final.",
        "We are exploring new ideas; the market leader launches a product.",
        "Im Sommer liegen die Boote in Kiel; die Wartezeit ist leider lang.",
        "",
    ],
)
def test_ordinary_sentences_have_no_concepts(vocab: Vocabulary, text: str) -> None:
    assert vocab.extract(text) == {}


@pytest.mark.parametrize("text", ["said", "Kai", "maintain", "Kiel", "idiot", "Bimsstein", "pvc"])
def test_short_terms_only_as_whole_words(vocab: Vocabulary, text: str) -> None:
    assert vocab.extract(text) == {}


@pytest.mark.parametrize(
    ("text", "concept"),
    [("ai", "artificial-intelligence"), ("ki", "artificial-intelligence"), ("pv", "photovoltaics")],
)
def test_short_terms_never_fuzzy(vocab: Vocabulary, text: str, concept: str) -> None:
    assert concept in vocab.extract(text)
    for typo in (text + "x", "x" + text, text[0] + "x"):
        assert concept not in vocab.extract(typo)


def test_overlapping_terms_longest_wins(vocab: Vocabulary) -> None:
    hits = vocab.extract("battery electric vehicles")
    assert set(hits) == {"electric-vehicles"}
    assert hits["electric-vehicles"].term == "battery electric vehicles"


def test_multiword_typo_needs_similar_words(vocab: Vocabulary) -> None:
    # Close as strings, but "Zeile"/"Meile" and "failure"/"faire" are different words.
    assert vocab.extract("letzte Zeile") == {}
    assert vocab.extract("failure mode") == {}


# --- scores and surface forms ------------------------------------------------------------


def test_scores_and_terms(vocab: Vocabulary) -> None:
    exact = vocab.extract("Wir bieten 3D-Druck an.")["additive-manufacturing"]
    assert (exact.score, exact.term) == (100.0, "3D-Druck")
    typo = vocab.extract("We offer additve  manufacturing!")["additive-manufacturing"]
    assert 88.0 <= typo.score < 100.0
    assert typo.term == "additve  manufacturing"
    compound = vocab.extract("Wasserstoffspeicher für Busse")["hydrogen"]
    assert compound.term == "Wasserstoffspeicher"
    assert 88.0 <= compound.score < 100.0


def test_cutoff(vocab: Vocabulary) -> None:
    assert "additive-manufacturing" not in vocab.extract("additve manufacturing", cutoff=99.0)
    assert "additive-manufacturing" in vocab.extract("additive manufacturing", cutoff=99.0)


def test_best_hit_per_concept(vocab: Vocabulary) -> None:
    hits = vocab.extract("additve manufacturing, also called 3D printing")
    assert hits["additive-manufacturing"] == ConceptHit(
        "additive-manufacturing", 100.0, "3D printing"
    )


def test_extract_many_matches_extract(vocab: Vocabulary) -> None:
    texts = ["3D-Druck", "", "nothing to see", "Kreislaufwirtshaft und KI", "IoT, PV"] * 3
    assert vocab.extract_many(texts) == [vocab.extract(t) for t in texts]
    assert vocab.extract_many([]) == []


def test_extract_many_is_fast(vocab: Vocabulary) -> None:
    base = [
        "We are an SME in additve manufacturing and seek partners for Wasserstoff-Antriebe",
        "Unser Cluster bietet Know-how in Kreislaufwirtshaft, KI und digitalen Zwillingen an",
        "Looking for a host working on sustainable tourism, hospitality and cultural heritage",
    ]
    texts = [f"{text} {i}" for i in range(1000) for text in base]
    start = time.perf_counter()
    results = vocab.extract_many(texts)
    # ~0.2 ms per text on the reference machine; the bound only catches pathologies.
    assert time.perf_counter() - start < 15.0
    assert all(results)


# --- labels ------------------------------------------------------------------------------


def test_labels(vocab: Vocabulary) -> None:
    assert vocab.label("additive-manufacturing", "en") == "additive manufacturing"
    assert vocab.label("additive-manufacturing", "de") == "Additive Fertigung"
    assert vocab.label("digital-twin", "de") == "Digitaler Zwilling"
    assert vocab.label("circular-economy", "de") == "Kreislaufwirtschaft"
    assert vocab.label("circular-economy", "fr") == "circular economy"
    assert vocab.label("circular-economy", "de-AT") == "Kreislaufwirtschaft"
    assert vocab.label("no-such-concept", "de") == "no-such-concept"
    concept = vocab.concepts["hydrogen"]
    assert isinstance(concept, Concept)
    assert (concept.label("de"), concept.label("en")) == ("Wasserstoff", "hydrogen")
    assert "renewable-energy" in concept.ecosystems


def test_every_concept_has_both_labels(vocab: Vocabulary) -> None:
    for concept in vocab.concepts.values():
        assert concept.label("en").strip() and concept.label("de").strip()
        assert concept.label("de")[0].isupper() or concept.label("de")[0].isdigit(), concept.id


# --- data file integrity -----------------------------------------------------------------


def test_data_ids_and_sizes(data: list[dict]) -> None:
    ids = [item["id"] for item in data]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert len(data) >= 150
    assert sum(len(item["terms"][lang]) for item in data for lang in ("en", "de")) >= 600


def test_data_terms_unique(data: list[dict]) -> None:
    owner: dict[str, str] = {}
    for item in data:
        for lang in ("en", "de"):
            terms = [normalise(t) for t in item["terms"][lang]]
            assert all(terms), item["id"]
            assert len(terms) == len(set(terms)), (item["id"], lang)
            assert normalise(item[lang]) in terms, (item["id"], lang)
            for term in terms:
                assert owner.setdefault(term, item["id"]) == item["id"], term


def test_data_ecosystems_valid(data: list[dict]) -> None:
    for item in data:
        assert set(item["ecosystems"]) <= set(ECOSYSTEMS), item["id"]
        assert len(item["ecosystems"]) == len(set(item["ecosystems"]))


def test_vocabulary_matches_data(vocab: Vocabulary, data: list[dict]) -> None:
    assert set(vocab.concepts) == {item["id"] for item in data}


# --- loading -----------------------------------------------------------------------------


def test_load_is_cached(tmp_path: Path) -> None:
    assert Vocabulary.load() is Vocabulary.load()
    path = tmp_path / "concepts.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "bees",
                    "en": "beekeeping",
                    "de": "Imkerei",
                    "terms": {"en": ["beekeeping", "apiculture"], "de": ["Imkerei"]},
                    "ecosystems": ["agri-food"],
                }
            ]
        ),
        encoding="utf-8",
    )
    small = Vocabulary.load(path)
    assert small is Vocabulary.load(path)
    assert small is not Vocabulary.load()
    assert set(small.extract("Apiculture and Imkereibedarf")) == {"bees"}


def test_conflicting_terms_are_rejected() -> None:
    items = [
        {"id": "a", "en": "alpha", "de": "Alpha", "terms": {"en": ["shared"], "de": []}},
        {"id": "b", "en": "beta", "de": "Beta", "terms": {"en": [], "de": ["Shared"]}},
    ]
    with pytest.raises(ValueError, match="Shared"):
        Vocabulary.from_data(items)
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary.from_data([items[0], {**items[0], "terms": {}}])
    with pytest.raises(ValueError, match="white space"):  # ids are stored space-separated
        Vocabulary.from_data([{**items[0], "id": "fuel cells"}])


def test_the_signature_changes_with_the_terms() -> None:
    items = [{"id": "a", "en": "alpha", "de": "Alpha", "terms": {"en": [], "de": []}}]
    one, same = Vocabulary.from_data(items), Vocabulary.from_data(items)
    other = Vocabulary.from_data([{**items[0], "terms": {"en": ["aleph"], "de": []}}])
    assert one.signature == same.signature != other.signature


def test_remembered_texts_give_the_same_hits_and_callers_cannot_spoil_them() -> None:
    vocab = Vocabulary.load()
    texts = ["Digital twins for textile machines", "Recycelte Fasern aus Altkleidern"]
    fresh = Vocabulary.from_data(json.loads(DATA.read_text(encoding="utf-8")))
    first = vocab.extract_many(texts)
    assert first == fresh.extract_many(texts)
    assert first[0]  # concepts were found
    first[0].clear()  # a caller changing its result does not change the next caller's
    again = vocab.extract_many([texts[1], texts[0], texts[0]])
    assert again == [fresh.extract(texts[1]), fresh.extract(texts[0]), fresh.extract(texts[0])]
    assert again[1] is not again[2]
