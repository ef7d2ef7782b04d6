"""Events: a QR code at the door, a quick sign-up, and meetings between the people present.

Staff create an event of their partnership (``/newevent``) and get its deep link
(``t.me/<bot>?start=ev_<code>``, the code unguessable), a QR code and an A4 poster. Whoever
scans it answers at most four questions (name and organisation, country, what they offer, what
they seek), or is simply checked in when already registered. Proposals are scoped to the
event: anyone present may meet anyone else (the scheme's cross-border rules do not apply to a
meeting), ranked by the same engine. When both sides are interested, both get an introduction
and a meeting slot from the event's settings, a reminder 10 minutes before it, and after the
event "did you meet?"; pairs in different eligible countries are offered to turn the contact
into a ClusterXchange exchange (the normal matching flow takes over).

Conversation state lives in ``User.state`` like everywhere else (``STATES``), buttons carry the
state version (``q:<version>:<step>:<value>``, ``en:<version>:<step>:<value>``) or an id that
is checked against the presser (``ev:…``, ``es:…``).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from sqlalchemy.ext.asyncio import AsyncSession

from bot import geo
from bot.clock import Clock
from bot.config import Settings
from bot.domain import LIMITS
from bot.i18n import (
    _,
    country_name,
    current_language,
    format_date,
    format_time,
    language_of,
    use_language,
)
from bot.matching.engine import MatchIndex, Participant
from bot.matching.explain import explain
from bot.matching.vocabulary import Vocabulary
from bot.services import charts, event_media
from bot.services.partnerships import Partnerships, Scope
from bot.services.profile_text import InputError, clean_text, country_problem, parse_date
from bot.services.reports import csv_bytes
from bot.services.ui import (
    Button,
    Document,
    Keyboard,
    Notice,
    Outcome,
    Reply,
    contact_link,
    esc,
    rows,
)
from storage import repo, repo_events
from storage.db import Database
from storage.models import (
    Attendee,
    ConsentState,
    Event,
    EventMatch,
    Profile,
    Reminder,
    User,
    as_utc,
    utcnow,
)
from storage.models import ProposalSide as Side

EVENT_PREFIX = "ev_"
CONSENT, DONE = "q_consent", "q_done"
# The quick sign-up: at most these four questions, only those not answered yet.
SIGNUP: tuple[str, ...] = ("q_name", "q_country", "q_offers", "q_seeks")
# /newevent, step by step; then a broadcast's text.
CREATE: tuple[str, ...] = (
    "evn_name",
    "evn_dates",
    "evn_city",
    "evn_desc",
    "evn_point",
    "evn_hours",
)
BROADCAST = "ev_bcast"
PICK = "evn_pick"  # /newevent for staff of several partnerships: which one
STATES = frozenset({CONSENT, DONE, PICK, *SIGNUP, *CREATE, BROADCAST})
# States in which a plain /start asks the open question again (DONE goes on to the full
# registration, the staff steps to the onboarding's staff welcome).
RESUMED = frozenset({CONSENT, *SIGNUP})
# States whose typed text is an answer (the others wait for buttons).
TYPED = frozenset({"q_name", "q_country", "q_offers", "q_seeks", *CREATE, BROADCAST})

MEETING_NOTICE = timedelta(minutes=10)  # the reminder before a meeting
MEETING_LEAD = timedelta(minutes=15)  # the first slot offered is at least this far ahead
INDEX_REFRESH = 300.0  # seconds after which an event's index is read again in full
MET_QUESTION_AFTER = timedelta(minutes=30)  # after the last slot of the event
MAX_EVENT_DAYS = 7
CODE_BYTES = 9  # 72 random bits, 12 characters in the link
_HOURS = re.compile(
    r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:-|–|—|to|bis)\s*(\d{1,2})(?:[:.](\d{2}))?"
    r"(?:\s*[,;/ ]\s*(\d{1,3})\s*(?:min(?:utes?|uten)?\.?)?)?\s*$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:\n|,|;| / | – | — | - | @ )\s*")
SIGNUP_INSTRUCTIONS = (
    "Scan the code with your phone camera to join the event in Telegram.",
    "Scannen Sie den Code mit der Handykamera, um in Telegram teilzunehmen.",
)


@dataclass
class Figures:
    """Live counts of an event."""

    signed_up: int
    checked_in: int
    proposals: int
    meetings: int


@dataclass
class BroadcastPlan:
    """What a confirmed broadcast sends: one text per recipient (in their language)."""

    event_id: int
    event_name: str
    messages: list[tuple[int, str]] = field(default_factory=list)
    staff_language: str = "en"


@dataclass
class _Index:
    index: MatchIndex
    profiles: dict[int, tuple[User, Profile]]  # attendees with a complete quick profile
    versions: dict[int, datetime]  # everyone signed up (complete or not): profile version
    fingerprint: tuple
    built: float


class Events:
    """Events for staff, quick sign-up and meetings for attendees."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        vocabulary: Vocabulary,
        partnerships: Partnerships,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.vocabulary = vocabulary
        self.partnerships = partnerships
        self._indexes: dict[int, _Index] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        # Set by the application: a new language choice to remember (the language cache),
        # and the normal matching's "I am interested in this pair" (ClusterXchange).
        self.on_language: Callable[[int, str | None], None] | None = None
        self.request_exchange: (
            Callable[[int, int, str], Awaitable[tuple[Outcome, list[Notice]]]] | None
        ) = None

    # ================================================================ helpers

    def link(self, event: Event, bot_username: str | None) -> str:
        """The event's deep link (what the QR code holds)."""
        username = self.settings.bot_username or bot_username or "cxbot"
        return f"https://t.me/{username}?start={EVENT_PREFIX}{event.code}"

    def _local(self, day: date, hhmm: str) -> datetime:
        hours, minutes = (int(x) for x in hhmm.split(":"))
        return datetime.combine(day, time(hours, minutes), self.settings.tz)

    def _ended(self, event: Event) -> bool:
        return self.clock.today() > event.ends_on

    def _running(self, event: Event) -> bool:
        return event.starts_on <= self.clock.today() <= event.ends_on

    def _when(self, event: Event) -> str:
        if event.starts_on == event.ends_on:
            return format_date(event.starts_on)
        return f"{format_date(event.starts_on)} – {format_date(event.ends_on)}"

    def _meeting_point(self, event: Event) -> str:
        return event.meeting_point or _("the registration desk")

    @staticmethod
    def _bump(user: User) -> None:
        user.state_version += 1
        user.updated_at = utcnow()

    @staticmethod
    async def _user(session: AsyncSession, user_id: int) -> User:
        user = await repo.get_user(session, user_id=user_id)
        if user is None:
            user = User(id=user_id, state="idle")
            session.add(user)
        return user

    def _enter(self, user: User, state: str, data: dict | None = None) -> None:
        user.state = state
        user.state_data = data if data is not None else {}
        self._bump(user)

    # ================================================================ joining

    async def join(
        self, user_id: int, code: str, username: str | None, client_language: str | None
    ) -> tuple[Outcome, list[Notice], bool]:
        """``/start ev_<code>``: consent, the quick sign-up, or a check-in; messages for
        others; and whether the code is unknown or the event over (the normal registration
        should follow)."""
        async with self.db.session() as session:
            event = await repo_events.event_by_code(session, code=code[:24])
            out = Outcome()
            if event is None:
                out.add(
                    _(
                        "I don't know this event code. Maybe the link was copied incompletely. "
                        "You can still register for ClusterXchange:"
                    )
                )
                return out, [], True
            if self._ended(event):
                out.add(
                    _(
                        "The event {event} is over (it took place on {dates}), so it takes no "
                        "more sign-ups. You can still register for ClusterXchange:"
                    ).format(event=f"<b>{esc(event.name)}</b>", dates=self._when(event))
                )
                return out, [], True
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if user is None:
                user = User(id=user_id)
                session.add(user)
                if self.on_language:
                    self.on_language(user_id, None)
            if client_language:
                user.client_language = client_language[:16]
            if user.consent != ConsentState.GIVEN:
                self._enter(user, CONSENT, {"event": event.id})
                out.replies.append(self._consent_prompt(user, event))
                await session.commit()
                return out, [], False
            if username:
                user.username = username[:64]
            if profile is None:
                profile = Profile(user_id=user_id)
                session.add(profile)
            await self._attend(session, event, user_id, quick=profile.completed_at is None)
            replies, notices = await self._after_join(session, event, user, profile)
            out.replies.extend(replies)
            await session.commit()
        return out, notices, False

    async def _attend(self, session: AsyncSession, event: Event, user_id: int, quick: bool) -> None:
        """Add the attendance (once); scanning while the event is on checks in."""
        attendee = await repo_events.get_attendee(session, event_id=event.id, user_id=user_id)
        now = self.clock.now()
        if attendee is None:
            attendee = Attendee(event_id=event.id, user_id=user_id, joined_at=now, quick=quick)
            session.add(attendee)
        if self._running(event) and attendee.checked_in_at is None:
            attendee.checked_in_at = now
        await session.flush()

    async def _after_join(
        self, session: AsyncSession, event: Event, user: User, profile: Profile
    ) -> tuple[list[Reply], list[Notice]]:
        """A registered participant is checked in; others answer what is missing."""
        missing = _missing(profile)
        name = f"<b>{esc(event.name)}</b>"
        if not missing:
            if profile.completed_at is not None:
                text = _("Welcome to {event}, {name}! You are checked in.").format(
                    event=name, name=esc(profile.name or "")
                )
            else:
                text = _("Welcome back to {event}! You are signed up.").format(event=name)
                if user.state not in STATES or user.state in (CONSENT, *SIGNUP):
                    self._enter(user, DONE, {"event": event.id})
            cards = await self._first_cards(session, event, user.id)
            return _with_cards(text, cards), await self._push_newcomer(session, event, user.id)
        if user.state in STATES - {CONSENT, DONE, *SIGNUP}:
            # Busy with staff input: leave it; the sign-up can wait for the next scan.
            return [Reply(_("You are signed up for {event}.").format(event=name))], []
        self._enter(user, missing[0], {"event": event.id, "steps": missing})
        intro = _("Welcome to {event}! {count} quick questions and you are in.").format(
            event=name, count=len(missing)
        )
        return [Reply(intro), self._question(user, profile)], []

    def _consent_prompt(self, user: User, event: Event) -> Reply:
        text = (
            _("Welcome to {event}!").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + _(
                "I introduce you to the people here who are worth meeting, and suggest a time "
                "and place to meet. It takes four quick questions."
            )
            + "\n\n"
            + _(
                "<b>Privacy:</b> I store your name, organisation, country, what you offer and "
                "seek, and your Telegram id. The event's organisers see your sign-up; your "
                "contact goes only to people you both agree to meet. /privacy explains more; "
                "/deleteme erases everything at any time."
            )
            + "\n\n"
            + _("Do you agree?")
        )
        v = user.state_version
        return Reply(
            text,
            [
                [
                    Button(_("I agree"), f"q:{v}:{CONSENT}:yes"),
                    Button(_("No, thanks"), f"q:{v}:{CONSENT}:no"),
                ]
            ],
        )

    def _question(self, user: User, profile: Profile, prefix: str = "") -> Reply:
        """The current sign-up question, numbered among those this person is asked."""
        state = user.state
        steps = user.state_data.get("steps") or list(SIGNUP)
        number = f"<i>{steps.index(state) + 1}/{len(steps)}</i>  " if state in steps else ""
        keyboard: Keyboard | None = None
        if state == "q_name":
            text = _(
                "Your name and your organisation, separated by a comma. For example: "
                "<i>Anna Schmidt, Textilwerk GmbH</i>"
            )
        elif state == "q_country":
            text = _("In which country is your organisation based? Choose or type it.")
            keyboard = self._country_keyboard(user)
        elif state == "q_offers":
            text = _(
                "What does your organisation offer? A sentence or a few keywords, e.g. "
                "<i>digital twins for textile machines</i>."
            )
        elif state == "q_seeks":
            text = _("And what are you looking for at this event?")
        else:
            text = _("Send /start to continue.")
        return Reply((prefix + "\n\n" if prefix else "") + number + text, keyboard)

    def _country_keyboard(self, user: User, first: tuple[str, ...] = ()) -> Keyboard:
        v = user.state_version
        codes = sorted(self.settings.eligible_countries, key=lambda c: country_name(c).casefold())
        keyboard = rows([Button(country_name(c), f"q:{v}:q_country:{c}") for c in codes], 3)
        if first:
            keyboard.insert(0, [Button(country_name(c), f"q:{v}:q_country:{c}") for c in first])
        return keyboard

    async def resume(self, user_id: int) -> Outcome:
        """``/start`` in the middle of the sign-up: the open question again."""
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if user is None:
                return Outcome().add(_("Hello! Send /start to begin."))
            event = await self._event_of_state(session, user)
            if user.state == CONSENT and event is not None:
                return Outcome(replies=[self._consent_prompt(user, event)])
            if user.state in SIGNUP and profile is not None:
                return Outcome(replies=[self._question(user, profile, _("Let's continue."))])
        return Outcome().add(_("Send /start to continue."))

    @staticmethod
    async def _event_of_state(session: AsyncSession, user: User) -> Event | None:
        event_id = user.state_data.get("event")
        if not isinstance(event_id, int):
            return None
        return await repo_events.get_event(session, event_id=event_id)

    async def on_signup_button(
        self, user_id: int, data: str, username: str | None = None
    ) -> tuple[Outcome, list[Notice]]:
        """``q:<version>:<step>:<value>``: consent and country buttons of the quick sign-up."""
        parts = data.split(":", 3)
        stale = Outcome(toast=_("This button is not valid any more."))
        if len(parts) != 4 or not parts[1].isdigit():
            return stale, []
        _q, version, step, value = parts
        notices: list[Notice] = []
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if user is None:
                return Outcome(toast=_("Please send /start first."), alert=True), []
            if int(version) != user.state_version or step != user.state:
                if user.state_data.get("last") == data:
                    return Outcome(toast=_("Already noted.")), []
                return Outcome(toast=_("That button belongs to an earlier question.")), []
            event = await self._event_of_state(session, user)
            if event is None:
                return stale, []
            out = Outcome()
            if step == CONSENT and value == "no":
                out.replies.append(self._answered(self._consent_prompt(user, event), "No, thanks"))
                user.consent, user.consent_at = ConsentState.DECLINED, utcnow()
                user.language = user.username = user.start_payload = None
                self._enter(user, "declined")
                out.add(
                    _(
                        "Understood. I have stored nothing about you except this refusal. If you "
                        "change your mind, scan the code again."
                    )
                )
                if self.on_language:
                    self.on_language(user_id, None)
            elif step == CONSENT and value == "yes":
                out.replies.append(self._answered(self._consent_prompt(user, event), "I agree"))
                user.consent, user.consent_at = ConsentState.GIVEN, utcnow()
                user.start_payload = f"{EVENT_PREFIX}{event.code}"
                user.username = username[:64] if username else None
                if profile is None:
                    profile = Profile(user_id=user_id)
                    session.add(profile)
                await session.flush()
                await self._attend(session, event, user_id, quick=True)
                missing = _missing(profile)
                if missing:
                    self._enter(user, missing[0], {"event": event.id, "steps": missing})
                    out.replies.append(self._question(user, profile))
                else:
                    replies, notices = await self._after_join(session, event, user, profile)
                    out.replies.extend(replies)
            elif step == "q_country" and profile is not None and value in self.eligible:
                out.replies.append(
                    self._answered(self._question(user, profile), country_name(value), raw=True)
                )
                profile.country = value
                notices = await self._next_step(session, event, user, profile, out)
            else:
                return stale, []
            _continue_in_place(out)
            user.state_data = {**user.state_data, "last": data}
            await session.commit()
        return out, notices

    @property
    def eligible(self) -> tuple[str, ...]:
        """Countries whose organisations can sign up."""
        return self.settings.eligible_countries

    @staticmethod
    def _answered(reply: Reply, label: str, raw: bool = False) -> Reply:
        """The pressed question with its answer instead of its buttons."""
        shown = label if raw else _(label)
        return Reply(reply.text + "\n\n✅ " + esc(shown), edit=True)

    async def _signup_text(
        self, session: AsyncSession, user: User, profile: Profile, text: str
    ) -> tuple[Outcome, list[Notice]]:
        out = Outcome()
        event = await self._event_of_state(session, user)
        if event is None:
            self._enter(user, DONE)
            return out.add(_("Send /start to continue.")), []
        state = user.state
        try:
            if state == "q_name":
                profile.name, profile.organisation = _name_and_organisation(text)
            elif state == "q_country":
                match = geo.resolve_country(text[:100], self.eligible)
                if not (match.code and match.eligible):
                    out.replies.append(self._unknown_country(user, text, match))
                    return out, []
                profile.country = match.code
            elif state in ("q_offers", "q_seeks"):
                key = state[2:]
                value = clean_text(text, limit=LIMITS[key], single_line=False, min_letters=3)
                setattr(profile, key, value)
        except InputError as exc:
            out.replies.append(self._question(user, profile, str(exc)))
            return out, []
        notices = await self._next_step(session, event, user, profile, out)
        return out, notices

    def _unknown_country(self, user: User, text: str, match: geo.CountryMatch) -> Reply:
        message = country_problem(text, match, self.eligible)
        return Reply(
            message + "\n\n" + _("Please choose your country below or type its name."),
            self._country_keyboard(user, first=match.suggestions),
        )

    async def _next_step(
        self, session: AsyncSession, event: Event, user: User, profile: Profile, out: Outcome
    ) -> list[Notice]:
        """After an answer: the next missing question, or done and the first proposals."""
        profile.updated_at = utcnow()
        missing = _missing(profile)
        if missing:
            steps = user.state_data.get("steps") or list(SIGNUP)
            self._enter(user, missing[0], {"event": event.id, "steps": steps})
            out.replies.append(self._question(user, profile))
            return []
        self._enter(user, DONE, {"event": event.id})
        await session.flush()
        text = (
            _("Thank you, {name}! You are signed up for {event}.").format(
                name=esc(profile.name or ""), event=f"<b>{esc(event.name)}</b>"
            )
            + "\n\n"
            + _(
                "You can complete your full ClusterXchange profile later (send /start) to be "
                "matched for an exchange visit abroad as well."
            )
        )
        cards = await self._first_cards(session, event, user.id)
        out.replies.extend(_with_cards(text, cards))
        return await self._push_newcomer(session, event, user.id)

    # ================================================================ proposals

    async def _index(self, session: AsyncSession, event_id: int) -> _Index:
        """The engine's index over the attendees, brought up to date when someone joins,
        leaves or changes their profile.

        Only what changed is read again (an event's door rush would otherwise load every
        attendee as ORM objects on every sign-up): a cheap aggregate says whether anything
        changed, then each attendee's profile version (plain rows) says who, and only their
        rows are loaded. The engine then re-extracts only new texts (the vocabulary remembers
        the others). Everything is read again after ``INDEX_REFRESH`` seconds, which also
        picks up changes of the user rows (language, username).
        """
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
                if _missing(profile):
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
                MatchIndex,
                participants,
                self.vocabulary,
                today=self.clock.today(),
                scheme_rules=False,
            )
            built = _Index(index, ready, versions, fingerprint, monotonic())
            self._indexes[event_id] = built
            return built

    async def _first_cards(self, session: AsyncSession, event: Event, user_id: int) -> list[Reply]:
        """The first proposal card right after joining (or why there is none yet)."""
        card = await self._next_card(session, event, user_id)
        if card is not None:
            return [card]
        return [
            Reply(
                _(
                    "You are one of the first here. I will send you proposals as soon as "
                    "people who fit you arrive."
                )
            )
        ]

    async def _next_card(
        self, session: AsyncSession, event: Event, user_id: int, skip: int | None = None
    ) -> Reply | None:
        """A waiting request to this user first, then the best new person at the event."""
        built = await self._index(session, event.id)
        if user_id not in built.profiles:
            return None
        mine = await repo_events.matches_of(session, event_id=event.id, user_id=user_id)
        waiting = [
            m
            for m in mine
            if m.id != skip
            and m.matched_at is None
            and _side(m, user_id) in (Side.NEW, Side.SHOWN)
            and _other_side(m, user_id) != Side.DECLINED
            and _other(m, user_id) in built.profiles
        ]
        waiting.sort(key=lambda m: (_other_side(m, user_id) != Side.INTERESTED, -m.score))
        if waiting:
            match = waiting[0]
        else:
            seen = {str(_other(m, user_id)) for m in mine}
            best = built.index.propose(str(user_id), 1, exclude=seen)
            if not best:
                return None
            a, b = sorted((user_id, int(best[0].key)))
            match = EventMatch(event_id=event.id, a_id=a, b_id=b, score=best[0].score)
            session.add(match)
        _set_side(match, user_id, Side.SHOWN)
        await session.flush()
        return self._card(built, event, match, user_id)

    async def _push_newcomer(
        self, session: AsyncSession, event: Event, newcomer: int
    ) -> list[Notice]:
        """People whose cards are all answered hear about a newcomer who fits them well."""
        built = await self._index(session, event.id)
        notices: list[Notice] = []
        for proposal in built.index.propose(str(newcomer), 3):
            other = int(proposal.key)
            if await repo_events.has_open_card(session, event_id=event.id, user_id=other):
                continue
            mine = await repo_events.matches_of(session, event_id=event.id, user_id=other)
            pair = [m for m in mine if _other(m, other) == newcomer]
            if pair and _side(pair[0], other) != Side.NEW:
                continue  # already in front of them, or answered
            if pair:
                match = pair[0]  # the newcomer's first card: show it to the other side too
            else:
                a, b = sorted((other, newcomer))
                match = EventMatch(event_id=event.id, a_id=a, b_id=b, score=proposal.score)
                session.add(match)
            _set_side(match, other, Side.SHOWN)
            await session.flush()
            user = built.profiles[other][0]
            with use_language(language_of(user)):
                notices.append(
                    Notice(
                        other,
                        [self._card(built, event, match, other, _("Someone new at the event:"))],
                    )
                )
        return notices

    def _card(
        self, built: _Index, event: Event, match: EventMatch, reader: int, intro: str = ""
    ) -> Reply:
        other = _other(match, reader)
        peer = built.profiles[other][1]
        index = built.index
        reasons = index.reasons(index.position[str(reader)], index.position[str(other)])
        why = explain(reasons, self.vocabulary, current_language(), exchange=False)
        lines = [
            *([intro, ""] if intro else []),
            f"👤 <b>{esc(peer.name or '')}</b> · {esc(peer.organisation or '')}",
            f"📍 {esc(country_name(peer.country or ''))}",
            "",
            "<b>" + esc(_("Offers")) + ":</b> " + esc(peer.offers or ""),
            "<b>" + esc(_("Seeks")) + ":</b> " + esc(peer.seeks or ""),
            "",
            "<b>" + esc(_("Why this match")) + "</b>",
            *("• " + esc(line) for line in why),
        ]
        if not why:
            lines.append(
                "• "
                + esc(_("Someone to widen your network at {event}.")).format(event=esc(event.name))
            )
        keyboard: Keyboard = [
            [
                Button("👍 " + _("Interested"), f"ev:i:{match.id}"),
                Button("👎 " + _("Not for me"), f"ev:n:{match.id}"),
            ]
        ]
        return Reply("\n".join(lines), keyboard)

    async def on_button(self, user_id: int, data: str) -> tuple[Outcome, list[Notice]]:
        """``ev:i|n:<match>`` (proposal answers), ``ev:m:<match>:y|n`` (did you meet?),
        ``ev:c:<match>`` (propose an exchange), ``ev:more:<event>`` (show proposals)."""
        parts = data.split(":")
        invalid = (Outcome(toast=_("This button is not valid any more.")), [])
        if len(parts) < 3 or not parts[2].isdigit():
            return invalid
        action, number = parts[1], int(parts[2])
        if action == "more":
            return await self.more(user_id, number), []
        exchange_with: tuple[int, str] | None = None
        async with self.db.session() as session:
            match = await repo_events.get_match(session, match_id=number)
            if match is None or user_id not in (match.a_id, match.b_id):
                return Outcome(toast=_("This proposal is not yours."), alert=True), []
            event = await repo_events.get_event(session, event_id=match.event_id)
            assert event is not None  # the foreign key cascades
            if action in ("i", "n"):
                result = await self._answer(session, event, match, user_id, action == "i")
            elif action == "m" and len(parts) == 4 and parts[3] in ("y", "n"):
                result = await self._met(session, event, match, user_id, parts[3] == "y")
            elif action == "c":
                other = _other(match, user_id)
                await self._index(session, event.id)  # after a restart nothing is cached
                if match.matched_at is None or not self._eligible_pair(match):
                    return invalid
                exchange_with = other, event.name
            else:
                return invalid
            await session.commit()
        if exchange_with is not None:  # the normal matching, in its own unit of work
            if self.request_exchange is None:
                return invalid
            return await self.request_exchange(user_id, *exchange_with)
        return result

    async def _answer(
        self, session: AsyncSession, event: Event, match: EventMatch, user_id: int, yes: bool
    ) -> tuple[Outcome, list[Notice]]:
        if _side(match, user_id) in (Side.INTERESTED, Side.DECLINED) or match.matched_at:
            return Outcome(toast=_("You have already answered this proposal.")), []
        built = await self._index(session, event.id)
        other = _other(match, user_id)
        if other not in built.profiles or user_id not in built.profiles:
            return Outcome(toast=_("This proposal is not available any more.")), []
        out, notices = Outcome(), []
        card = self._card(built, event, match, user_id)
        theirs = _other_side(match, user_id)
        other_user = built.profiles[other][0]
        if not yes:
            _set_side(match, user_id, Side.DECLINED)
            out.replies.append(self._answered(card, "Not for me"))
            if theirs == Side.INTERESTED:
                with use_language(language_of(other_user)):
                    notices.append(
                        Notice(
                            other,
                            [
                                Reply(
                                    _(
                                        "{organisation} cannot meet this time. /event shows "
                                        "your other proposals."
                                    ).format(
                                        organisation=esc(
                                            built.profiles[user_id][1].organisation or ""
                                        )
                                    )
                                )
                            ],
                        )
                    )
        else:
            _set_side(match, user_id, Side.INTERESTED)
            out.replies.append(self._answered(card, "Interested"))
            if theirs == Side.INTERESTED:
                match.matched_at = self.clock.now()
                match.slot_at = await self._free_slot(session, event, match)
                await session.flush()
                await self._schedule_meeting(session, event, match)
                out.replies.append(self._introduction(built, event, match, user_id))
                with use_language(language_of(other_user)):
                    notices.append(Notice(other, [self._introduction(built, event, match, other)]))
            else:
                out.add(
                    _(
                        "Noted. I will introduce you as soon as they are interested too; until "
                        "then neither side sees the other's contact."
                    )
                )
                if theirs == Side.NEW:
                    _set_side(match, other, Side.SHOWN)
                    with use_language(language_of(other_user)):
                        notices.append(
                            Notice(
                                other,
                                [
                                    self._card(
                                        built,
                                        event,
                                        match,
                                        other,
                                        _("Someone at {event} would like to meet you:").format(
                                            event=esc(event.name)
                                        ),
                                    )
                                ],
                            )
                        )
        await session.flush()
        following = await self._next_card(session, event, user_id, skip=match.id)
        if following is not None:
            out.replies.append(following)
        elif not (yes and theirs == Side.INTERESTED):
            out.add(
                _(
                    "That was everyone who fits you so far. I will tell you when someone new "
                    "arrives."
                )
            )
        return out, notices

    async def _free_slot(
        self, session: AsyncSession, event: Event, match: EventMatch
    ) -> datetime | None:
        """The first slot of the event, far enough ahead, when neither side has a meeting."""
        busy = await repo_events.busy_slots(
            session, event_id=event.id, user_ids=(match.a_id, match.b_id)
        )
        busy_utc = {as_utc(b) for b in busy}
        earliest = self.clock.now() + MEETING_LEAD
        step = timedelta(minutes=max(5, event.slot_minutes))
        day = max(event.starts_on, self.clock.today())
        while day <= event.ends_on:
            slot, end = self._local(day, event.day_start), self._local(day, event.day_end)
            while slot + step <= end:
                if slot >= earliest and slot not in busy_utc:
                    return slot.astimezone(earliest.tzinfo)
                slot += step
            day += timedelta(days=1)
        return None

    async def _schedule_meeting(
        self, session: AsyncSession, event: Event, match: EventMatch
    ) -> None:
        """The reminder before the meeting, and "did you meet?" after the event, for both."""
        after = self._local(event.ends_on, event.day_end) + MET_QUESTION_AFTER
        for user_id in (match.a_id, match.b_id):
            if match.slot_at is not None:
                session.add(
                    Reminder(
                        user_id=user_id,
                        event_match_id=match.id,
                        kind="meeting",
                        due_at=as_utc(match.slot_at) - MEETING_NOTICE,
                    )
                )
            session.add(
                Reminder(user_id=user_id, event_match_id=match.id, kind="met", due_at=after)
            )

    def _introduction(self, built: _Index, event: Event, match: EventMatch, reader: int) -> Reply:
        other = _other(match, reader)
        user, peer = built.profiles[other]
        contact = contact_link(user.id, peer.name or peer.organisation or "", user.username)
        lines = [
            _("🤝 You both want to meet: {name} from {organisation} ({country}).").format(
                name=f"<b>{esc(peer.name or '')}</b>",
                organisation=esc(peer.organisation or ""),
                country=esc(country_name(peer.country or "")),
            ),
            _("Contact: {contact}").format(contact=contact),
            "",
        ]
        if match.slot_at is not None:
            slot = as_utc(match.slot_at).astimezone(self.settings.tz)
            lines.append(
                _("🕒 Suggested meeting: {day}, {time} at {place}.").format(
                    day=format_date(slot.date(), fmt="full"),
                    time=format_time(slot),
                    place=f"<b>{esc(self._meeting_point(event))}</b>",
                )
            )
            lines.append(
                _(
                    "I will remind you 10 minutes before. Another time suits you better? "
                    "Write to each other."
                )
            )
        else:
            lines.append(
                _(
                    "No meeting slot of the event is free for both of you any more; please "
                    "write to each other to find a moment."
                )
            )
        return Reply("\n".join(lines))

    async def more(self, user_id: int, event_id: int) -> Outcome:
        """The next proposal at an event the user attends."""
        async with self.db.session() as session:
            attendee = await repo_events.get_attendee(session, event_id=event_id, user_id=user_id)
            event = await repo_events.get_event(session, event_id=event_id)
            if attendee is None or event is None:
                return Outcome(toast=_("This button is not valid any more."))
            if self._ended(event):
                return Outcome().add(_("This event is over."))
            card = await self._next_card(session, event, user_id)
            await session.commit()
        if card is None:
            return Outcome().add(
                _(
                    "That was everyone who fits you so far. I will tell you when someone new "
                    "arrives."
                )
            )
        return Outcome(replies=[card])

    # ================================================================ after the event

    def _eligible_pair(self, match: EventMatch) -> bool:
        built = self._indexes.get(match.event_id)
        if built is None:
            return False
        a = built.profiles.get(match.a_id)
        b = built.profiles.get(match.b_id)
        if a is None or b is None:
            return False
        ca, cb = a[1].country, b[1].country
        return bool(ca and cb and ca != cb and ca in self.eligible and cb in self.eligible)

    async def _met(
        self, session: AsyncSession, event: Event, match: EventMatch, user_id: int, yes: bool
    ) -> tuple[Outcome, list[Notice]]:
        if match.matched_at is None:
            return Outcome(toast=_("This button is not valid any more.")), []
        built = await self._index(session, event.id)
        if _met_of(match, user_id) is not None:
            return Outcome(toast=_("Already noted.")), []
        _set_met(match, user_id, "yes" if yes else "no")
        other = _other(match, user_id)
        peer = built.profiles.get(other)
        organisation = esc(peer[1].organisation or "") if peer else ""
        question = self._met_question(event, organisation, match.id or 0)
        out = Outcome()
        out.replies.append(
            Reply(question.text + "\n\n✅ " + esc(_("Yes, we met") if yes else _("No")), edit=True)
        )
        if not yes:
            out.add(_("Thank you for telling me."))
        elif self._eligible_pair(match):
            out.add(
                _(
                    "Glad to hear it! Your organisations are in different countries, so you can "
                    "take this further with ClusterXchange: one of you spends 3 working days to "
                    "a month with the other, with a lump sum for travel and accommodation."
                ),
                [[Button("🤝 " + _("Propose an exchange"), f"ev:c:{match.id}")]],
            )
        else:
            out.add(_("Glad to hear it! Good luck with what comes next."))
        return out, []

    def _met_question(self, event: Event, organisation: str, match_id: int) -> Reply:
        return Reply(
            _("Did you meet {organisation} at {event}?").format(
                organisation=f"<b>{organisation}</b>", event=esc(event.name)
            ),
            [
                [
                    Button("✅ " + _("Yes, we met"), f"ev:m:{match_id}:y"),
                    Button("❌ " + _("No"), f"ev:m:{match_id}:n"),
                ]
            ],
        )

    async def reminder_notices(
        self, session: AsyncSession, reminders: list[Reminder], now: datetime
    ) -> tuple[list[tuple[Notice, list[int]]], list[int]]:
        """Messages for claimed meeting reminders; the ids of obsolete ones."""
        out: list[tuple[Notice, list[int]]] = []
        obsolete: list[int] = []
        for reminder in reminders:
            rid = reminder.id or 0
            match = await repo_events.get_match(session, match_id=reminder.event_match_id or 0)
            event = await repo_events.get_event(session, event_id=match.event_id) if match else None
            if match is None or event is None or match.matched_at is None:
                obsolete.append(rid)
                continue
            built = await self._index(session, event.id)
            user_id, other = reminder.user_id, _other(match, reminder.user_id)
            if user_id not in built.profiles or other not in built.profiles:
                obsolete.append(rid)
                continue
            user = built.profiles[user_id][0]
            peer = built.profiles[other][1]
            with use_language(language_of(user)):
                reply = self._reminder_reply(event, match, reminder.kind, peer, user_id, now)
            if reply is None:
                obsolete.append(rid)
            else:
                out.append((Notice(user_id, [reply]), [rid]))
        return out, obsolete

    def _reminder_reply(
        self,
        event: Event,
        match: EventMatch,
        kind: str,
        peer: Profile,
        user_id: int,
        now: datetime,
    ) -> Reply | None:
        if kind == "meeting" and match.slot_at is not None:
            slot = as_utc(match.slot_at)
            if now >= slot + timedelta(minutes=event.slot_minutes):
                return None  # the meeting is over (the bot was down): nothing to remind of
            minutes = max(0, round((slot - now).total_seconds() / 60))
            local = slot.astimezone(self.settings.tz)
            return Reply(
                _(
                    "⏰ At {time} (in {minutes} min) you meet {name} from {organisation} at "
                    "{place}."
                ).format(
                    time=format_time(local),
                    minutes=minutes,
                    name=f"<b>{esc(peer.name or '')}</b>",
                    organisation=esc(peer.organisation or ""),
                    place=f"<b>{esc(self._meeting_point(event))}</b>",
                )
            )
        if kind == "met" and _met_of(match, user_id) is None:
            return self._met_question(event, esc(peer.organisation or ""), match.id or 0)
        return None

    # ================================================================ attendees' overview

    async def attendee_overview(self, user_id: int) -> Outcome | None:
        """``/event`` for an attendee: their events, agreed meetings, more proposals."""
        async with self.db.session() as session:
            events = await repo_events.events_of_attendee(session, user_id=user_id)
            if not events:
                return None
            out = Outcome()
            for event in events[:3]:
                built = await self._index(session, event.id)
                mine = await repo_events.matches_of(session, event_id=event.id, user_id=user_id)
                meetings = sorted(
                    (m for m in mine if m.matched_at is not None),
                    key=lambda m: (m.slot_at is None, m.slot_at or m.matched_at),
                )
                lines = [
                    f"📅 <b>{esc(event.name)}</b>",
                    f"{self._when(event)} · {esc(event.city)}",
                    _("Meeting point: {place}").format(place=esc(self._meeting_point(event))),
                ]
                if meetings:
                    lines += ["", "<b>" + esc(_("Your meetings")) + "</b>"]
                for m in meetings:
                    peer = built.profiles.get(_other(m, user_id))
                    who = (
                        f"{esc(peer[1].name or '')} ({esc(peer[1].organisation or '')})"
                        if peer
                        else "–"
                    )
                    when = (
                        format_date(as_utc(m.slot_at).astimezone(self.settings.tz).date())
                        + ", "
                        + format_time(as_utc(m.slot_at).astimezone(self.settings.tz))
                        if m.slot_at
                        else _("time to be agreed")
                    )
                    lines.append(f"• {when}: {who}")
                keyboard = None
                if not self._ended(event):
                    keyboard = [[Button("👥 " + _("Show proposals"), f"ev:more:{event.id}")]]
                out.add("\n".join(lines), keyboard)
            return out

    # ================================================================ staff: /newevent

    async def _scope(self, session: AsyncSession, user_id: int) -> Scope:
        return await self.partnerships.scope(session, user_id)

    async def new_event(self, user_id: int) -> Outcome:
        """``/newevent``: which partnership (when several), then the event's name."""
        async with self.db.session() as session:
            scope = await self._scope(session, user_id)
            if not scope.is_staff:
                return self.partnerships.refuse_command(user_id, "newevent")
            choices = [p for p in await repo.partnerships(session) if scope.covers(p.id)]
            if not choices:
                return Outcome().add(
                    _("There is no partnership yet. Create one first with /newpartnership.")
                )
            user = await self._user(session, user_id)
            if len(choices) == 1:
                self._enter(user, "evn_name", {"p": choices[0].id})
                out = Outcome().add(self._create_prompt(user))
            else:
                self._enter(user, PICK, {})
                v = user.state_version
                out = Outcome().add(
                    _("For which partnership is the event?"),
                    [[Button(p.name, f"en:{v}:evn_pick:{p.id}")] for p in choices],
                )
            await session.commit()
            return out

    def _create_prompt(self, user: User, prefix: str = "") -> str:
        """The question of the current /newevent step."""
        state = user.state
        number = f"<i>{CREATE.index(state) + 1}/{len(CREATE)}</i>  " if state in CREATE else ""
        texts = {
            "evn_name": _("What is the event called?"),
            "evn_dates": _(
                "When does it take place? One day (<i>12.5.2027</i>) or the first and last "
                "day (<i>12.5.2027 – 13.5.2027</i>)."
            ),
            "evn_city": _("In which city is the venue?"),
            "evn_desc": _("A short description for the attendees (optional)."),
            "evn_point": _(
                "Where should matched attendees meet? For example <i>Stand B12, Hall 3</i>."
            ),
            "evn_hours": _(
                "Meeting hours and slot length, e.g. <i>09:00-17:00 20</i> for 20-minute "
                "meetings from 9 to 5."
            ),
        }
        text = texts.get(state, _("Send /start to continue."))
        return (prefix + "\n\n" if prefix else "") + number + text + "\n" + _("/cancel stops.")

    def _create_keyboard(self, user: User) -> Keyboard | None:
        v = user.state_version
        if user.state == "evn_desc":
            return [[Button(_("Skip"), f"en:{v}:evn_desc:skip")]]
        if user.state == "evn_point":
            return [[Button(_("The registration desk"), f"en:{v}:evn_point:skip")]]
        if user.state == "evn_hours":
            return [[Button("09:00–17:00 · 20 min", f"en:{v}:evn_hours:skip")]]
        return None

    async def _create_typed(
        self, session: AsyncSession, user: User, text: str, bot_username: str | None
    ) -> Outcome:
        state, data = user.state, dict(user.state_data)
        try:
            if state == "evn_name":
                data["name"] = clean_text(text, limit=120, single_line=True, min_letters=3)
            elif state == "evn_dates":
                start, end = self._event_dates(text)
                data["start"], data["end"] = start.isoformat(), end.isoformat()
            elif state == "evn_city":
                data["city"] = clean_text(text, limit=80, single_line=True, min_letters=2)
            elif state == "evn_desc":
                data["desc"] = clean_text(text, limit=1000, min_letters=3)
            elif state == "evn_point":
                data["point"] = clean_text(text, limit=200, single_line=True, min_letters=2)
            elif state == "evn_hours":
                data["hours"] = _parse_hours(text)
        except InputError as exc:
            return Outcome().add(self._create_prompt(user, str(exc)), self._create_keyboard(user))
        return await self._create_next(session, user, data, bot_username)

    async def _create_next(
        self, session: AsyncSession, user: User, data: dict, bot_username: str | None
    ) -> Outcome:
        step = CREATE.index(user.state) if user.state in CREATE else -1
        if step + 1 < len(CREATE):
            self._enter(user, CREATE[step + 1], data)
            return Outcome().add(self._create_prompt(user), self._create_keyboard(user))
        return await self._create(session, user, data, bot_username)

    def _event_dates(self, text: str) -> tuple[date, date]:
        parts = [p for p in re.split(r"\s+(?:-|–|—|to|bis)\s+|\s*[–—]\s*", text.strip()) if p]
        if len(parts) not in (1, 2):
            raise InputError(_("Please write one date, or the first and last day."))
        start = parse_date(parts[0])
        end = parse_date(parts[-1])
        if end < start:
            raise InputError(_("The last day is before the first day."))
        if start < self.clock.today():
            raise InputError(_("That date is in the past."))
        if (end - start).days + 1 > MAX_EVENT_DAYS:
            raise InputError(
                _("An event can last at most {days} days.").format(days=MAX_EVENT_DAYS)
            )
        return start, end

    async def _create(
        self, session: AsyncSession, user: User, data: dict, bot_username: str | None
    ) -> Outcome:
        start, end = data.get("start"), data.get("end")
        if not (data.get("name") and start and end and data.get("city") and data.get("p")):
            self._enter(user, "idle")
            return Outcome().add(_("Something was missing. Please start again with /newevent."))
        day_start, day_end, minutes = data.get("hours") or ("09:00", "17:00", 20)
        event = Event(
            code=secrets.token_urlsafe(CODE_BYTES),
            partnership_id=data["p"],
            created_by=user.id,
            name=data["name"],
            starts_on=date.fromisoformat(start),
            ends_on=date.fromisoformat(end),
            city=data["city"],
            description=data.get("desc") or "",
            meeting_point=data.get("point") or "",
            day_start=day_start,
            day_end=day_end,
            slot_minutes=minutes,
        )
        session.add(event)
        await session.flush()
        self._enter(user, "idle")
        out = Outcome().add(
            _("✅ The event {event} is ready.").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + _("Attendees join by scanning the QR code or opening this link: {link}").format(
                link=self.link(event, bot_username)
            )
            + "\n\n"
            + _("/event shows live figures; /broadcast sends a message to everyone who joined.")
        )
        out.replies.extend(await self._media(event, bot_username))
        return out

    async def _media(self, event: Event, bot_username: str | None) -> list[Reply]:
        """The QR code (PNG) and the A4 poster (PDF) of the event's link."""
        link = self.link(event, bot_username)
        when, where = self._when(event), event.city
        png = await asyncio.to_thread(event_media.qr_png, link)
        pdf = await asyncio.to_thread(
            event_media.poster_pdf,
            event_name=event.name,
            when=when,
            where=where,
            link=link,
            instructions=list(SIGNUP_INSTRUCTIONS),
        )
        return [
            Reply(
                document=Document(
                    f"event-{event.id}-qr.png",
                    png,
                    caption=_("QR code for {event}").format(event=event.name),
                    photo=True,
                )
            ),
            Reply(
                document=Document(
                    f"event-{event.id}-poster.pdf",
                    pdf,
                    caption=_("Poster to print (A4) for {event}").format(event=event.name),
                )
            ),
        ]

    async def on_create_button(self, user_id: int, data: str, bot_username: str | None) -> Outcome:
        """``en:<version>:<step>:<value>``: partnership choice and the defaults of /newevent."""
        parts = data.split(":", 3)
        stale = Outcome(toast=_("This button is not valid any more."))
        if len(parts) != 4 or not parts[1].isdigit():
            return stale
        _en, version, step, value = parts
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
            if user is None or int(version) != user.state_version or step != user.state:
                return Outcome(toast=_("That button belongs to an earlier question."))
            scope = await self._scope(session, user_id)
            data_now = dict(user.state_data)
            if step == PICK and value.isdigit() and scope.covers(int(value)):
                self._enter(user, "evn_name", {"p": int(value)})
                out = Outcome().add(self._create_prompt(user))
            elif step in ("evn_desc", "evn_point", "evn_hours") and value == "skip":
                out = await self._create_next(session, user, data_now, bot_username)
            else:
                return stale
            await session.commit()
            return out

    # ================================================================ staff: /event

    async def staff_events(self, session: AsyncSession, scope: Scope) -> list[Event]:
        """The events a staff member may see."""
        return await repo_events.events_of_partnerships(
            session, partnership_ids=None if scope.admin else scope.ids
        )

    async def overview(self, user_id: int) -> Outcome:
        """``/event``: staff see their events with live figures; attendees their meetings."""
        async with self.db.session() as session:
            scope = await self._scope(session, user_id)
            events = await self.staff_events(session, scope) if scope.is_staff else []
            cards = [await self._figures_card(session, e) for e in events[:10]]
        out = Outcome(replies=cards)
        if scope.is_staff and not events:
            out.add(_("No events yet. /newevent creates one."))
        attendee = await self.attendee_overview(user_id)
        if attendee is not None:
            out.replies.extend(attendee.replies)
        if not out.replies:
            out.add(
                _(
                    "You have not joined an event yet. At an event, scan its QR code to meet the "
                    "people there."
                )
            )
        return out

    async def _figures_card(self, session: AsyncSession, event: Event) -> Reply:
        f = Figures(*await repo_events.figures(session, event_id=event.id))
        status = (
            _("over")
            if self._ended(event)
            else (_("on now") if self._running(event) else _("upcoming"))
        )
        text = "\n".join(
            [
                f"📅 <b>{esc(event.name)}</b> · #{event.id} · {status}",
                f"{self._when(event)} · {esc(event.city)}",
                "",
                _("Signed up: {n}").format(n=f.signed_up),
                _("Checked in: {n}").format(n=f.checked_in),
                _("Proposals made: {n}").format(n=f.proposals),
                _("Meetings agreed: {n}").format(n=f.meetings),
            ]
        )
        eid = event.id
        keyboard = [
            [
                Button("🔄 " + _("Refresh"), f"es:f:{eid}"),
                Button("📣 " + _("Broadcast"), f"es:b:{eid}"),
            ],
            [
                Button("📥 " + _("Export CSV"), f"es:csv:{eid}"),
                Button("📈 " + _("Sign-ups chart"), f"es:ch:{eid}"),
            ],
            [Button("🖨 " + _("QR code and poster"), f"es:qr:{eid}")],
        ]
        return Reply(text, keyboard)

    async def _staff_event(
        self, session: AsyncSession, user_id: int, event_id: int
    ) -> Event | None:
        """The event if this staff member may act on it."""
        event = await repo_events.get_event(session, event_id=event_id)
        scope = await self._scope(session, user_id)
        if event is None or not scope.covers(event.partnership_id):
            return None
        return event

    async def on_staff_button(
        self, user_id: int, data: str, bot_username: str | None
    ) -> tuple[Outcome, BroadcastPlan | None]:
        """``es:<action>:<event>``: refresh, export, chart, QR and poster, broadcast."""
        parts = data.split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            return Outcome(toast=_("This button is not valid any more.")), None
        action, event_id = parts[1], int(parts[2])
        async with self.db.session() as session:
            event = await self._staff_event(session, user_id, event_id)
            if event is None:
                return self.partnerships.refuse(user_id, action, f"event {event_id}"), None
            if action == "f":
                card = await self._figures_card(session, event)
                card.edit = True
                return Outcome(replies=[card], toast=_("Updated.")), None
            if action == "csv":
                return Outcome(replies=await self._export(session, event)), None
            if action == "ch":
                return Outcome(replies=[await self._chart(session, event)]), None
            if action == "qr":
                return Outcome(replies=await self._media(event, bot_username)), None
            if action == "b":
                return await self._ask_broadcast(session, user_id, event), None
            if action == "bs":
                user = await repo.get_user(session, user_id=user_id)
                text = (user.state_data.get("text") if user else None) or ""
                if user is None or user.state_data.get("event") != event.id or not text:
                    return Outcome(toast=_("This button is not valid any more.")), None
                self._enter(user, "idle")
                plan = await self._plan(session, event, text, current_language())
                await session.commit()
                return Outcome(replies=[Reply(_("Sending…"), edit=True)]), plan
            if action == "bx":
                user = await repo.get_user(session, user_id=user_id)
                if user is not None and user.state == BROADCAST:
                    self._enter(user, "idle")
                    await session.commit()
                return Outcome(replies=[Reply(_("Broadcast cancelled."), edit=True)]), None
        return Outcome(toast=_("This button is not valid any more.")), None

    async def _export(self, session: AsyncSession, event: Event) -> list[Reply]:
        people = await repo_events.attendees(session, event_id=event.id)
        tz = self.settings.tz
        attendee_rows = [
            [
                p.name or "",
                p.organisation or "",
                p.country or "",
                _stamp(a.joined_at, tz),
                _stamp(a.checked_in_at, tz),
                "quick" if a.quick else "registered",
                "yes" if p.completed_at else "no",
                p.offers or "",
                p.seeks or "",
            ]
            for a, _u, p in people
        ]
        names = {u.id: p for _a, u, p in people}
        meeting_rows = []
        for m in await repo_events.meetings(session, event_id=event.id):
            a, b = names.get(m.a_id), names.get(m.b_id)
            meeting_rows.append(
                [
                    _stamp(m.slot_at, tz),
                    self._meeting_point(event) if m.slot_at else "",
                    a.name if a else "",
                    a.organisation if a else "",
                    a.country if a else "",
                    b.name if b else "",
                    b.organisation if b else "",
                    b.country if b else "",
                    m.a_met or "",
                    m.b_met or "",
                ]
            )
        attendees_csv = csv_bytes(
            [
                "name",
                "organisation",
                "country",
                "signed_up_at",
                "checked_in_at",
                "joined_as",
                "full_profile",
                "offers",
                "seeks",
            ],
            attendee_rows,
        )
        meetings_csv = csv_bytes(
            [
                "slot",
                "meeting_point",
                "a_name",
                "a_organisation",
                "a_country",
                "b_name",
                "b_organisation",
                "b_country",
                "a_met",
                "b_met",
            ],
            meeting_rows,
        )
        return [
            Reply(
                document=Document(
                    f"event-{event.id}-attendees.csv",
                    attendees_csv,
                    caption=_("Attendees of {event}: {n}").format(
                        event=event.name, n=len(attendee_rows)
                    ),
                )
            ),
            Reply(
                document=Document(
                    f"event-{event.id}-meetings.csv",
                    meetings_csv,
                    caption=_("Meetings agreed at {event}: {n}").format(
                        event=event.name, n=len(meeting_rows)
                    ),
                )
            ),
        ]

    async def _chart(self, session: AsyncSession, event: Event) -> Reply:
        people = await repo_events.attendees(session, event_id=event.id)
        times = [as_utc(a.joined_at) for a, _u, _p in people]
        png = await asyncio.to_thread(
            charts.timeline_chart_png,
            _("Sign-ups: {event}").format(event=event.name),
            times,
            tz=self.settings.tz,
            ylabel=_("Attendees"),
            empty_text=_("No sign-ups yet"),
        )
        return Reply(
            document=Document(
                f"event-{event.id}-signups.png",
                png,
                caption=_("Sign-ups over time: {n}").format(n=len(times)),
                photo=True,
            )
        )

    # ================================================================ staff: /broadcast

    async def broadcast(self, user_id: int, argument: str | None) -> Outcome:
        """``/broadcast [event]``: which event (number or code), then the message."""
        async with self.db.session() as session:
            scope = await self._scope(session, user_id)
            if not scope.is_staff:
                return self.partnerships.refuse_command(user_id, "broadcast")
            events = await self.staff_events(session, scope)
            wanted = (argument or "").strip().lstrip("#")
            chosen = [
                e
                for e in events
                if wanted and (str(e.id) == wanted or e.code == wanted.removeprefix(EVENT_PREFIX))
            ]
            if not chosen:
                if not events:
                    return Outcome().add(_("No events yet. /newevent creates one."))
                text = (
                    _("Which event? Send /broadcast followed by its number:")
                    + "\n"
                    + "\n".join(f"#{e.id} {esc(e.name)} ({self._when(e)})" for e in events[:10])
                )
                if wanted:
                    text = _("I found no event “{event}” of yours.").format(event=esc(wanted)) + (
                        "\n\n" + text
                    )
                return Outcome().add(
                    text,
                    [[Button("📣 " + e.name[:40], f"es:b:{e.id}")] for e in events[:10]],
                )
            out = await self._ask_broadcast(session, user_id, chosen[0])
            await session.commit()
            return out

    async def _ask_broadcast(self, session: AsyncSession, user_id: int, event: Event) -> Outcome:
        signed = (await repo_events.figures(session, event_id=event.id))[0]
        user = await self._user(session, user_id)
        self._enter(user, BROADCAST, {"event": event.id})
        await session.commit()
        return Outcome().add(
            _(
                "Type the message for the {n} attendees of {event}. They receive it with the "
                "event's name above it. /cancel stops."
            ).format(n=signed, event=f"<b>{esc(event.name)}</b>")
        )

    async def _broadcast_text(self, session: AsyncSession, user: User, text: str) -> Outcome:
        event = await self._event_of_state(session, user)
        if event is None or not (await self._scope(session, user.id)).covers(event.partnership_id):
            self._enter(user, "idle")
            return Outcome().add(_("This button is not valid any more."))
        try:
            message = clean_text(text, limit=3500, min_letters=2)
        except InputError as exc:
            return Outcome().add(str(exc))
        signed = (await repo_events.figures(session, event_id=event.id))[0]
        user.state_data = {**user.state_data, "text": message}
        self._bump(user)
        preview = self._broadcast_message(event, message)
        return Outcome().add(
            _("This is what {n} attendees will receive:").format(n=signed) + "\n\n" + preview,
            [
                [
                    Button("📣 " + _("Send"), f"es:bs:{event.id}"),
                    Button(_("Cancel"), f"es:bx:{event.id}"),
                ]
            ],
        )

    def _broadcast_message(self, event: Event, text: str) -> str:
        return (
            "📣 "
            + _("From the organisers of {event}:").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + esc(text)
        )

    async def _plan(
        self, session: AsyncSession, event: Event, text: str, staff_language: str
    ) -> BroadcastPlan:
        plan = BroadcastPlan(event.id or 0, event.name, staff_language=staff_language)
        for _a, user, _p in await repo_events.attendees(session, event_id=event.id):
            with use_language(language_of(user)):
                plan.messages.append((user.id, self._broadcast_message(event, text)))
        return plan

    @staticmethod
    def progress_text(plan: BroadcastPlan, done: int, sent: int, blocked: int, failed: int) -> str:
        """The staff's progress message (in their language: the caller sets it)."""
        total = len(plan.messages)
        if done < total:
            return _("📣 Sending to the attendees of {event}: {done} of {total}…").format(
                event=f"<b>{esc(plan.event_name)}</b>", done=done, total=total
            )
        return (
            _("📣 Broadcast to {event} finished.").format(event=f"<b>{esc(plan.event_name)}</b>")
            + "\n"
            + _("Sent: {sent} · blocked the bot: {blocked} · failed: {failed}").format(
                sent=sent, blocked=blocked, failed=failed
            )
        )

    # ================================================================ typed text and /cancel

    async def on_text(
        self, user_id: int, text: str, bot_username: str | None = None
    ) -> tuple[Outcome, list[Notice]]:
        """A typed answer in one of ``STATES``."""
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if user is None or user.state not in STATES:
                return Outcome().add(_("Send /start to continue.")), []
            notices: list[Notice] = []
            if user.state in SIGNUP and profile is not None:
                out, notices = await self._signup_text(session, user, profile, text)
            elif user.state in CREATE:
                out = await self._create_typed(session, user, text, bot_username)
            elif user.state == BROADCAST:
                out = await self._broadcast_text(session, user, text)
            elif user.state == CONSENT:
                event = await self._event_of_state(session, user)
                out = Outcome()
                if event is not None:
                    prompt = self._consent_prompt(user, event)
                    prompt.text = _("Please use the buttons below.") + "\n\n" + prompt.text
                    out.replies.append(prompt)
                else:
                    out.add(_("Send /start to continue."))
            elif user.state == PICK:
                out = Outcome().add(_("Please use the buttons below."))
            else:  # DONE: signed up at an event, no question open
                out = Outcome().add(self.done_help())
            await session.commit()
            return out, notices

    def done_help(self) -> str:
        """What someone signed up through an event can do."""
        return "\n".join(
            [
                _("Here is what I can do:"),
                _("/event: your event, your meetings and more proposals"),
                _("/start: complete your ClusterXchange profile for an exchange visit"),
                _("/language: English or Deutsch"),
                _("/privacy: what I store and why"),
                _("/deleteme: erase all your data"),
            ]
        )

    async def other_input(self, user_id: int) -> Outcome:
        """A sticker, photo or file while a question of this service is open."""
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        if user is not None and user.state in SIGNUP and profile is not None:
            return Outcome(
                replies=[
                    self._question(
                        user, profile, _("I can only read text here. Please type your answer.")
                    )
                ]
            )
        if user is not None and user.state in TYPED:
            return Outcome().add(_("I can only read text here. Please type your answer."))
        return Outcome().add(self.done_help())

    async def cancel(self, user_id: int) -> Outcome:
        """``/cancel`` during /newevent, a broadcast or the quick sign-up."""
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
            if user is None:
                return Outcome().add(_("There is nothing to cancel."))
            if user.state in SIGNUP or user.state == CONSENT:
                text = _("Sign-up paused. Scan the code again or send /start to continue.")
                # The question stays: /start asks it again.
                self._bump(user)
            elif user.state == DONE:
                return Outcome().add(_("There is nothing to cancel."))
            else:
                self._enter(user, "idle")
                text = _("Cancelled. Nothing was sent or created.")
            await session.commit()
        return Outcome().add(text)


