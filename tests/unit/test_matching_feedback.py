"""Learning from answers in the engine: a reader's factor per concept scales that concept's
weight in the reader's own proposals, and nobody else's."""

from __future__ import annotations

from datetime import date

import pytest

from bot.matching.engine import MatchIndex, Participant
from bot.matching.vocabulary import Vocabulary

TODAY = date(2026, 11, 21)


def person(key: str, role: str, country: str, offers: str, seeks: str) -> Participant:
    return Participant(
        key=key,
        role=role,
        country=country,
        offers=offers,
        seeks=seeks,
        languages=("en",),
        available_from=date(2027, 3, 1),
        available_to=date(2027, 6, 30),
    )


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    people = [
        person(
            "reader", "visitor", "DE", "Cluster management", "Green hydrogen and industrial robots"
        ),
        person("h2", "host", "PT", "Green hydrogen electrolysers", "Cluster management"),
        person("robots", "host", "ES", "Industrial robots for assembly", "Cluster management"),
        person(
            "other", "visitor", "AT", "Cluster management", "Green hydrogen and industrial robots"
        ),
    ]
    return MatchIndex(people, Vocabulary.load(), today=TODAY)


def test_a_lowered_concept_counts_less_for_that_reader(index: MatchIndex) -> None:
    # Without feedback both hosts meet one of the reader's needs: only the texts differ.
    plain = {p.key: p.score for p in index.propose("reader", 2)}
    assert set(plain) == {"h2", "robots"} and abs(plain["h2"] - plain["robots"]) < 5
    # "Not for me" on a hydrogen proposal: hydrogen counts less, robots win clearly.
    lowered = index.propose("reader", 2, bias={"hydrogen": 0.6})
    assert [p.key for p in lowered] == ["robots", "h2"]
    assert {p.key: p.score for p in lowered}["h2"] < plain["h2"]
    # The other way round after robots disappointed.
    assert [p.key for p in index.propose("reader", 2, bias={"robotics": 0.6})] == ["h2", "robots"]


def test_one_readers_answers_do_not_change_anyone_elses_proposals(index: MatchIndex) -> None:
    before = [(p.key, p.score) for p in index.propose("other", 2)]
    index.propose("reader", 2, bias={"hydrogen": 0.2})
    assert [(p.key, p.score) for p in index.propose("other", 2)] == before
