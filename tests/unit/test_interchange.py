"""The interchange format: CSV and JSON Lines, bad rows reported with line and reason."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.domain import ECOSYSTEMS
from bot.geo import DEFAULT_ELIGIBLE
from bot.i18n import _, use_language
from bot.matching.ecosystems import resolve_ecosystems
from bot.matching.interchange import FIELDS, read_profiles

SHEET = Path(__file__).resolve().parents[1] / "data" / "staff_registrations.csv"

GOOD = {
    "id": "a1",
    "name": "Anna",
    "organisation": "Textilwerk",
    "org_type": "sme",
    "country": "de",
    "city": "Augsburg",
    "role": "visitor",
    "ecosystems": "Textilien; Digital",
    "offers": "3D-Druck",
    "seeks": "recycled fibres",
    "languages": "de;EN",
    "available_from": "2027-03-01",
    "available_to": "2027-06-30",
    "language": "de",
}


def csv_text(*rows: dict[str, str]) -> str:
    lines = [",".join(FIELDS)]
    for row in rows:
        lines.append(",".join(f'"{row.get(f, "")}"' for f in FIELDS))
    return "\n".join(lines) + "\n"


def test_csv_valid_and_invalid_rows() -> None:
    bad_rows = [
        {**GOOD, "id": "b1", "country": "US"},
        {**GOOD, "id": "b2", "ecosystems": "Rocket science"},
        {**GOOD, "id": "b3", "org_type": "large"},
        {**GOOD, "id": "b4", "available_to": "2027-01-01"},
        {**GOOD, "id": "b5", "languages": "xx"},
        {**GOOD, "id": "b6", "offers": ""},
        {**GOOD, "id": "a1"},
        {**GOOD, "id": "b7", "available_from": "next spring"},
        {**GOOD, "id": "b8", "available_from": "1.3.2027"},
    ]
    result = read_profiles(csv_text(GOOD, *bad_rows), DEFAULT_ELIGIBLE)
    record, eco, large, german_date = result.records
    assert record.country == "DE" and record.ecosystems == ("textiles", "digital")
    assert record.languages == ("de", "en") and record.language == "de"
    reasons = {p.line: p.reason for p in result.problems}
    assert sorted(reasons) == [3, 6, 7, 8, 9, 10]
    assert "not eligible" in reasons[3]
    assert "before available_from" in reasons[6]
    assert "unknown language" in reasons[7]
    assert "missing offers" in reasons[8]
    assert "duplicate id" in reasons[9]
    assert "ISO date" in reasons[10]
    # Understood, so kept (issue 12); what was changed is a warning with its line.
    warnings = {p.line: p.reason for p in result.warnings}
    assert eco.id == "b2" and eco.ecosystems == ()
    assert "unknown ecosystem 'Rocket science'" in warnings[4]
    assert large.id == "b3" and large.role == "host"  # the scheme allows a large company only that
    assert "only take part as host" in warnings[5]
    assert german_date.available_from == date(2027, 3, 1)
    assert sorted(warnings) == [4, 5]


def test_json_lines_with_a_broken_line() -> None:
    text = json.dumps(GOOD) + "\n" + "{not json\n" + json.dumps([1]) + "\n"
    result = read_profiles(text, DEFAULT_ELIGIBLE)
    assert [r.id for r in result.records] == ["a1"]
    assert [(p.line, p.reason.split(":")[0]) for p in result.problems] == [
        (2, "not valid JSON"),
        (3, "a JSON object is expected"),
    ]


def test_csv_without_the_required_header() -> None:
    result = read_profiles("foo,bar\n1,2\n", DEFAULT_ELIGIBLE)
    assert result.records == [] and "header lacks" in result.problems[0].reason


def test_cxbot_match_prints_json_lines(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "eval" / "profiles.csv"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match", str(data), "--top", "3", "--json", "--lang", "de",
         "--today", "2026-11-21"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 118
    first = next(line for line in lines if line["id"] == "p001")
    assert 1 <= len(first["matches"]) <= 3
    best = first["matches"][0]
    assert set(best) == {"id", "score", "why"} and best["score"] > 0
    assert any("Sie" in why for why in best["why"])


def test_cxbot_match_table_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    host = {**GOOD, "id": "h1", "role": "host", "country": "PT", "offers": "Recyclingfasern"}
    host["seeks"] = "digital twin"
    path.write_text(csv_text(GOOD, host, {**GOOD, "id": "x", "role": "?"}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match", str(path), "--today", "2026-11-21"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0
    assert "a1  Textilwerk (DE, visitor)" in result.stdout and "h1" in result.stdout
    assert f"{path}:4: unknown role" in result.stderr


# Every form of docs/GLOSSARY.md, in either language, and how staff really type them: the
# English name first, then the German one shown.
GLOSSARY_FORMS = {
    "aerospace-defence": ["Aerospace & defence", "Luft- und Raumfahrt und Verteidigung",
                          "Luft- und Raumfahrt & Verteidigung", "Aerospace and Defence",
                          "Luft- und Raumfahrt"],
    "agri-food": ["Agri-food", "Agrar- und Lebensmittelwirtschaft",
                  "Agrar- und Ernährungswirtschaft", "Agrarlebensmittel", "AGRIFOOD"],
    "construction": ["Construction", "Baugewerbe", "Bauwirtschaft", "Bauwesen", "Constrution"],
    "cultural-creative": ["Cultural and creative industries", "Kultur- und Kreativwirtschaft",
                          "Cultural & Creative Industries", "Kultur und Kreativwirtschaft"],
    "digital": ["Digital", "Digitales", "Digitalwirtschaft", "digitale Wirtschaft", "Digtal"],
    "electronics": ["Electronics", "Elektronik", "Elektronk"],
    "energy-intensive": ["Energy-intensive industries", "Energieintensive Industrien",
                         "energy intensive industries"],
    "renewable-energy": ["Renewable energy", "Erneuerbare Energien", "Energie – Erneuerbare",
                         "Energie - Erneuerbare", "Energie — Erneuerbare", "renewable-energy"],
    "health": ["Health", "Gesundheit", "Gesundheitswirtschaft", "Gesundheitswesen",
               "Gesundhiet"],
    "mobility-transport-automotive": ["Mobility – transport – automotive",
                                      "Mobilität – Verkehr – Automobilindustrie",
                                      "Mobility-Transport-Automotive",
                                      "Mobilität, Verkehr und Automobilindustrie",
                                      "Mobility, transport and automotive"],
    "proximity-social-economy": ["Proximity, social economy and civil security",
                                 "Nahversorgung, Sozialwirtschaft und zivile Sicherheit",
                                 "Proximity, social economy and civil society",
                                 "Nahversorgung, Sozialwirtschaft und Zivilgesellschaft"],
    "retail": ["Retail", "Einzelhandel", "Retal"],
    "textiles": ["Textiles", "Textilien", "Textilwirtschaft", "Textlien"],
    "tourism": ["Tourism", "Tourismus", "Tourisum"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "text"), [(slug, text) for slug, forms in GLOSSARY_FORMS.items() for text in forms]
)
def test_every_ecosystem_form_in_either_language(slug: str, text: str) -> None:
    assert resolve_ecosystems(text) == ([slug], [])


def test_lists_of_ecosystems_however_they_are_separated() -> None:
    assert resolve_ecosystems("Digitales; Luft- & Raumfahrt und Verteidigung, Textlien") == (
        ["digital", "aerospace-defence", "textiles"],
        [],
    )
    assert resolve_ecosystems("Proximity, social economy and civil security, Digital") == (
        ["proximity-social-economy", "digital"],
        [],
    )
    assert resolve_ecosystems("Elektronik & Digitales | Health / Retail") == (
        ["electronics", "digital", "health", "retail"],
        [],
    )
    assert resolve_ecosystems("Digital und Rocket science") == (["digital"], ["Rocket science"])
    assert resolve_ecosystems("Energy") == ([], ["Energy"])  # renewable or energy-intensive?


def test_the_ecosystem_labels_are_the_glossarys() -> None:
    assert ECOSYSTEMS["proximity-social-economy"] == "Proximity, social economy and civil security"
    shown = {slug: forms[1] for slug, forms in GLOSSARY_FORMS.items()}
    with use_language("de"):
        assert {slug: _(label) for slug, label in ECOSYSTEMS.items()} == shown


def test_a_realistic_staff_spreadsheet() -> None:
    """German and English rows, semicolons, names instead of codes: only rows that cannot be
    understood are refused; what was changed is a warning; both name their lines."""
    result = read_profiles(SHEET.read_text(encoding="utf-8"), DEFAULT_ELIGIBLE)
    assert len(result.records) == 35
    assert {p.line: p.reason for p in result.problems} == {
        38: "country 'Norwegen' is not eligible",
        39: "unknown country 'Atlantis'",
        40: "missing offers",
        41: "unknown role 'vielleicht' (visitor, host or both)",
        42: "unknown org_type 'Handwerksbetrieb?' (cluster, sme, support, large, public, "
        "training, or their names)",
        43: "duplicate id 'r02' (first on line 3)",
        44: "available_from is not a date (ISO date YYYY-MM-DD, or DD.MM.YYYY): 'Frühjahr 2027'",
    }
    assert [(w.line, w.reason.split(":")[0]) for w in result.warnings] == [
        (23, "more than 3 ecosystems"),
        (26, "org_type large can only take part as host"),
        (27, "org_type public can only take part as host"),
        (28, "org_type training can only take part as host"),
        (32, "unknown ecosystem 'Weltraumbergbau' left out"),
        (33, "org_type public can only take part as host"),
        (37, "no languages given"),
    ]
    by_id = {r.id: r for r in result.records}
    anna = by_id["r01"]
    assert (anna.org_type, anna.country, anna.role) == ("sme", "DE", "visitor")
    assert anna.ecosystems == ("textiles", "digital") and anna.languages == ("de", "en")
    assert anna.available_from == date(2027, 3, 1) and anna.available_to == date(2027, 6, 30)
    assert by_id["r22"].ecosystems == ("digital", "electronics", "health")  # the first three
    assert by_id["r25"].role == by_id["r26"].role == by_id["r27"].role == "host"
    assert by_id["r28"].country == "XK" and by_id["r29"].country == "TR"
    assert by_id["r29"].ecosystems == ("textiles",)  # "Textlien"
    assert by_id["r33"].offers.startswith("Food innovation projects with\nuniversities")
    assert by_id["r34"].line == 36  # the line its record starts on, after a two-line text
    assert by_id["r35"].languages == ("en",)
    expected = {
        "r03": "aerospace-defence", "r07": "renewable-energy", "r09": "health",
        "r12": "agri-food", "r13": "construction", "r15": "proximity-social-economy",
        "r16": "proximity-social-economy", "r17": "mobility-transport-automotive",
        "r18": "mobility-transport-automotive", "r19": "tourism", "r23": "cultural-creative",
        "r24": "cultural-creative", "r25": "energy-intensive", "r28": "digital",
    }  # fmt: skip
    assert {i: by_id[i].ecosystems[0] for i in expected} == expected
