"""Scoring and ranking of exchange partners: pure Python and NumPy, no Telegram, no database.

A ``MatchIndex`` is built once over a population of ``Participant``s. For one participant it
applies the hard rules to everyone at once (vectorised masks), scores the admissible peers by
complementarity in both directions (what A seeks against what B offers and the reverse, through
shared concepts of the bilingual vocabulary), shared ecosystems and concepts, and residual fuzzy
similarity of the free texts (``rapidfuzz.process.cdist`` over many admissible peers at once),
and returns the best ones with the reasons that made them match.

Each concept counts with its informativeness in the current population (IDF-style, read from
the sizes of the postings at query time, so it follows every upsert and removal): "hydrogen"
counts more than "internationalisation", which half the profiles mention. A seek met only by a
broader, narrower or related offer of the vocabulary ("hydropower" for "renewable energy")
earns part of the weight. The residual text similarity only breaks ties.

Speed (``bench/matching.py``): the rule arrays, including cumulative working-day counts, are
built once, so the hard rules cost a few whole-population NumPy operations per query.
:meth:`MatchIndex.propose` needs the text similarity only of peers that can still reach the
top ``k``: the text adds at most ``W_TEXT * (100 - TEXT_FLOOR)`` points, so peers whose score
with the best possible text stays below the ``k``-th best score without any text are left out
before ``cdist`` runs. The result is the same as scoring everyone (:meth:`MatchIndex.scores`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from bot.matching.normalise import content_words
from bot.matching.postings import Postings
from bot.matching.vocabulary import Vocabulary

CAN_VISIT, CAN_HOST = 1, 2
ROLE_BITS = {"visitor": CAN_VISIT, "host": CAN_HOST, "both": CAN_VISIT | CAN_HOST}

# Weights of the score's parts (raw points, squashed to 0..100).
W_COMPLEMENT = 10.0  # per concept one side seeks and the other offers
W_RECIPROCAL = 8.0  # bonus per concept of the weaker direction: both sides gain
W_ECOSYSTEM = 4.0  # per shared industrial ecosystem
W_SHARED = 2.0  # per concept both mention (in any field)
# Residual text similarity only breaks ties: at most 2.4 points, less than the least
# informative concept one side seeks and the other offers (W_COMPLEMENT * WEIGHT_FLOOR), so
# the noise of long texts (token_set_ratio 35-55 for unrelated ones) never outweighs a concept.
W_TEXT = 0.04  # per point of residual text similarity above the noise floor
TEXT_FLOOR = 40.0
SCALE = 40.0

# Informativeness of a concept (IDF-style): a concept that many profiles of the current
# population mention tells less about a pair than a rare one. A concept's weight is
# ``log((N + 1) / (df + 1)) / log((N + 1) / 2)`` (``df``: profiles mentioning it, N: profiles),
# clipped to ``WEIGHT_FLOOR..1`` so a generic concept still breaks ties. Document frequencies
# of a small population say little, so the effect fades in between ``IDF_FROM`` profiles (no
# effect) and ``IDF_FULL`` (full effect).
WEIGHT_FLOOR = 0.25
IDF_FROM = 10
IDF_FULL = 50
# A seek met by a broader, narrower or related offer (``broader``/``related`` in the
# vocabulary: "hydropower" for "renewable energy") earns this share of the weight of the less
# informative of the two concepts, unless the exact concept is offered too.
RELATED_CREDIT = 0.4

# Residual text similarity: scorer and cdist threads for one query against its candidates.
TEXT_SCORER = fuzz.token_set_ratio
TEXT_WORKERS = 1
_PARALLEL_FROM = 2_000  # candidates from which cdist runs transposed on all cores
_TERMS_CHUNK = 4096  # texts read together by extract_terms
_SLACK = np.float32(1e-3)  # score margin of the pruning in propose() (float32 rounding)


def _squash(raw: np.ndarray) -> np.ndarray:
    """Raw points (float32) to the 0..100 score, monotonic."""
    return (100.0 * (1.0 - np.exp(-raw / SCALE))).astype(np.float32)


def _text_points(text: np.ndarray | np.float32) -> np.ndarray:
    """Raw points of a residual text similarity (float32, 0..100)."""
    return W_TEXT * np.maximum(text - TEXT_FLOOR, 0.0)


_MAX_TEXT_POINTS = _text_points(np.float32(100.0))


def _idf_weight(df: int, population: int) -> float:
    """The weight of a concept that ``df`` of ``population`` profiles mention."""
    if population <= IDF_FROM:
        return 1.0
    n = float(population)
    idf = math.log((n + 1.0) / (df + 1.0)) / math.log((n + 1.0) / 2.0)
    weight = min(1.0, max(WEIGHT_FLOOR, idf))
    fade = min(1.0, (population - IDF_FROM) / (IDF_FULL - IDF_FROM))
    return 1.0 - fade * (1.0 - weight)


class _Weights(dict[str, float]):
    """Weights of concepts, each computed once per query (``index.weight``), times what the
    reader's own answers taught about each (``bias``: a factor per concept, 1 if absent)."""

    def __init__(self, index: MatchIndex, bias: Mapping[str, float] | None = None) -> None:
        super().__init__()
        self.index = index
        self.bias = bias or {}

    def __missing__(self, concept: str) -> float:
        weight = self[concept] = self.index.weight(concept) * self.bias.get(concept, 1.0)
        return weight


