"""Ranking for ``/search``: the peers the engine's hard rules admit for the searcher, ranked by
how well they meet the query's concepts, ties by the engine's own score.

Pure (NumPy and rapidfuzz over a :class:`~bot.matching.engine.MatchIndex`), no database: the
caller hands in the index, the query's concepts (read with the same vocabulary as the
profiles, so "3D-Druck" finds "additive manufacturing"), who is excluded, and the names of
the organisations for the fuzzy fallback.

- **Admissible**: :meth:`MatchIndex.scores` applies the engine's hard rules (complementary
  roles, another country, a common language, enough overlapping working days; paused people
  and the searcher left out) and gives the engine's score of each admissible peer.
- **Fit**: per query concept, 1 when the peer offers it, ``SEEK_SHARE`` when the peer seeks
  it, ``RELATED_CREDIT`` when the peer offers a broader, narrower or related concept (half
  that when it seeks one); the best of these, times the concept's weight in the population
  (rare concepts count more), summed over the query's concepts. Peers with no fit are left out.
- **No concept in the query** (a name, a word the vocabulary does not know): the fuzzy
  similarity of the query with the organisation's name (``WRatio``) or a part of its offers
  (``partial_ratio``), from ``FUZZY_CUTOFF`` on.
- **Criteria** narrow the ranked list: the role the peer would take, country, ecosystem,
  language, and available within ``SOON_DAYS``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from bot.matching.engine import RELATED_CREDIT, MatchIndex, Participant
from bot.matching.normalise import normalise

SEEK_SHARE = 0.5  # a peer who seeks the searched concept fits, less than one who offers it
FUZZY_CUTOFF = 80.0
SOON_DAYS = 31  # "available within a month": a window that starts within this many days
MIN_SOON_WORKING_DAYS = 3  # ...and leaves this many working days in that month
HOSTS, VISITORS = "h", "v"


@dataclass(frozen=True)
class Filters:
    """The criteria chosen with the buttons ("" or False: any)."""

    role: str = ""  # HOSTS: peers who can host the searcher; VISITORS: who can visit
    country: str = ""
    ecosystem: str = ""
    language: str = ""
    soon: bool = False
    status: str = ""  # staff only: a participant's state (``members.STATUSES``)
    partnership: str = ""  # staff only: a partnership's id, "0" for none

    def without(self, field: str) -> Filters:
        """The same criteria with one of them set to any."""
        return replace(self, **{field: False if field == "soon" else ""})

    @property
    def any(self) -> bool:
        return bool(
            self.role
            or self.country
            or self.ecosystem
            or self.language
            or self.soon
            or self.status
            or self.partnership
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """A peer found: why it fits the query and its place in the ranking."""

    key: str
    fit: float  # concept fit, or the fuzzy similarity (0..100) without concepts
    score: float  # the engine's score of the pair
    offered: tuple[str, ...] = ()  # query concepts the peer offers
    sought: tuple[str, ...] = ()  # query concepts the peer seeks
    related: tuple[tuple[str, str], ...] = ()  # (query concept, the peer's offer close to it)


def rank(
    index: MatchIndex,
    searcher: str,
    concepts: Collection[str],
    text: str,
    *,
    exclude: Collection[str] = (),
    names: Mapping[str, str] | None = None,
) -> list[Hit]:
    """Every admissible peer that fits the query, best first (no criteria applied)."""
    if searcher not in index:
        return []
    cand, scores = index.scores(searcher, exclude=exclude)
    if cand.size == 0:
        return []
    fit = _fit(index, cand, concepts, text, names or {})
    keep = np.flatnonzero(fit > 0)
    order = keep[np.lexsort((cand[keep], -scores[keep], -fit[keep]))]
    hits = []
    for t in order.tolist():
        j = int(cand[t])
        person = index.people[j]
        assert person is not None
        offered, sought, related = _why(index, j, concepts)
        hits.append(
            Hit(
                person.key,
                round(float(fit[t]), 3),
                round(float(scores[t]), 1),
                offered,
                sought,
                related,
            )
        )
    return hits


def _fit(
    index: MatchIndex,
    cand: np.ndarray,
    concepts: Collection[str],
    text: str,
    names: Mapping[str, str],
) -> np.ndarray:
    """Per candidate: the concept fit, or without concepts the fuzzy similarity."""
    if concepts:
        return concept_fit(index, concepts)[cand]
    return fuzzy_fit(index, cand, text, names)


def concept_fit(index: MatchIndex, concepts: Iterable[str]) -> np.ndarray:
    """Per slot of the index, how well its offers and seeks meet the query's concepts."""
    size = index.alive.size
    total = np.zeros(size, dtype=np.float32)
    neighbours = index.vocabulary.neighbours
    for concept in concepts:
        best = np.zeros(size, dtype=np.float32)
        close = neighbours(concept)
        credits = [
            (concept, True, 1.0),
            (concept, False, SEEK_SHARE),
            *((other, True, RELATED_CREDIT) for other in close),
            *((other, False, RELATED_CREDIT * SEEK_SHARE) for other in close),
        ]
        for item, offered, credit in credits:
            slots = index.holders(item, offered=offered)
            if slots is not None:
                best[slots] = np.maximum(best[slots], np.float32(credit))
        total += np.float32(index.weight(concept)) * best
    return total


