"""The 14 industrial ecosystems from free text, in English or German, as staff write them.

``resolve_ecosystems("Digitales; Luft- & Raumfahrt und Verteidigung, Textlien")`` gives the
slugs in the order written and the parts it could not place. Accepted: the slug, the English
name, the German name shown and the variants of ``bot.domain.ECOSYSTEM_FORMS`` (GLOSSARY.md),
with case, accents, dashes, "&" / "und" / "and" folded, and typos. Lists may be separated by
``;``, ``|``, line breaks, commas, "&", "und" or "and": since names contain these too, the
longest run of parts that names an ecosystem wins (exact before fuzzy).
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import fuzz

from bot.domain import ECOSYSTEM_FORMS, ECOSYSTEMS
from bot.i18n import _, use_language
from bot.matching.normalise import normalise

_LISTS = re.compile(r"[;|\n]")
# Separators inside one list entry, kept (captured) so that parts can be joined again.
_PARTS = re.compile(r"(\s*,\s*|\s+&\s+|\s+und\s+|\s+and\s+|\s*/\s*)", re.IGNORECASE)
_FILLERS = frozenset({"und", "and", "u", "sowie", "the"})
CUTOFF = 85.0  # fuzzy score (0-100) a name needs
MARGIN = 5.0  # ... and its lead over the best other ecosystem
_SUBSET_WEIGHT = 0.95  # "Luft- und Raumfahrt" for the whole name: a little less than exact


def key(text: str) -> str:
    """Folded form for comparison: no case, accents, punctuation, dashes or 'and'."""
    return " ".join(w for w in normalise(text.replace("&", " ")).split() if w not in _FILLERS)


@cache
def _forms() -> dict[str, str]:
    """Every accepted form (folded) → slug."""
    forms: dict[str, str] = {}
    for slug, label in ECOSYSTEMS.items():
        names = [slug, label, *ECOSYSTEM_FORMS.get(slug, ())]
        with use_language("de"):
            names.append(_(label))
        for name in names:
            folded = key(name)
            if folded:
                forms.setdefault(folded, slug)
    return forms


def match(text: str, *, subset: bool = True) -> str | None:
    """The one ecosystem ``text`` names, or None (unknown or ambiguous). ``subset``: a part
    of a name is enough ("Luft- und Raumfahrt"), when it points at one ecosystem only."""
    query = key(text)
    if not query:
        return None
    forms = _forms()
    if query in forms:
        return forms[query]
    best: dict[str, float] = {}
    for form, slug in forms.items():
        score = max(fuzz.ratio(query, form), fuzz.token_sort_ratio(query, form))
        if subset:
            score = max(score, fuzz.token_set_ratio(query, form) * _SUBSET_WEIGHT)
        if score > best.get(slug, -1.0):
            best[slug] = score
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < CUTOFF:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MARGIN:
        return None
    return ranked[0][0]


def _split_entry(entry: str) -> tuple[list[str], list[str]]:
    """Slugs named in one list entry, and the parts that name none."""
    pieces = _PARTS.split(entry)
    parts, seps = pieces[0::2], pieces[1::2]

    def joined(i: int, j: int) -> str:
        out = parts[i]
        for n in range(i + 1, j):
            out += seps[n - 1] + parts[n]
        return out

    slugs: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(parts):
        found = None
        for fuzzy in (False, True):
            for j in range(len(parts), i, -1):
                candidate = joined(i, j)
                if not key(candidate):
                    continue
                if fuzzy:
                    slug = match(candidate, subset=j - i == 1)
                else:
                    slug = _forms().get(key(candidate))
                if slug is not None:
                    found = (slug, j)
                    break
            if found:
                break
        if found is None:
            if key(parts[i]):
                unknown.append(parts[i].strip())
            i += 1
            continue
        slugs.append(found[0])
        i = found[1]
    return slugs, unknown


def resolve_ecosystems(text: str) -> tuple[list[str], list[str]]:
    """The slugs named in ``text`` (in order, once each) and the parts naming none."""
    slugs: list[str] = []
    unknown: list[str] = []
    for entry in _LISTS.split(text):
        if not entry.strip():
            continue
        found, missed = _split_entry(entry.strip())
        slugs.extend(s for s in found if s not in slugs)
        unknown.extend(missed)
    return slugs, unknown