def _kth_largest(values: np.ndarray, k: int) -> np.float32:
    return np.partition(values, values.size - k)[values.size - k]


@dataclass(frozen=True)
class Participant:
    """A profile as the engine sees it."""

    key: str
    role: str
    country: str
    ecosystems: tuple[str, ...] = ()
    offers: str = ""
    seeks: str = ""
    languages: tuple[str, ...] = ()
    available_from: date | None = None
    available_to: date | None = None
    paused: bool = False
    has_exchange: bool = False  # a completed or active funded exchange as visitor


@dataclass(frozen=True)
class Reasons:
    """What actually matched, from the reader's point of view (``you`` = the reader)."""

    they_offer_you_seek: tuple[str, ...] = ()
    you_offer_they_seek: tuple[str, ...] = ()
    shared_ecosystems: tuple[str, ...] = ()
    shared_concepts: tuple[str, ...] = ()
    shared_languages: tuple[str, ...] = ()
    window: tuple[date, date | None] | None = None  # overlap of both windows; None end = open
    you_visit: bool = True
    text_similarity: float = 0.0
    # (sought concept, offered concept close to it) for seeks that are not met exactly: what
    # you seek and they offer, then what they seek and you offer; the most informative first
    they_offer_related: tuple[tuple[str, str], ...] = ()
    you_offer_related: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Proposal:
    """One admissible peer, its score (0..100) and why."""

    key: str
    score: float
    reasons: Reasons


class NoMatch(StrEnum):
    """Why a participant has no admissible peer (the first rule that leaves nobody)."""

    UNKNOWN = "unknown"
    PAUSED = "paused"
    EXCHANGE_DONE = "exchange_done"
    NO_COUNTERPART_ROLE = "no_counterpart_role"
    NO_OTHER_COUNTRY = "no_other_country"
    NO_SHARED_LANGUAGE = "no_shared_language"
    NO_OVERLAPPING_DATES = "no_overlapping_dates"
    ALL_SEEN = "all_seen"


@dataclass(frozen=True)
class Terms:
    """What the engine reads from a participant's texts: concepts and content words.

    Computing them is the expensive part of indexing a profile (the vocabulary's fuzzy
    matching), so callers may store them per profile version and pass them back in."""

    offers: frozenset[str] = frozenset()
    seeks: frozenset[str] = frozenset()
    offers_words: str = ""
    seeks_words: str = ""


