"""The matching engine's index over every complete, validated profile, kept up to date
incrementally.

The first use after a start reads the population as plain column rows (no ORM objects) with
the terms stored for each profile (``MatchTerms``) and builds the index in a worker thread;
only profiles whose texts (or the vocabulary) changed since their terms were stored are read
again. After that, each use asks the database which users changed since the last look (the
``updated_at`` indexes of profiles, users and exchanges) and puts only those into the index:
a registration costs the same with 1,000 or 100,000 others. Terms computed here are written
back by a background task in short units of work of their own (a batch each, the event loop
free in between), so the next start reads them.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import sys
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from bot.clock import Clock
from bot.matching.engine import MatchIndex, Participant, Proposal, Terms, extract_terms
from bot.matching.vocabulary import Vocabulary
from bot.services import collector
from bot.services.unit import Unit
from storage import repo, repo_feedback, repo_population
from storage.models import Profile, User, utcnow
from storage.repo_population import Row

# A transaction commits at most this long after it stamped its rows (``updated_at``): what
# changed is read with this overlap, so a slow commit by another worker is not missed.
OVERLAP = timedelta(seconds=30)
SAVE_BATCH = 500  # computed terms written back per unit of work (about 20 ms of the loop)
INLINE = 32  # fewer texts than this to read are read on the loop (about 0.2 ms each)
# From this size on, the objects alive after the first load (the index above all) are moved
# out of the garbage collector's sight: with 100,000 profiles every full collection walked
# them for about 0.2 s, a stall of everybody's updates, to find nothing.
FREEZE_FROM = 10_000
# From this size on, proposals are ranked in a worker thread: with 100,000 profiles one
# ranking of a text without any vocabulary concept compares it with tens of thousands of
# texts (about 50-80 ms), a stall of everybody's updates if it ran on the loop.
OFF_LOOP_FROM = 20_000
# From this size on, the population is loaded right after a start, in the background, so the
# first /matches finds it ready or half-way (at 100,000 the load takes about 3 s).
PRELOAD_FROM = 10_000

log = logging.getLogger(__name__)


_T = TypeVar("_T")


def key(user_id: int) -> str:
    """A participant's key in the engine."""
    return str(user_id)


@dataclass
class Snapshot:
    """The index as one unit of work sees it; profile rows are read from that unit on demand."""

    index: MatchIndex
    unit: Unit
    lock: asyncio.Lock  # held while the index changes, and while a thread ranks on it
    _rows: dict[int, tuple[User, Profile]] = field(default_factory=dict)

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, int) and key(user_id) in self.index

    async def propose(self, user_key: str, k: int, exclude: Collection[str] = ()) -> list[Proposal]:
        """The index's proposals for ``user_key``, weighted by what their own answers taught
        (``repo_feedback``): in a worker thread when the population is large, with the index
        held still (no update changes it meanwhile)."""
        bias = await repo_feedback.concept_bias(self.unit.session, user_id=int(user_key))
        return await self._rank(lambda: self.index.propose(user_key, k, exclude, bias))

    async def in_top(
        self, readers: Sequence[tuple[str, Collection[str]]], other: str, k: int
    ) -> list[bool]:
        """For each reader (a key and the keys they have seen), whether ``other`` is among
        their ``k`` best proposals, each weighted by the reader's own answers, as ``propose``
        would rank them: one query for the readers' biases, one worker thread for all."""
        if not readers:
            return []
        biases = await repo_feedback.concept_biases(
            self.unit.session, user_ids=[int(reader) for reader, _seen in readers]
        )
        index = self.index
        return await self._rank(
            lambda: [
                index.in_top(reader, other, k, seen, biases[int(reader)])
                for reader, seen in readers
            ]
        )

    async def _rank(self, work: Callable[[], _T]) -> _T:
        """Ranking work on the index: on the loop for a small population, else in a worker
        thread with the index held still (no update changes it meanwhile)."""
        if len(self.index) < OFF_LOOP_FROM:
            return work()
        async with self.lock:
            return await asyncio.to_thread(work)

    async def row(self, user_id: int) -> tuple[User, Profile]:
        """The user and profile of someone in the population."""
        row = self._rows.get(user_id)
        if row is None:
            user, profile = await repo.get_user_and_profile(self.unit.session, user_id=user_id)
            if user is None or profile is None:
                raise LookupError(f"user {user_id} left the population")
            row = self._rows[user_id] = (user, profile)
        return row

    async def user(self, user_id: int) -> User:
        return (await self.row(user_id))[0]

    async def profile(self, user_id: int) -> Profile:
        return (await self.row(user_id))[1]


def terms_version(vocabulary: Vocabulary, offers: str, seeks: str) -> str:
    """What stored terms are valid for: the texts and the vocabulary (``MatchTerms.version``)."""
    source = f"{vocabulary.signature}\0{offers}\0{seeks}".encode()
    return hashlib.sha1(source, usedforsecurity=False).hexdigest()


