"""Dates of the visit: one side proposes (typed, counted in working days at the host's place:
its country's and its region's public holidays, which the messages name; with the lump-sum
estimate), the other confirms; then both get a calendar file and the reminders are
scheduled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from babel.dates import format_interval

from bot import regions
from bot.i18n import _, country_name, current_language, format_date, ngettext
from bot.scheme import check_stay, estimate_lump_sum, holiday_names, holiday_region
from bot.services.calendar import visit_ics
from bot.services.exchanges import callbacks
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import dates_line
from bot.services.profile_text import InputError
from bot.services.schedule import visit_reminders
from bot.services.ui import Button, Document, Keyboard, Reply, esc
from bot.services.visit_dates import parse_visit_dates
from storage import repo
from storage.models import Exchange, Phase, Quality, Reminder


class DatesMixin(ExchangeBase):
    """Proposing and confirming the dates of the visit."""

    async def _ask_dates(self, x: XCtx, validated: bool = False) -> None:
        """Tell both sides to agree on dates (after the match, or its validation), and
        nudge them if no dates come."""

        def intro() -> str:
            if not validated:
                return ""
            return (
                "✅ "
                + _(
                    "Your partnership has validated the exchange between {visitor} and {host}."
                ).format(
                    visitor=esc(x.visitor_profile.organisation),
                    host=esc(x.host_profile.organisation),
                )
                + "\n\n"
            )

        self._text(
            x,
            x.visitor.id,
            lambda: (
                intro()
                + _(
                    "Now agree with {host} on when you visit, then propose the dates here: from 3 "
                    "working days to one month, travel days not counted."
                ).format(host=esc(x.host_profile.organisation))
            ),
            self._offer(x, Act.PROPOSE_DATES),
        )
        self._text(
            x,
            x.host.id,
            lambda: (
                intro()
                + _(
                    "{visitor} will propose the dates of the visit; I will ask you to confirm them."
                ).format(visitor=esc(x.visitor_profile.organisation))
            ),
        )
        await self._plan_nudges(x)

    def _host_region(self, x: XCtx) -> str | None:
        """The ``holidays`` subdivision of the host's city (its Land, community, …), if any."""
        host = x.host_profile
        if self.cities is None or host.city_geoname_id is None or not host.country:
            return None
        city = self.cities.get(host.city_geoname_id)
        if city is None or city.country != host.country:
            return None
        return holiday_region(host.country, city.admin1, self.cities.spellings(city.geoname_id))

    @staticmethod
    def _place(x: XCtx, region: str | None) -> str:
        """Where the holidays are counted, escaped: "Bavaria, Germany", "Milan, Italy" (a
        city's own holidays), or the country alone."""
        code = x.host_profile.country or ""
        country = country_name(code)
        if region is None:
            return esc(country)
        named = regions.region_of_holidays(code, region)
        local = named.name(current_language()) if named else x.host_profile.city
        return esc(f"{local}, {country}" if local else country)

    @staticmethod
    def _holiday_list(x: XCtx, days: Sequence[date], region: str | None) -> str:
        """The holidays not counted, with their names where the package has them in the
        reader's language: "27 May 2027 (Corpus Christi)"."""
        names = holiday_names(x.host_profile.country or "", days, current_language(), region)
        return ", ".join(
            format_date(d) + (f" ({esc(names[d])})" if d in names else "") for d in days
        )

    def _dates_prompt(self, x: XCtx) -> str:
        # A Monday to Friday about a month ahead without a public holiday at the host's place.
        host_country = x.host_profile.country or ""
        region = self._host_region(x)
        example = self.clock.today() + timedelta(days=30)
        while (
            example.weekday() != 0
            or check_stay(example, example + timedelta(days=4), host_country, region).holidays
        ):
            example += timedelta(days=1)
        end = example + timedelta(days=4)
        return _(
            "Send the first and the last day of the visit, for example “{range_en}” or "
            "“{range_de}”, or the first day and a number of working days, for example "
            "“{start_de} + 5”. Public holidays ({place}) are not counted."
        ).format(
            range_en=format_interval(example, end, "yMMMMd", locale="en_GB"),
            range_de=_short_range(example, end),
            start_de=f"{example.day}.{example.month}.{example.year}",
            place=self._place(x, region),
        )

    async def _set_dates(self, x: XCtx, user_id: int, text: str) -> None:
        """Typed dates: validate, store as a proposal, ask the other side to confirm."""
        ex = x.ex
        host_country = x.host_profile.country or ""
        region = self._host_region(x)
        start, end = parse_visit_dates(text, host_country, region)
        today = self.clock.today()
        if start <= today:
            raise InputError(
                _("The visit must start after today ({today}).").format(today=format_date(today))
            )
        stay = check_stay(start, end, host_country, region)
        holidays = ""
        if stay.holidays:
            holidays = " " + _("Public holidays ({place}) not counted: {days}.").format(
                place=self._place(x, region), days=self._holiday_list(x, stay.holidays, region)
            )
        if stay.too_short:
            raise InputError(
                ngettext(
                    "That is only {days} working day in {country}; a visit needs at least 3 "
                    "(weekends and public holidays are not counted).",
                    "That is only {days} working days in {country}; a visit needs at least 3 "
                    "(weekends and public holidays are not counted).",
                    stay.working_days,
                ).format(days=stay.working_days, country=self._place(x, region))
                + holidays
            )
        if stay.too_long:
            raise InputError(
                _("That is longer than one month. Please choose a shorter stay.") + holidays
            )
        distance = self._distance(x)
        estimate = estimate_lump_sum(
            stay.working_days, distance, self.settings.cap_for(host_country)
        )
        if not await self._move(
            x,
            "dates_proposed",
            expect={"phase": Phase.PLANNING},
            detail=f"{start.isoformat()}..{end.isoformat()}",
            start_date=start,
            end_date=end,
            working_days=stay.working_days,
            distance_km=distance,
            lump_sum=estimate.amount,
            dates_by=user_id,
            dates_agreed_at=None,
        ):
            raise InputError(_("The exchange changed meanwhile. Please look at /exchange."))
        other = x.host.id if user_id == x.visitor.id else x.visitor.id
        proposer = x.visitor_profile if user_id == x.visitor.id else x.host_profile

        def summary() -> str:
            text = dates_line(ex)
            if stay.holidays:
                text += "\n" + _("Public holidays ({place}) not counted: {days}.").format(
                    place=self._place(x, region),
                    days=self._holiday_list(x, stay.holidays, region),
                )
            return text + "\n\n" + self._estimate_text(x)

        self._text(
            x,
            user_id,
            lambda: (
                _("Thank you. I have sent these dates to {other} to confirm:").format(
                    other=esc(x.peer_profile(user_id).organisation)
                )
                + "\n\n"
                + summary()
            ),
        )
        self._text(
            x,
            other,
            lambda: (
                _("{organisation} proposes these dates for the visit:").format(
                    organisation=f"<b>{esc(proposer.organisation)}</b>"
                )
                + "\n\n"
                + summary()
            ),
            lambda: confirm_keyboard(ex),
        )
        await self._plan_nudges(x)  # now the other side's turn

    async def _confirm_dates(self, x: XCtx, user_id: int) -> bool:
        ex = x.ex
        if not await self._move(
            x,
            "dates_agreed",
            expect={
                "phase": Phase.PLANNING,
                "dates_by": ex.dates_by,
                "start_date": ex.start_date,
                "end_date": ex.end_date,
            },
            phase=Phase.VISITING,
            dates_agreed_at=self.clock.now(),
        ):
            return False
        await self._schedule_visit(x)
        for side in (x.visitor.id, x.host.id):
            self._tell(x, side, lambda side=side: self._agreed_replies(x, side))
        if ex.cq_status in (Quality.NONE, Quality.CHANGES):
            self._ask_quality(x)
        return True

    def _agreed_replies(self, x: XCtx, side: int) -> list[Reply]:
        peer = x.peer_profile(side)
        text = (
            "✅ "
            + _(
                "The dates are agreed. Your exchange with {peer} is now in the visiting phase."
            ).format(peer=f"<b>{esc(peer.organisation)}</b>")
            + "\n\n"
            + dates_line(x.ex)
            + "\n\n"
            + _("Here is the visit for your calendar. I will remind you before it starts.")
        )
        return [Reply(text), Reply(document=self._ics(x, side))]

    def _ics(self, x: XCtx, side: int) -> Document:
        ex = x.ex
        assert ex.start_date and ex.end_date
        if side == x.visitor.id:
            summary = _("ClusterXchange visit to {organisation}").format(
                organisation=x.host_profile.organisation
            )
        else:
            summary = _("ClusterXchange visit of {organisation}").format(
                organisation=x.visitor_profile.organisation
            )
        peer = x.peer_profile(side)
        description = "\n".join(
            [
                _("Exchange #{id}").format(id=ex.id),
                _("Visitor: {organisation}").format(organisation=x.visitor_profile.organisation),
                _("Host: {organisation}").format(organisation=x.host_profile.organisation),
                _("Contact: {name}").format(name=peer.name or ""),
            ]
        )
        location = ", ".join(
            p for p in (x.host_profile.city or "", country_name(x.host_profile.country or "")) if p
        )
        content = visit_ics(
            uid=f"exchange-{ex.id}@cxbot",
            start=ex.start_date,
            end=ex.end_date,
            summary=summary,
            description=description,
            location=location,
            now=self.clock.now(),
        )
        return Document(f"clusterxchange-{ex.id}.ics", content, caption=esc(summary))

    async def _schedule_visit(self, x: XCtx) -> None:
        """Reminders before the visit, the check-in, and "did it happen?" after it."""
        ex = x.ex
        assert ex.start_date and ex.end_date
        now = self.clock.now()
        session = x.unit.session
        await repo.cancel_reminders(session, exchange_id=ex.id or 0, now=now)
        for kind, due, _offset in visit_reminders(
            ex.start_date, ex.end_date, self.settings.reminder_offsets, self.clock.tz
        ):
            if kind == "before" and due <= now:
                continue  # the dates were agreed after this reminder's time
            sides = [ex.visitor_id] if kind == "after" else [ex.visitor_id, ex.host_id]
            for side in sides:
                session.add(
                    Reminder(
                        user_id=side,
                        exchange_id=ex.id,
                        kind="happened" if kind == "after" else kind,
                        due_at=due,
                    )
                )


def confirm_keyboard(ex: Exchange) -> Keyboard:
    """What the side asked to confirm proposed dates may press."""
    return [
        [Button("✅ " + _("Confirm dates"), callbacks.button(Act.CONFIRM_DATES, ex.id))],
        [Button("📅 " + _("Propose other dates"), callbacks.button(Act.PROPOSE_DATES, ex.id))],
    ]


def _short_range(start: date, end: date) -> str:
    """A range the German way: "12.–16.4.2027", "28.4.–3.5.2027", "28.12.2027–3.1.2028"."""
    last = f"{end.day}.{end.month}.{end.year}"
    if start.year != end.year:
        return f"{start.day}.{start.month}.{start.year}–{last}"
    if start.month != end.month:
        return f"{start.day}.{start.month}.–{last}"
    return f"{start.day}.–{last}"