def extract_terms(vocabulary: Vocabulary, people: Sequence[Participant]) -> list[Terms]:
    """The terms of each participant's texts (pure CPU: run it off the loop).

    A chunk at a time, so that the vocabulary's hits of only one chunk are alive at once, and
    equal concept sets are one object: reading 100,000 texts after a vocabulary change held
    every hit of every text and 200,000 separate sets, about 110 MB more at the peak."""
    shared: dict[frozenset[str], frozenset[str]] = {}

    def concepts(hits: Iterable[str]) -> frozenset[str]:
        found = frozenset(hits)
        return shared.setdefault(found, found)

    out: list[Terms] = []
    for start in range(0, len(people), _TERMS_CHUNK):
        chunk = people[start : start + _TERMS_CHUNK]
        offers = vocabulary.extract_many([p.offers for p in chunk])
        seeks = vocabulary.extract_many([p.seeks for p in chunk])
        out += [
            Terms(concepts(o), concepts(s), content_words(p.offers), content_words(p.seeks))
            for p, o, s in zip(chunk, offers, seeks, strict=True)
        ]
    return out


class _Concepts:
    """Concept sets per slot (empty for a free slot)."""

    def __init__(self) -> None:
        self.offers: list[frozenset[str]] = []
        self.seeks: list[frozenset[str]] = []


# Dates are stored as days since a fixed epoch and working days counted from it, so the index
# does not depend on the day it was built: "not before tomorrow" is applied at query time.
EPOCH = np.datetime64("2000-01-03", "D")  # a Monday
OPEN_END = np.datetime64("2200-01-01", "D")  # an open availability window ends here
_GROW = 1.5


_OPEN_END_DAY = int((OPEN_END - EPOCH).astype(np.int64))


_EPOCH_DATE: date = EPOCH.astype(date)
_OPEN_END_DATE: date = OPEN_END.astype(date)
_EPOCH_ORDINAL = _EPOCH_DATE.toordinal()


def _days(dates: Iterable[date | None], missing: date, n: int) -> np.ndarray:
    """The ``n`` dates (``missing`` for None) as days since the epoch."""
    return np.fromiter(((d or missing).toordinal() - _EPOCH_ORDINAL for d in dates), np.int64, n)


def _as_date(day: int) -> date:
    return (EPOCH + np.timedelta64(day, "D")).astype(date)


