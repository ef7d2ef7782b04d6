"""The engine's index over the people at one event, kept up to date as they join, leave or
change their profile, in a worker thread."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from time import monotonic

from bot.matching.engine import MatchIndex, Participant
from bot.matching.vocabulary import Vocabulary
from bot.services.unit import Unit
from storage import repo_events
from storage.models import Profile, User

INDEX_REFRESH = 300.0  # seconds after which an event's index is read again in full


@dataclass
class Built:
    """An event's index and the rows it was built from."""

    index: MatchIndex
    profiles: dict[int, tuple[User, Profile]]  # attendees with a complete quick profile
    versions: dict[int, datetime]  # everyone signed up (complete or not): profile version
    fingerprint: tuple
    built: float


def missing(profile: Profile) -> list[str]:
    """Sign-up questions without an answer yet."""
    steps = []
    if not (profile.name and profile.organisation):
        steps.append("q_name")
    if not profile.country:
        steps.append("q_country")
    if not profile.offers:
        steps.append("q_offers")
    if not profile.seeks:
        steps.append("q_seeks")
    return steps


class EventIndexes:
    """One index per event."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._indexes: dict[int, Built] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def cached(self, event_id: int) -> Built | None:
        """The index as last built (None before the first use after a start)."""
        return self._indexes.get(event_id)

    async def get(self, unit: Unit, event_id: int, today: date) -> Built:
        """The index, brought up to date when someone joined, left or changed.

        Only what changed is read again (an event's door rush would otherwise load every
        attendee as ORM objects on every sign-up): a cheap aggregate says whether anything
        changed, then each attendee's profile version (plain rows) says who, and only their
        rows are loaded. The engine then re-extracts only new texts (the vocabulary remembers
        the others). Everything is read again after ``INDEX_REFRESH`` seconds, which also
        picks up changes of the user rows (language, username).
        """
        session = unit.session
        lock = self._locks.setdefault(event_id, asyncio.Lock())
        async with lock:
            cached = self._indexes.get(event_id)
            fingerprint = await repo_events.attendee_fingerprint(session, event_id=event_id)
            fresh = cached is not None and monotonic() - cached.built < INDEX_REFRESH
            if cached is not None and fresh and cached.fingerprint == fingerprint:
                return cached
            versions = await repo_events.attendee_versions(session, event_id=event_id)
            if cached is None or not fresh:
                rows = await repo_events.attendees(session, event_id=event_id)
                ready: dict[int, tuple[User, Profile]] = {}
            else:
                changed = [u for u, v in versions.items() if cached.versions.get(u) != v]
                rows = await repo_events.attendees(session, event_id=event_id, user_ids=changed)
                ready = {u: row for u, row in cached.profiles.items() if u in versions}
            for _attendee, user, profile in rows:
                if missing(profile):
                    ready.pop(user.id, None)
                else:
                    ready[user.id] = (user, profile)
            participants = [
                Participant(
                    key=str(u.id),
                    role="both",
                    country=p.country or "",
                    ecosystems=tuple(p.ecosystems),
                    offers=p.offers or "",
                    seeks=p.seeks or "",
                    paused=False,
                )
                for u, p in ready.values()
            ]
            index = await asyncio.to_thread(
                MatchIndex, participants, self.vocabulary, today=today, scheme_rules=False
            )
            built = Built(index, ready, versions, fingerprint, monotonic())
            self._indexes[event_id] = built
            return built
