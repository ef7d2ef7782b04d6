"""The matching index's postings: which slots mention a concept (or an ecosystem)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Postings:
    """Concept -> the slots that mention it, as sorted ``int32`` arrays.

    Changes wait in small pending lists and are merged into a concept's array when it is
    next read. Python sets of slots cost about 36 bytes per entry (51 MB with 100,000
    profiles); an array costs 4."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self._added: dict[str, list[int]] = {}
        self._removed: dict[str, set[int]] = {}

    def add(self, slots: Iterable[int], items: Iterable[Iterable[str]]) -> None:
        """Each slot mentions its items (one iterable of items per slot)."""
        added = self._added
        for slot, its in zip(slots, items, strict=True):
            for item in its:
                pending = added.get(item)
                if pending is None:
                    added[item] = [slot]
                else:
                    pending.append(slot)

    def discard(self, slot: int, items: Iterable[str]) -> None:
        for item in items:
            if item in self._added:  # removals apply before additions: merge those first
                self._merge(item)
            if item in self._arrays:
                self._removed.setdefault(item, set()).add(slot)

    def get(self, item: str) -> np.ndarray | None:
        if item in self._added or item in self._removed:
            self._merge(item)
        return self._arrays.get(item)

    def _merge(self, item: str) -> None:
        hits = self._arrays.get(item, _NO_SLOTS)
        removed = self._removed.pop(item, None)
        if removed:
            gone = np.fromiter(removed, np.int32, len(removed))
            hits = hits[~np.isin(hits, gone, assume_unique=True)]
        added = self._added.pop(item, None)
        if added:
            hits = np.union1d(hits, np.asarray(added, dtype=np.int32))
        if hits.size:
            self._arrays[item] = hits
        else:
            self._arrays.pop(item, None)


_NO_SLOTS = np.zeros(0, dtype=np.int32)
