"""The bilingual concept vocabulary: free text in English or German -> shared concepts.

Participants describe what they offer and seek in their own words, in English or German and
often with typos. :class:`Vocabulary` maps such text to the concepts of
``data/concepts.json`` so that "3D-Druck" meets "additive manufacturing". No Telegram, no
database; the data file is read once per process.

How :meth:`Vocabulary.extract` finds concepts (every string is folded with
:func:`~bot.matching.normalise.normalise` first, so case, accents, umlauts, ß and punctuation
do not matter; terms of both languages are looked for in every text):

1. **Exact**: word n-grams of the text are looked up in a dict of all terms. N-grams are only
   extended while they are a word prefix of some term, so long texts cost little. Score 100.
2. **Spacing**: the same n-grams with the spaces removed are compared with the terms without
   spaces, so "Kreislauf-Wirtschaft", "additivemanufacturing" and "3 D Druck" hit as well.
   Score 100. Only for terms of at least 5 characters; a one-letter word is only glued to a
   digit ("3 D"), never the "s" of "Germany's port" to "port".
3. **German compounds**: a word that is not itself a term hits a German single-word term of at
   least 6 characters that is its *prefix* ("Wasserstoff|antriebe", "Textil|ien") or its
   *suffix* after a head of at least 4 characters ("Grün|wasserstoff", "Intra|logistik"). The
   head rule keeps "Erwartung" (er|wartung) and "Bewerbung" from hitting anything; the data file
   leaves out bare words that are parts of unrelated compounds ("Papier", "Wartung",
   "Vielfalt", "Verlag"). A term in the middle of a word ("Grünwasserstoffspeicher") is not
   found. The longest such term wins. A present participle, inflected or not, stands for its
   noun in "-ung" when that is at least ``MIN_PARTICIPLE_NOUN`` characters long
   ("holzverarbeitenden" for "Holzverarbeitung"; not "führende" for "Führung"). Score 92.
4. **Typos**: every distinct word is compared once (``rapidfuzz`` ``cdist`` with ``fuzz.ratio``,
   cached per vocabulary) with the words that terms are made of; pairs scoring at least 75 are
   *anchors*. A single-word term hits with the word's ratio when that reaches the cutoff and
   the word is a plausible typo: same first letter, not the term with letters missing in front
   ("health" is no typo of "eHealth"), not another compound of the same head word (the same
   last 6 or more letters after starts that differ by more than one letter and do not begin
   one another: "Fischverarbeitung" is no typo of "Fleischverarbeitung", "Schutzkleidung" is
   one of "Schutzbekleidung"), and not one of a few ordinary
   words next to a term (``_NO_FUZZY``: "leader"/"Leder", "Erfahrung"/"Ernährung"). A
   multi-word term is only tried where each of its words of 4 or more characters is anchored
   at its position by a word with the same first letter and at most one letter more or less,
   or an inflection of it, and its shorter words are there exactly; the whole n-gram is then
   scored with ``fuzz.ratio`` ("additve manufacturing", "digitalen Zwillings"; not "letzte
   Zeile" for "letzte Meile").
   Only n-grams and terms of at least 5 characters are matched fuzzily, so short terms ("KI",
   "AI", "IoT", "PV", "BIM") hit only as exact whole words, never inside "said" or "Kai".

German coordination ellipsis is written out first: in "Informations- und Kommunikationstechnik"
or "Holz-, Kunststoff- und Metallverarbeitung" each word left hanging on a hyphen takes the head
of the compound that closes the list ("Informationstechnik", "Holzverarbeitung"). The head is
the shortest end of that compound that makes the hanging word a known term, else one of a few
common German heads it ends with ("-industrie", "-technik", "-verarbeitung", ...); else the
hanging word is left as it is.

``cutoff`` is the minimum score of any hit (exact 100, compound 92, typo: its ratio); typos are
looked for down to a cutoff of about 80. Overlaps: hits are taken longest first; a hit inside
the span of an already accepted hit of *another* concept is dropped ("battery electric
vehicles" is electric vehicles, not also batteries; a word that is exactly a term is never read
as a typo of another one). The best hit per concept is returned, with its score and the text as
the user wrote it.

Concepts may name ``broader`` and ``related`` concepts in the data file ("textile recycling" is
a kind of "recycling" and of "textiles"). :meth:`Vocabulary.neighbours` gives them in both
directions; the engine gives partial credit for them. They do not change what a text yields.

Speed: :meth:`Vocabulary.extract_many` handles texts in batches, comparing all words new to the
vocabulary's cache in one ``cdist`` call; the rest is dict look-ups per word. About 0.15 ms per
20-word text on one core (100 000 texts in about 15 s).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from bot.matching.normalise import normalise

EXACT_SCORE = 100.0
COMPOUND_SCORE = 92.0
DEFAULT_CUTOFF = 88.0

MIN_FUZZY_LEN = 5  # n-grams and terms shorter than this never match fuzzily
ANCHOR_CUTOFF = 75.0  # word-level score that makes a word a candidate position for a term word
MIN_ANCHOR_LEN = 4  # term words shorter than this (without digits) are not anchors
MIN_COMPOUND_TERM = 6  # German single-word terms this long are looked for inside compounds
MIN_COMPOUND_HEAD = 4  # characters before a term found as a compound's suffix
MIN_PARTICIPLE_NOUN = 12  # "holzverarbeitend(en)" is read as "Holzverarbeitung" from this long

_CDIST_CHUNK = 4096  # words per cdist call (rows x anchor words x 4 bytes of memory)
_BATCH = 4096  # texts tokenised and prepared together in extract_many
EXTRACTION_VERSION = 3  # raise when a change of the code changes what a text yields
_CACHE_LIMIT = 400_000  # per-word caches are cleared when they grow past this
_TEXT_CACHE_LIMIT = 10_000  # whole-text results kept, ~6 MB (indexes are rebuilt from old texts)

# Words that start or end like a German term but mean something else.
_NO_COMPOUND = frozenset(
    {"designate", "designated", "designates", "designation", "grunderwerb", "grunderwerbsteuer"}
)
# Ordinary words (normalised) within typo distance of a single-word term.
_NO_FUZZY = frozenset(
    {
        "acceleration",
        "banding",
        "betone",
        "betont",
        "catalyst",
        "catalysts",
        "cloudy",
        "composes",
        "distribution",
        "distributions",
        "drohen",
        "erfahrung",
        "exploring",
        "fisher",
        "fliessen",
        "forging",
        "gentechnik",
        "graphen",
        "grunde",
        "inventors",
        "laster",
        "launches",
        "leader",
        "ledger",
        "leider",
        "lender",
        "lenders",
        "lieder",
        "messed",
        "messen",
        "rasen",
        "roots",
        "sorts",
        "spots",
        "strahl",
        "transformation",
        "transformationen",
        "wasserbad",
        "waving",
        "werfen",
        "werten",
    }
)

_TOKEN = re.compile(r"[^\W_]+")
# A word left hanging on a hyphen before a comma or a conjunction ("Holz-, ", "Informations- und").
_HANGING = re.compile(r"(?<![\w-])([^\W\d_]{3,})-(?=\s*,|\s+(?:und|oder|sowie|bzw\.?|&)\s)")
# What may follow it up to the compound that closes the list: commas, conjunctions, other
# hanging words; then that compound.
_CLOSING = re.compile(r"(?:\s*,\s*|\s+(?:und|oder|sowie|bzw\.?|&)\s+|[^\W\d_]{3,}-)*([^\W\d_]{6,})")
# Common heads of German compounds, longest first within a shared ending.
_COMPOUND_HEADS = (
    "dienstleistungen",
    "verarbeitung",
    "technologien",
    "technologie",
    "entwicklung",
    "herstellung",
    "wirtschaft",
    "produktion",
    "versorgung",
    "industrie",
    "forschung",
    "branche",
    "technik",
    "energie",
    "systeme",
    "sektor",
    "handel",
)
# German present participles, inflected or not ("verarbeitend", "verarbeitenden").
_PARTICIPLE = re.compile(r"end(?:e|en|er|es|em)?$")


@dataclass(frozen=True)
class Concept:
    """A shared concept: its id, a display label per language and related ecosystems."""

    id: str
    labels: dict[str, str]
    ecosystems: tuple[str, ...]
    broader: tuple[str, ...] = ()  # concepts this one is a kind or part of
    related: tuple[str, ...] = ()  # concepts close to this one (the relation is symmetric)

    def label(self, lang: str) -> str:
        """The German label for ``de`` (also ``de-AT``, ``de_CH``), else the English one."""
        return self.labels["de"] if _is_german(lang) else self.labels["en"]


@dataclass(frozen=True)
class ConceptHit:
    """One concept found in a text: score 0..100 and the matched words as written."""

    concept: str
    score: float
    term: str


class _Term(NamedTuple):
    norm: str  # normalised surface form
    concept: str
    text: str  # as written in the data file
    nwords: int
    anchors: tuple[tuple[int, int], ...]  # (position, anchor index) of anchors besides the key
    fixed: tuple[tuple[int, str], ...]  # (word position, word) of short words: must be exact


class _WordInfo(NamedTuple):
    """What one distinct (normalised) word can contribute, computed once per word."""

    similar: frozenset[int]  # anchor words this word may stand for (see _similar_word)
    singles: tuple[tuple[int, float], ...]  # (single-word term, score) read as typos
    multis: tuple[tuple[int, int], ...]  # (multi-word term, position of this word in it)
    compound: int  # index of the term found inside this word as a compound part, or -1


class _Hit(NamedTuple):
    width: int  # words covered
    score: float
    start: int
    end: int
    term: int


_NOTHING = _WordInfo(frozenset(), (), (), -1)


def _is_german(lang: str) -> bool:
    return lang.replace("_", "-").split("-", 1)[0].casefold() == "de"


def _plausible_typo(word: str, term: str) -> bool:
    """Whether a single word close to a single-word term may be read as a typo of it.

    Both need ``MIN_FUZZY_LEN`` characters and the same first letter, and neither may be the
    other with letters missing in front ("health" is not a typo of "eHealth", nor "rendering"
    of "tendering"); common words that lie close to a term are listed in ``_NO_FUZZY``.
    """
    return (
        len(word) >= MIN_FUZZY_LEN
        and len(term) >= MIN_FUZZY_LEN
        and word[0] == term[0]
        and not term.endswith(word)
        and not word.endswith(term)
        and word not in _NO_FUZZY
        and not _other_compound(word, term)
    )


def _other_compound(word: str, term: str) -> bool:
    """Whether ``word`` and ``term`` end in the same long tail but start differently: two
    compounds of one head word ("Fisch|verarbeitung", "Fleisch|verarbeitung"), not a typo."""
    tail = 0
    for a, b in zip(reversed(word), reversed(term), strict=False):
        if a != b:
            break
        tail += 1
    if tail < MIN_COMPOUND_TERM:
        return False
    head, term_head = word[:-tail], term[:-tail]
    if head.startswith(term_head) or term_head.startswith(head):  # "Schutz(be)kleidung"
        return False
    return Levenshtein.distance(head, term_head) > 1


def _similar_word(word: str, term_word: str) -> bool:
    """Whether ``word`` may stand for ``term_word`` inside a multi-word term with typos.

    Equal, or the same first letter and either at most one letter longer or shorter or an
    inflection (one starts with the other): "digitalen"/"digitaler", "druck"/"drucker", but
    not "zeile"/"meile", "system"/"ecosystem" or "failure"/"faire".
    """
    if word == term_word:
        return True
    return word[0] == term_word[0] and (
        abs(len(word) - len(term_word)) <= 1
        or word.startswith(term_word)
        or term_word.startswith(word)
    )


def _joinable(previous: str, word: str) -> bool:
    """Whether ``word`` may be glued to ``previous`` when spaces are ignored.

    One-letter words only next to a digit ("3 D Druck"), so that the "s" of "Germany's port"
    does not turn "port" into "sport".
    """
    if len(word) > 1 and len(previous) > 1:
        return True
    return previous[-1].isdigit() or word[0].isdigit()


def _is_anchor_word(word: str) -> bool:
    return len(word) >= MIN_ANCHOR_LEN or (len(word) >= 2 and any(ch.isdigit() for ch in word))


class Vocabulary:
    """Concepts and their English and German terms, with fast extraction from free text."""

    def __init__(self, concepts: Iterable[Concept], terms: Iterable[tuple[str, str, str]]):
        """Build the indexes. ``terms`` holds ``(concept id, language, surface form)``.

        Raises ``ValueError`` for duplicate concept ids, terms of unknown concepts and a term
        (after normalisation) that belongs to two concepts.
        """
        self.concepts: dict[str, Concept] = {}
        for concept in concepts:
            if concept.id in self.concepts:
                raise ValueError(f"duplicate concept id {concept.id!r}")
            if not concept.id or concept.id != "".join(concept.id.split()):
                raise ValueError(f"concept id {concept.id!r} is empty or has white space")
            self.concepts[concept.id] = concept
        # Neighbours of each concept: broader, narrower and related ones (symmetric).
        self._neighbours: dict[str, frozenset[str]] = {}
        links: dict[str, set[str]] = {}
        for concept in self.concepts.values():
            for other in (*concept.broader, *concept.related):
                if other not in self.concepts or other == concept.id:
                    raise ValueError(f"concept {concept.id!r} relates to unknown {other!r}")
                links.setdefault(concept.id, set()).add(other)
                links.setdefault(other, set()).add(concept.id)
        self._neighbours = {c: frozenset(n) for c, n in links.items()}

        self._terms: list[_Term] = []
        self._exact: dict[str, int] = {}
        german: set[str] = set()
        hanging = []
        for concept_id, lang, text in terms:
            if concept_id not in self.concepts:
                raise ValueError(f"term {text!r} of unknown concept {concept_id!r}")
            if _HANGING.search(text):
                hanging.append((concept_id, lang, text))
            else:
                self._add_term(concept_id, lang, text, normalise(text), german)
        # Terms with a coordination ellipsis ("Maschinen- und Anlagenbau"), written out the
        # way texts will be, with the words the other terms made known.
        for concept_id, lang, text in hanging:
            norm = normalise(self._write_out_ellipses(text))
            self._add_term(concept_id, lang, text, norm, german)
        self._build_indexes(german)
        # What texts read with this vocabulary depend on: its terms and the extraction code's
        # version. Stored extractions (``MatchTerms``) are valid only for the same signature.
        digest = hashlib.sha1(f"extraction {EXTRACTION_VERSION}\n".encode(), usedforsecurity=False)
        for term in self._terms:
            digest.update(f"{term.concept}\t{term.norm}\n".encode())
        self.signature = digest.hexdigest()[:16]
        self._word_cache: dict[str, _WordInfo] = {}
        self._token_cache: dict[str, tuple[str, ...]] = {}
        self._text_cache: dict[tuple[str, float], dict[str, ConceptHit]] = {}

    def _add_term(self, concept_id: str, lang: str, text: str, norm: str, german: set[str]) -> None:
        if not norm:
            return
        if lang == "de":
            german.add(norm)
        known = self._exact.get(norm)
        if known is not None:
            if self._terms[known].concept != concept_id:
                raise ValueError(
                    f"term {text!r} belongs to {self._terms[known].concept!r} and {concept_id!r}"
                )
            return
        self._exact[norm] = len(self._terms)
        self._terms.append(_Term(norm, concept_id, text, norm.count(" ") + 1, (), ()))

    def _build_indexes(self, german: set[str]) -> None:
        # Word prefixes of multi-word terms: exact n-grams grow only while they are one.
        self._word_prefixes: set[str] = set()
        # Terms without spaces; a key shared by two concepts is ambiguous and dropped (-1).
        self._despaced: dict[str, int] = {}
        for index, term in enumerate(self._terms):
            words = term.norm.split(" ")
            for k in range(1, len(words)):
                self._word_prefixes.add(" ".join(words[:k]))
            key = "".join(words)
            if len(key) < MIN_FUZZY_LEN:
                continue
            known = self._despaced.get(key)
            if known is None:
                self._despaced[key] = index
            elif known >= 0 and self._terms[known].concept != term.concept:
                self._despaced[key] = -1
        self._despaced_prefixes = {key[:k] for key in self._despaced for k in range(1, len(key))}

        # Anchor words: the words terms are made of (short ones only if they carry a digit).
        self._anchor_index: dict[str, int] = {}
        uses: Counter[int] = Counter()
        for index, term in enumerate(self._terms):
            anchors, fixed = [], []
            for position, word in enumerate(term.norm.split(" ")):
                if _is_anchor_word(word):
                    anchor = self._anchor_index.setdefault(word, len(self._anchor_index))
                    anchors.append((position, anchor))
                    uses[anchor] += 1
                else:
                    fixed.append((position, word))
            self._terms[index] = term._replace(anchors=tuple(anchors), fixed=tuple(fixed))
        # A term is found through its key: the anchor word used by the fewest terms (fewer
        # candidates: "energy efficiency" is found through "efficiency", not "energy"). Its
        # other anchor words (kept in ``_Term.anchors``) are then checked at their positions.
        postings: list[list[tuple[int, int]]] = [[] for _ in self._anchor_index]
        for index, term in enumerate(self._terms):
            if not term.anchors:
                continue
            words = term.norm.split(" ")
            key = min(term.anchors, key=lambda pa: (uses[pa[1]], -len(words[pa[0]])))
            rest = tuple(pa for pa in term.anchors if pa is not key)
            self._terms[index] = term._replace(anchors=rest)
            postings[key[1]].append((index, key[0]))
        self._postings = [tuple(p) for p in postings]
        words = sorted(self._anchor_index, key=self._anchor_index.__getitem__)
        self._anchor_words = words
        fuzzy = [w for w in words if len(w) >= MIN_ANCHOR_LEN]
        self._fuzzy_anchor_words = fuzzy
        self._fuzzy_anchor_ids = np.array([self._anchor_index[w] for w in fuzzy], dtype=np.int64)

        # German single-word terms that are also looked for inside compounds.
        self._compound_terms: dict[str, int] = {
            term.norm: index
            for index, term in enumerate(self._terms)
            if term.nwords == 1 and len(term.norm) >= MIN_COMPOUND_TERM and term.norm in german
        }

    # --- loading ------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Sequence[Mapping[str, Any]]) -> Vocabulary:
        """Build from the parsed JSON list of concepts (see ``data/concepts.json``)."""
        concepts = []
        terms: list[tuple[str, str, str]] = []
        for item in data:
            concept_id = item["id"]
            labels = {"en": item["en"], "de": item["de"]}
            for lang, label in labels.items():
                if not isinstance(label, str) or not label.strip():
                    raise ValueError(f"concept {concept_id!r} has no {lang} label")
            concepts.append(
                Concept(
                    concept_id,
                    labels,
                    tuple(item.get("ecosystems", ())),
                    tuple(item.get("broader", ())),
                    tuple(item.get("related", ())),
                )
            )
            for lang in ("en", "de"):
                terms.append((concept_id, lang, labels[lang]))
                terms.extend((concept_id, lang, t) for t in item.get("terms", {}).get(lang, ()))
        return cls(concepts, terms)

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        """The vocabulary of ``path`` (default: the packaged ``concepts.json``), cached."""
        key = None if path is None else Path(path).resolve()
        with _LOAD_LOCK:
            vocabulary = _LOADED.get(key)
            if vocabulary is None:
                if key is None:
                    source = resources.files(__package__).joinpath("data", "concepts.json")
                    text = source.read_text(encoding="utf-8")
                else:
                    text = key.read_text(encoding="utf-8")
                vocabulary = _LOADED[key] = cls.from_data(json.loads(text))
        return vocabulary

    # --- look-ups -----------------------------------------------------------------------

    def label(self, concept_id: str, lang: str) -> str:
        """The concept's label in ``lang`` (German for ``de``, else English).

        An unknown id (say, stored before the vocabulary changed) is returned unchanged.
        """
        concept = self.concepts.get(concept_id)
        return concept.label(lang) if concept is not None else concept_id

    def neighbours(self, concept_id: str) -> frozenset[str]:
        """Concepts broader, narrower or related to ``concept_id`` (empty when unknown)."""
        return self._neighbours.get(concept_id, frozenset())

    def __len__(self) -> int:
        return len(self.concepts)

    @property
    def term_count(self) -> int:
        """Number of distinct (normalised) terms."""
        return len(self._terms)

    # --- extraction ---------------------------------------------------------------------

    def extract(self, text: str, *, cutoff: float = DEFAULT_CUTOFF) -> dict[str, ConceptHit]:
        """The concepts mentioned in ``text``: concept id -> best hit (score >= ``cutoff``)."""
        return self.extract_many([text], cutoff=cutoff)[0]

    def extract_many(
        self, texts: Sequence[str], *, cutoff: float = DEFAULT_CUTOFF
    ) -> list[dict[str, ConceptHit]]:
        """:meth:`extract` for many texts; distinct words are compared with the terms once.

        Results are remembered per text: an index rebuilt because one person joined (an event
        during its door rush) extracts only the new texts. Each caller gets its own dicts.
        """
        cache = self._text_cache
        if len(cache) >= _TEXT_CACHE_LIMIT and len(texts) <= _TEXT_CACHE_LIMIT:
            cache.clear()
        found = {t: hits for t in texts if (hits := cache.get((t, cutoff))) is not None}
        new = list(dict.fromkeys(t for t in texts if t not in found))
        for start in range(0, len(new), _BATCH):
            chunk = new[start : start + _BATCH]
            batch = [self._tokenise(text) for text in chunk]
            infos = self._word_infos(word for words, _, _ in batch for word in words)
            for text, tokens in zip(chunk, batch, strict=True):
                found[text] = hits = self._extract_tokens(tokens, infos, cutoff)
                if len(cache) < _TEXT_CACHE_LIMIT:  # a huge batch is not kept
                    cache[(text, cutoff)] = hits
        return [dict(found[text]) for text in texts]

    def _tokenise(self, text: str) -> tuple[list[str], list[tuple[int, int]], str]:
        """Normalised words, each with the character span of its token in the NFC text
        (German coordination ellipsis written out)."""
        nfc = self._write_out_ellipses(unicodedata.normalize("NFC", text))
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        cache = self._token_cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        for match in _TOKEN.finditer(nfc):
            token = match.group()
            parts = cache.get(token)
            if parts is None:
                parts = cache[token] = tuple(normalise(token).split())
            for part in parts:
                words.append(part)
                spans.append(match.span())
        return words, spans, nfc

    def _write_out_ellipses(self, text: str) -> str:
        """ "Informations- und Kommunikationstechnik" as "Informationstechnik und
        Kommunikationstechnik" (see the module docstring)."""
        if "-" not in text:
            return text
        parts: list[str] = []
        last = 0
        for hanging in _HANGING.finditer(text):
            closing = _CLOSING.match(text, hanging.end())
            if closing is None:
                continue
            head = self._ellipsis_head(hanging.group(1), closing.group(1))
            if head is None:
                continue
            parts += [text[last : hanging.start()], hanging.group(1), head]
            last = hanging.end()
        return "".join(parts) + text[last:] if parts else text

    def _ellipsis_head(self, modifier: str, compound: str) -> str | None:
        """The head of ``compound`` that ``modifier`` shares, or None."""
        for cut in range(len(compound) - 3, 1, -1):  # the shortest end first
            if normalise(modifier + compound[cut:]) in self._exact:
                return compound[cut:]
        lower = compound.lower()
        for head in _COMPOUND_HEADS:
            if lower.endswith(head) and len(lower) > len(head):
                return compound[-len(head) :]
        return None

    def _word_infos(self, words: Iterable[str]) -> dict[str, _WordInfo]:
        """Anchors and compound hit of each distinct word, from the cache or computed now."""
        cache = self._word_cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        infos: dict[str, _WordInfo] = {}
        new: list[str] = []
        for word in words:
            if word in infos:
                continue
            info = cache.get(word)
            if info is None:
                new.append(word)
                infos[word] = _NOTHING
            else:
                infos[word] = info
        if not new:
            return infos
        anchors: dict[str, dict[int, float]] = {}
        for word in new:
            anchor = self._anchor_index.get(word)
            if anchor is not None:
                anchors[word] = {anchor: EXACT_SCORE}
        for word, found in self._fuzzy_anchors([w for w in new if len(w) >= MIN_ANCHOR_LEN]):
            anchors.setdefault(word, {}).update(found)
        for word in new:
            info = self._word_info(word, anchors.get(word, {}))
            infos[word] = cache[word] = info
        return infos

    def _word_info(self, word: str, anchors: Mapping[int, float]) -> _WordInfo:
        """Turn a word's anchors into the candidates it opens (see the module docstring)."""
        compound = self._compound(word)
        if not anchors:
            return _NOTHING if compound < 0 else _NOTHING._replace(compound=compound)
        terms = self._terms
        similar = []
        singles = []
        multis = []
        for anchor, score in anchors.items():
            anchor_word = self._anchor_words[anchor]
            is_similar = _similar_word(word, anchor_word)
            if is_similar:
                similar.append(anchor)
            for index, offset in self._postings[anchor]:
                if terms[index].nwords > 1:
                    if is_similar:
                        multis.append((index, offset))
                elif score < EXACT_SCORE and _plausible_typo(word, anchor_word):
                    singles.append((index, score))
        return _WordInfo(frozenset(similar), tuple(singles), tuple(multis), compound)

    def _fuzzy_anchors(self, words: list[str]) -> Iterator[tuple[str, dict[int, float]]]:
        """Anchor words within ``ANCHOR_CUTOFF`` of each word (one ``cdist`` per chunk)."""
        if not words or not self._fuzzy_anchor_words:
            return
        for start in range(0, len(words), _CDIST_CHUNK):
            chunk = words[start : start + _CDIST_CHUNK]
            scores = cdist(
                chunk,
                self._fuzzy_anchor_words,
                scorer=fuzz.ratio,
                score_cutoff=ANCHOR_CUTOFF,
                dtype=np.float32,
                workers=1,
            )
            rows, cols = np.nonzero(scores)
            found: dict[int, dict[int, float]] = {}
            for row, col, score in zip(
                rows.tolist(),
                self._fuzzy_anchor_ids[cols].tolist(),
                scores[rows, cols].tolist(),
                strict=True,
            ):
                found.setdefault(row, {})[col] = score
            for row, anchors in found.items():
                yield chunk[row], anchors

    def _compound(self, word: str) -> int:
        """The longest German term that is a prefix or suffix of ``word``, or -1; a long
        participle stands for its noun ("holzverarbeitenden" for "Holzverarbeitung")."""
        found = self._compound_part(word)
        if found >= 0 or word in self._exact:
            return found
        match = _PARTICIPLE.search(word)
        if match is None:
            return -1
        noun = word[: match.start()] + "ung"
        if len(noun) < MIN_PARTICIPLE_NOUN:
            return -1
        found = self._compound_terms.get(noun, -1)
        return found if found >= 0 else self._compound_part(noun)

    def _compound_part(self, word: str) -> int:
        """The longest German term that is a prefix or suffix of ``word``, or -1."""
        size = len(word)
        if size <= MIN_COMPOUND_TERM or word in self._exact or word in _NO_COMPOUND:
            return -1
        terms = self._compound_terms
        best, best_size = -1, 0
        for k in range(size - 1, MIN_COMPOUND_TERM - 1, -1):  # prefix, longest first
            index = terms.get(word[:k])
            if index is not None:
                best, best_size = index, k
                break
        for k in range(MIN_COMPOUND_HEAD, size - MIN_COMPOUND_TERM + 1):  # suffix, longest first
            if size - k <= best_size:
                break
            index = terms.get(word[k:])
            if index is not None:
                best = index
                break
        return best

    def _extract_tokens(
        self,
        tokens: tuple[list[str], list[tuple[int, int]], str],
        infos: Mapping[str, _WordInfo],
        cutoff: float,
    ) -> dict[str, ConceptHit]:
        words, spans, nfc = tokens
        count = len(words)
        if not count:
            return {}
        terms = self._terms
        exact, word_prefixes = self._exact, self._word_prefixes
        despaced, despaced_prefixes = self._despaced, self._despaced_prefixes
        hits: list[_Hit] = []

        for i in range(count):
            # 1. exact n-grams, grown while they are word prefixes of some term
            gram, j = words[i], i
            while True:
                index = exact.get(gram)
                if index is not None:
                    hits.append(_Hit(j - i + 1, EXACT_SCORE, i, j + 1, index))
                j += 1
                if j >= count or gram not in word_prefixes:
                    break
                gram = f"{gram} {words[j]}"
            # 2. the same without spaces
            gram, j = words[i], i
            while True:
                index = despaced.get(gram)
                if index is not None and index >= 0 and (j > i or terms[index].nwords > 1):
                    hits.append(_Hit(j - i + 1, EXACT_SCORE, i, j + 1, index))
                j += 1
                if (
                    j >= count
                    or gram not in despaced_prefixes
                    or not _joinable(words[j - 1], words[j])
                ):
                    break
                gram += words[j]

        word_infos = [infos[word] for word in words]
        for position, info in enumerate(word_infos):
            if info is _NOTHING:
                continue
            # 3. German compounds
            if info.compound >= 0 and cutoff <= COMPOUND_SCORE:
                hits.append(_Hit(1, COMPOUND_SCORE, position, position + 1, info.compound))
            # 4. typos: single-word terms directly, multi-word terms once all words fit
            for index, score in info.singles:
                if score >= cutoff:
                    hits.append(_Hit(1, score, position, position + 1, index))
            for index, offset in info.multis:
                term = terms[index]
                start = position - offset
                end = start + term.nwords
                if start < 0 or end > count:
                    continue
                for p, anchor in term.anchors:
                    if anchor not in word_infos[start + p].similar:
                        break
                else:
                    if term.fixed and not all(words[start + p] == w for p, w in term.fixed):
                        continue
                    gram = " ".join(words[start:end])
                    if gram == term.norm or len(gram) < MIN_FUZZY_LEN:
                        continue
                    similarity = fuzz.ratio(gram, term.norm, score_cutoff=cutoff)
                    if similarity:
                        hits.append(_Hit(term.nwords, similarity, start, end, index))
        if not hits:
            return {}
        return self._select(hits, spans, nfc, cutoff)

    def _select(
        self, hits: list[_Hit], spans: list[tuple[int, int]], nfc: str, cutoff: float
    ) -> dict[str, ConceptHit]:
        """Longest hits first; drop hits inside another concept's hit; best per concept."""
        terms = self._terms
        hits = [hit for hit in hits if hit.score >= cutoff]
        hits.sort(key=lambda hit: (-hit.width, -hit.score, hit.start))
        accepted: list[tuple[int, int, str]] = []
        best: dict[str, ConceptHit] = {}
        for hit in hits:
            concept = terms[hit.term].concept
            if any(
                other != concept and start <= hit.start and hit.end <= end
                for start, end, other in accepted
            ):
                continue
            accepted.append((hit.start, hit.end, concept))
            known = best.get(concept)
            if known is None or hit.score > known.score:
                surface = nfc[spans[hit.start][0] : spans[hit.end - 1][1]]
                best[concept] = ConceptHit(concept, round(hit.score, 1), surface)
        return best


_LOADED: dict[Path | None, Vocabulary] = {}
_LOAD_LOCK = threading.Lock()
