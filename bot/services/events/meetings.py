"""Proposals between the people at an event: cards, mutual interest, a meeting slot at the
meeting point with a reminder 10 minutes before, "did you meet?" after the event, and the
way from a meeting to a ClusterXchange exchange."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import (
    _,
    country_name,
    current_language,
    format_date,
    format_time,
    language_of,
    use_language,
)
from bot.matching.explain import explain
from bot.services.events import callbacks
from bot.services.events.base import EventsBase
from bot.services.events.index import Built
from bot.services.ui import (
    Button,
    Keyboard,
    Notice,
    Outcome,
    Reply,
    contact_link,
    esc,
    stale_button,
)
from bot.services.unit import Unit
from storage import repo, repo_delivery, repo_events
from storage.models import Event, EventMatch, Profile, Reminder, as_utc
from storage.models import ProposalSide as Side

MEETING_NOTICE = timedelta(minutes=10)  # the reminder before a meeting
MEETING_LEAD = timedelta(minutes=15)  # the first slot offered is at least this far ahead
MET_QUESTION_AFTER = timedelta(minutes=30)  # after the last slot of the event
EVERYONE_SEEN = "That was everyone who fits you so far. I will tell you when someone new arrives."


@dataclass(frozen=True)
class ExchangeRequest:
    """Someone met at the event, proposed for a ClusterXchange exchange (the matching's)."""

    other_id: int
    event_name: str


@dataclass
class Pressed:
    """The reply to an attendee's button, or an exchange request for the matching."""

    out: Outcome
    exchange: ExchangeRequest | None = None


class MeetingsMixin(EventsBase):
    """Event proposals and meetings."""

    async def _first_cards(self, unit: Unit, event: Event, user_id: int) -> list[Reply]:
        """The first proposal card right after joining (or why there is none yet)."""
        card = await self._next_card(unit, event, user_id)
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
        self, unit: Unit, event: Event, user_id: int, skip: int | None = None
    ) -> Reply | None:
        """A waiting request to this user first, then the best new person at the event."""
        built = await self._index(unit, event.id or 0)
        if user_id not in built.profiles:
            return None
        session = unit.session
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
            match = EventMatch(event_id=event.id or 0, a_id=a, b_id=b, score=best[0].score)
            session.add(match)
        _set_side(match, user_id, Side.SHOWN)
        await session.flush()
        return self._card(built, event, match, user_id)

    async def _push_newcomer(self, unit: Unit, event: Event, newcomer: int) -> None:
        """People whose cards are all answered hear about a newcomer who fits them well."""
        built = await self._index(unit, event.id or 0)
        session = unit.session
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
                match = EventMatch(event_id=event.id or 0, a_id=a, b_id=b, score=proposal.score)
                session.add(match)
            _set_side(match, other, Side.SHOWN)
            await session.flush()
            user = built.profiles[other][0]
            with use_language(language_of(user)):
                unit.notify(
                    Notice(
                        other,
                        [self._card(built, event, match, other, _("Someone new at the event:"))],
                    )
                )

    def _card(
        self, built: Built, event: Event, match: EventMatch, reader: int, intro: str = ""
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
                "• " + _("Someone to widen your network at {event}.").format(event=esc(event.name))
            )
        keyboard: Keyboard = [
            [
                Button("👍 " + _("Interested"), callbacks.answer(callbacks.INTERESTED, match.id)),
                Button("👎 " + _("Not for me"), callbacks.answer(callbacks.NOT_FOR_ME, match.id)),
            ]
        ]
        return Reply("\n".join(lines), keyboard, tag=card_tag(match))

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Pressed:
        """An attendee's button: a proposal's answer, did you meet?, propose an exchange,
        more proposals."""
        press = callbacks.parse_attendee(data)
        if press is None:
            return Pressed(stale_button())
        if press.action == callbacks.MORE:
            return Pressed(await self.more(unit, user_id, press.number))
        session = unit.session
        match = await repo_events.get_match(session, match_id=press.number)
        if match is None or user_id not in (match.a_id, match.b_id):
            return Pressed(Outcome(toast=_("This proposal is not yours."), alert=True))
        event = await repo_events.get_event(session, event_id=match.event_id)
        assert event is not None  # the foreign key cascades
        if press.action in (callbacks.INTERESTED, callbacks.NOT_FOR_ME):
            yes = press.action == callbacks.INTERESTED
            return Pressed(await self._answer(unit, event, match, user_id, yes))
        if press.action == callbacks.MET:
            return Pressed(await self._met(unit, event, match, user_id, press.value == "y"))
        await self._index(unit, event.id or 0)  # after a restart nothing is cached
        if match.matched_at is None or not self._eligible_pair(match):
            return Pressed(stale_button())
        return Pressed(Outcome(), ExchangeRequest(_other(match, user_id), event.name))

    async def _answer(
        self, unit: Unit, event: Event, match: EventMatch, user_id: int, yes: bool
    ) -> Outcome:
        if _side(match, user_id) in (Side.INTERESTED, Side.DECLINED) or match.matched_at:
            return Outcome(toast=_("You have already answered this proposal."))
        built = await self._index(unit, event.id or 0)
        other = _other(match, user_id)
        if other not in built.profiles or user_id not in built.profiles:
            return Outcome(toast=_("This proposal is not available any more."))
        session = unit.session
        out = Outcome()
        card = self._card(built, event, match, user_id)
        theirs = _other_side(match, user_id)
        other_user = built.profiles[other][0]
        if not yes:
            _set_side(match, user_id, Side.DECLINED)
            out.replies.extend(await _answered(unit, card, match, user_id, _("Not for me")))
            if theirs == Side.INTERESTED:
                with use_language(language_of(other_user)):
                    organisation = esc(built.profiles[user_id][1].organisation or "")
                    text = _(
                        "{organisation} cannot meet this time. /event shows your other proposals."
                    ).format(organisation=organisation)
                    unit.notify(Notice(other, [Reply(text)]))
        else:
            _set_side(match, user_id, Side.INTERESTED)
            out.replies.extend(await _answered(unit, card, match, user_id, _("Interested")))
            if theirs == Side.INTERESTED:
                match.matched_at = self.clock.now()
                match.slot_at = await self._free_slot(unit, event, match)
                await session.flush()
                self._schedule_meeting(unit, event, match)
                # Both introductions are durable messages: a crash delays them, never loses.
                unit.notify(Notice(user_id, [self._introduction(built, event, match, user_id)]))
                with use_language(language_of(other_user)):
                    unit.notify(Notice(other, [self._introduction(built, event, match, other)]))
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
                        intro = _("Someone at {event} would like to meet you:").format(
                            event=esc(event.name)
                        )
                        unit.notify(Notice(other, [self._card(built, event, match, other, intro)]))
        await session.flush()
        following = await self._next_card(unit, event, user_id, skip=match.id)
        if following is not None:
            if yes and theirs == Side.INTERESTED:
                unit.notify(Notice(user_id, [following]))  # after the introduction
            else:
                out.replies.append(following)
        elif not (yes and theirs == Side.INTERESTED):
            out.add(_(EVERYONE_SEEN))
        return out

    async def _free_slot(self, unit: Unit, event: Event, match: EventMatch) -> datetime | None:
        """The first slot of the event, far enough ahead, when neither side has a meeting."""
        busy = await repo_events.busy_slots(
            unit.session, event_id=event.id, user_ids=(match.a_id, match.b_id)
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

    def _schedule_meeting(self, unit: Unit, event: Event, match: EventMatch) -> None:
        """The reminder before the meeting, and "did you meet?" after the event, for both."""
        after = self._local(event.ends_on, event.day_end) + MET_QUESTION_AFTER
        for user_id in (match.a_id, match.b_id):
            if match.slot_at is not None:
                unit.session.add(
                    Reminder(
                        user_id=user_id,
                        event_match_id=match.id,
                        kind="meeting",
                        due_at=as_utc(match.slot_at) - MEETING_NOTICE,
                    )
                )
            unit.session.add(
                Reminder(user_id=user_id, event_match_id=match.id, kind="met", due_at=after)
            )

    def _introduction(self, built: Built, event: Event, match: EventMatch, reader: int) -> Reply:
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

    async def more(self, unit: Unit, user_id: int, event_id: int) -> Outcome:
        """The next proposal at an event the user attends."""
        session = unit.session
        attendee = await repo_events.get_attendee(session, event_id=event_id, user_id=user_id)
        event = await repo_events.get_event(session, event_id=event_id)
        if attendee is None or event is None:
            return stale_button()
        if self._ended(event):
            return Outcome().add(_("This event is over."))
        card = await self._next_card(unit, event, user_id)
        if card is None:
            return Outcome().add(_(EVERYONE_SEEN))
        return Outcome(replies=[card])

    # ----------------------------------------------------------------- after the event

    def _eligible_pair(self, match: EventMatch) -> bool:
        built = self.indexes.cached(match.event_id)
        if built is None:
            return False
        a = built.profiles.get(match.a_id)
        b = built.profiles.get(match.b_id)
        if a is None or b is None:
            return False
        ca, cb = a[1].country, b[1].country
        return bool(ca and cb and ca != cb and ca in self.eligible and cb in self.eligible)

    async def _met(
        self, unit: Unit, event: Event, match: EventMatch, user_id: int, yes: bool
    ) -> Outcome:
        if match.matched_at is None:
            return stale_button()
        built = await self._index(unit, event.id or 0)
        if _met_of(match, user_id) is not None:
            return Outcome(toast=_("Already noted."))
        _set_met(match, user_id, "yes" if yes else "no")
        peer = built.profiles.get(_other(match, user_id))
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
                [[Button("🤝 " + _("Propose an exchange"), callbacks.exchange(match.id))]],
            )
        else:
            out.add(_("Glad to hear it! Good luck with what comes next."))
        return out

    def _met_question(self, event: Event, organisation: str, match_id: int) -> Reply:
        return Reply(
            _("Did you meet {organisation} at {event}?").format(
                organisation=f"<b>{organisation}</b>", event=esc(event.name)
            ),
            [
                [
                    Button("✅ " + _("Yes, we met"), callbacks.met(match_id, True)),
                    Button("❌ " + _("No"), callbacks.met(match_id, False)),
                ]
            ],
        )

    async def send_due_reminders(self, unit: Unit) -> int:
        """Turn the due reminders of meetings into messages (in this unit); how many. A
        meeting reminder that is due after its meeting is over (downtime) is dropped."""
        now = self.clock.now()
        session = unit.session
        due = await repo.take_due_reminders(session, now=now, events=True)
        sent = 0
        for reminder in due:
            match = await repo_events.get_match(session, match_id=reminder.event_match_id or 0)
            event = await repo_events.get_event(session, event_id=match.event_id) if match else None
            if match is None or event is None or match.matched_at is None:
                continue
            built = await self._index(unit, event.id or 0)
            user_id, other = reminder.user_id, _other(match, reminder.user_id)
            if user_id not in built.profiles or other not in built.profiles:
                continue
            user = built.profiles[user_id][0]
            peer = built.profiles[other][1]
            with use_language(language_of(user)):
                reply = self._reminder_reply(event, match, reminder.kind, peer, user_id, now)
            if reply is not None:
                unit.notify(Notice(user_id, [reply]))
                sent += 1
        return sent

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

    # ----------------------------------------------------------------- the attendee's /event

    @staticmethod
    async def is_attendee(unit: Unit, user_id: int) -> bool:
        """Whether the user joined any event."""
        return bool(await repo_events.events_of_attendee(unit.session, user_id=user_id))

    async def attendee_overview(self, unit: Unit, user_id: int) -> list[Reply]:
        """``/event`` for an attendee: their events, agreed meetings, more proposals."""
        session = unit.session
        replies: list[Reply] = []
        for event in (await repo_events.events_of_attendee(session, user_id=user_id))[:3]:
            built = await self._index(unit, event.id or 0)
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
                if m.slot_at:
                    local = as_utc(m.slot_at).astimezone(self.settings.tz)
                    when = format_date(local.date()) + ", " + format_time(local)
                else:
                    when = _("time to be agreed")
                lines.append(f"• {when}: {who}")
            keyboard = None
            if not self._ended(event):
                keyboard = [[Button("👥 " + _("Show proposals"), callbacks.more(event.id))]]
            replies.append(Reply("\n".join(lines), keyboard))
        return replies


def card_tag(match: EventMatch) -> str:
    """What the copies of an event proposal's card are remembered by."""
    return f"event_match:{match.id}" if match.id is not None else ""


async def _answered(
    unit: Unit, card: Reply, match: EventMatch, reader: int, label: str
) -> list[Reply]:
    """The pressed card with its answer instead of its buttons; so is every other copy of it
    in the reader's chat (a newcomer's card and the one "Show proposals" opened)."""
    text = card.text + "\n\n✅ " + esc(label)
    copies = await repo_delivery.take_cards(unit.session, chat_id=reader, tag=card_tag(match))
    return [Reply(text, edit=True)] + [Reply(text, message_id=m) for m in copies]


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
