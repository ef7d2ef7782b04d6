"""Benchmark of the matching engine: proposals for one participant among 1 000 to 100 000.

Run from the repository root::

    .venv/bin/python bench/matching.py                          # 1 000, 10 000, 100 000
    .venv/bin/python bench/matching.py --sizes 1000,10000 --queries 20
    .venv/bin/python bench/matching.py --json                   # one JSON object on stdout

For each size a reproducible population (fixed seed) of ``Participant``s is generated, with
offers/seeks texts in English and German made of vocabulary terms, filler phrases and typos
like those of ``tests/data/eval/profiles.csv``. Each size runs in its own child process, so
that memory figures start from a clean process. Measured:

1. building the ``MatchIndex``: wall time, ``tracemalloc`` peak and RSS (retained and peak);
2. ``propose(key, 5)`` for ``--queries`` random participants (after one warm-up);
3. raw ``rapidfuzz.process.cdist`` of the same query texts against the whole population's
   texts, both directions, with the engine's scorer and ``workers``;
4. a naive pure-Python matcher (hard rules in Python, ``difflib`` ratios), within a time
   budget per size;
5. ``rank_all(5)``: measured in full up to ``--rank-all-full`` profiles, else extrapolated
   from a random sample of participants.

It is a measurement, not a test: the exit code is always 0. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import heapq
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import rapidfuzz  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.domain import ECOSYSTEMS, LANGUAGES  # noqa: E402
from bot.geo import DEFAULT_ELIGIBLE  # noqa: E402
from bot.matching import engine  # noqa: E402
from bot.matching.normalise import content_words  # noqa: E402
from bot.matching.vocabulary import Vocabulary  # noqa: E402

TODAY = date(2026, 11, 21)
SEED = 20261121
K = 5
CONCEPTS_FILE = ROOT / "bot" / "matching" / "data" / "concepts.json"

# Targets (see bench/README.md).
TARGET_SIZE = 100_000
TARGET_MEMORY_MB = 500.0
TARGET_PROPOSE_MS = 50.0
TARGET_RAW_RATIO = 3.0


def use_engine(path: str | None) -> None:
    """Benchmark ``bot/matching/engine.py``, or another version of it (``--engine FILE``)."""
    global engine, SCORER, WORKERS
    if path:
        spec = importlib.util.spec_from_file_location("bench_engine", path)
        assert spec is not None and spec.loader is not None
        engine = importlib.util.module_from_spec(spec)
        sys.modules["bench_engine"] = engine
        spec.loader.exec_module(engine)
    # The engine's residual-text scorer and cdist workers (module constants if it has them).
    SCORER = getattr(engine, "TEXT_SCORER", fuzz.token_set_ratio)
    WORKERS = getattr(engine, "TEXT_WORKERS", 1)


use_engine(None)

# --------------------------------------------------------------------------- texts

OFFER_OPENERS = {
    "en": [
        "We offer",
        "Our members show",
        "We run",
        "Our lab demonstrates",
        "We can share our experience with",
        "We develop",
        "Visitors can see",
        "We have ten years of experience with",
        "Our pilot line covers",
        "We teach",
        "Our test bed offers",
        "We help SMEs with",
    ],
    "de": [
        "Wir zeigen",
        "Unsere Mitglieder betreiben",
        "Wir bieten Erfahrung mit",
        "Wir entwickeln",
        "Unser Labor demonstriert",
        "Wir haben langjährige Erfahrung mit",
        "Wir zeigen unseren Gästen",
        "Unsere Pilotanlage umfasst",
        "Wir schulen Fachkräfte in",
        "Wir beraten KMU zu",
        "Unser Testfeld bietet",
    ],
}
SEEK_OPENERS = {
    "en": [
        "We want to learn about",
        "We look for",
        "Looking for partners in",
        "We need know-how in",
        "We would like to see",
        "Partners for",
        "We are interested in",
        "We want to find suppliers for",
        "We seek practical experience with",
    ],
    "de": [
        "Wir suchen",
        "Wir möchten mehr lernen über",
        "Wir brauchen Know-how zu",
        "Gesucht: Partner für",
        "Wir interessieren uns für",
        "Wir suchen Praxiswissen zu",
        "Wir möchten sehen, wie andere",
        "Wir suchen Zulieferer für",
    ],
}
CONNECTORS = {
    "en": ["and", "as well as", "together with", "plus", "for", "in combination with", "or"],
    "de": ["und", "sowie", "mit", "für", "zusammen mit", "oder"],
}
FILLERS = {
    "en": [
        "for SMEs in our region",
        "in our pilot plant",
        "with real production data",
        "for joint EU projects",
        "in small series",
        "for automotive suppliers",
        "in southern Europe",
        "on our test site",
        "for first joint test parts",
        "with hands-on workshops",
        "and we welcome visitors",
        "to reach new customers abroad",
        "for a Horizon Europe proposal",
        "with our 120 member companies",
        "in close cooperation with the local university",
        "and would like to compare notes with peers",
        "to cut costs and energy use",
        "before we invest next year",
    ],
    "de": [
        "für KMU in unserer Region",
        "in unserer Pilotanlage",
        "mit echten Produktionsdaten",
        "für gemeinsame EU-Projekte",
        "in kleinen Serien",
        "für Automobilzulieferer",
        "auf unserem Testgelände",
        "mit praktischen Workshops",
        "und freuen uns auf Besuch",
        "um neue Kunden im Ausland zu finden",
        "für einen Horizon-Antrag",
        "mit unseren 120 Mitgliedsbetrieben",
        "in enger Zusammenarbeit mit der Hochschule",
        "um Kosten und Energie zu sparen",
        "bevor wir im nächsten Jahr investieren",
    ],
}
# Objects without any vocabulary concept: about 18 % of the eval set's texts have none.
GENERIC = {
    "en": [
        "new business contacts",
        "practical know-how from abroad",
        "our production processes",
        "experienced partners",
        "good practice from other regions",
        "our regional strengths",
        "new ideas for our members",
        "reliable suppliers",
        "joint projects",
        "hands-on exchange with peers",
        "staff exchange",
    ],
    "de": [
        "neue Geschäftskontakte",
        "Praxiswissen aus dem Ausland",
        "unsere Produktionsprozesse",
        "erfahrene Partner",
        "gute Beispiele aus anderen Regionen",
        "unsere regionalen Stärken",
        "neue Ideen für unsere Mitglieder",
        "zuverlässige Lieferanten",
        "gemeinsame Projekte",
        "Austausch mit Kollegen",
        "Personalaustausch",
    ],
}
NO_TERM = 0.18  # share of texts made without any vocabulary term
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != "en"]


def load_terms() -> tuple[list[str], dict[str, dict[str, list[str]]], dict[str, list[str]]]:
    """Concept ids, their terms per language, and the concepts of each ecosystem."""
    data = json.loads(CONCEPTS_FILE.read_text(encoding="utf-8"))
    ids, terms, by_ecosystem = [], {}, {}
    for item in data:
        ids.append(item["id"])
        terms[item["id"]] = {
            lang: [item[lang], *item.get("terms", {}).get(lang, ())] for lang in ("en", "de")
        }
        for eco in item.get("ecosystems", ()):
            by_ecosystem.setdefault(eco, []).append(item["id"])
    return ids, terms, by_ecosystem


def typo(rng: random.Random, word: str) -> str:
    """One random typing error: a letter dropped, doubled, swapped or replaced."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeinorst") + word[i + 1 :]


