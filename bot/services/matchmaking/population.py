"""The matching engine's index over every complete, validated profile, rebuilt when the
population changes (its fingerprint), in a worker thread."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.clock import Clock
from bot.matching.engine import MatchIndex, Participant
from bot.matching.vocabulary import Vocabulary
from bot.services.unit import Unit
from storage import repo
from storage.models import Profile, User


@dataclass
class Snapshot:
    """The index and the rows it was built from."""

    index: MatchIndex
    rows: dict[int, tuple[User, Profile]]
    fingerprint: tuple


def key(user_id: int) -> str:
    """A participant's key in the engine."""
    return str(user_id)


class Population:
    """The index, read in the caller's unit of work and kept while nothing changes."""

    def __init__(self, clock: Clock, vocabulary: Vocabulary) -> None:
        self.clock = clock
        self.vocabulary = vocabulary
        self._snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()

    async def current(self, unit: Unit) -> Snapshot:
        """The index over the population as this unit of work sees it."""
        async with self._lock:
            session = unit.session
            fingerprint = await repo.population_fingerprint(session)
            if self._snapshot and self._snapshot.fingerprint == fingerprint:
                return self._snapshot
            rows = await repo.completed_participants(session)
            visited = await repo.visitors_with_exchange(session)
            people = [
                Participant(
                    key=key(u.id),
                    role=p.role or "",
                    country=p.country or "",
                    ecosystems=tuple(p.ecosystems),
                    offers=p.offers or "",
                    seeks=p.seeks or "",
                    languages=tuple(p.languages),
                    available_from=p.available_from,
                    available_to=p.available_to,
                    paused=u.paused,
                    has_exchange=u.id in visited,
                )
                for u, p in rows
            ]
            today = self.clock.today()
            index = await asyncio.to_thread(MatchIndex, people, self.vocabulary, today=today)
            self._snapshot = Snapshot(index, {u.id: (u, p) for u, p in rows}, fingerprint)
            return self._snapshot
