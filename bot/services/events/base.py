"""What every part of the events feature shares: settings, time, staff access, the index,
and small helpers on events and users."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import _, format_date_range
from bot.services import deeplinks
from bot.services.events.index import Built, EventIndexes
from bot.services.partnerships.access import Scope, StaffAccess
from bot.services.ui import Reply
from bot.services.unit import Unit
from storage import repo_events
from storage.models import Event, User, utcnow


class EventsBase:
    """Shared state and helpers of the events feature's parts."""

    def __init__(
        self,
        clock: Clock,
        settings: Settings,
        access: StaffAccess,
        indexes: EventIndexes,
        links: deeplinks.Links,
        remember_language=None,  # type: ignore[no-untyped-def]
    ) -> None:
        self.links = links
        self.clock = clock
        self.settings = settings
        self.access = access
        self.indexes = indexes
        self.vocabulary = indexes.vocabulary
        # A new user's or a refusal's language (None: no stored choice) for the cache.
        self._remember_language = remember_language

    @property
    def eligible(self) -> tuple[str, ...]:
        """Countries whose organisations can sign up."""
        return self.settings.eligible_countries

    def link(self, event: Event, bot_username: str | None) -> str:
        """The event's deep link (what the QR code holds): always a t.me link."""
        username = self.links.username or bot_username
        return deeplinks.link(username, deeplinks.EVENT, event.code)

    async def _index(self, unit: Unit, event_id: int) -> Built:
        return await self.indexes.get(unit, event_id, self.clock.today())

    def _local(self, day: date, hhmm: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(hhmm), self.settings.tz)

    def _ended(self, event: Event) -> bool:
        return self.clock.today() > event.ends_on

    def _running(self, event: Event) -> bool:
        return event.starts_on <= self.clock.today() <= event.ends_on

    def _when(self, event: Event) -> str:
        return format_date_range(event.starts_on, event.ends_on)

    def _meeting_point(self, event: Event) -> str:
        return event.meeting_point or _("the registration desk")

    def _forget_language(self, user_id: int) -> None:
        if self._remember_language is not None:
            self._remember_language(user_id, None)

    async def _scope(self, unit: Unit, user_id: int) -> Scope:
        return await self.access.scope(unit, user_id)

    @staticmethod
    def _bump(user: User) -> None:
        user.state_version += 1
        user.updated_at = utcnow()

    def _enter(self, user: User, state: str, data: dict | None = None) -> None:
        user.state = state
        user.state_data = data if data is not None else {}
        self._bump(user)

    # ----------------------------------------------------------------- the parts call each other

    async def _first_cards(self, unit: Unit, event: Event, user_id: int) -> list[Reply]:
        """Meetings part: the first proposal card after joining."""
        raise NotImplementedError

    async def _push_newcomer(self, unit: Unit, event: Event, newcomer: int) -> None:
        """Meetings part: tell people with nothing open about a fitting newcomer."""
        raise NotImplementedError

    async def staff_events(self, unit: Unit, scope: Scope) -> list[Event]:
        """Admin part: the events a staff member may see."""
        raise NotImplementedError

    async def attendee_overview(self, unit: Unit, user_id: int) -> list[Reply]:
        """Meetings part: an attendee's events and meetings."""
        raise NotImplementedError

    @staticmethod
    async def _event_of_state(unit: Unit, user: User) -> Event | None:
        event_id = user.state_data.get("event")
        if not isinstance(event_id, int):
            return None
        return await repo_events.get_event(unit.session, event_id=event_id)
