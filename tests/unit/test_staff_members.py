"""Staff search over a partnership's participants (pure): the fit is /search's (the same
credits and weights as the index), everyone by organisation without words, a contact
person's name found fuzzily, the criteria of /search on the member's own profile plus state
and partnership, and the state staff act on first."""

from __future__ import annotations

from datetime import date

import pytest

from bot.matching.engine import MatchIndex, Participant, extract_terms
from bot.matching.vocabulary import Vocabulary
from bot.services.search import members
from bot.services.search.members import Member, choices, find, narrow, page, status_of
from bot.services.search.ranking import HOSTS, VISITORS, Filters, concept_fit

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


PEOPLE = [
    # key, role, organisation, person, offers, seeks, status, partnership, from
    ("1", "host", "Wasserstoff Nord", "Jens Ohm", "Green hydrogen electrolysers", "", "ok", "7"),
    (
        "2",
        "visitor",
        "Ärztenetz Süd",
        "Lea Bauer",
        "Telemedicine",
        "Partners for hydrogen",
        "wait",
        "7",
    ),
    ("3", "both", "Bus Verkehr", "Marco Bianchi", "Fuel cells for buses", "", "fix", "7"),
    ("4", "host", "Zebra Tulips", "Ada Lovelace", "Tulip logistics", "", "pause", "8"),
    ("5", "visitor", "agrar Plus", "Piotr Nowak", "Organic farming", "", "ok", "0"),
]


@pytest.fixture(scope="module")
def group(vocabulary: Vocabulary) -> list[Member]:
    people = [
        Participant(key=k, role=role, country="DE" if k != "5" else "PL", offers=o, seeks=s,
                    languages=("de",) if k != "4" else ("en",),
                    available_from=date(2026, 11, 23) if k == "1" else date(2027, 3, 1))
        for k, role, _org, _p, o, s, _st, _pn in PEOPLE
    ]  # fmt: skip
    terms = extract_terms(vocabulary, people)
    return [
        Member(
            key=k, partnership=pn, status=st, role=role, country=p.country,
            ecosystems={"4": ("retail",), "5": ("agri-food",)}.get(k, ("renewable-energy",)),
            languages=p.languages, available_from=p.available_from, available_to=None,
            offers=t.offers, seeks=t.seeks, organisation=org, person=person, text=o,
        )
        for (k, role, org, person, o, _s, st, pn), p, t in zip(PEOPLE, people, terms, strict=True)
    ]  # fmt: skip


def by_key(group: list[Member]) -> dict[str, Member]:
    return {m.key: m for m in group}


def ordered(group: list[Member], vocabulary: Vocabulary, words: str) -> list:  # type: ignore[type-arg]
    """Every hit of ``words``, in the order pages show them."""
    concepts = tuple(vocabulary.extract(words)) if words else ()
    hits = find(group, concepts, words, lambda c: 1.0, vocabulary.neighbours)
    return page(hits, by_key(group), 0, len(hits), concepts, lambda c: 1.0, vocabulary.neighbours)


def test_the_fit_is_the_indexs_fit(vocabulary: Vocabulary, group: list[Member]) -> None:
    """The same credits and weights as /search's vectorised fit, slot by slot."""
    people = [
        Participant(key=k, role=role, country="DE", offers=o, seeks=s)
        for k, role, _org, _p, o, s, _st, _pn in PEOPLE
    ]
    index = MatchIndex(people, vocabulary, today=TODAY)
    for words in ("hydrogen", "Wasserstoff und Brennstoffzellen", "tulips logistics farming"):
        concepts = tuple(vocabulary.extract(words))
        assert concepts
        fits = concept_fit(index, concepts)
        hits = {h.key: h.fit for h in find(group, concepts, words, index.weight,
                                           vocabulary.neighbours)}  # fmt: skip
        for m in group:
            expected = float(fits[index.position[m.key]])
            assert hits.get(m.key, 0.0) == pytest.approx(expected, abs=1e-3)


def test_offered_before_sought_before_related(vocabulary: Vocabulary, group: list[Member]) -> None:
    hits = ordered(group, vocabulary, "Wasserstoff")
    assert [h.key for h in hits] == ["1", "2", "3"]
    assert hits[0].offered == ("hydrogen",) and hits[1].sought == ("hydrogen",)
    assert hits[2].related == (("hydrogen", "fuel-cells"),)


def test_without_words_everyone_in_the_readers_order(
    vocabulary: Vocabulary, group: list[Member]
) -> None:
    hits = ordered(group, vocabulary, "")
    # Ä sorts as A, lower case as upper case.
    assert [h.key for h in hits] == ["5", "2", "3", "1", "4"]
    # A page is the same slice of that order, however many come before it.
    found = find(group, (), "", lambda c: 1.0, vocabulary.neighbours)
    second = page(found, by_key(group), 2, 2, (), lambda c: 1.0, vocabulary.neighbours)
    assert [h.key for h in second] == ["3", "1"]


def test_a_contact_persons_name_or_an_organisation_is_found_fuzzily(
    vocabulary: Vocabulary, group: list[Member]
) -> None:
    assert [h.key for h in find(group, (), "Bianchi", lambda c: 1.0, vocabulary.neighbours)] == [
        "3"
    ]
    assert [
        h.key for h in find(group, (), "Zebra Tulpis", lambda c: 1.0, vocabulary.neighbours)
    ] == ["4"]
    assert find(group, (), "qqqq zzzz", lambda c: 1.0, vocabulary.neighbours) == []


def test_criteria_on_the_members_own_profile(vocabulary: Vocabulary, group: list[Member]) -> None:
    hits = find(group, (), "", lambda c: 1.0, vocabulary.neighbours)
    found = by_key(group)

    def keys(filters: Filters, today: date = TODAY) -> set[str]:
        return {h.key for h in narrow(found, hits, filters, today)}

    assert keys(Filters(role=HOSTS)) == {"1", "3", "4"}  # "both" is a host too
    assert keys(Filters(role=VISITORS)) == {"2", "3", "5"}
    assert keys(Filters(status=members.WAITING)) == {"2"}
    assert keys(Filters(partnership="7", country="DE")) == {"1", "2", "3"}
    assert keys(Filters(partnership="0")) == {"5"}
    assert keys(Filters(language="en")) == {"4"}
    assert keys(Filters(ecosystem="agri-food")) == {"5"}
    assert keys(Filters(soon=True)) == {"1"}  # the others only from March
    assert choices(found, hits, Filters(status="ok"), "status", TODAY) == [
        "ok",
        "fix",
        "pause",
        "wait",
    ]
    assert choices(found, hits, Filters(), "partnership", TODAY) == ["7", "0", "8"]
    assert choices(found, hits, Filters(partnership="8"), "role", TODAY) == ["h"]


@pytest.mark.parametrize(
    ("approved", "rejected", "change_waiting", "paused", "expected"),
    [
        (True, False, False, False, members.VALIDATED),
        (True, False, False, True, members.PAUSED),
        (True, False, True, True, members.WAITING),  # a change waits: staff act on it first
        (False, False, False, True, members.WAITING),
        (False, True, False, True, members.REJECTED),
        (False, True, True, False, members.WAITING),
    ],
)
def test_the_state_staff_act_on_first(
    approved: bool, rejected: bool, change_waiting: bool, paused: bool, expected: str
) -> None:
    state = status_of(
        approved=approved, rejected=rejected, change_waiting=change_waiting, paused=paused
    )
    assert state == expected
