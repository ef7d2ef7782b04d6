"""Quality of the matching on the project's labelled evaluation set (tests/data/eval).

Figures on 2026-11-21: precision@5 0.20 (the ceiling is about 0.22: most profiles have one
intended partner), directed recall@5 0.92, pairs found from at least one side 0.94.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from bot.geo import DEFAULT_ELIGIBLE
from bot.matching.engine import MatchIndex
from bot.matching.interchange import read_profiles
from bot.matching.vocabulary import Vocabulary

DATA = Path(__file__).resolve().parents[1] / "data" / "eval"


@pytest.fixture(scope="module")
def evaluation() -> dict[str, float]:
    result = read_profiles((DATA / "profiles.csv").read_text(encoding="utf-8"), DEFAULT_ELIGIBLE)
    assert result.problems == []
    with (DATA / "pairs.csv").open(encoding="utf-8") as fh:
        pairs = {frozenset((row["a"], row["b"])) for row in csv.DictReader(fh)}
    index = MatchIndex(
        [r.participant() for r in result.records], Vocabulary.load(), today=date(2026, 11, 21)
    )
    members = sorted({key for pair in pairs for key in pair})
    proposed = hits = 0
    found: set[frozenset[str]] = set()
    for key in members:
        for proposal in index.propose(key, 5):
            proposed += 1
            if frozenset((key, proposal.key)) in pairs:
                hits += 1
                found.add(frozenset((key, proposal.key)))
    directed = sum(1 for key in members for pair in pairs if key in pair)
    ceiling = sum(min(5, sum(key in pair for pair in pairs)) for key in members) / (
        5 * len(members)
    )
    return {
        "precision": hits / proposed,
        "ceiling": ceiling,
        "recall": hits / directed,
        "pairs_found": len(found) / len(pairs),
        "profiles": len(result.records),
        "pairs": len(pairs),
    }


def test_the_set_is_big_enough(evaluation: dict[str, float]) -> None:
    assert evaluation["profiles"] >= 80 and evaluation["pairs"] >= 35


def test_precision_at_5(evaluation: dict[str, float]) -> None:
    assert evaluation["precision"] >= 0.18
    assert evaluation["precision"] >= 0.8 * evaluation["ceiling"]


def test_recall_at_5(evaluation: dict[str, float]) -> None:
    assert evaluation["recall"] >= 0.85
    assert evaluation["pairs_found"] >= 0.9