# ==================================================================== pure helpers


def _missing(profile: Profile) -> list[str]:
    """Sign-up questions without an answer yet."""
    missing = []
    if not (profile.name and profile.organisation):
        missing.append("q_name")
    if not profile.country:
        missing.append("q_country")
    if not profile.offers:
        missing.append("q_offers")
    if not profile.seeks:
        missing.append("q_seeks")
    return missing


def _name_and_organisation(text: str) -> tuple[str, str]:
    """ "Anna Schmidt, Textilwerk GmbH" → name and organisation (other separators work too)."""
    parts = [p for p in _NAME_SPLIT.split(text.strip(), maxsplit=1) if p.strip()]
    if len(parts) != 2:
        raise InputError(
            _(
                "Please write your name and your organisation separated by a comma, e.g. "
                "“Anna Schmidt, Textilwerk GmbH”."
            )
        )
    name = clean_text(parts[0], limit=LIMITS["name"], single_line=True, min_letters=2)
    organisation = clean_text(
        parts[1], limit=LIMITS["organisation"], single_line=True, min_letters=2
    )
    return name, organisation


def _parse_hours(text: str) -> tuple[str, str, int]:
    """ "9-17 20" or "09:00–17:30, 15 min" → ("09:00", "17:30", 15)."""
    match = _HOURS.match(text.replace("–", "-").replace("—", "-"))
    error = InputError(
        _(
            "Please write the hours and the slot length like this: 09:00-17:00 20 (slots from "
            "5 to 120 minutes)."
        )
    )
    if match is None:
        raise error
    h1, m1, h2, m2, minutes = match.groups()
    start = (int(h1), int(m1 or 0))
    end = (int(h2), int(m2 or 0))
    length = int(minutes or 20)
    if not (0 <= start[0] <= 23 and 0 <= end[0] <= 24 and start[1] < 60 and end[1] < 60):
        raise error
    if end[0] == 24:
        end = (23, 59)
    if end <= start or not 5 <= length <= 120:
        raise error
    if (end[0] * 60 + end[1]) - (start[0] * 60 + start[1]) < length:
        raise error
    return f"{start[0]:02d}:{start[1]:02d}", f"{end[0]:02d}:{end[1]:02d}", length