class MatchIndex:
    """Everything needed to rank peers for anyone in the population, kept up to date.

    Each participant has a slot in column arrays; :meth:`upsert` and :meth:`remove` change one
    participant without touching the others, so the index grows with the population instead
    of being rebuilt for every change."""

    def __init__(
        self,
        participants: Sequence[Participant],
        vocabulary: Vocabulary,
        *,
        today: date,
        min_working_days: int = 3,
        scheme_rules: bool = True,
        terms: Sequence[Terms] | None = None,
    ) -> None:
        # Off for meetings at an event: anyone present may meet anyone else, whatever their
        # role, country, languages or travel dates; only the scoring stays.
        self.scheme_rules = scheme_rules
        self.vocabulary = vocabulary
        self.today = today
        self.min_working_days = min_working_days
        self.people: list[Participant | None] = []
        self.position: dict[str, int] = {}
        self._free: list[int] = []
        self._countries: dict[str, int] = {}
        self.lang_bit: dict[str, int] = {}
        self.concepts = _Concepts()
        self.offers_by, self.seeks_by, self.any_by, self.eco_by = (
            Postings(),
            Postings(),
            Postings(),
            Postings(),
        )
        self.offers_text: list[str] = []
        self.seeks_text: list[str] = []
        self._allocate(len(participants))
        self.upsert(participants, terms)

    # ----------------------------------------------------------------- changes

    def _allocate(self, capacity: int) -> None:
        """Grow the column arrays to ``capacity`` slots (new slots are free)."""
        old = getattr(self, "alive", np.zeros(0, dtype=bool)).size
        if capacity <= old and old:
            return
        capacity = max(capacity, 16)

        def grown(name: str, dtype: type | str, fill: object = 0) -> np.ndarray:
            array = np.full(capacity, fill, dtype=dtype)
            if old:
                array[:old] = getattr(self, name)
            return array

        self.alive = grown("alive", bool, False)
        self.roles = grown("roles", np.int8)
        self.done = grown("done", bool, False)
        self.paused = grown("paused", bool, False)
        self.country = grown("country", np.int32, -1)
        self.langs = grown("langs", np.int64)
        self._start_day = grown("_start_day", np.int64)
        self._end_day = grown("_end_day", np.int64)
        self._work_start = grown("_work_start", np.int64)
        self._work_end = grown("_work_end", np.int64)
        free = range(old, capacity)
        self.people.extend([None] * len(free))
        self.concepts.offers.extend([frozenset()] * len(free))
        self.concepts.seeks.extend([frozenset()] * len(free))
        self.offers_text.extend([""] * len(free))
        self.seeks_text.extend([""] * len(free))
        self._free.extend(reversed(free))  # pop() hands out the lowest slot first

    def upsert(
        self, participants: Sequence[Participant], terms: Sequence[Terms] | None = None
    ) -> None:
        """Add participants, or replace those already in the index (by key).

        ``terms`` (one per participant) skips the extraction; otherwise it runs here."""
        if not participants:
            return
        if terms is None:
            terms = extract_terms(self.vocabulary, participants)
        latest = {p.key: (p, t) for p, t in zip(participants, terms, strict=True)}  # last wins
        new = sum(1 for k in latest if k not in self.position)
        if new > len(self._free):
            self._allocate(int((self.alive.size + new - len(self._free)) * _GROW) + 1)
        slots = []
        for k in latest:
            slot = self.position.get(k)
            if slot is None:
                slot = self.position[k] = self._free.pop()
            else:
                self._forget(slot)
            slots.append(slot)
        self._store(slots, [p for p, _t in latest.values()], [t for _p, t in latest.values()])

    def remove(self, keys: Iterable[str]) -> None:
        """Take participants out of the index (unknown keys are ignored)."""
        for k in keys:
            slot = self.position.pop(k, None)
            if slot is not None:
                self._forget(slot)
                self._free.append(slot)

    def terms_of(self, key: str) -> Terms | None:
        """The terms the index holds for a participant."""
        slot = self.position.get(key)
        if slot is None:
            return None
        return Terms(
            self.concepts.offers[slot],
            self.concepts.seeks[slot],
            self.offers_text[slot],
            self.seeks_text[slot],
        )

    def _store(self, slots: list[int], people: list[Participant], terms: list[Terms]) -> None:
        """Write participants into their slots: the columns in whole-array operations."""
        n, at = len(slots), np.asarray(slots, dtype=np.int64)
        countries = self._countries
        self.alive[at] = True
        self.roles[at] = np.fromiter((ROLE_BITS.get(p.role, 0) for p in people), np.int8, n)
        self.done[at] = np.fromiter((p.has_exchange for p in people), bool, n)
        self.paused[at] = np.fromiter((p.paused for p in people), bool, n)
        self.country[at] = np.fromiter(
            (countries.setdefault(p.country, len(countries)) for p in people), np.int32, n
        )
        self.langs[at] = np.fromiter((self._lang_bits(p.languages) for p in people), np.int64, n)
        # Days since the epoch from date ordinals: numpy's conversion of a list of dates
        # holds the interpreter lock throughout (0.1 s for 100,000, the event loop waiting),
        # this loop lets go of it and is 15 times faster.
        start_day = np.maximum(_days((p.available_from for p in people), _EPOCH_DATE, n), 0)
        end_day = np.maximum(_days((p.available_to for p in people), _OPEN_END_DATE, n), -1)
        self._start_day[at] = start_day
        self._end_day[at] = end_day
        self._work_start[at] = np.busday_count(EPOCH, EPOCH + start_day.astype("timedelta64[D]"))
        self._work_end[at] = np.busday_count(EPOCH, EPOCH + (end_day + 1).astype("timedelta64[D]"))
        for slot, p, t in zip(slots, people, terms, strict=True):
            self.people[slot] = p
            self.concepts.offers[slot], self.concepts.seeks[slot] = t.offers, t.seeks
            self.offers_text[slot], self.seeks_text[slot] = t.offers_words, t.seeks_words
        self.offers_by.add(slots, (t.offers for t in terms))
        self.seeks_by.add(slots, (t.seeks for t in terms))
        self.any_by.add(slots, (t.offers | t.seeks for t in terms))
        self.eco_by.add(slots, (p.ecosystems for p in people))

    def _lang_bits(self, languages: Iterable[str]) -> int:
        bits = 0
        for lang in set(languages):
            bits |= self.lang_bit.setdefault(lang, 1 << (len(self.lang_bit) % 63))
        return bits

    def _forget(self, slot: int) -> None:
        p = self.people[slot]
        offers, seeks = self.concepts.offers[slot], self.concepts.seeks[slot]
        self.offers_by.discard(slot, offers)
        self.seeks_by.discard(slot, seeks)
        self.any_by.discard(slot, offers | seeks)
        if p is not None:
            self.eco_by.discard(slot, p.ecosystems)
        self.people[slot] = None
        self.alive[slot] = False
        self.concepts.offers[slot] = self.concepts.seeks[slot] = frozenset()
        self.offers_text[slot] = self.seeks_text[slot] = ""

    def __contains__(self, key: object) -> bool:
        return key in self.position

    def participant(self, key: str) -> Participant | None:
        """The participant as the index holds it."""
        slot = self.position.get(key)
        return None if slot is None else self.people[slot]

    def __len__(self) -> int:
        return len(self.position)

    @property
    def can_visit(self) -> np.ndarray:
        """Slots that may still visit (a visitor role and no exchange used yet)."""
        return ((self.roles & CAN_VISIT) > 0) & ~self.done & self.alive

    @property
    def can_host(self) -> np.ndarray:
        """Slots that may host."""
        return ((self.roles & CAN_HOST) > 0) & self.alive

    def _person(self, i: int) -> Participant:
        p = self.people[i]
        assert p is not None, "a free slot has no participant"
        return p

    # ----------------------------------------------------------------- rules

    def _admissible(self, i: int, exclude: Collection[str]) -> np.ndarray:
        """Mask of peers that pass every hard rule for participant ``i``."""
        mask = self._rule_masks(i)[-1]
        if exclude:
            idx = [self.position[k] for k in exclude if k in self.position]
            mask[idx] = False
        return mask

    def _counterparts(self, i: int) -> np.ndarray:
        """Active peers other than ``i`` whose role complements ``i``'s (a new array)."""
        can_visit, can_host = self.can_visit, self.can_host
        visit, host = bool(can_visit[i]), bool(can_host[i])
        if visit and host:
            mask = can_host | can_visit
        elif visit:
            mask = can_host
        elif host:
            mask = can_visit
        else:
            return np.zeros(self.alive.size, dtype=bool)
        mask &= ~self.paused
        mask[i] = False
        return mask

    def _first_day(self) -> int:
        """Tomorrow, in days since the epoch: no window starts before it."""
        return int((np.datetime64(self.today, "D") + 1 - EPOCH).astype(np.int64))

    def _enough_days(self, i: int) -> np.ndarray:
        """Peers whose window overlaps ``i``'s by at least ``min_working_days`` working days,
        counting from tomorrow."""
        first = self._first_day()
        first_work = int(np.busday_count(EPOCH, EPOCH + first))
        start_i = max(int(self._start_day[i]), first)
        overlap = np.minimum(self._end_day, self._end_day[i]) >= np.maximum(
            self._start_day, start_i
        )
        work_start_i = max(int(self._work_start[i]), first_work)
        days = np.minimum(self._work_end, self._work_end[i]) - np.maximum(
            self._work_start, work_start_i
        )
        if self.min_working_days <= 0:  # windows that do not overlap count as 0 days
            return ~overlap | (days >= self.min_working_days)
        return overlap & (days >= self.min_working_days)

    def _rule_masks(self, i: int) -> list[np.ndarray]:
        """Cumulative masks, one per rule, in the order ``NoMatch`` reports them."""
        if not self.scheme_rules:
            anyone = self.alive & ~self.paused
            anyone[i] = False
            return [anyone] * 4
        step1 = self._counterparts(i)
        step2 = step1 & (self.country != self.country[i])
        step3 = step2 & ((self.langs & self.langs[i]) != 0)
        step4 = step3 & self._enough_days(i)
        return [step1, step2, step3, step4]

    def allows(self, key: str, other: str) -> bool:
        """Whether the hard rules let ``key`` be proposed ``other``."""
        i, j = self.position.get(key), self.position.get(other)
        if i is None or j is None:
            return False
        return bool(self._admissible(i, ())[j])

    def why_none(self, key: str, exclude: Collection[str] = ()) -> NoMatch:
        """The first rule that leaves ``key`` without any peer."""
        i = self.position.get(key)
        if i is None:
            return NoMatch.UNKNOWN
        if self.paused[i]:
            return NoMatch.PAUSED
        if not self.can_visit[i] and not self.can_host[i]:
            return NoMatch.EXCHANGE_DONE if self.done[i] else NoMatch.NO_COUNTERPART_ROLE
        reasons = (
            NoMatch.NO_COUNTERPART_ROLE,
            NoMatch.NO_OTHER_COUNTRY,
            NoMatch.NO_SHARED_LANGUAGE,
            NoMatch.NO_OVERLAPPING_DATES,
        )
        masks = self._rule_masks(i)
        for reason, mask in zip(reasons, masks, strict=True):
            if not mask.any():
                return reason
        return NoMatch.ALL_SEEN

    # ----------------------------------------------------------------- scoring

    def holders(self, concept: str, *, offered: bool) -> np.ndarray | None:
        """The slots whose offers (``offered``) or seeks mention ``concept``, sorted (None:
        nobody's). For callers outside the engine, such as search."""
        return (self.offers_by if offered else self.seeks_by).get(concept)

    def weight(self, concept: str) -> float:
        """How informative ``concept`` is in the current population (``WEIGHT_FLOOR``..1)."""
        hits = self.any_by.get(concept)
        return _idf_weight(0 if hits is None else int(hits.size), len(self.position))

    def _counts(
        self, concepts: Iterable[str], index: Postings, weights: _Weights | None = None
    ) -> np.ndarray:
        """Per slot, the summed weights of ``concepts`` it has in ``index`` (1 each without
        ``weights``)."""
        total = np.zeros(self.alive.size, dtype=np.float32)
        for concept in concepts:
            hits = index.get(concept)
            if hits is not None:
                total[hits] += 1.0 if weights is None else weights[concept]
        return total

    def _served(self, concepts: Iterable[str], index: Postings, weights: _Weights) -> np.ndarray:
        """Per slot, how well its entries in ``index`` meet ``concepts``: the concept's weight
        for the concept itself, else ``RELATED_CREDIT`` of the weaker weight for the best
        neighbour of the concept (see :meth:`Vocabulary.neighbours`)."""
        total = self._counts(concepts, index, weights)
        partial: np.ndarray | None = None
        for concept in concepts:
            neighbours = self.vocabulary.neighbours(concept)
            if not neighbours:
                continue
            weight = weights[concept]
            touched = []
            for other in neighbours:
                hits = index.get(other)
                if hits is None:
                    continue
                if partial is None:
                    partial = np.zeros(self.alive.size, dtype=np.float32)
                credit = np.float32(RELATED_CREDIT * min(weight, weights[other]))
                partial[hits] = np.maximum(partial[hits], credit)
                touched.append(hits)
            if not touched:
                continue
            assert partial is not None
            exact = index.get(concept)
            if exact is not None:
                partial[exact] = 0.0
            for hits in touched:
                total[hits] += partial[hits]
                partial[hits] = 0.0
        return total

    def _concept_points(
        self, i: int, cand: np.ndarray, weights: _Weights | None = None
    ) -> np.ndarray:
        """Raw points of the candidates without the text similarity (float32)."""
        w = _Weights(self) if weights is None else weights
        concepts = self.concepts
        they_give = self._served(concepts.seeks[i], self.offers_by, w)[cand]
        you_give = self._served(concepts.offers[i], self.seeks_by, w)[cand]
        ecosystems = self._counts(self._person(i).ecosystems, self.eco_by)[cand]
        shared = self._served(concepts.offers[i] | concepts.seeks[i], self.any_by, w)[cand]
        return (
            W_COMPLEMENT * (they_give + you_give)
            + W_RECIPROCAL * np.minimum(they_give, you_give)
            + W_ECOSYSTEM * ecosystems
            + W_SHARED * shared
        )

    def scores(self, key: str, exclude: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Indices of admissible peers of ``key`` and their scores (0..100)."""
        i = self.position[key]
        if self.paused[i]:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        cand = np.flatnonzero(self._admissible(i, exclude))
        if cand.size == 0:
            return cand, np.empty(0, dtype=np.float32)
        raw = self._concept_points(i, cand)
        raw += _text_points(self._text_similarity(i, cand))
        return cand, _squash(raw)

    def _text_similarity(self, i: int, cand: np.ndarray) -> np.ndarray:
        """Residual similarity of the free texts, both directions, over all candidates at once."""
        result = np.zeros(cand.size, dtype=np.float32)
        if cand.size == 0:
            return result
        for query, pool in (
            (self.seeks_text[i], self.offers_text),
            (self.offers_text[i], self.seeks_text),
        ):
            if not query:
                continue
            choices = [pool[j] for j in cand.tolist()]
            if cand.size >= _PARALLEL_FROM:  # cdist spreads the rows of its queries on cores
                sims = process.cdist(
                    choices, [query], scorer=TEXT_SCORER, dtype=np.uint8, workers=-1
                )[:, 0]
            else:
                sims = process.cdist(
                    [query], choices, scorer=TEXT_SCORER, dtype=np.uint8, workers=TEXT_WORKERS
                )[0]
            result += sims.astype(np.float32) / 2.0
        return result

    def propose(
        self,
        key: str,
        k: int = 5,
        exclude: Collection[str] = (),
        bias: Mapping[str, float] | None = None,
    ) -> list[Proposal]:
        """The ``k`` best admissible peers of ``key``, best first, with reasons.

        Ties are broken by position in the population. Gives the same as taking the ``k`` best
        of :meth:`scores`, but compares texts only for peers that can still reach the top.
        ``bias``: what this reader's answers taught, a factor per concept on its weight.
        """
        i = self.position.get(key)
        if i is None or self.paused[i] or k < 1:
            return []
        cand = np.flatnonzero(self._admissible(i, exclude))
        if cand.size == 0:
            return []
        weights = _Weights(self, bias)
        raw = self._concept_points(i, cand, weights)
        if cand.size > k:
            # The k-th best score is at least the k-th best score without text; a peer whose
            # score with a perfect text stays below that cannot be among the best k.
            upper = _squash(raw + _MAX_TEXT_POINTS)
            keep = np.flatnonzero(upper >= _kth_largest(_squash(raw), k) - _SLACK)
            cand, raw = cand[keep], raw[keep]
        text = self._text_similarity(i, cand)
        scores = _squash(raw + _text_points(text))
        top = np.lexsort((cand, -scores))[:k]  # score desc, then by index
        return [
            Proposal(
                self._person(j).key,
                round(float(scores[t]), 1),
                self._reasons(i, j, float(text[t]), weights),
            )
            for t, j in zip(top.tolist(), cand[top].tolist(), strict=True)
        ]

    def in_top(
        self,
        key: str,
        other: str,
        k: int = 5,
        exclude: Collection[str] = (),
        bias: Mapping[str, float] | None = None,
    ) -> bool:
        """Whether ``other`` is among the ``k`` best peers of ``key``: the same answer as
        ``other in [p.key for p in propose(key, k, exclude, bias)]``, for less.

        Only the peers whose score bounds leave it open whether they beat ``other`` have
        their texts compared, it stops as soon as ``k`` peers are known to beat ``other``,
        and no reasons are worked out. Pushing a newcomer to the people who would rank them
        near the top asks this of 20 people at once (``Matchmaking.new_participant``)."""
        i, j = self.position.get(key), self.position.get(other)
        if i is None or j is None or self.paused[i] or k < 1:
            return False
        admissible = self._admissible(i, exclude)
        if not admissible[j]:
            return False
        cand = np.flatnonzero(admissible)
        if cand.size <= k:
            return True
        raw = self._concept_points(i, cand, _Weights(self, bias))
        at = int(np.searchsorted(cand, j))
        mine = _squash(raw[at : at + 1] + _text_points(self._text_similarity(i, cand[at : at + 1])))
        score = mine[0]
        # Ties go to the lower position, as in propose().
        lower, upper = _squash(raw), _squash(raw + _MAX_TEXT_POINTS)
        earlier = cand < j
        sure = (lower > score) | (earlier & (lower == score))
        sure[at] = False
        ahead = int(np.count_nonzero(sure))
        if ahead >= k:
            return False
        open_ = ~sure & ((upper > score) | (earlier & (upper == score)))
        open_[at] = False
        rest = cand[open_]
        if rest.size == 0:
            return True
        exact = _squash(raw[open_] + _text_points(self._text_similarity(i, rest)))
        ahead += int(np.count_nonzero((exact > score) | ((rest < j) & (exact == score))))
        return ahead < k

    def rank_all(self, k: int = 5) -> dict[str, list[Proposal]]:
        """Top ``k`` for everyone (batch use)."""
        return {key: self.propose(key, k) for key in self.position}

    # ----------------------------------------------------------------- explanation

    def reasons(self, i: int, j: int) -> Reasons:
        """Why ``j`` was proposed to ``i``, from what actually matched."""
        return self._reasons(i, j, float(self._text_similarity(i, np.asarray([j]))[0]))

    @staticmethod
    def _by_weight(concepts: Iterable[str], weights: _Weights) -> tuple[str, ...]:
        """Concepts, the most informative first (ties by id)."""
        return tuple(sorted(concepts, key=lambda c: (-weights[c], c)))

    def _reasons(self, i: int, j: int, text: float, weights: _Weights | None = None) -> Reasons:
        w = _Weights(self) if weights is None else weights
        a, b = self._person(i), self._person(j)
        ca, cb = self.concepts, self.concepts
        start = _as_date(max(int(self._start_day[i]), int(self._start_day[j]), self._first_day()))
        end_day = int(min(self._end_day[i], self._end_day[j]))
        end = None if end_day >= _OPEN_END_DAY else _as_date(end_day)
        window = (start, end) if self.scheme_rules else None
        can_visit, can_host = self.can_visit, self.can_host
        you_visit = bool(can_visit[i] and can_host[j]) and (
            a.role == "visitor" or not (can_host[i] and can_visit[j]) or b.role == "host"
        )
        any_a = ca.offers[i] | ca.seeks[i]
        any_b = cb.offers[j] | cb.seeks[j]
        return Reasons(
            they_offer_you_seek=self._by_weight(ca.seeks[i] & cb.offers[j], w),
            you_offer_they_seek=self._by_weight(ca.offers[i] & cb.seeks[j], w),
            shared_ecosystems=tuple(e for e in a.ecosystems if e in b.ecosystems),
            shared_concepts=self._by_weight(any_a & any_b, w),
            shared_languages=tuple(lang for lang in a.languages if lang in b.languages),
            window=window,
            you_visit=you_visit,
            text_similarity=round(text, 1),
            they_offer_related=self._related(ca.seeks[i], cb.offers[j], w),
            you_offer_related=self._related(cb.seeks[j], ca.offers[i], w),
        )

    def _related(
        self, wanted: frozenset[str], given: frozenset[str], weights: _Weights
    ) -> tuple[tuple[str, str], ...]:
        """(wanted concept, its most informative neighbour in ``given``) for each wanted
        concept that ``given`` lacks but meets through a neighbour, most informative first."""
        pairs = []
        for concept in wanted - given:
            close = self.vocabulary.neighbours(concept) & given
            if close:
                best = min(close, key=lambda c: (-weights[c], c))
                pairs.append((concept, best))
        pairs.sort(key=lambda pair: (-min(weights[pair[0]], weights[pair[1]]), pair))
        return tuple(pairs)
