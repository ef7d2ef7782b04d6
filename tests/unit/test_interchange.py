"""The interchange format: CSV and JSON Lines, bad rows reported with line and reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.geo import DEFAULT_ELIGIBLE
from bot.matching.interchange import FIELDS, read_profiles

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
        {**GOOD, "id": "b7", "available_from": "1.3.2027"},
    ]
    result = read_profiles(csv_text(GOOD, *bad_rows), DEFAULT_ELIGIBLE)
    [record] = result.records
    assert record.country == "DE" and record.ecosystems == ("textiles", "digital")
    assert record.languages == ("de", "en") and record.language == "de"
    reasons = {p.line: p.reason for p in result.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "not eligible" in reasons[3]
    assert "unknown ecosystem" in reasons[4]
    assert "only take part as host" in reasons[5]
    assert "before available_from" in reasons[6]
    assert "unknown language" in reasons[7]
    assert "missing offers" in reasons[8]
    assert "duplicate id" in reasons[9]
    assert "ISO date" in reasons[10]


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
