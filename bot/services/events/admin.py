"""The event team's side: ``/newevent`` step by step with its QR code and poster, and the
live figures of ``/event`` with an export, a sign-up chart and the QR code again."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from bot.i18n import _, current_language, ngettext, sort_key
from bot.services import charts, event_media
from bot.services.callbacks import number
from bot.services.csvfile import csv_bytes
from bot.services.events import callbacks
from bot.services.events.access import CREATE, PICK
from bot.services.events.base import EventsBase
from bot.services.partnerships.access import Scope
from bot.services.profile_text import InputError, clean_text
from bot.services.ui import Button, Document, Keyboard, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from bot.services.visit_dates import parse_days
from storage import repo, repo_events
from storage.models import Event, User, as_utc

MAX_EVENT_DAYS = 7
CODE_BYTES = 9  # 72 random bits, 12 characters in the link
_HOURS = re.compile(
    r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:-|–|—|to|bis)\s*(\d{1,2})(?:[:.](\d{2}))?"
    r"(?:\s*[,;/ ]\s*(\d{1,3})\s*(?:min(?:utes?|uten)?\.?)?)?\s*$",
    re.IGNORECASE,
)
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


class AdminMixin(EventsBase):
    """Creating events and following them."""

    # ----------------------------------------------------------------- /newevent

    async def new_event(self, unit: Unit, user_id: int) -> Outcome:
        """``/newevent``: which partnership (when several), then the event's name."""
        scope = await self._scope(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "newevent")
        choices = [p for p in await repo.partnerships(unit.session) if scope.covers(p.id)]
        choices.sort(key=lambda p: sort_key(p.name, current_language()))
        if not choices:
            return Outcome().add(
                _("There is no partnership yet. Create one first with /newpartnership.")
            )
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        if len(choices) == 1:
            self._enter(user, "evn_name", {"p": choices[0].id})
            return Outcome().add(self._create_prompt(user))
        self._enter(user, PICK, {})
        v = user.state_version
        return Outcome().add(
            _("For which partnership is the event?"),
            [[Button(p.name, callbacks.create(v, PICK, p.id or 0))] for p in choices],
        )

    def _create_prompt(self, user: User, prefix: str = "") -> str:
        """The question of the current /newevent step."""
        state = user.state
        number = f"<i>{CREATE.index(state) + 1}/{len(CREATE)}</i>  " if state in CREATE else ""
        texts = {
            "evn_name": _("What is the event called?"),
            "evn_dates": _(
                "When does it take place? One day (<i>{one_en}</i> or <i>{one_de}</i>) or the "
                "first and last day (<i>{two_en}</i> or <i>{two_de}</i>)."
            ).format(
                one_en="12 May 2027",
                one_de="12.5.2027",
                two_en="12 – 13 May 2027",
                two_de="12.–13.5.2027",
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
            return [[Button(_("Skip"), callbacks.create(v, "evn_desc", "skip"))]]
        if user.state == "evn_point":
            return [[Button(_("The registration desk"), callbacks.create(v, "evn_point", "skip"))]]
        if user.state == "evn_hours":
            return [[Button("09:00–17:00 · 20 min", callbacks.create(v, "evn_hours", "skip"))]]
        return None

    async def _create_typed(
        self, unit: Unit, user: User, text: str, bot_username: str | None
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
                data["hours"] = parse_hours(text)
        except InputError as exc:
            return Outcome().add(self._create_prompt(user, str(exc)), self._create_keyboard(user))
        return await self._create_next(unit, user, data, bot_username)

    async def _create_next(
        self, unit: Unit, user: User, data: dict, bot_username: str | None
    ) -> Outcome:
        step = CREATE.index(user.state) if user.state in CREATE else -1
        if step + 1 < len(CREATE):
            self._enter(user, CREATE[step + 1], data)
            return Outcome().add(self._create_prompt(user), self._create_keyboard(user))
        return await self._create(unit, user, data, bot_username)

    def _event_dates(self, text: str) -> tuple[date, date]:
        days = parse_days(text)  # says when a date does not exist or the last comes first
        if days is None:
            raise InputError(_("Please write one date, or the first and last day."))
        start, end = days
        if start < self.clock.today():
            raise InputError(_("That date is in the past."))
        if (end - start).days + 1 > MAX_EVENT_DAYS:
            raise InputError(
                ngettext(
                    "An event can last at most {days} day.",
                    "An event can last at most {days} days.",
                    MAX_EVENT_DAYS,
                ).format(days=MAX_EVENT_DAYS)
            )
        return start, end

    async def _create(
        self, unit: Unit, user: User, data: dict, bot_username: str | None
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
        unit.session.add(event)
        await unit.session.flush()
        self._enter(user, "idle")
        out = Outcome().add(
            _("✅ The event {event} is ready.").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + _("Attendees join by scanning the QR code or opening this link: {link}").format(
                link=esc(self.link(event, bot_username))
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
                    caption=_("QR code for {event}").format(event=esc(event.name)),
                    photo=True,
                )
            ),
            Reply(
                document=Document(
                    f"event-{event.id}-poster.pdf",
                    pdf,
                    caption=_("Poster to print (A4) for {event}").format(event=esc(event.name)),
                )
            ),
        ]

    async def on_create_button(
        self, unit: Unit, user_id: int, data: str | None, bot_username: str | None
    ) -> Outcome:
        """``en:<version>:<step>:<value>``: partnership choice and the defaults of /newevent."""
        press = callbacks.parse_step(data, callbacks.CREATE)
        if press is None:
            return stale_button()
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is None or press.version != user.state_version or press.step != user.state:
            return Outcome(toast=_("That button belongs to an earlier question."))
        scope = await self._scope(unit, user_id)
        step, value = press.step, press.value
        chosen = number(value) if step == PICK else None
        if chosen is not None and scope.covers(chosen):
            self._enter(user, "evn_name", {"p": chosen})
            return Outcome().add(self._create_prompt(user))
        if step in ("evn_desc", "evn_point", "evn_hours") and value == "skip":
            return await self._create_next(unit, user, dict(user.state_data), bot_username)
        return stale_button()

    # ----------------------------------------------------------------- the staff's /event

    async def staff_events(self, unit: Unit, scope: Scope) -> list[Event]:
        """The events a staff member may see."""
        return await repo_events.events_of_partnerships(
            unit.session, partnership_ids=None if scope.admin else scope.ids
        )

    async def overview(self, unit: Unit, user_id: int) -> Outcome:
        """``/event``: staff see their events with live figures; attendees their meetings."""
        scope = await self._scope(unit, user_id)
        events = await self.staff_events(unit, scope) if scope.is_staff else []
        out = Outcome(replies=[await self._figures_card(unit, e) for e in events[:10]])
        if scope.is_staff and not events:
            out.add(_("No events yet. /newevent creates one."))
        out.replies.extend(await self.attendee_overview(unit, user_id))
        if not out.replies:
            out.add(
                _(
                    "You have not joined an event yet. At an event, scan its QR code to meet the "
                    "people there."
                )
            )
        return out

    async def _figures_card(self, unit: Unit, event: Event) -> Reply:
        f = Figures(*await repo_events.figures(unit.session, event_id=event.id))
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
                Button("🔄 " + _("Refresh"), callbacks.staff(callbacks.REFRESH, eid)),
                Button("📣 " + _("Broadcast"), callbacks.staff(callbacks.BROADCAST, eid)),
            ],
            [
                Button("📥 " + _("Export CSV"), callbacks.staff(callbacks.CSV, eid)),
                Button("📈 " + _("Sign-ups chart"), callbacks.staff(callbacks.CHART, eid)),
            ],
            [Button("🖨 " + _("QR code and poster"), callbacks.staff(callbacks.QR, eid))],
        ]
        return Reply(text, keyboard)

    async def _staff_event(self, unit: Unit, user_id: int, event_id: int) -> Event | None:
        """The event if this staff member may act on it."""
        event = await repo_events.get_event(unit.session, event_id=event_id)
        scope = await self._scope(unit, user_id)
        if event is None or not scope.covers(event.partnership_id):
            return None
        return event

    async def _export(self, unit: Unit, event: Event) -> list[Reply]:
        people = await repo_events.attendees(unit.session, event_id=event.id)
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
        for m in await repo_events.meetings(unit.session, event_id=event.id):
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
                        event=esc(event.name), n=len(attendee_rows)
                    ),
                )
            ),
            Reply(
                document=Document(
                    f"event-{event.id}-meetings.csv",
                    meetings_csv,
                    caption=_("Meetings agreed at {event}: {n}").format(
                        event=esc(event.name), n=len(meeting_rows)
                    ),
                )
            ),
        ]

    async def _chart(self, unit: Unit, event: Event) -> Reply:
        people = await repo_events.attendees(unit.session, event_id=event.id)
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


def parse_hours(text: str) -> tuple[str, str, int]:
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