def _stamp(value: datetime | None, tz: object) -> str:
    if value is None:
        return ""
    return as_utc(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def _side(m: EventMatch, user_id: int) -> str:
    return m.a_status if user_id == m.a_id else m.b_status


def _other_side(m: EventMatch, user_id: int) -> str:
    return m.b_status if user_id == m.a_id else m.a_status


def _other(m: EventMatch, user_id: int) -> int:
    return m.b_id if user_id == m.a_id else m.a_id


def _set_side(m: EventMatch, user_id: int, status: str) -> None:
    if user_id == m.a_id:
        m.a_status = status
    else:
        m.b_status = status


def _met_of(m: EventMatch, user_id: int) -> str | None:
    return m.a_met if user_id == m.a_id else m.b_met


def _set_met(m: EventMatch, user_id: int, value: str) -> None:
    if user_id == m.a_id:
        m.a_met = value
    else:
        m.b_met = value


def _continue_in_place(out: Outcome) -> None:
    """A pressed sign-up button (consent, country): the pressed message is edited to show the
    answer *and* what follows, instead of an edit plus a new message. One message fewer per
    button at the door, where a crowd reaches Telegram's ~30 new messages per second (edits
    are not part of that budget), and a tidier chat: each answer sits under its question."""
    if len(out.replies) < 2:
        return
    answered, following = out.replies[0], out.replies[1]
    if answered.edit and not following.edit and following.document is None:
        out.replies[:2] = [
            Reply(answered.text + "\n\n" + following.text, following.keyboard, edit=True)
        ]


def _with_cards(text: str, cards: list[Reply]) -> list[Reply]:
    """A confirmation and the first proposal card; "no proposals yet" joins the confirmation
    (a card stays a message of its own: its buttons edit it when answered)."""
    if len(cards) == 1 and cards[0].keyboard is None:
        return [Reply(text + "\n\n" + cards[0].text)]
    return [Reply(text), *cards]


__all__ = ["EVENT_PREFIX", "STATES", "BroadcastPlan", "Events"]
