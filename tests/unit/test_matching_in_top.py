"""``MatchIndex.in_top`` answers what ``propose`` would: is this peer among the k best?"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.geo import DEFAULT_ELIGIBLE
from bot.matching.engine import MatchIndex
from bot.matching.interchange import read_profiles
from bot.matching.vocabulary import Vocabulary

TODAY = date(2026, 11, 21)
DATA = Path(__file__).resolve().parents[1] / "data" / "eval" / "profiles.csv"


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    result = read_profiles(DATA.read_text(encoding="utf-8"), DEFAULT_ELIGIBLE)
    people = [r.participant() for r in result.records]
    # Twins (same texts, roles, windows) score the same: ties are broken by position.
    twins = [replace(p, key=f"{p.key}-twin") for p in people[:: max(1, len(people) // 12)]]
    return MatchIndex(people + twins, Vocabulary.load(), today=TODAY)


def keys(index: MatchIndex) -> list[str]:
    return [p.key for p in index.people if p is not None]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_in_top_agrees_with_propose_for_every_pair(index: MatchIndex, k: int) -> None:
    everyone = keys(index)
    readers = random.Random(k).sample(everyone, 25)
    inside = 0
    for reader in readers:
        top = {p.key for p in index.propose(reader, k)}
        for other in everyone:
            assert index.in_top(reader, other, k) == (other in top), (reader, other, k)
        inside += len(top)
    assert inside > 0  # the comparison covered both answers


def test_in_top_with_exclusions_and_a_readers_bias(index: MatchIndex) -> None:
    everyone = keys(index)
    rng = random.Random(3)
    for reader in rng.sample(everyone, 10):
        first = [p.key for p in index.propose(reader, 8)]
        exclude = set(first[:2])
        concepts = sorted(index.concepts.offers[index.position[first[-1]]]) if first else []
        bias = {c: 3.0 for c in concepts} | {c: 0.2 for c in concepts[:1]}
        top = {p.key for p in index.propose(reader, 5, exclude, bias)}
        for other in everyone:
            assert index.in_top(reader, other, 5, exclude, bias) == (other in top)


def test_in_top_of_unknown_paused_or_inadmissible_people_is_false(index: MatchIndex) -> None:
    reader, *others = keys(index)
    assert not index.in_top("nobody", reader)
    assert not index.in_top(reader, "nobody")
    assert not index.in_top(reader, reader)  # nobody is their own peer
    assert not index.in_top(reader, others[0], 0)
    paused = MatchIndex(
        [replace(index.participant(reader), paused=True), *map(index.participant, others)],
        index.vocabulary,
        today=TODAY,
    )
    assert not any(paused.in_top(reader, other) for other in others)