class TextMaker:
    """Offers/seeks texts of 10-30 words in English or German, some with a typo.

    55 % English, 45 % German; 1-3 vocabulary terms (mostly of the text's language, a quarter
    of the other one; 70 % from a concept of the profile's ecosystems), or none in 18 % of
    texts; filler phrases up to a random length of 10-30 words; a typo in 15 % of texts.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids, self.terms, self.by_ecosystem = load_terms()

    def concept(self, ecosystems: Sequence[str]) -> str:
        pool = [c for eco in ecosystems for c in self.by_ecosystem.get(eco, ())]
        return self.rng.choice(pool if pool and self.rng.random() < 0.7 else self.ids)

    def term(self, concept: str, lang: str) -> str:
        # Mostly the text's language, sometimes the other one ("KI", "3D printing" in German).
        if self.rng.random() < 0.25:
            lang = "de" if lang == "en" else "en"
        return self.rng.choice(self.terms[concept][lang])

    def text(self, lang: str, openers: dict[str, list[str]], ecosystems: Sequence[str]) -> str:
        rng = self.rng
        words = rng.choice(openers[lang]).split()
        if rng.random() < NO_TERM:
            words += rng.choice(GENERIC[lang]).split()
        else:
            for n in range(rng.choice((1, 1, 2, 2, 3))):
                if n:
                    words += rng.choice(CONNECTORS[lang]).split()
                words += self.term(self.concept(ecosystems), lang).split()
        target = rng.randint(10, 30)
        for filler in rng.sample(FILLERS[lang], len(FILLERS[lang])):
            if len(words) >= target:
                break
            if len(words) + filler.count(" ") + 1 <= 30:
                words += filler.split()
        if rng.random() < 0.15:
            long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            if long_words:
                i = rng.choice(long_words)
                words[i] = typo(rng, words[i])
        return " ".join(words[:30]) + "."


def population(size: int, seed: int = SEED) -> list[Any]:
    """A reproducible population of ``size`` participants."""
    rng = random.Random(seed)
    maker = TextMaker(rng)
    ecosystems = list(ECOSYSTEMS)
    year_start = date(2027, 1, 4)
    people = []
    for n in range(size):
        role = rng.choices(("visitor", "host", "both"), weights=(40, 40, 20))[0]
        ecos = tuple(rng.sample(ecosystems, rng.choice((1, 1, 2, 2, 3))))
        lang = "en" if rng.random() < 0.55 else "de"
        spoken = [] if rng.random() < 0.05 and lang == "de" else ["en"]
        if lang == "de":
            spoken.append("de")
        spoken += rng.sample(OTHER_LANGUAGES, rng.choice((0, 1, 1, 2)))
        spoken = list(dict.fromkeys(spoken))
        u = rng.random()
        if u < 0.12:
            start = end = None
        else:
            start = year_start + timedelta(days=rng.randrange(0, 330))
            end = None if u < 0.20 else min(start + timedelta(days=rng.randint(14, 240)),
                                            date(2027, 12, 31))  # fmt: skip
        people.append(
            engine.Participant(
                key=f"p{n:06d}",
                role=role,
                country=rng.choice(DEFAULT_ELIGIBLE),
                ecosystems=ecos,
                offers=maker.text(lang, OFFER_OPENERS, ecos),
                seeks=maker.text(lang, SEEK_OPENERS, ecos),
                languages=tuple(spoken),
                available_from=start,
                available_to=end,
                paused=rng.random() < 0.02,
                has_exchange=role != "host" and rng.random() < 0.03,
            )
        )
    return people


# --------------------------------------------------------------------------- naive matcher


def working_days(first: date, last: date) -> int:
    """Monday-Friday days from ``first`` to ``last``, both included (0 if last < first)."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = first.weekday()
    for d in range(rest):
        if (weekday + d) % 7 < 5:
            count += 1
    return count