class SharedConcepts:
    """Equal concept sets (and concept ids) handed out as one object across a read: with
    100,000 profiles most sets occur many times, and separate copies cost tens of MB."""

    def __init__(self) -> None:
        self._sets: dict[str, frozenset[str]] = {}

    def __call__(self, stored: str | None) -> frozenset[str]:
        """The set of a stored, space-separated list of concept ids (interned: one string
        per id in the process)."""
        stored = stored or ""
        found = self._sets.get(stored)
        if found is None:
            found = self._sets[stored] = frozenset(map(sys.intern, stored.split()))
        return found


def stored_terms(
    vocabulary: Vocabulary, row: Row, shared: SharedConcepts | None = None
) -> Terms | None:
    """The row's stored terms, if they were read from these texts with this vocabulary."""
    if row.terms_version != terms_version(vocabulary, row.offers, row.seeks):
        return None
    concepts = SharedConcepts() if shared is None else shared
    return Terms(
        concepts(row.offer_terms),
        concepts(row.seek_terms),
        row.offers_words or "",
        row.seeks_words or "",
    )


def terms_of(
    vocabulary: Vocabulary, rows: Sequence[Row], people: Sequence[Participant]
) -> tuple[list[Terms], list[int]]:
    """Each row's terms: the stored ones where they are still valid, the others read from
    the texts now (``people``: the rows' participants, in order); and the positions of the
    rows read now (pure CPU)."""
    shared = SharedConcepts()
    with collector.paused():  # see ``Population._load``
        found = [stored_terms(vocabulary, r, shared) for r in rows]
    read = [i for i, t in enumerate(found) if t is None]
    for i, t in zip(read, extract_terms(vocabulary, [people[i] for i in read]), strict=True):
        found[i] = t
    return [t for t in found if t is not None], read


def participant(row: Row, has_exchange: bool) -> Participant:
    # Positional: 100,000 of these are made at a start, and keywords cost a third more.
    return Participant(
        key(row.user_id),
        row.role,
        row.country,
        row.ecosystems,  # a tuple already
        row.offers,
        row.seeks,
        row.languages,
        row.available_from,
        row.available_to,
        row.paused,
        has_exchange,
    )


