"""The engine's index changed one participant at a time gives what a fresh build gives, and
does not depend on the day it was built."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.geo import DEFAULT_ELIGIBLE
from bot.matching.engine import MatchIndex, Participant, extract_terms
from bot.matching.interchange import read_profiles
from bot.matching.vocabulary import Vocabulary

TODAY = date(2026, 11, 21)
DATA = Path(__file__).resolve().parents[1] / "data" / "eval" / "profiles.csv"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


@pytest.fixture(scope="module")
def people() -> list[Participant]:
    result = read_profiles(DATA.read_text(encoding="utf-8"), DEFAULT_ELIGIBLE)
    return [r.participant() for r in result.records]


def ranking(index: MatchIndex, key: str) -> dict[str, float]:
    """Every admissible peer of ``key`` with its score (independent of slots)."""
    cand, scores = index.scores(key)
    return {index.people[j].key: round(float(s), 3) for j, s in zip(cand, scores, strict=True)}


def everyone(index: MatchIndex, keys: list[str]) -> dict[str, dict[str, float]]:
    return {k: ranking(index, k) for k in keys}


def test_an_index_changed_step_by_step_equals_a_fresh_one(
    vocabulary: Vocabulary, people: list[Participant]
) -> None:
    rng = random.Random(7)
    half = len(people) // 2
    index = MatchIndex(people[:half], vocabulary, today=TODAY)
    for person in people[half:]:  # newcomers one by one
        index.upsert([person])
    changed = rng.sample(people, 10)
    edited = {
        p.key: replace(p, offers=q.offers, seeks=q.seeks, paused=n % 3 == 0)
        for n, (p, q) in enumerate(zip(changed, reversed(changed), strict=True))
    }
    index.upsert(list(edited.values()))
    left = rng.sample([p for p in people if p.key not in edited], 8)
    index.remove([p.key for p in left])
    index.remove(["nobody"])  # unknown keys are ignored
    final = [edited.get(p.key, p) for p in people if p not in left]
    fresh = MatchIndex(final, vocabulary, today=TODAY)
    keys = [p.key for p in final]
    assert len(index) == len(fresh) == len(final)
    assert everyone(index, keys) == everyone(fresh, keys)
    assert all(index.why_none(k) == fresh.why_none(k) for k in keys)
    for person in left:
        assert person.key not in index and index.propose(person.key) == []
        assert all(person.key not in ranking(index, k) for k in keys)


def test_a_freed_slot_is_used_again_and_holds_nothing_of_its_last_owner(
    vocabulary: Vocabulary, people: list[Participant]
) -> None:
    index = MatchIndex(people[:5], vocabulary, today=TODAY)
    gone = people[0]
    slot = index.position[gone.key]
    index.remove([gone.key])
    newcomer = replace(people[6], key="new")
    index.upsert([newcomer])
    assert index.position["new"] == slot
    terms = index.terms_of("new")
    assert terms == extract_terms(vocabulary, [newcomer])[0]


def test_stored_terms_give_the_same_index_as_reading_the_texts(
    vocabulary: Vocabulary, people: list[Participant]
) -> None:
    terms = extract_terms(vocabulary, people)
    stored = MatchIndex(people, vocabulary, today=TODAY, terms=terms)
    read = MatchIndex(people, vocabulary, today=TODAY)
    keys = [p.key for p in people]
    assert everyone(stored, keys) == everyone(read, keys)


def test_an_index_built_days_ago_answers_as_one_built_today(
    vocabulary: Vocabulary, people: list[Participant]
) -> None:
    later = date(2027, 4, 14)  # some windows have started, some are over
    old = MatchIndex(people, vocabulary, today=TODAY)
    old.today = later
    today = MatchIndex(people, vocabulary, today=later)
    keys = [p.key for p in people]
    assert everyone(old, keys) == everyone(today, keys)
    a, b = keys[0], next(iter(ranking(today, keys[0])), None)
    if b is not None:
        i, j = today.position[a], today.position[b]
        assert old.reasons(i, j).window == today.reasons(i, j).window
        assert today.reasons(i, j).window[0] > later  # never before tomorrow


def test_days_already_past_do_not_count_for_an_old_index(vocabulary: Vocabulary) -> None:
    a = Participant(
        key="a",
        role="visitor",
        country="DE",
        offers="additive manufacturing",
        seeks="hydrogen electrolysers",
        languages=("en",),
        available_from=date(2027, 4, 1),
        available_to=date(2027, 4, 16),
    )
    b = replace(a, key="b", role="host", country="FR", offers="hydrogen electrolysers")
    index = MatchIndex([a, b], vocabulary, today=TODAY)
    assert [p.key for p in index.propose("a")] == ["b"]
    index.today = date(2027, 4, 14)  # Wednesday: only Thursday and Friday are left
    assert index.propose("a") == [] and index.propose("b") == []
    assert index.why_none("a").value == "no_overlapping_dates"
    index.today = date(2027, 4, 8)
    [p] = index.propose("a")
    assert p.reasons.window == (date(2027, 4, 9), date(2027, 4, 16))


def test_growing_keeps_every_column(vocabulary: Vocabulary) -> None:
    base = Participant(
        key="0",
        role="visitor",
        country="DE",
        offers="additive manufacturing",
        seeks="hydrogen electrolysers",
        languages=("en",),
        available_from=TODAY + timedelta(days=10),
        available_to=TODAY + timedelta(days=60),
    )
    index = MatchIndex([base], vocabulary, today=TODAY)
    hosts = [
        replace(base, key=str(n), role="host", country="FR", offers="hydrogen electrolysers")
        for n in range(1, 200)
    ]
    for host in hosts:  # many reallocations
        index.upsert([host])
    assert index.alive.sum() == 200 and index.alive.size >= 200
    assert np.all(index.roles[[index.position[h.key] for h in hosts]] == 2)
    assert len(index.propose("0", 500)) == 199


def test_the_last_of_one_key_in_a_batch_wins(
    vocabulary: Vocabulary, people: list[Participant]
) -> None:
    first, other = people[0], people[1]
    later = replace(other, key=first.key)
    index = MatchIndex([first, later], vocabulary, today=TODAY)
    assert len(index) == 1 and index.participant(first.key) == later
    assert index.terms_of(first.key) == extract_terms(vocabulary, [later])[0]
    assert index.alive.sum() == 1