class Naive:
    """Everything in pure Python: hard rules per pair, ``difflib`` ratios both ways."""

    def __init__(self, people: Sequence[Any]) -> None:
        self.people = people
        first = TODAY + timedelta(days=1)
        last = engine.OPEN_END.astype(date)  # where the engine ends an open window
        self.rows = [
            (
                p.role in ("visitor", "both") and not p.has_exchange,
                p.role in ("host", "both"),
                p.country,
                set(p.languages),
                max(p.available_from or first, first),
                p.available_to or last,
                p.paused,
                content_words(p.offers),
                content_words(p.seeks),
            )
            for p in people
        ]

    def propose(self, i: int, k: int = K) -> list[tuple[float, str]]:
        visit, host, country, langs, start, end, _, offers, seeks = self.rows[i]
        best: list[tuple[float, int]] = []
        for j, (v2, h2, c2, l2, s2, e2, p2, o2, k2) in enumerate(self.rows):
            if j == i or p2 or not ((visit and h2) or (host and v2)) or c2 == country:
                continue
            if not langs & l2 or working_days(max(start, s2), min(end, e2)) < 3:
                continue
            score = 0.0
            if seeks and o2:
                score += difflib.SequenceMatcher(None, seeks, o2).ratio()
            if offers and k2:
                score += difflib.SequenceMatcher(None, offers, k2).ratio()
            best.append((score, -j))
        return [(s, self.people[-j].key) for s, j in heapq.nlargest(k, best)]


