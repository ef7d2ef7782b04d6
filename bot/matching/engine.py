"""Scoring and ranking of exchange partners: pure Python and NumPy, no Telegram, no database.

A ``MatchIndex`` is built once over a population of ``Participant``s. For one participant it
applies the hard rules to everyone at once (vectorised masks), scores the admissible peers by
complementarity in both directions (what A seeks against what B offers and the reverse, through
shared concepts of the bilingual vocabulary), shared ecosystems and concepts, and residual fuzzy
similarity of the free texts (``rapidfuzz.process.cdist`` over many admissible peers at once),
and returns the best ones with the reasons that made them match.

Speed (``bench/matching.py``): the rule arrays, including cumulative working-day counts, are
built once, so the hard rules cost a few whole-population NumPy operations per query.
:meth:`MatchIndex.propose` needs the text similarity only of peers that can still reach the
top ``k``: the text adds at most ``W_TEXT * (100 - TEXT_FLOOR)`` points, so peers whose score
with the best possible text stays below the ``k``-th best score without any text are left out
before ``cdist`` runs. The result is the same as scoring everyone (:meth:`MatchIndex.scores`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from bot.matching.normalise import content_words
from bot.matching.vocabulary import Vocabulary

CAN_VISIT, CAN_HOST = 1, 2
ROLE_BITS = {"visitor": CAN_VISIT, "host": CAN_HOST, "both": CAN_VISIT | CAN_HOST}
OPEN_END_DAYS = 3650  # an open availability window reaches this far ahead

# Weights of the score's parts (raw points, squashed to 0..100).
W_COMPLEMENT = 10.0  # per concept one side seeks and the other offers
W_RECIPROCAL = 8.0  # bonus per concept of the weaker direction: both sides gain
W_ECOSYSTEM = 4.0  # per shared industrial ecosystem
W_SHARED = 2.0  # per concept both mention (in any field)
W_TEXT = 0.15  # per point of residual text similarity above the noise floor
TEXT_FLOOR = 50.0
SCALE = 40.0

# Residual text similarity: scorer and cdist threads for one query against its candidates.
TEXT_SCORER = fuzz.token_set_ratio
TEXT_WORKERS = 1
_PARALLEL_FROM = 2_000  # candidates from which cdist runs transposed on all cores
_SLACK = np.float32(1e-3)  # score margin of the pruning in propose() (float32 rounding)


def _squash(raw: np.ndarray) -> np.ndarray:
    """Raw points (float32) to the 0..100 score, monotonic."""
    return (100.0 * (1.0 - np.exp(-raw / SCALE))).astype(np.float32)


def _text_points(text: np.ndarray | np.float32) -> np.ndarray:
    """Raw points of a residual text similarity (float32, 0..100)."""
    return W_TEXT * np.maximum(text - TEXT_FLOOR, 0.0)


_MAX_TEXT_POINTS = _text_points(np.float32(100.0))


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


@dataclass
class _Concepts:
    offers: list[frozenset[str]] = field(default_factory=list)
    seeks: list[frozenset[str]] = field(default_factory=list)


def _inverted(sets: Sequence[Iterable[str]]) -> dict[str, np.ndarray]:
    index: dict[str, list[int]] = {}
    for i, items in enumerate(sets):
        for item in items:
            index.setdefault(item, []).append(i)
    return {k: np.asarray(v, dtype=np.int64) for k, v in index.items()}


class MatchIndex:
    """Everything needed to rank peers for anyone in the population, precomputed."""

    def __init__(
        self,
        participants: Sequence[Participant],
        vocabulary: Vocabulary,
        *,
        today: date,
        min_working_days: int = 3,
        scheme_rules: bool = True,
    ) -> None:
        self.people = list(participants)
        # Off for meetings at an event: anyone present may meet anyone else, whatever their
        # role, country, languages or travel dates; only the scoring stays.
        self.scheme_rules = scheme_rules
        self.vocabulary = vocabulary
        self.today = today
        self.min_working_days = min_working_days
        self.position = {p.key: i for i, p in enumerate(self.people)}
        n = len(self.people)

        self.roles = np.fromiter((ROLE_BITS.get(p.role, 0) for p in self.people), np.int8, n)
        self.done = np.fromiter((p.has_exchange for p in self.people), bool, n)
        self.paused = np.fromiter((p.paused for p in self.people), bool, n)
        self.can_visit = ((self.roles & CAN_VISIT) > 0) & ~self.done
        self.can_host = (self.roles & CAN_HOST) > 0
        # Active peers that can host, visit, or either (the role rule, before "not oneself").
        self._hosts = self.can_host & ~self.paused
        self._visitors = self.can_visit & ~self.paused
        self._either = self._hosts | self._visitors
        countries = {c: i for i, c in enumerate(sorted({p.country for p in self.people}))}
        self.country = np.fromiter((countries[p.country] for p in self.people), np.int32, n)
        langs = sorted({lang for p in self.people for lang in p.languages})
        self.lang_bit = {lang: 1 << (i % 63) for i, lang in enumerate(langs)}
        self.langs = np.fromiter(
            (sum({self.lang_bit[lang] for lang in p.languages}) for p in self.people),
            np.int64,
            n,
        )
        first = np.datetime64(today + timedelta(days=1), "D")
        last = np.datetime64(today + timedelta(days=OPEN_END_DAYS), "D")
        self.start = np.array(
            [
                np.datetime64(p.available_from, "D") if p.available_from else first
                for p in self.people
            ],
            dtype="datetime64[D]",
        )
        self.start = np.maximum(self.start, first) if n else self.start
        self.end = np.array(
            [np.datetime64(p.available_to or last, "D") for p in self.people],
            dtype="datetime64[D]",
        )
        # Days since the epoch, and working days from ``today`` to the first day of the window
        # and to the day after its last day: the working days of any overlap are a difference.
        epoch = np.datetime64(today, "D")
        self._start_day = self.start.astype(np.int64)
        self._end_day = self.end.astype(np.int64)
        self._work_start = np.busday_count(epoch, self.start)
        self._work_end = np.busday_count(epoch, self.end + np.timedelta64(1, "D"))

        offers = vocabulary.extract_many([p.offers for p in self.people])
        seeks = vocabulary.extract_many([p.seeks for p in self.people])
        self.concepts = _Concepts(
            offers=[frozenset(h) for h in offers], seeks=[frozenset(h) for h in seeks]
        )
        del offers, seeks
        self.offers_by = _inverted(self.concepts.offers)
        self.seeks_by = _inverted(self.concepts.seeks)
        self.any_by = _inverted(
            [o | s for o, s in zip(self.concepts.offers, self.concepts.seeks, strict=True)]
        )
        self.eco_by = _inverted([p.ecosystems for p in self.people])
        self.offers_text = [content_words(p.offers) for p in self.people]
        self.seeks_text = [content_words(p.seeks) for p in self.people]

    def __len__(self) -> int:
        return len(self.people)

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
        visit, host = bool(self.can_visit[i]), bool(self.can_host[i])
        if visit and host:
            mask = self._either.copy()
        elif visit:
            mask = self._hosts.copy()
        elif host:
            mask = self._visitors.copy()
        else:
            return np.zeros(len(self.people), dtype=bool)
        mask[i] = False
        return mask

    def _enough_days(self, i: int) -> np.ndarray:
        """Peers whose window overlaps ``i``'s by at least ``min_working_days`` working days."""
        overlap = np.minimum(self._end_day, self._end_day[i]) >= np.maximum(
            self._start_day, self._start_day[i]
        )
        days = np.minimum(self._work_end, self._work_end[i]) - np.maximum(
            self._work_start, self._work_start[i]
        )
        if self.min_working_days <= 0:  # windows that do not overlap count as 0 days
            return ~overlap | (days >= self.min_working_days)
        return overlap & (days >= self.min_working_days)

    def _rule_masks(self, i: int) -> list[np.ndarray]:
        """Cumulative masks, one per rule, in the order ``NoMatch`` reports them."""
        if not self.scheme_rules:
            anyone = ~self.paused
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

    def _counts(self, concepts: Iterable[str], index: dict[str, np.ndarray]) -> np.ndarray:
        total = np.zeros(len(self.people), dtype=np.float32)
        for concept in concepts:
            hits = index.get(concept)
            if hits is not None:
                total[hits] += 1.0
        return total

    def _concept_points(self, i: int, cand: np.ndarray) -> np.ndarray:
        """Raw points of the candidates without the text similarity (float32)."""
        they_give = self._counts(self.concepts.seeks[i], self.offers_by)[cand]
        you_give = self._counts(self.concepts.offers[i], self.seeks_by)[cand]
        ecosystems = self._counts(self.people[i].ecosystems, self.eco_by)[cand]
        shared = self._counts(self.concepts.offers[i] | self.concepts.seeks[i], self.any_by)[cand]
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

    def propose(self, key: str, k: int = 5, exclude: Collection[str] = ()) -> list[Proposal]:
        """The ``k`` best admissible peers of ``key``, best first, with reasons.

        Ties are broken by position in the population. Gives the same as taking the ``k`` best
        of :meth:`scores`, but compares texts only for peers that can still reach the top.
        """
        i = self.position.get(key)
        if i is None or self.paused[i] or k < 1:
            return []
        cand = np.flatnonzero(self._admissible(i, exclude))
        if cand.size == 0:
            return []
        raw = self._concept_points(i, cand)
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
                self.people[j].key,
                round(float(scores[t]), 1),
                self._reasons(i, j, float(text[t])),
            )
            for t, j in zip(top.tolist(), cand[top].tolist(), strict=True)
        ]

    def rank_all(self, k: int = 5) -> dict[str, list[Proposal]]:
        """Top ``k`` for everyone (batch use)."""
        return {p.key: self.propose(p.key, k) for p in self.people}

    # ----------------------------------------------------------------- explanation

    def reasons(self, i: int, j: int) -> Reasons:
        """Why ``j`` was proposed to ``i``, from what actually matched."""
        return self._reasons(i, j, float(self._text_similarity(i, np.asarray([j]))[0]))

    def _reasons(self, i: int, j: int, text: float) -> Reasons:
        a, b = self.people[i], self.people[j]
        ca, cb = self.concepts, self.concepts
        start = max(self.start[i], self.start[j]).astype(date)
        end = min(self.end[i], self.end[j]).astype(date)
        open_end = self.today + timedelta(days=OPEN_END_DAYS)
        window = (start, None if end >= open_end else end) if self.scheme_rules else None
        you_visit = bool(self.can_visit[i] and self.can_host[j]) and (
            a.role == "visitor" or not (self.can_host[i] and self.can_visit[j]) or b.role == "host"
        )
        any_a = ca.offers[i] | ca.seeks[i]
        any_b = cb.offers[j] | cb.seeks[j]
        return Reasons(
            they_offer_you_seek=tuple(sorted(ca.seeks[i] & cb.offers[j])),
            you_offer_they_seek=tuple(sorted(ca.offers[i] & cb.seeks[j])),
            shared_ecosystems=tuple(e for e in a.ecosystems if e in b.ecosystems),
            shared_concepts=tuple(sorted(any_a & any_b)),
            shared_languages=tuple(lang for lang in a.languages if lang in b.languages),
            window=window,
            you_visit=you_visit,
            text_similarity=round(text, 1),
        )
