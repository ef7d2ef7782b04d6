"""Quality of the matching engine on the project's two labelled evaluation sets.

Run from the repository root::

    .venv/bin/python bench/match_quality.py           # table
    .venv/bin/python bench/match_quality.py --json    # one JSON object on stdout

The sets are ``tests/data/eval``, whose fictional profiles were written by the project, and
``tests/data/eval_real``, which is made of excerpts of real public texts (see the READMEs there).
Each set is scored in two variants:

* ``as is``: the profiles as written;
* ``text-only``: the ``ecosystems`` column emptied for every profile, so that only the
  ``offers``/``seeks`` texts can bring partners together.

Every variant is ranked by three methods:

* ``engine``: ``MatchIndex(..., Vocabulary.load(), today=2026-11-21).propose(key, 5)``, exactly
  as ``tests/unit/test_matching_eval.py`` scores it;
* ``shared ecosystems``: the candidates that pass the hard rules below, ranked by the number of
  ecosystems they share with the profile, ties by id (a floor: what the form fields alone give);
* ``word overlap``: the same candidates, ranked by the content-word Jaccard similarity of the
  profile's ``seeks`` with the candidate's ``offers``, plus that of the candidate's ``seeks``
  with the profile's ``offers`` (``bot.matching.normalise.content_words``), ties by id.

Scores, as in the unit test: the profiles that are in a labelled pair each get their top 5.
*Directed recall@5* is the share of (profile, labelled partner) pairs whose partner is proposed.
*Precision@5* is the share of proposals that are labelled pairs. *Pairs found* is the share of
labelled pairs proposed from at least one side. *Rule violations* counts proposals that break a
hard rule of the READMEs: the roles do not complement each other, both are in the same country,
they share no language, or their windows overlap by fewer than 7 calendar days (both end days
counted, an empty window means always available). The engine applies its own rule for dates
(3 working days from tomorrow), so it can propose pairs that this check counts as violations.

It is a measurement, not a test: the exit code is always 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.geo import DEFAULT_ELIGIBLE  # noqa: E402
from bot.matching.engine import MatchIndex  # noqa: E402
from bot.matching.interchange import ProfileRecord, read_profiles  # noqa: E402
from bot.matching.normalise import content_words  # noqa: E402
from bot.matching.vocabulary import Vocabulary  # noqa: E402

TODAY = date(2026, 11, 21)
K = 5
MIN_OVERLAP_DAYS = 7
SETS = {"eval": ROOT / "tests/data/eval", "eval_real": ROOT / "tests/data/eval_real"}
VARIANTS = ("as is", "text-only")
METHODS = ("engine", "shared ecosystems", "word overlap")
CAN_VISIT = {"visitor", "both"}
CAN_HOST = {"host", "both"}


@dataclass(frozen=True)
class Row:
    """The scores of one method on one variant of one set."""

    set: str
    variant: str
    method: str
    profiles: int
    pairs: int
    recall: float
    precision: float
    pairs_found: float
    violations: int
    proposals: int


def load(directory: Path) -> tuple[list[ProfileRecord], set[frozenset[str]]]:
    """The valid records of a set and its labelled pairs (unordered)."""
    text = (directory / "profiles.csv").read_text(encoding="utf-8")
    result = read_profiles(text, DEFAULT_ELIGIBLE)
    if result.problems:
        raise ValueError(f"{directory}: {result.problems}")
    with (directory / "pairs.csv").open(encoding="utf-8") as fh:
        pairs = {frozenset((row["a"], row["b"])) for row in csv.DictReader(fh)}
    return result.records, pairs


def overlap_days(a: ProfileRecord, b: ProfileRecord) -> int:
    """Calendar days both windows share, both end days counted (open ends are unbounded)."""
    start = max(a.available_from or date.min, b.available_from or date.min)
    end = min(a.available_to or date.max, b.available_to or date.max)
    return (end - start).days + 1 if end >= start else 0


def allowed(a: ProfileRecord, b: ProfileRecord) -> bool:
    """Whether ``a`` and ``b`` may be proposed to each other under the READMEs' hard rules."""
    roles = (a.role in CAN_VISIT and b.role in CAN_HOST) or (
        a.role in CAN_HOST and b.role in CAN_VISIT
    )
    return (
        a.id != b.id
        and roles
        and a.country != b.country
        and bool(set(a.languages) & set(b.languages))
        and overlap_days(a, b) >= MIN_OVERLAP_DAYS
    )