# --------------------------------------------------------------------------- measuring


def rss_kb() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in kB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def ms(seconds: Sequence[float]) -> dict[str, float]:
    values = sorted(s * 1000.0 for s in seconds)
    if not values:
        return {}
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p90": p90,
        "max": values[-1],
        "mean": statistics.fmean(values),
    }


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_vocabulary() -> Vocabulary:
    """A new ``Vocabulary`` (empty word caches), like a freshly started process."""
    return Vocabulary.from_data(json.loads(CONCEPTS_FILE.read_text(encoding="utf-8")))


def measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """All measurements for one population size (run in a child process)."""
    out: dict[str, Any] = {"size": size, "engine": engine.__file__}
    out["scorer"], out["workers"] = getattr(SCORER, "__name__", str(SCORER)), WORKERS
    t = time.perf_counter()
    people = population(size)
    out["generate_s"] = time.perf_counter() - t
    rng = random.Random(SEED + size)

    # 1. Build: timed (and RSS) without tracemalloc, then once more under tracemalloc.
    vocabulary = fresh_vocabulary()
    gc.collect()
    before, _ = rss_kb()
    peak_reset = reset_peak_rss()
    t = time.perf_counter()
    index = engine.MatchIndex(people, vocabulary, today=TODAY)
    out["build_s"] = time.perf_counter() - t
    gc.collect()
    after, peak = rss_kb()
    out["rss_retained_mb"] = (after - before) / 1024
    out["rss_peak_mb"] = (peak - before) / 1024 if peak_reset else None
    progress(f"{size}: built in {out['build_s']:.1f} s")

    second = fresh_vocabulary()
    gc.collect()
    tracemalloc.start()
    copy = engine.MatchIndex(people, second, today=TODAY)
    current, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["traced_retained_mb"] = current / 2**20  # includes the vocabulary's word caches
    out["traced_peak_mb"] = peak_traced / 2**20
    del copy, second
    gc.collect()
    measured = [v for v in (out["traced_peak_mb"], out["rss_peak_mb"]) if v is not None]
    out["memory_mb"] = max(measured)

    # 2. propose(key, 5) for random active participants.
    active = [i for i, p in enumerate(people) if not p.paused]
    queries = rng.sample(active, min(args.queries, len(active) - 1))
    chosen = set(queries)
    warm = rng.choice([i for i in active if i not in chosen])
    index.propose(people[warm].key, K)
    times, found, proposals = [], [], {}
    for i in queries:
        t = time.perf_counter()
        result = index.propose(people[i].key, K)
        times.append(time.perf_counter() - t)
        found.append(len(result))
        proposals[i] = [(p.key, p.score) for p in result]
    out["propose_ms"] = ms(times)
    out["proposals_found_mean"] = statistics.fmean(found)
    progress(f"{size}: propose median {out['propose_ms']['median']:.2f} ms")

    # Worst case of the engine's pruning: participants whose texts have no concept at all.
    bare = [i for i in active if not index.concepts.offers[i] and not index.concepts.seeks[i]]
    bare = rng.sample(bare, min(args.queries, len(bare)))
    times = []
    for i in bare:
        t = time.perf_counter()
        index.propose(people[i].key, K)
        times.append(time.perf_counter() - t)
    out["propose_no_concept_ms"] = ms(times)
    out["no_concept_share"] = (
        sum(1 for i in range(size) if not index.concepts.offers[i] and not index.concepts.seeks[i])
        / size
    )

    # Check: the proposals equal the top k of the full scores() of every admissible peer.
    same = 0
    admissible = []
    for i in queries:
        cand, scores = index.scores(people[i].key)
        admissible.append(int(cand.size))
        order = np.lexsort((cand, -scores))[:K]
        expected = [(people[int(cand[t])].key, round(float(scores[t]), 1)) for t in order]
        same += expected == proposals[i]
    out["check_identical"] = same
    out["admissible_mean"] = statistics.fmean(admissible)

    # 3. Raw cdist of the same queries against everyone's texts (both directions).
    offers = [content_words(p.offers) for p in people]
    seeks = [content_words(p.seeks) for p in people]
    raw = []
    for i in queries:
        t = time.perf_counter()
        for query, pool in ((seeks[i], offers), (offers[i], seeks)):
            if query:
                process.cdist([query], pool, scorer=SCORER, dtype=np.uint8, workers=WORKERS)
        raw.append(time.perf_counter() - t)
    out["raw_cdist_ms"] = ms(raw)
    out["ratio_engine_raw"] = out["propose_ms"]["median"] / out["raw_cdist_ms"]["median"]
    progress(f"{size}: raw cdist median {out['raw_cdist_ms']['median']:.2f} ms")

    # 4. Naive pure-Python matcher, as many queries as fit in the budget (at least 3).
    naive = Naive(people)
    naive_times = []
    budget_end = time.perf_counter() + args.naive_budget
    for n, i in enumerate(queries):
        if n >= 3 and time.perf_counter() > budget_end:
            break
        t = time.perf_counter()
        naive.propose(i)
        naive_times.append(time.perf_counter() - t)
    out["naive_ms"] = ms(naive_times)
    out["naive_queries"] = len(naive_times)
    del naive
    progress(f"{size}: naive median {out['naive_ms']['median']:.0f} ms")

    # 5. rank_all(5): in full up to --rank-all-full, else a sample, extrapolated.
    if size <= args.rank_all_full:
        t = time.perf_counter()
        index.rank_all(K)
        out["rank_all_s"] = time.perf_counter() - t
        out["rank_all_sample"] = None
    else:
        sample = rng.sample(range(size), min(args.rank_sample, size))
        t = time.perf_counter()
        for i in sample:
            index.propose(people[i].key, K)
        elapsed = time.perf_counter() - t
        out["rank_all_s"] = elapsed / len(sample) * size
        out["rank_all_sample"] = len(sample)
    progress(f"{size}: rank_all {out['rank_all_s']:.1f} s")
    return out


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "rapidfuzz": rapidfuzz.__version__,
        "scorer": getattr(SCORER, "__name__", str(SCORER)),
        "workers": WORKERS,
        "loadavg": os.getloadavg(),
    }