def fuzzy_fit(
    index: MatchIndex, cand: np.ndarray, text: str, names: Mapping[str, str]
) -> np.ndarray:
    """Per candidate, the similarity (0..100) of ``text`` with its organisation's name or a
    part of what it offers; 0 below ``FUZZY_CUTOFF``."""
    people = [index.people[j] for j in cand.tolist()]
    orgs = [names.get(p.key, "") if p else "" for p in people]
    offers = [p.offers if p else "" for p in people]
    return fuzzy_similarity(text, orgs, offers)


def fuzzy_similarity(text: str, names: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Per item, the similarity (0..100) of ``text`` with its name (``WRatio``) or a part of
    its text (``partial_ratio``, from 4 characters on); 0 below ``FUZZY_CUTOFF``."""
    query = normalise(text)
    if len(query) < 2 or not names:
        return np.zeros(len(names), dtype=np.float32)
    by_name = cdist([query], [normalise(n) for n in names], scorer=fuzz.WRatio, dtype=np.float32)
    by_text = cdist(
        [query], [normalise(t) for t in texts], scorer=fuzz.partial_ratio, dtype=np.float32
    )
    if len(query) < 4:  # a short fragment is found in almost any long text
        by_text[:] = 0.0
    best = np.maximum(by_name[0], by_text[0])
    best[best < FUZZY_CUTOFF] = 0.0
    return best


def set_fit(
    offers: Collection[str],
    seeks: Collection[str],
    concepts: Iterable[str],
    weight: Callable[[str], float],
    neighbours: Callable[[str], frozenset[str]],
) -> float:
    """How well one profile's concepts meet the query's: :func:`concept_fit` for a profile
    outside the index (the same credits, the same weights)."""
    total = 0.0
    for concept in concepts:
        close = neighbours(concept)
        best = 0.0
        if concept in offers:
            best = 1.0
        elif concept in seeks:
            best = SEEK_SHARE
        if any(c in offers for c in close):
            best = max(best, RELATED_CREDIT)
        elif any(c in seeks for c in close):
            best = max(best, RELATED_CREDIT * SEEK_SHARE)
        total += float(np.float32(weight(concept))) * best
    return total


def _why(
    index: MatchIndex, j: int, concepts: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    offers, seeks = index.concepts.offers[j], index.concepts.seeks[j]
    return why(offers, seeks, concepts, index.weight, index.vocabulary.neighbours)


def why(
    offers: frozenset[str],
    seeks: frozenset[str],
    concepts: Iterable[str],
    weight: Callable[[str], float],
    neighbours: Callable[[str], frozenset[str]],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The query's concepts a profile offers, those it seeks, and (query concept, offer)
    for those it offers something close to; the rarest concepts first."""
    ordered = sorted(concepts, key=lambda c: (-weight(c), c))
    offered = tuple(c for c in ordered if c in offers)
    sought = tuple(c for c in ordered if c in seeks and c not in offers)
    related = []
    for c in ordered:
        if c in offers or c in seeks:
            continue
        close = neighbours(c) & offers
        if close:
            related.append((c, min(close, key=lambda o: (-weight(o), o))))
    return offered, sought, tuple(related)


def narrow(
    index: MatchIndex, searcher: str, hits: Iterable[Hit], filters: Filters, today: date
) -> list[Hit]:
    """The hits that meet every criterion."""
    if not filters.any:
        return list(hits)
    me = index.participant(searcher)
    return [h for h in hits if _meets(index, me, h.key, filters, today)]


def _meets(
    index: MatchIndex, me: Participant | None, key: str, filters: Filters, today: date
) -> bool:
    j = index.position.get(key)
    peer = index.participant(key)
    if j is None or peer is None:
        return False
    if filters.role == HOSTS and not index.can_host[j]:
        return False
    if filters.role == VISITORS and not index.can_visit[j]:
        return False
    if filters.country and peer.country != filters.country:
        return False
    if filters.ecosystem and filters.ecosystem not in peer.ecosystems:
        return False
    if filters.language and filters.language not in peer.languages:
        return False
    return not filters.soon or available_soon(me, peer, today)


class Available(Protocol):
    """Anyone with a window of availability (a participant, a partnership's member)."""

    @property
    def available_from(self) -> date | None: ...

    @property
    def available_to(self) -> date | None: ...


def available_soon(me: Available | None, peer: Available, today: date) -> bool:
    """Both are available for at least ``MIN_SOON_WORKING_DAYS`` working days between
    tomorrow and ``SOON_DAYS`` days from today."""
    start, end = today + timedelta(days=1), today + timedelta(days=SOON_DAYS)
    for person in (me, peer):
        if person is None:
            continue
        if person.available_from and person.available_from > start:
            start = person.available_from
        if person.available_to and person.available_to < end:
            end = person.available_to
    if end < start:
        return False
    return int(np.busday_count(start, end + timedelta(days=1))) >= MIN_SOON_WORKING_DAYS


def choices(
    index: MatchIndex,
    searcher: str,
    hits: Iterable[Hit],
    filters: Filters,
    field: str,
    today: date,
) -> list[str]:
    """The values of a criterion that would leave some hit, given the other criteria
    (roles, countries, ecosystems or languages of the hits), most frequent first."""

    def values(hit: Hit) -> Iterable[str]:
        peer, j = index.participant(hit.key), index.position.get(hit.key)
        if peer is None or j is None:
            return ()
        roles = (HOSTS,) * bool(index.can_host[j]) + (VISITORS,) * bool(index.can_visit[j])
        return {
            "role": roles,
            "country": (peer.country,),
            "ecosystem": peer.ecosystems,
            "language": peer.languages,
        }.get(field, ())

    return most_frequent(
        values(h) for h in narrow(index, searcher, hits, filters.without(field), today)
    )


def most_frequent(values: Iterable[Iterable[str]]) -> list[str]:
    """The distinct non-empty values of all the groups, the most frequent first (ties by
    value): the options of a criterion."""
    counts: dict[str, int] = {}
    for group in values:
        for value in group:
            if value:
                counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=lambda v: (-counts[v], v))


def organisations(
    index: MatchIndex,
    concepts: Collection[str],
    text: str,
    *,
    names: Mapping[str, str],
    limit: int,
    exclude: str = "",
) -> list[str]:
    """Inline mode: the keys of the ``limit`` organisations (not paused, not ``exclude``)
    that fit the query best; no rules of a pair apply. Ties by position in the index."""
    active = index.alive & ~index.paused
    if exclude in index.position:
        active[index.position[exclude]] = False
    cand = np.flatnonzero(active)
    if cand.size == 0 or limit < 1:
        return []
    fit = _fit(index, cand, concepts, text, names)
    keep = np.flatnonzero(fit > 0)
    order = keep[np.lexsort((cand[keep], -fit[keep]))][:limit]
    return [index.people[int(cand[t])].key for t in order.tolist()]  # type: ignore[union-attr]