Ranker = Callable[[str, int], list[str]]


def engine_ranker(records: Sequence[ProfileRecord], vocabulary: Vocabulary) -> Ranker:
    index = MatchIndex([r.participant() for r in records], vocabulary, today=TODAY)
    return lambda key, k: [p.key for p in index.propose(key, k)]


def rule_ranker(
    records: Sequence[ProfileRecord], score: Callable[[ProfileRecord, ProfileRecord], float]
) -> Ranker:
    """Candidates that pass the hard rules, best ``score`` first, ties by id."""
    by_id = {r.id: r for r in records}

    def rank(key: str, k: int) -> list[str]:
        me = by_id[key]
        candidates = [r for r in records if allowed(me, r)]
        candidates.sort(key=lambda r: (-score(me, r), r.id))
        return [r.id for r in candidates[:k]]

    return rank


def shared_ecosystems(a: ProfileRecord, b: ProfileRecord) -> float:
    return float(len(set(a.ecosystems) & set(b.ecosystems)))


def word_overlap(
    records: Sequence[ProfileRecord],
) -> Callable[[ProfileRecord, ProfileRecord], float]:
    words = {
        r.id: (set(content_words(r.offers).split()), set(content_words(r.seeks).split()))
        for r in records
    }

    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x or y else 0.0

    def score(a: ProfileRecord, b: ProfileRecord) -> float:
        a_offers, a_seeks = words[a.id]
        b_offers, b_seeks = words[b.id]
        return jaccard(a_seeks, b_offers) + jaccard(b_seeks, a_offers)

    return score


def evaluate(
    name: str,
    variant: str,
    method: str,
    records: Sequence[ProfileRecord],
    pairs: set[frozenset[str]],
    rank: Ranker,
) -> Row:
    by_id = {r.id: r for r in records}
    members = sorted({key for pair in pairs for key in pair})
    proposed = hits = violations = 0
    found: set[frozenset[str]] = set()
    for key in members:
        for other in rank(key, K):
            proposed += 1
            if not allowed(by_id[key], by_id[other]):
                violations += 1
            if frozenset((key, other)) in pairs:
                hits += 1
                found.add(frozenset((key, other)))
    directed = sum(1 for key in members for pair in pairs if key in pair)
    return Row(
        set=name,
        variant=variant,
        method=method,
        profiles=len(records),
        pairs=len(pairs),
        recall=hits / directed if directed else 0.0,
        precision=hits / proposed if proposed else 0.0,
        pairs_found=len(found) / len(pairs) if pairs else 0.0,
        violations=violations,
        proposals=proposed,
    )


def run() -> list[Row]:
    vocabulary = Vocabulary.load()
    rows: list[Row] = []
    for name, directory in SETS.items():
        records, pairs = load(directory)
        for variant in VARIANTS:
            if variant == "text-only":
                records = [replace(r, ecosystems=()) for r in records]
            rankers: dict[str, Ranker] = {
                "engine": engine_ranker(records, vocabulary),
                "shared ecosystems": rule_ranker(records, shared_ecosystems),
                "word overlap": rule_ranker(records, word_overlap(records)),
            }
            for method in METHODS:
                rows.append(evaluate(name, variant, method, records, pairs, rankers[method]))
    return rows


def table(rows: Sequence[Row]) -> str:
    head = (
        f"{'set':<10} {'variant':<10} {'method':<18} {'profiles':>8} {'pairs':>5} "
        f"{'recall@5':>8} {'prec@5':>6} {'found':>6} {'violations':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.set:<10} {r.variant:<10} {r.method:<18} {r.profiles:>8} {r.pairs:>5} "
            f"{r.recall:>8.3f} {r.precision:>6.3f} {r.pairs_found:>6.3f} {r.violations:>10}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    try:
        rows = run()
    except Exception:  # a measurement: report and still exit 0
        traceback.print_exc()
        return 0
    if args.json:
        out: dict[str, Any] = {
            "today": TODAY.isoformat(),
            "k": K,
            "rows": [r.__dict__ for r in rows],
        }
        print(json.dumps(out, indent=2))
    else:
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
