"""Scoring and ranking of exchange partners: pure Python and NumPy, no Telegram, no database.

A ``MatchIndex`` is built once over a population of ``Participant``s. For one participant it
applies the hard rules to everyone at once (vectorised masks), scores the admissible peers by
complementarity in both directions (what A seeks against what B offers and the reverse, through
shared concepts of the bilingual vocabulary), shared ecosystems and concepts, and residual fuzzy
similarity of the free texts (``rapidfuzz.process.cdist`` over the whole admissible population),
and returns the best ones with the reasons that made them match.
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
    ) -> None:
        self.people = list(participants)
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

        offers = vocabulary.extract_many([p.offers for p in self.people])
        seeks = vocabulary.extract_many([p.seeks for p in self.people])
        self.concepts = _Concepts(
            offers=[frozenset(h) for h in offers], seeks=[frozenset(h) for h in seeks]
        )
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

    def _rule_masks(self, i: int) -> list[np.ndarray]:
        """Cumulative masks, one per rule, in the order ``NoMatch`` reports them."""
        n = len(self.people)
        others = np.ones(n, dtype=bool)
        others[i] = False
        others &= ~self.paused
        roles = (self.can_visit[i] & self.can_host) | (self.can_host[i] & self.can_visit)
        step1 = others & roles
        step2 = step1 & (self.country != self.country[i])
        step3 = step2 & ((self.langs & self.langs[i]) != 0)
        step4 = step3.copy()
        cand = np.flatnonzero(step3)
        if cand.size:
            start = np.maximum(self.start[cand], self.start[i])
            end = np.minimum(self.end[cand], self.end[i])
            ok = end >= start
            days = np.zeros(cand.size, dtype=np.int64)
            days[ok] = np.busday_count(start[ok], end[ok] + np.timedelta64(1, "D"))
            step4[cand] = days >= self.min_working_days
        return [step1, step2, step3, step4]

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

    def scores(self, key: str, exclude: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Indices of admissible peers of ``key`` and their scores (0..100)."""
        i = self.position[key]
        if self.paused[i]:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        cand = np.flatnonzero(self._admissible(i, exclude))
        if cand.size == 0:
            return cand, np.empty(0, dtype=np.float32)
        they_give = self._counts(self.concepts.seeks[i], self.offers_by)[cand]
        you_give = self._counts(self.concepts.offers[i], self.seeks_by)[cand]
        ecosystems = self._counts(self.people[i].ecosystems, self.eco_by)[cand]
        shared = self._counts(self.concepts.offers[i] | self.concepts.seeks[i], self.any_by)[cand]
        raw = (
            W_COMPLEMENT * (they_give + you_give)
            + W_RECIPROCAL * np.minimum(they_give, you_give)
            + W_ECOSYSTEM * ecosystems
            + W_SHARED * shared
        )
        text = self._text_similarity(i, cand)
        raw += W_TEXT * np.maximum(text - TEXT_FLOOR, 0.0)
        return cand, (100.0 * (1.0 - np.exp(-raw / SCALE))).astype(np.float32)

    def _text_similarity(self, i: int, cand: np.ndarray) -> np.ndarray:
        """Residual similarity of the free texts, both directions, over all candidates at once."""
        result = np.zeros(cand.size, dtype=np.float32)
        for query, pool in (
            (self.seeks_text[i], self.offers_text),
            (self.offers_text[i], self.seeks_text),
        ):
            if not query:
                continue
            choices = [pool[j] for j in cand]
            sims = process.cdist(
                [query], choices, scorer=fuzz.token_set_ratio, dtype=np.uint8, workers=1
            )[0]
            result += sims.astype(np.float32) / 2.0
        return result

    def propose(self, key: str, k: int = 5, exclude: Collection[str] = ()) -> list[Proposal]:
        """The ``k`` best admissible peers of ``key``, best first, with reasons."""
        if key not in self.position:
            return []
        cand, scores = self.scores(key, exclude)
        if cand.size == 0:
            return []
        k = min(k, cand.size)
        top = np.argpartition(-scores, k - 1)[:k] if cand.size > k else np.arange(cand.size)
        top = top[np.lexsort((cand[top], -scores[top]))]  # score desc, then stable by index
        i = self.position[key]
        return [
            Proposal(self.people[j].key, round(float(scores[t]), 1), self.reasons(i, int(j)))
            for t, j in ((t, cand[t]) for t in top)
        ]

    def rank_all(self, k: int = 5) -> dict[str, list[Proposal]]:
        """Top ``k`` for everyone (batch use)."""
        return {p.key: self.propose(p.key, k) for p in self.people}

    # ----------------------------------------------------------------- explanation

    def reasons(self, i: int, j: int) -> Reasons:
        """Why ``j`` was proposed to ``i``, from what actually matched."""
        a, b = self.people[i], self.people[j]
        ca, cb = self.concepts, self.concepts
        start = max(self.start[i], self.start[j]).astype(date)
        end = min(self.end[i], self.end[j]).astype(date)
        open_end = self.today + timedelta(days=OPEN_END_DAYS)
        window = (start, None if end >= open_end else end)
        you_visit = bool(self.can_visit[i] and self.can_host[j]) and (
            a.role == "visitor" or not (self.can_host[i] and self.can_visit[j]) or b.role == "host"
        )
        any_a = ca.offers[i] | ca.seeks[i]
        any_b = cb.offers[j] | cb.seeks[j]
        text = self._text_similarity(i, np.asarray([j]))[0]
        return Reasons(
            they_offer_you_seek=tuple(sorted(ca.seeks[i] & cb.offers[j])),
            you_offer_they_seek=tuple(sorted(ca.offers[i] & cb.seeks[j])),
            shared_ecosystems=tuple(e for e in a.ecosystems if e in b.ecosystems),
            shared_concepts=tuple(sorted(any_a & any_b)),
            shared_languages=tuple(lang for lang in a.languages if lang in b.languages),
            window=window,
            you_visit=you_visit,
            text_similarity=round(float(text), 1),
        )