class Population:
    """The index, brought up to date in the caller's unit of work."""

    def __init__(
        self,
        clock: Clock,
        vocabulary: Vocabulary,
        units: Callable[[], AbstractAsyncContextManager[Unit]],
    ) -> None:
        self.clock = clock
        self.vocabulary = vocabulary
        self._units = units  # units of work of the write-back
        self._index: MatchIndex | None = None
        self._since: datetime | None = None
        self._unsaved: dict[int, Terms] = {}  # computed here, not yet stored
        self._saving: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def current(self, unit: Unit) -> Snapshot:
        """The index over the population as this unit of work sees it."""
        async with self._lock:
            if self._index is None:
                await self._load(unit)
            else:
                await self._refresh(unit)
            assert self._index is not None
            self._index.today = self.clock.today()
            if self._unsaved and (self._saving is None or self._saving.done()):
                self._saving = asyncio.create_task(self._write_back())
            return Snapshot(self._index, unit, self._lock)

    async def preload(self) -> None:
        """After a start: load a large population before anybody asks for it. A failure
        costs nothing but the head start (the first use loads it)."""
        try:
            async with self._units() as unit:
                if await repo_population.population_size(unit.session) >= PRELOAD_FROM:
                    await self.current(unit)
        except Exception as exc:
            log.warning("could not preload the matching population (%s)", type(exc).__name__)

    async def _load(self, unit: Unit) -> None:
        """Read the whole population and build the index (in a worker thread)."""
        session = unit.session
        started = utcnow()
        vocabulary, today = self.vocabulary, self.clock.today()

        def build(box: list[Any], visited: set[int]) -> tuple[MatchIndex, dict[int, Terms]]:
            rows = repo_population.parse_rows(box.pop())
            people = [participant(r, r.user_id in visited) for r in rows]
            terms, read = terms_of(vocabulary, rows, people)
            unsaved = {rows[i].user_id: terms[i] for i in read}
            del rows  # before the index is built: their own strings would add to the peak
            return MatchIndex(people, vocabulary, today=today, terms=terms), unsaved

        # Reading and decoding the rows and building the index make millions of objects that
        # live on, none of them garbage (reading terms from texts makes garbage, but none in
        # cycles: reference counting frees it). The collections their allocations set off
        # walked everything again and again: a quarter of the load's time at 100,000 (2.7 s
        # -> 2.0 s), and each full one held the event loop 0.1-0.4 s. So the collector waits
        # until the index is built, and a large one is then frozen out of its sight before it
        # resumes: otherwise its first collection walks every object made meanwhile at once
        # (0.3 s with the loop waiting). The price: cyclic garbage that other updates leave
        # during the load (seconds; after a vocabulary change, when every text is read again,
        # about 20 s at 100,000) is frozen with the index and kept until the bot stops.
        with collector.paused():
            # The raw rows in a box the build empties: they are dropped as soon as they are
            # decoded, not held (about 20 MB at 100,000) until the index is built.
            box = [await repo_population.participant_rows(session, parse=False)]
            visited = await repo_population.visitors_with_exchange(session)
            self._index, unsaved = await asyncio.to_thread(build, box, visited)
            if len(self._index) >= FREEZE_FROM:
                gc.freeze()
        self._unsaved.update(unsaved)
        self._since = started

    async def _refresh(self, unit: Unit) -> None:
        """Put whoever changed since the last look into the index, and take out who left."""
        index, session = self._index, unit.session
        assert index is not None and self._since is not None
        started = utcnow()
        changed = await repo_population.changed_since(session, since=self._since - OVERLAP)
        size = await repo_population.population_size(session)
        self._since = started
        rows = await repo_population.participant_rows(session, user_ids=changed) if changed else []
        found = {r.user_id: r for r in rows}
        gone = [key(u) for u in changed if u not in found or not found[u].eligible]
        index.remove(gone)
        for k in gone:
            self._unsaved.pop(int(k), None)
        if len(index) + sum(1 for r in rows if r.eligible and key(r.user_id) not in index) != size:
            # Someone left without a trace (erased: their rows are gone): compare the ids.
            present = await repo_population.population_ids(session)
            index.remove([k for k in list(index.position) if int(k) not in present])
            missing = present - {int(k) for k in index.position} - set(found)
            if missing:
                rows += await repo_population.participant_rows(session, user_ids=missing)
        eligible = [r for r in rows if r.eligible]
        if not eligible:
            return
        visited = await repo_population.visitors_with_exchange(
            session, user_ids=[r.user_id for r in eligible]
        )
        await self._put(index, [(r, participant(r, r.user_id in visited)) for r in eligible])

    async def _put(self, index: MatchIndex, items: list[tuple[Row, Participant]]) -> None:
        """Upsert changed participants, reading texts only where they changed."""
        todo: list[tuple[Row, Participant]] = []
        ready: list[tuple[Participant, Terms]] = []
        for row, person in items:
            held = index.participant(person.key)
            if held == person:
                continue  # nothing matching reads changed (a step of a conversation)
            terms = None
            if held is not None and (held.offers, held.seeks) == (person.offers, person.seeks):
                terms = index.terms_of(person.key)
            terms = terms or stored_terms(self.vocabulary, row)
            if terms is None:
                todo.append((row, person))
            else:
                ready.append((person, terms))
        if todo:
            people = [p for _r, p in todo]
            if len(todo) < INLINE:
                fresh = extract_terms(self.vocabulary, people)
            else:
                fresh = await asyncio.to_thread(extract_terms, self.vocabulary, people)
            for (row, person), terms in zip(todo, fresh, strict=True):
                ready.append((person, terms))
                self._unsaved[row.user_id] = terms
        index.upsert([p for p, _t in ready], [t for _p, t in ready])

    async def _write_back(self) -> None:
        """Store the computed terms, a batch per unit of work, until none is left."""
        try:
            while self._unsaved:
                batch = sorted(islice(self._unsaved, SAVE_BATCH))  # one order: no deadlock
                taken = {user_id: self._unsaved[user_id] for user_id in batch}
                rows = []
                for user_id, terms in taken.items():
                    person = self._index.participant(key(user_id)) if self._index else None
                    if person is not None:  # still in the population, with these texts
                        rows.append(
                            {
                                "user_id": user_id,
                                "version": terms_version(
                                    self.vocabulary, person.offers, person.seeks
                                ),
                                "offers": " ".join(sorted(terms.offers)),
                                "seeks": " ".join(sorted(terms.seeks)),
                                "offers_words": terms.offers_words,
                                "seeks_words": terms.seeks_words,
                            }
                        )
                async with self._units() as unit:
                    await repo_population.save_terms(unit.session, rows=rows)
                for user_id, terms in taken.items():  # unless read again meanwhile
                    if self._unsaved.get(user_id) is terms:
                        del self._unsaved[user_id]
                await asyncio.sleep(0)
        except Exception as exc:  # the statement's parameters hold profile words: not logged
            log.warning(
                "could not store the matching terms (%s); they are read again next time",
                type(exc).__name__,
            )

    def close(self) -> None:
        """After the bot stopped: let the index go. A large one was frozen out of the garbage
        collector's sight (``FREEZE_FROM``), where nothing is ever freed; it is put back so
        that a process that starts the bot again (tests, benchmarks, an embedding
        application) does not hold two indexes (at 100,000 profiles about 180 MB)."""
        frozen = self._index is not None and len(self._index) >= FREEZE_FROM
        self._index = None
        self._since = None
        if frozen:
            gc.unfreeze()

    @property
    def saving(self) -> asyncio.Task[None] | None:
        """The write-back under way, if any (the bot lets it finish when it stops)."""
        task = self._saving
        return task if task is not None and not task.done() else None