def targets(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    at = next((r for r in results if r.get("size") == TARGET_SIZE and "error" not in r), None)

    def verdict(name: str, value: float | None, limit: float, unit: str) -> dict[str, Any]:
        if value is None:
            return {"name": name, "value": None, "limit": limit, "met": None, "unit": unit}
        return {"name": name, "value": value, "limit": limit, "met": value < limit, "unit": unit}

    return {
        "memory": verdict(
            "index of 100 000 profiles in under 500 MB (max of tracemalloc and RSS peak)",
            at["memory_mb"] if at else None,
            TARGET_MEMORY_MB,
            "MB",
        ),
        "propose": verdict(
            "propose(key, 5) median under 50 ms at 100 000",
            at["propose_ms"]["median"] if at else None,
            TARGET_PROPOSE_MS,
            "ms",
        ),
        "raw_ratio": verdict(
            "propose within 3x of raw cdist at 100 000 (median/median)",
            at["ratio_engine_raw"] if at else None,
            TARGET_RAW_RATIO,
            "x",
        ),
    }


def print_table(r: dict[str, Any]) -> None:
    size = r["size"]
    print(f"\n## {size:,} profiles")
    if "error" in r:
        print(f"  FAILED: {r['error']}")
        return
    p, c, nv = r["propose_ms"], r["raw_cdist_ms"], r["naive_ms"]
    b = r["propose_no_concept_ms"]
    rss_peak = "n/a" if r["rss_peak_mb"] is None else f"{r['rss_peak_mb']:.0f} MB"
    if r["rank_all_sample"] is None:
        rank = f"{r['rank_all_s']:.2f} s (measured, all {size:,})"
    else:
        rank = (
            f"{r['rank_all_s']:.0f} s = {r['rank_all_s'] / 60:.1f} min (EXTRAPOLATED from "
            f"{r['rank_all_sample']} sampled participants)"
        )
    rows = [
        ("generate population", f"{r['generate_s']:.1f} s (not part of the index)"),
        ("index build", f"{r['build_s']:.2f} s"),
        (
            "build memory",
            f"tracemalloc peak {r['traced_peak_mb']:.0f} MB (retained "
            f"{r['traced_retained_mb']:.0f} MB); RSS peak +{rss_peak}, "
            f"retained +{r['rss_retained_mb']:.0f} MB",
        ),
        (
            "propose(key, 5)",
            f"median {p['median']:.2f} ms, p90 {p['p90']:.2f} ms, max {p['max']:.2f} ms "
            f"({p['n']} queries; {r['admissible_mean']:.0f} admissible peers on average)",
        ),
        (
            "  without any concept",
            f"median {b['median']:.2f} ms, p90 {b['p90']:.2f} ms, max {b['max']:.2f} ms "
            f"({b['n']} participants whose offers and seeks have no vocabulary concept, "
            f"{100 * r['no_concept_share']:.1f} % of the population)"
            if b
            else "no such participant",
        ),
        (
            "raw cdist (both directions)",
            f"median {c['median']:.2f} ms, p90 {c['p90']:.2f} ms; engine/raw "
            f"{r['ratio_engine_raw']:.3g}x",
        ),
        (
            "naive pure Python",
            f"median {nv['median']:.0f} ms, max {nv['max']:.0f} ms ({r['naive_queries']} of "
            f"{p['n']} queries, full population each); engine is "
            f"{nv['median'] / p['median']:.0f}x faster",
        ),
        ("rank_all(5)", rank),
        (
            "check",
            f"{r['check_identical']}/{p['n']} proposals identical to the top {K} of scores()",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def run_child(size: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(size),
        "--queries",
        str(args.queries),
        "--naive-budget",
        str(args.naive_budget),
        "--rank-all-full",
        str(args.rank_all_full),
        "--rank-sample",
        str(args.rank_sample),
    ]
    if args.engine:
        command += ["--engine", args.engine]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, check=False)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"size": size, "error": f"child exited with {done.returncode}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--naive-budget", type=float, default=30.0, help="seconds per size for the naive matcher"
    )
    parser.add_argument(
        "--rank-all-full", type=int, default=10_000, help="largest size timed in full"
    )
    parser.add_argument(
        "--rank-sample", type=int, default=200, help="participants timed above that size"
    )
    parser.add_argument(
        "--engine", help="another version of bot/matching/engine.py to measure (a file)"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:
        args.engine = str(Path(args.engine).resolve())
        use_engine(args.engine)

    if args.worker is not None:
        print(json.dumps(measure(args.worker, args)))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    results = []
    for size in sizes:
        progress(f"{size}: generating and measuring in a child process")
        results.append(run_child(size, args))
    verdicts = targets(results)
    report = {"started": started, "machine": machine(), "results": results, "targets": verdicts}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    m = report["machine"]
    print(
        f"# Matching benchmark, {started}; {m['cpus']} CPUs, Python {m['python']}, "
        f"NumPy {m['numpy']}, RapidFuzz {m['rapidfuzz']} ({m['scorer']}, workers={m['workers']})"
    )
    if args.engine:
        print(f"Engine: {args.engine} (--engine)")
    for r in results:
        print_table(r)
    print()
    for v in verdicts.values():
        if v["met"] is None:
            print(f"TARGET NOT MEASURED: {v['name']} (run with {TARGET_SIZE} in --sizes)")
        else:
            status = "MET" if v["met"] else "MISSED"
            print(f"TARGET {status}: {v['name']}: {v['value']:.3g} {v['unit']}")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a measurement, never a failing exit code
        print(f"matching benchmark failed: {exc!r}", file=sys.stderr)
    sys.exit(0)
