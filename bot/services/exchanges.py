"""From a mutual match to a validated, scheduled, reminded and reported exchange.

Phases (``storage.models.Phase``): a match waits for the visitor's partnership (*approval*);
the two sides agree on dates (*planning*); with dates agreed both get a calendar file and the
exchange is *visiting*, while the visitor writes goals and agenda that the host agrees and both
partnerships validate; after the visit the visitor says whether it happened and files the
closing report (*returning*), which the visitor's partnership validates (*closed*). Months
later both sides are asked for the outcome.

Every change is a guarded UPDATE (the phase it starts from is part of the WHERE clause), so
double taps and two staff members pressing at once change an exchange only once, and every
change is recorded in the audit trail with who made it. Reminders are rows in the database,
claimed atomically by whichever dispatcher comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import geo
from bot.clock import Clock
from bot.config import Settings
from bot.domain import ECOSYSTEMS
from bot.i18n import (
    N_,
    _,
    country_name,
    format_date,
    format_number,
    language_of,
    ngettext,
    use_language,
)
from bot.scheme import check_stay, estimate_lump_sum
from bot.services import dialog
from bot.services.calendar import visit_ics
from bot.services.partnerships import KINDS, Partnerships, Scope, reason_text
from bot.services.profile_text import InputError, clean_text
from bot.services.schedule import describe_offset, later_by_months, visit_reminders
from bot.services.ui import Button, Document, Keyboard, Notice, Outcome, Reply, esc
from bot.services.visit_dates import parse_visit_dates
from storage import repo
from storage.db import Database
from storage.models import (
    Exchange,
    ExchangeEvent,
    Phase,
    Profile,
    Quality,
    Reminder,
    User,
)

log = logging.getLogger(__name__)

# Typed input of participants (User.state); state_data holds the exchange id ("x").
DATES, GOALS, AGENDA, CHANGES = "ex_dates", "ex_goals", "ex_agenda", "ex_changes"
REPORT_DONE, REPORT_RESULTS, REPORT_NEXT, REPORT_DOC = (
    "ex_rep_done",
    "ex_rep_results",
    "ex_rep_next",
    "ex_rep_doc",
)
STATES = frozenset(
    {DATES, GOALS, AGENDA, CHANGES, REPORT_DONE, REPORT_RESULTS, REPORT_NEXT, REPORT_DOC}
)
TEXT_LIMIT = 2000
LEASE = timedelta(minutes=10)  # a claimed reminder not marked sent by then is taken again

# How the phases read for users and staff.
PHASE_LABELS: dict[str, str] = {
    Phase.APPROVAL: N_("matching: waiting for validation"),
    Phase.PLANNING: N_("matching: agreeing on dates"),
    Phase.VISITING: N_("visiting"),
    Phase.RETURNING: N_("returning: closing report"),
    Phase.REPORT_REVIEW: N_("returning: report being validated"),
    Phase.CLOSED: N_("closed"),
    Phase.CANCELLED: N_("cancelled"),
    Phase.REJECTED: N_("not validated"),
}
QUALITY_LABELS: dict[str, str] = {
    Quality.NONE: N_("not written yet"),
    Quality.HOST: N_("waiting for the host's agreement"),
    Quality.CHANGES: N_("changes requested"),
    Quality.STAFF: N_("waiting for validation by the partnerships"),
    Quality.VALIDATED: N_("validated"),
}
NOT_HAPPENED_REASONS: dict[str, str] = {
    "host": N_("The host was not available"),
    "visitor": N_("We were not available"),
    "travel": N_("Travel problems"),
    "health": N_("Illness"),
    "other": N_("Another reason"),
}
OUTCOMES: dict[str, str] = {
    "none": N_("No further contact"),
    "contact": N_("We are in contact"),
    "negotiation": N_("Negotiation started"),
    "agreement": N_("Agreement reached"),
    "project": N_("Joint project"),
}
# Audit-trail actions, as staff read them.
ACTIONS: dict[str, str] = {
    "created": N_("mutual match"),
    "match_approved": N_("match validated"),
    "match_rejected": N_("match rejected"),
    "dates_proposed": N_("dates proposed"),
    "dates_agreed": N_("dates agreed"),
    "quality_written": N_("goals and agenda written"),
    "quality_changes": N_("changes to goals and agenda requested"),
    "quality_agreed": N_("goals and agenda agreed by the host"),
    "quality_approved": N_("goals and agenda validated"),
    "quality_rejected": N_("goals and agenda rejected"),
    "happened": N_("visit took place"),
    "postponed": N_("visit postponed"),
    "cancelled": N_("exchange cancelled"),
    "report_filed": N_("closing report filed"),
    "report_approved": N_("closing report validated"),
    "report_rejected": N_("closing report rejected"),
    "host_feedback": N_("host feedback"),
    "outcome": N_("outcome reported"),
    "reason": N_("reason given"),
}


@dataclass
class XCtx:
    """One exchange with both sides, and what to send to whom."""

    session: AsyncSession
    ex: Exchange
    visitor: User
    visitor_profile: Profile
    host: User
    host_profile: Profile
    actor: int | None
    out: Outcome = field(default_factory=Outcome)
    notices: list[Notice] = field(default_factory=list)

    def user(self, user_id: int) -> User:
        """The visitor's or the host's user row."""
        return self.visitor if user_id == self.visitor.id else self.host

    def peer_profile(self, user_id: int) -> Profile:
        """The other side's profile."""
        return self.host_profile if user_id == self.visitor.id else self.visitor_profile


class Exchanges:
    """The exchange lifecycle: validation, dates, quality, visit, report, outcome."""

    def __init__(
        self, db: Database, clock: Clock, settings: Settings, partnerships: Partnerships
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.partnerships = partnerships
        partnerships.exchanges = self
        # Reminders that belong to a meeting at an event (set by the application): their
        # messages with the ids each covers, and the ids of obsolete ones.
        self.on_event_reminders: (
            Callable[
                [AsyncSession, list[Reminder], datetime],
                Awaitable[tuple[list[tuple[Notice, list[int]]], list[int]]],
            ]
            | None
        ) = None

    # ----------------------------------------------------------------- loading, sending

    async def _ctx(self, session: AsyncSession, exchange_id: int, actor: int | None) -> XCtx | None:
        ex = await repo.get_exchange(session, exchange_id=exchange_id)
        if ex is None:
            return None
        vu, vp = await repo.get_user_and_profile(session, user_id=ex.visitor_id)
        hu, hp = await repo.get_user_and_profile(session, user_id=ex.host_id)
        if vu is None or vp is None or hu is None or hp is None:
            return None
        return XCtx(session, ex, vu, vp, hu, hp, actor)

    def _tell(self, x: XCtx, user_id: int, build: Callable[[], list[Reply]]) -> None:
        """Messages for one side: in the reply when they acted, else in their language."""
        if user_id == x.actor:
            x.out.replies.extend(build())
            return
        with use_language(language_of(x.user(user_id))):
            x.notices.append(Notice(user_id, build()))

    def _text(
        self,
        x: XCtx,
        user_id: int,
        build: Callable[[], str],
        keyboard: Callable[[], Keyboard] | None = None,
    ) -> None:
        """One text (and keyboard), both built in the recipient's language."""
        self._tell(x, user_id, lambda: [Reply(build(), keyboard() if keyboard else None)])

    async def _staff(
        self, x: XCtx, partnership_ids: list[int | None], build: Callable[[], list[Reply]]
    ) -> None:
        x.notices.extend(
            await self.partnerships.staff_notices(x.session, partnership_ids, build, x.actor)
        )

    async def _move(
        self,
        x: XCtx,
        action: str,
        *,
        expect: dict[str, Any],
        detail: str | None = None,
        **values: Any,
    ) -> bool:
        """Change the exchange only if it is still as ``expect`` says; record it."""
        now = self.clock.now()
        conditions = [getattr(Exchange, k) == v for k, v in expect.items()]
        result = await x.session.execute(
            update(Exchange)
            .where(Exchange.id == x.ex.id, *conditions)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        for key, value in values.items():
            setattr(x.ex, key, value)
        x.ex.updated_at = now
        x.session.add(
            ExchangeEvent(
                exchange_id=x.ex.id,  # type: ignore[arg-type]
                at=now,
                actor_id=x.actor,
                action=action,
                phase=x.ex.phase,
                detail=(detail or "")[:300] or None,
            )
        )
        return True

    # ----------------------------------------------------------------- creation

    async def create(
        self, proposal_id: int, visitor_id: int, host_id: int, actor: int
    ) -> tuple[list[Reply], list[Notice]]:
        """A mutual match becomes an exchange; returns what the actor and others are told."""
        async with self.db.session() as session:
            vu, vp = await repo.get_user_and_profile(session, user_id=visitor_id)
            hu, hp = await repo.get_user_and_profile(session, user_id=host_id)
            assert vu and vp and hu and hp
            needs_approval = vp.partnership_id is not None
            ex = Exchange(
                proposal_id=proposal_id,
                visitor_id=visitor_id,
                host_id=host_id,
                visitor_partnership_id=vp.partnership_id,
                host_partnership_id=hp.partnership_id,
                phase=Phase.APPROVAL if needs_approval else Phase.PLANNING,
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
            session.add(ex)
            await session.flush()
            x = XCtx(session, ex, vu, vp, hu, hp, actor)
            x.session.add(
                ExchangeEvent(
                    exchange_id=ex.id,  # type: ignore[arg-type]
                    at=self.clock.now(),
                    actor_id=actor,
                    action="created",
                    phase=ex.phase,
                )
            )
            if needs_approval:
                partnership = await repo.get_partnership(
                    session, partnership_id=vp.partnership_id or 0
                )
                name = partnership.name if partnership else ""
                for side in (visitor_id, host_id):
                    self._text(
                        x,
                        side,
                        lambda: _(
                            "Next step: {partnership} validates this exchange. I will tell you "
                            "as soon as it has; then you agree on the dates of the visit."
                        ).format(partnership=f"<b>{esc(name)}</b>"),
                    )
                await self._staff(x, [ex.visitor_partnership_id], lambda: [self._card(x, "m")])
            else:
                self._ask_dates(x)
            await session.commit()
            return x.out.replies, x.notices

    # ----------------------------------------------------------------- staff decisions

    async def review_card(self, session: AsyncSession, ex: Exchange, scope: Scope) -> Reply:
        """The card of an exchange waiting for this staff member (/pending)."""
        x = await self._ctx(session, ex.id or 0, None)
        assert x is not None
        kind = {Phase.APPROVAL: "m", Phase.REPORT_REVIEW: "r"}.get(ex.phase, "q")
        return self._card(x, kind)

    def _card(self, x: XCtx, kind: str) -> Reply:
        ex, vp, hp = x.ex, x.visitor_profile, x.host_profile
        head = {
            "m": "🤝 " + _("Match to validate"),
            "q": "📝 " + _("Goals and agenda to validate"),
            "r": "📄 " + _("Closing report to validate"),
        }[kind]
        lines = [
            f"<b>{esc(head)}</b> · " + _("exchange #{id}").format(id=ex.id),
            "",
            _("Visitor: {organisation}, {city} ({country})").format(
                organisation=f"<b>{esc(vp.organisation)}</b>",
                city=esc(vp.city or ""),
                country=esc(country_name(vp.country or "")),
            ),
            _("Host: {organisation}, {city} ({country})").format(
                organisation=f"<b>{esc(hp.organisation)}</b>",
                city=esc(hp.city or ""),
                country=esc(country_name(hp.country or "")),
            ),
        ]
        shared = [e for e in vp.ecosystems if e in hp.ecosystems and e in ECOSYSTEMS]
        if shared:
            lines.append("🏭 " + esc(", ".join(_(ECOSYSTEMS[e]) for e in shared)))
        if ex.start_date and ex.end_date:
            lines.append(self._dates_line(ex))
        if kind == "q":
            lines += self._quality_lines(ex)
        if kind == "r":
            lines += self._report_lines(ex)
            if ex.lump_sum is not None:
                lines += ["", self._estimate_text(x)]
        replies = Reply(
            "\n".join(lines), self.partnerships.decision_keyboard(kind, ex.id or 0, True)
        )
        return replies

    def _quality_lines(self, ex: Exchange) -> list[str]:
        return [
            "",
            "<b>" + esc(_("Goals")) + ":</b>\n" + esc(ex.goals or "—"),
            "<b>" + esc(_("Agenda")) + ":</b>\n" + esc(ex.agenda or "—"),
        ]

    def _report_lines(self, ex: Exchange) -> list[str]:
        lines = [
            "",
            "<b>" + esc(_("What was done")) + ":</b>\n" + esc(ex.report_done or "—"),
            "<b>" + esc(_("Results")) + ":</b>\n" + esc(ex.report_results or "—"),
            "<b>" + esc(_("Next steps")) + ":</b>\n" + esc(ex.report_next or "—"),
        ]
        if ex.report_file_name:
            lines.append("📎 " + esc(ex.report_file_name))
        return lines

    async def review(
        self,
        kind: str,
        exchange_id: int,
        staff_id: int,
        approve: bool,
        note: str | None,
        scope: Scope,
    ) -> tuple[Outcome, list[Notice]]:
        """A staff decision on a match (m), goals and agenda (q) or a closing report (r)."""
        async with self.db.session() as session:
            x = await self._ctx(session, exchange_id, staff_id)
            if x is None:
                return Outcome(toast=_("This item does not exist any more.")), []
            done = Outcome(toast=_("Already decided (perhaps by a colleague)."))
            if kind == "m":
                moved = await self._review_match(x, approve, note)
            elif kind == "q":
                moved = await self._review_quality(x, approve, note, scope)
            else:
                moved = await self._review_report(x, approve, note)
            if not moved:
                return done, []
            await session.commit()
            label = _("Approved") if approve else _("Rejected")
            x.out.toast = label
            history = [[Button("📜 " + _("History"), f"sv:h:{exchange_id}")]]
            # The decision buttons go; the history stays at hand.
            x.out.replies.insert(0, Reply(keyboard=history, edit=True, markup_only=True))
            x.out.replies.insert(
                1,
                Reply(
                    ("✅ " if approve else "✖️ ")
                    + _("Exchange #{id}: {item} {decision}.").format(
                        id=x.ex.id, item=_(KINDS[kind]), decision=label.lower()
                    )
                ),
            )
            log.info("exchange %s: %s %s by %s", exchange_id, kind, approve, staff_id)
            return x.out, x.notices

    async def _review_match(self, x: XCtx, approve: bool, note: str | None) -> bool:
        if approve:
            if not await self._move(
                x, "match_approved", expect={"phase": Phase.APPROVAL}, phase=Phase.PLANNING
            ):
                return False
            self._ask_dates(x, validated=True)
            return True
        if not await self._move(
            x,
            "match_rejected",
            expect={"phase": Phase.APPROVAL},
            detail=note,
            phase=Phase.REJECTED,
            closed_at=self.clock.now(),
        ):
            return False
        for side in (x.visitor.id, x.host.id):
            self._text(
                x,
                side,
                lambda: (
                    _(
                        "Your partnership could not validate the exchange between {visitor} and "
                        "{host}. The reason given:"
                    ).format(
                        visitor=esc(x.visitor_profile.organisation),
                        host=esc(x.host_profile.organisation),
                    )
                    + "\n<i>"
                    + esc(reason_text("m", note))
                    + "</i>\n\n"
                    + _("Send /matches to look for another partner.")
                ),
            )
        return True

    async def _review_quality(self, x: XCtx, approve: bool, note: str | None, scope: Scope) -> bool:
        ex = x.ex
        if ex.cq_status != Quality.STAFF:
            return False
        if not approve:
            if not await self._move(
                x,
                "quality_rejected",
                expect={"cq_status": Quality.STAFF},
                detail=note,
                cq_status=Quality.CHANGES,
                cq_visitor_ok=False,
                cq_host_ok=False,
                cq_note=note,
            ):
                return False
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    _("Your goals and agenda were not validated yet. The reason given:")
                    + "\n<i>"
                    + esc(reason_text("q", note))
                    + "</i>"
                ),
                lambda: [[Button("📝 " + _("Revise goals and agenda"), f"x:g:{ex.id}")]],
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "The partnerships asked {visitor} to revise the goals and agenda of the "
                    "visit. You will see the new version."
                ).format(visitor=esc(x.visitor_profile.organisation)),
            )
            return True
        values: dict[str, Any] = {}
        if scope.covers(ex.visitor_partnership_id) and not ex.cq_visitor_ok:
            values["cq_visitor_ok"] = True
        if scope.covers(ex.host_partnership_id) and not ex.cq_host_ok:
            values["cq_host_ok"] = True
        if not values:
            return False
        visitor_ok = values.get("cq_visitor_ok", ex.cq_visitor_ok)
        host_ok = values.get("cq_host_ok", ex.cq_host_ok)
        if visitor_ok and host_ok:
            values["cq_status"] = Quality.VALIDATED
        expect = {"cq_status": Quality.STAFF}
        expect.update({k: False for k in values if k.startswith("cq_") and k != "cq_status"})
        if not await self._move(x, "quality_approved", expect=expect, **values):
            return False
        if ex.cq_status == Quality.VALIDATED:
            for side in (x.visitor.id, x.host.id):
                self._text(
                    x,
                    side,
                    lambda: (
                        "✅ "
                        + _(
                            "Your goals and agenda are validated by the partnerships: the "
                            "Commitment to Quality is complete."
                        )
                    ),
                )
        return True

    async def _review_report(self, x: XCtx, approve: bool, note: str | None) -> bool:
        ex = x.ex
        if approve:
            if not await self._move(
                x,
                "report_approved",
                expect={"phase": Phase.REPORT_REVIEW},
                phase=Phase.CLOSED,
                closed_at=self.clock.now(),
            ):
                return False
            await self._close(x)
            return True
        if not await self._move(
            x,
            "report_rejected",
            expect={"phase": Phase.REPORT_REVIEW},
            detail=note,
            phase=Phase.RETURNING,
            report_note=(note or "")[:300],
        ):
            return False
        self._text(
            x,
            x.visitor.id,
            lambda: (
                _("Your closing report needs another look. The reason given:")
                + "\n<i>"
                + esc(reason_text("r", note))
                + "</i>"
            ),
            lambda: [[Button("📄 " + _("Revise the report"), f"x:rep:{ex.id}")]],
        )
        return True

    async def _close(self, x: XCtx) -> None:
        """The report is validated: tell both sides; ask for the outcome months later."""
        ex = x.ex
        await repo.cancel_reminders(x.session, exchange_id=ex.id or 0, now=self.clock.now())
        due = later_by_months(
            ex.end_date or self.clock.today(), self.settings.outcome_after_months, self.clock.tz
        )
        due = max(due, self.clock.now())
        for side in (x.visitor.id, x.host.id):
            x.session.add(Reminder(user_id=side, exchange_id=ex.id, kind="outcome", due_at=due))
        self._text(
            x,
            x.visitor.id,
            lambda: (
                "🎉 "
                + _(
                    "Your closing report is validated and your exchange with {host} is closed. "
                    "Your partnership will arrange the payment of the lump sum. Thank you!"
                ).format(host=esc(x.host_profile.organisation))
            ),
        )
        self._text(
            x,
            x.host.id,
            lambda: (
                "🎉 "
                + _("The exchange with {visitor} is closed. Thank you for hosting!").format(
                    visitor=esc(x.visitor_profile.organisation)
                )
            ),
        )

    # ----------------------------------------------------------------- dates

    def _ask_dates(self, x: XCtx, validated: bool = False) -> None:
        ex = x.ex
        intro = (
            (
                lambda: (
                    "✅ "
                    + _(
                        "Your partnership has validated the exchange between {visitor} and {host}."
                    ).format(
                        visitor=esc(x.visitor_profile.organisation),
                        host=esc(x.host_profile.organisation),
                    )
                    + "\n\n"
                )
            )
            if validated
            else (lambda: "")
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
            lambda: [[Button("📅 " + _("Propose dates"), f"x:d:{ex.id}")]],
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

    def _dates_prompt(self, x: XCtx) -> str:
        # A Monday to Friday about a month ahead without a public holiday in the host country.
        host_country = x.host_profile.country or ""
        example = self.clock.today() + timedelta(days=30)
        while (
            example.weekday() != 0
            or check_stay(example, example + timedelta(days=4), host_country).holidays
        ):
            example += timedelta(days=1)
        end = example + timedelta(days=4)
        return _(
            "Send the first and the last day of the visit, for example “{start_iso} – "
            "{end_iso}” or “{start_de} – {end_de}”, or the first day and a number of working "
            "days, for example “{start_de} 5”. Public holidays in {country} are not counted."
        ).format(
            start_iso=example.isoformat(),
            end_iso=end.isoformat(),
            start_de=f"{example.day}.{example.month}.{example.year}",
            end_de=f"{end.day}.{end.month}.{end.year}",
            country=esc(country_name(x.host_profile.country or "")),
        )

    def _dates_line(self, ex: Exchange) -> str:
        assert ex.start_date and ex.end_date
        days = ex.working_days or 0
        return "📅 " + _("{start} – {end} ({days})").format(
            start=format_date(ex.start_date),
            end=format_date(ex.end_date),
            days=ngettext("{n} working day", "{n} working days", days).format(n=days),
        )

    def _estimate_text(self, x: XCtx) -> str:
        ex = x.ex
        host_country = x.host_profile.country or ""
        cap = self.settings.cap_for(host_country)
        estimate = estimate_lump_sum(ex.working_days or 0, ex.distance_km, cap)
        lines = [
            "💶 "
            + _("Estimated lump sum: EUR {amount} (an estimate; your partnership decides).").format(
                amount=format_number(estimate.amount)
            ),
            "• "
            + _("Cap for visits to {country}: EUR {cap}").format(
                country=esc(country_name(host_country)), cap=format_number(cap)
            ),
        ]
        if estimate.distance_km is not None:
            lines.append(
                "• "
                + _("Distance between the two cities: about {km} km").format(
                    km=format_number(round(estimate.distance_km))
                )
            )
        else:
            lines.append("• " + _("Distance unknown: a city has no coordinates"))
        if estimate.short_stay:
            lines.append("• " + _("Halved: the stay is shorter than 5 working days"))
        if estimate.near:
            lines.append("• " + _("Halved: the organisations are less than 200 km apart"))
        if estimate.short_stay and estimate.near:
            lines.append("• " + _("(Halved once, not twice.)"))
        return "\n".join(lines)

    def _distance(self, x: XCtx) -> float | None:
        v, h = x.visitor_profile, x.host_profile
        if None in (v.latitude, v.longitude, h.latitude, h.longitude):
            return None
        return geo.distance_km(v.latitude, v.longitude, h.latitude, h.longitude)  # type: ignore[arg-type]

    async def _set_dates(self, x: XCtx, user_id: int, text: str) -> None:
        """Typed dates: validate, store as a proposal, ask the other side to confirm."""
        ex = x.ex
        host_country = x.host_profile.country or ""
        start, end = parse_visit_dates(text, host_country)
        today = self.clock.today()
        if start <= today:
            raise InputError(
                _("The visit must start after today ({today}).").format(today=format_date(today))
            )
        stay = check_stay(start, end, host_country)
        holidays = ""
        if stay.holidays:
            holidays = " " + _("Public holidays in {country} not counted: {days}.").format(
                country=esc(country_name(host_country)),
                days=", ".join(format_date(d) for d in stay.holidays),
            )
        if stay.too_short:
            raise InputError(
                _(
                    "That is only {days} working days in {country}; a visit needs at least 3 "
                    "(weekends and public holidays are not counted)."
                ).format(days=stay.working_days, country=esc(country_name(host_country)))
                + holidays
            )
        if stay.too_long:
            raise InputError(
                _("That is longer than one month. Please choose a shorter stay.") + holidays
            )
        distance = self._distance(x)
        cap = self.settings.cap_for(host_country)
        estimate = estimate_lump_sum(stay.working_days, distance, cap)
        expect = {"phase": Phase.PLANNING}
        if not await self._move(
            x,
            "dates_proposed",
            expect=expect,
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
            text = self._dates_line(ex)
            if stay.holidays:
                text += "\n" + _("Public holidays not counted: {days}").format(
                    days=", ".join(format_date(d) for d in stay.holidays)
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
            lambda: [
                [Button("✅ " + _("Confirm dates"), f"x:ok:{ex.id}")],
                [Button("📅 " + _("Propose other dates"), f"x:d:{ex.id}")],
            ],
        )

    async def _confirm_dates(self, x: XCtx, user_id: int) -> bool:
        ex = x.ex
        if ex.phase != Phase.PLANNING or ex.start_date is None or ex.dates_by in (None, user_id):
            return False
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
        ex = x.ex
        peer = x.peer_profile(side)
        text = (
            "✅ "
            + _(
                "The dates are agreed. Your exchange with {peer} is now in the visiting phase."
            ).format(peer=f"<b>{esc(peer.organisation)}</b>")
            + "\n\n"
            + self._dates_line(ex)
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
        return Document(f"clusterxchange-{ex.id}.ics", content, caption=summary)

    async def _schedule_visit(self, x: XCtx) -> None:
        """Reminders before the visit, the check-in, and "did it happen?" after it."""
        ex = x.ex
        assert ex.start_date and ex.end_date
        now = self.clock.now()
        await repo.cancel_reminders(x.session, exchange_id=ex.id or 0, now=now)
        for kind, due, _offset in visit_reminders(
            ex.start_date, ex.end_date, self.settings.reminder_offsets, self.clock.tz
        ):
            if kind == "before" and due <= now:
                continue  # the dates were agreed after this reminder's time
            sides = [ex.visitor_id] if kind == "after" else [ex.visitor_id, ex.host_id]
            for side in sides:
                x.session.add(
                    Reminder(
                        user_id=side,
                        exchange_id=ex.id,
                        kind="happened" if kind == "after" else kind,
                        due_at=due,
                    )
                )

    # ----------------------------------------------------------------- goals and agenda

    def _ask_quality(self, x: XCtx) -> None:
        ex = x.ex
        self._text(
            x,
            x.visitor.id,
            lambda: _(
                "Next, the Commitment to Quality: write down the goals of your visit and an "
                "agenda. {host} agrees to them and both partnerships validate them."
            ).format(host=esc(x.host_profile.organisation)),
            lambda: [[Button("📝 " + _("Write goals and agenda"), f"x:g:{ex.id}")]],
        )

    async def _quality_written(self, x: XCtx) -> None:
        ex = x.ex
        if not await self._move(
            x, "quality_written", expect={"cq_status": ex.cq_status}, cq_status=Quality.HOST,
            cq_visitor_ok=False, cq_host_ok=False, cq_note=None,
        ):  # fmt: skip
            raise InputError(_("The exchange changed meanwhile. Please look at /exchange."))
        self._text(
            x,
            x.visitor.id,
            lambda: _("Thank you. I have sent your goals and agenda to {host} to agree.").format(
                host=esc(x.host_profile.organisation)
            ),
        )
        self._text(
            x,
            x.host.id,
            lambda: (
                _("{visitor} proposes these goals and this agenda for the visit:").format(
                    visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"
                )
                + "\n"
                + "\n".join(self._quality_lines(ex))
            ),
            lambda: [
                [Button("✅ " + _("I agree"), f"x:ga:{ex.id}")],
                [Button("✏️ " + _("Suggest changes"), f"x:gc:{ex.id}")],
            ],
        )

    async def _quality_agreed(self, x: XCtx) -> bool:
        ex = x.ex
        # A side without a partnership has nobody to validate it.
        visitor_ok = ex.visitor_partnership_id is None
        host_ok = ex.host_partnership_id is None
        status = Quality.VALIDATED if visitor_ok and host_ok else Quality.STAFF
        if not await self._move(
            x,
            "quality_agreed",
            expect={"cq_status": Quality.HOST},
            cq_status=status,
            cq_visitor_ok=visitor_ok,
            cq_host_ok=host_ok,
        ):
            return False
        if status == Quality.VALIDATED:
            for side in (x.visitor.id, x.host.id):
                self._text(
                    x,
                    side,
                    lambda: (
                        "✅ "
                        + _(
                            "Both sides agree on the goals and agenda: the Commitment to "
                            "Quality is complete."
                        )
                    ),
                )
            return True
        for side in (x.visitor.id, x.host.id):
            self._text(
                x,
                side,
                lambda: _(
                    "Both sides agree on the goals and agenda. The partnerships validate them "
                    "now; I will tell you when they have."
                ),
            )
        await self._staff(
            x, [ex.visitor_partnership_id, ex.host_partnership_id], lambda: [self._card(x, "q")]
        )
        return True

    # ----------------------------------------------------------------- after the visit

    def _happened_question(self, x: XCtx) -> Reply:
        ex = x.ex
        return Reply(
            _("Your visit to {host} was planned until {end}. Did it take place?").format(
                host=f"<b>{esc(x.host_profile.organisation)}</b>",
                end=format_date(ex.end_date) if ex.end_date else "—",
            ),
            [
                [Button("✅ " + _("Yes, it took place"), f"x:h:{ex.id}:yes")],
                [Button("🔁 " + _("It was postponed"), f"x:h:{ex.id}:post")],
                [Button("✖️ " + _("It was cancelled"), f"x:h:{ex.id}:canc")],
            ],
        )

    async def _happened(self, x: XCtx, answer: str) -> bool:
        ex = x.ex
        now = self.clock.now()
        expect = {"phase": Phase.VISITING}
        if answer == "yes":
            if not await self._move(
                x, "happened", expect=expect, phase=Phase.RETURNING, happened="yes"
            ):
                return False
            due = now + timedelta(days=self.settings.report_reminder_days)
            x.session.add(
                Reminder(user_id=ex.visitor_id, exchange_id=ex.id, kind="report", due_at=due)
            )
            self._text(
                x,
                x.visitor.id,
                lambda: _(
                    "Wonderful! The last step is your closing report: what you did, the "
                    "results and the next steps. It takes about five minutes."
                ),
                lambda: [[Button("📄 " + _("Write the closing report"), f"x:rep:{ex.id}")]],
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "{visitor} confirms that the visit took place. How useful was hosting "
                    "them for you?"
                ).format(visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"),
                lambda: [
                    [Button("⭐" * n, f"x:fb:{ex.id}:{n}") for n in (1, 2, 3)],
                    [Button("⭐" * n, f"x:fb:{ex.id}:{n}") for n in (4, 5)],
                ],
            )
            return True
        reasons = lambda: [  # noqa: E731
            [Button(_(label), f"x:hr:{ex.id}:{code}")]
            for code, label in NOT_HAPPENED_REASONS.items()
        ]
        if answer == "post":
            await repo.cancel_reminders(x.session, exchange_id=ex.id or 0, now=now)
            if not await self._move(
                x,
                "postponed",
                expect=expect,
                phase=Phase.PLANNING,
                happened="postponed",
                start_date=None,
                end_date=None,
                working_days=None,
                dates_by=None,
                dates_agreed_at=None,
            ):
                return False
            self._text(
                x,
                x.visitor.id,
                lambda: _("Understood. What was the reason? (Optional.)"),
                reasons,
            )
            self._text(
                x,
                x.visitor.id,
                lambda: _("When you know the new dates, propose them here."),
                lambda: [[Button("📅 " + _("Propose dates"), f"x:d:{ex.id}")]],
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "{visitor} reports that the visit was postponed. They will propose new "
                    "dates; I will ask you to confirm them."
                ).format(visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"),
            )
            return True
        if answer == "canc":
            await repo.cancel_reminders(x.session, exchange_id=ex.id or 0, now=now)
            if not await self._move(
                x,
                "cancelled",
                expect=expect,
                phase=Phase.CANCELLED,
                happened="cancelled",
                closed_at=now,
            ):
                return False
            self._text(
                x,
                x.visitor.id,
                lambda: _(
                    "I am sorry to hear that. The exchange is cancelled, so you can look for "
                    "another partner with /matches. What was the reason? (Optional.)"
                ),
                reasons,
            )
            self._text(
                x,
                x.host.id,
                lambda: _("{visitor} reports that the visit was cancelled.").format(
                    visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"
                ),
            )
            await self._staff(
                x,
                [ex.visitor_partnership_id],
                lambda: [
                    Reply(
                        "ℹ️ "
                        + _(
                            "Exchange #{id} was cancelled by the visitor: {visitor} → {host}."
                        ).format(
                            id=ex.id,
                            visitor=esc(x.visitor_profile.organisation),
                            host=esc(x.host_profile.organisation),
                        ),
                        [[Button("📜 " + _("History"), f"sv:h:{ex.id}")]],
                    )
                ],
            )
            return True
        return False

    # ----------------------------------------------------------------- participants' entry points

    async def overview(self, user_id: int) -> Outcome:
        """``/exchange``: the user's exchanges, their phase and the next step."""
        out = Outcome()
        async with self.db.session() as session:
            found = await repo.exchanges_of_user(session, user_id=user_id)
            for ex in found[:5]:
                x = await self._ctx(session, ex.id or 0, user_id)
                if x is None:
                    continue
                out.replies.append(self._overview_card(x, user_id))
        if not out.replies:
            out.add(
                _(
                    "You have no exchange yet. It starts when you and a partner are both "
                    "interested: send /matches."
                )
            )
        return out

    def _overview_card(self, x: XCtx, user_id: int) -> Reply:
        ex = x.ex
        visiting = user_id == x.visitor.id
        peer = x.peer_profile(user_id)
        head = (
            _("Your visit to {organisation}") if visiting else _("{organisation} visits you")
        ).format(organisation=f"<b>{esc(peer.organisation)}</b>")
        lines = [
            head + " · " + _("exchange #{id}").format(id=ex.id),
            _("Phase: {phase}").format(phase=_(PHASE_LABELS.get(ex.phase, ex.phase))),
        ]
        if ex.start_date and ex.end_date:
            agreed = _("agreed") if ex.dates_agreed_at else _("proposed")
            lines.append(self._dates_line(ex) + f" ({agreed})")
        if ex.phase in (Phase.PLANNING, Phase.VISITING):
            lines.append(
                _("Goals and agenda: {status}").format(
                    status=_(QUALITY_LABELS.get(ex.cq_status, ex.cq_status))
                )
            )
        if (
            visiting
            and ex.lump_sum is not None
            and ex.phase not in (Phase.CANCELLED, Phase.REJECTED)
        ):
            lines += ["", self._estimate_text(x)]
        keyboard: Keyboard = []
        xid = ex.id
        if ex.phase == Phase.PLANNING:
            if ex.dates_by not in (None, user_id):
                keyboard.append([Button("✅ " + _("Confirm dates"), f"x:ok:{xid}")])
            keyboard.append([Button("📅 " + _("Propose dates"), f"x:d:{xid}")])
        if ex.phase == Phase.VISITING:
            keyboard.append([Button("🗓 " + _("Calendar file"), f"x:ics:{xid}")])
            if visiting and ex.cq_status in (Quality.NONE, Quality.CHANGES):
                keyboard.append([Button("📝 " + _("Write goals and agenda"), f"x:g:{xid}")])
            if not visiting and ex.cq_status == Quality.HOST:
                keyboard.append([Button("✅ " + _("Agree to goals and agenda"), f"x:ga:{xid}")])
        if ex.phase == Phase.RETURNING and visiting:
            keyboard.append([Button("📄 " + _("Write the closing report"), f"x:rep:{xid}")])
        return Reply("\n".join(lines), keyboard or None)

    async def on_button(self, user_id: int, data: str) -> tuple[Outcome, list[Notice]]:
        """``x:<action>:<exchange>[:<value>]``; the presser must be a side of that exchange."""
        parts = data.split(":")
        invalid = Outcome(toast=_("This button is not valid any more."))
        if len(parts) not in (3, 4) or not parts[2].isdigit():
            return invalid, []
        action, xid = parts[1], int(parts[2])
        value = parts[3] if len(parts) == 4 else ""
        async with self.db.session() as session:
            x = await self._ctx(session, xid, user_id)
            if x is None or user_id not in (x.visitor.id, x.host.id):
                log.warning("refused exchange button %r by user %s", data, user_id)
                return Outcome(toast=_("This exchange is not yours."), alert=True), []
            ex = x.ex
            visitor = user_id == x.visitor.id
            done = Outcome(toast=_("Already noted."))
            if action == "d":
                if ex.phase != Phase.PLANNING:
                    return done, []
                await self._enter(x, user_id, DATES)
                x.out.add(self._dates_prompt(x) + "\n\n" + _("/cancel stops."))
            elif action == "ok":
                if not await self._confirm_dates(x, user_id):
                    return done, []
                x.out.replies.insert(0, Reply(markup_only=True, edit=True))
            elif action == "ics":
                if ex.phase != Phase.VISITING:
                    return invalid, []
                x.out.replies.append(Reply(document=self._ics(x, user_id)))
            elif action == "g":
                writable = (Quality.NONE, Quality.CHANGES, Quality.HOST)
                active = (Phase.PLANNING, Phase.VISITING)
                if not visitor or ex.phase not in active or ex.cq_status not in writable:
                    return done, []
                await self._enter(x, user_id, GOALS)
                x.out.add(
                    _(
                        "What are the goals of the visit? What do you want to learn, see or "
                        "start together? (/cancel stops.)"
                    )
                )
            elif action == "ga":
                if visitor or not await self._quality_agreed(x):
                    return done, []
                x.out.replies.insert(0, Reply(markup_only=True, edit=True))
            elif action == "gc":
                if visitor or ex.cq_status != Quality.HOST:
                    return done, []
                await self._enter(x, user_id, CHANGES)
                x.out.add(
                    _("What should {visitor} change? Type your suggestion.").format(
                        visitor=esc(x.visitor_profile.organisation)
                    )
                )
            elif action == "h" and visitor and value in ("yes", "post", "canc"):
                if not await self._happened(x, value):
                    return done, []
                x.out.replies.insert(0, Reply(markup_only=True, edit=True))
            elif action == "hr" and visitor and value in NOT_HAPPENED_REASONS:
                if ex.happened not in ("postponed", "cancelled") or ex.happened_reason:
                    return done, []
                await self._move(
                    x, "reason", expect={"happened_reason": None}, detail=value,
                    happened_reason=value,
                )  # fmt: skip
                x.out.toast = _("Thank you.")
                x.out.replies.append(Reply(_("Thank you for telling me."), edit=True))
            elif action == "rep" and visitor:
                if ex.phase != Phase.RETURNING:
                    return done, []
                await self._enter(x, user_id, REPORT_DONE)
                x.out.add(
                    _("Closing report, 1/4: what did you do during the visit? (/cancel stops.)")
                )
            elif action == "rs" and visitor:
                if x.visitor.state != REPORT_DOC:
                    return done, []
                await self._submit_report(x)
            elif action == "fb" and not visitor and value.isdigit() and 1 <= int(value) <= 5:
                if ex.host_rating is not None:
                    return done, []
                await self._move(
                    x, "host_feedback", expect={"host_rating": None}, detail=value,
                    host_rating=int(value),
                )  # fmt: skip
                x.out.replies.append(
                    Reply(_("Thank you for your feedback!") + " " + "⭐" * int(value), edit=True)
                )
            elif action == "o" and value in OUTCOMES:
                column = "outcome_visitor" if visitor else "outcome_host"
                if ex.phase != Phase.CLOSED or getattr(ex, column) is not None:
                    return done, []
                await self._move(
                    x, "outcome", expect={column: None}, detail=value, **{column: value}
                )
                x.out.replies.append(Reply("✅ " + _(OUTCOMES[value]), edit=True))
                x.out.add(_("Thank you! This helps the partnerships show what exchanges achieve."))
            else:
                return invalid, []
            await session.commit()
            return x.out, x.notices

    async def _enter(self, x: XCtx, user_id: int, state: str) -> None:
        dialog.ask(x.user(user_id), state, {"x": x.ex.id}, STATES)

    async def cancel(self, user_id: int) -> Outcome:
        """``/cancel`` while typing exchange input: nothing is changed."""
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
            if user is not None and user.state in STATES:
                dialog.resume(user)
                await session.commit()
        return Outcome().add(
            _("Cancelled. Nothing was changed; /exchange shows where your exchange stands.")
        )

    async def on_text(self, user_id: int, text: str) -> tuple[Outcome, list[Notice]]:
        """Typed dates, goals, agenda, suggestions and report parts."""
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
            assert user is not None
            x = await self._ctx(session, int(user.state_data.get("x", 0)), user_id)
            if x is None or user_id not in (x.visitor.id, x.host.id):
                dialog.resume(user)
                await session.commit()
                return Outcome().add(_("This exchange does not exist any more.")), []
            user = x.user(user_id)
            state = user.state
            try:
                await self._typed(x, user, state, text)
            except InputError as exc:
                x.out.replies = [Reply(str(exc) + "\n\n" + self._reprompt(x, state))]
                x.notices = []
            await session.commit()
            return x.out, x.notices

    def _reprompt(self, x: XCtx, state: str) -> str:
        if state == DATES:
            return self._dates_prompt(x) + " " + _("(/cancel stops.)")
        return _("Please send it again, or /cancel.")

    async def _typed(self, x: XCtx, user: User, state: str, text: str) -> None:
        ex = x.ex
        if state == DATES:
            if ex.phase != Phase.PLANNING:
                dialog.resume(user)
                x.out.add(_("The dates cannot be changed in this phase."))
                return
            await self._set_dates(x, user.id, text)
            dialog.resume(user)
            return
        if state in (GOALS, AGENDA, CHANGES, REPORT_DONE, REPORT_RESULTS, REPORT_NEXT):
            value = clean_text(text, limit=TEXT_LIMIT, min_letters=10)
        else:  # REPORT_DOC: a text instead of a document
            x.out.add(
                _("Please send the document as a file, or press Skip."),
                [[Button(_("Skip"), f"x:rs:{ex.id}")]],
            )
            return
        if state == GOALS:
            ex.goals = value
            user.state = AGENDA
            user.state_version += 1
            x.out.add(
                _(
                    "And the agenda: what happens on which day? A rough plan is fine, for "
                    "example “Day 1: tour of the lab; Day 2: workshop”."
                )
            )
        elif state == AGENDA:
            ex.agenda = value
            dialog.resume(user)
            await self._quality_written(x)
        elif state == CHANGES:
            dialog.resume(user)
            if ex.cq_status != Quality.HOST:
                x.out.add(_("The goals and agenda changed meanwhile. Please look at /exchange."))
                return
            await self._move(
                x, "quality_changes", expect={"cq_status": Quality.HOST}, detail=value,
                cq_status=Quality.CHANGES, cq_note=value,
            )  # fmt: skip
            self._text(
                x,
                x.host.id,
                lambda: _("Thank you. I have passed your suggestion on to {visitor}.").format(
                    visitor=esc(x.visitor_profile.organisation)
                ),
            )
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    _("{host} suggests changes to the goals and agenda:").format(
                        host=f"<b>{esc(x.host_profile.organisation)}</b>"
                    )
                    + "\n<i>"
                    + esc(value)
                    + "</i>"
                ),
                lambda: [[Button("📝 " + _("Revise goals and agenda"), f"x:g:{ex.id}")]],
            )
        elif state == REPORT_DONE:
            ex.report_done = value
            user.state = REPORT_RESULTS
            user.state_version += 1
            x.out.add(_("2/4: what are the results? What did you learn or agree on?"))
        elif state == REPORT_RESULTS:
            ex.report_results = value
            user.state = REPORT_NEXT
            user.state_version += 1
            x.out.add(
                _("3/4: what are the next steps with {host}?").format(
                    host=esc(x.host_profile.organisation)
                )
            )
        elif state == REPORT_NEXT:
            ex.report_next = value
            user.state = REPORT_DOC
            user.state_version += 1
            x.out.add(
                _(
                    "4/4: optionally, send a document (for example an agenda, photos as a PDF "
                    "or a signed attendance sheet). Or press Skip."
                ),
                [[Button(_("Skip"), f"x:rs:{ex.id}")]],
            )

    async def on_document(
        self, user_id: int, file_id: str, filename: str
    ) -> tuple[Outcome, list[Notice]] | None:
        """A file sent while the report asks for one; None when no exchange input waits."""
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
            if user is None or user.state != REPORT_DOC:
                return None
            x = await self._ctx(session, int(user.state_data.get("x", 0)), user_id)
            if x is None:
                return None
            x.ex.report_file_id = file_id[:200]
            x.ex.report_file_name = (filename or "report")[:200]
            await self._submit_report(x)
            await session.commit()
            return x.out, x.notices

    async def other_input(self, user_id: int) -> Outcome:
        """A sticker, photo or voice message while exchange input is expected."""
        async with self.db.session() as session:
            user = await repo.get_user(session, user_id=user_id)
        if user is not None and user.state == REPORT_DOC:
            return Outcome().add(_("Please send the document as a file, or press Skip."))
        return Outcome().add(_("I can only read text here. Please type your answer, or /cancel."))

    async def _submit_report(self, x: XCtx) -> None:
        ex = x.ex
        dialog.resume(x.visitor)
        review = ex.visitor_partnership_id is not None
        await repo.cancel_reminders(
            x.session, exchange_id=ex.id or 0, now=self.clock.now(), kinds=("report",)
        )
        phase = Phase.REPORT_REVIEW if review else Phase.CLOSED
        if not await self._move(
            x,
            "report_filed",
            expect={"phase": Phase.RETURNING},
            phase=phase,
            report_done=ex.report_done,
            report_results=ex.report_results,
            report_next=ex.report_next,
            report_file_id=ex.report_file_id,
            report_file_name=ex.report_file_name,
            report_note=None,
            closed_at=None if review else self.clock.now(),
        ):
            x.out.add(_("The exchange changed meanwhile. Please look at /exchange."))
            return
        if not review:
            x.out.add(_("Thank you! Your closing report is filed."))
            await self._close(x)
            return
        x.out.add(
            _(
                "Thank you! Your closing report is filed. Your partnership validates it; I "
                "will tell you when it has."
            )
        )

        def card() -> list[Reply]:
            replies = [self._card(x, "r")]
            if ex.report_file_id:
                replies.append(
                    Reply(
                        document=Document(
                            ex.report_file_name or "report",
                            file_id=ex.report_file_id,
                            caption=_("Attachment to the report of exchange #{id}").format(
                                id=ex.id
                            ),
                        )
                    )
                )
            return replies

        await self._staff(x, [ex.visitor_partnership_id], card)

    # ----------------------------------------------------------------- reminders

    async def dispatch_due(self) -> tuple[list[tuple[Notice, list[int]]], int]:
        """Claim the due reminders; returns the messages with the reminder ids each covers
        (mark them with ``mark_sent`` once sent) and how many were obsolete.

        Several due reminders of one kind for the same person and exchange (after downtime)
        become one message, written for the time that is actually left.
        """
        now = self.clock.now()
        async with self.db.session() as session:
            claimed = await repo.claim_due_reminders(session, now=now, lease_until=now - LEASE)
            out: list[tuple[Notice, list[int]]] = []
            obsolete: list[int] = []
            at_events = [r for r in claimed if r.event_match_id is not None]
            if at_events and self.on_event_reminders is not None:
                out, obsolete = await self.on_event_reminders(session, at_events, now)
            groups: dict[tuple, list[Reminder]] = {}
            for reminder in claimed:
                if reminder.event_match_id is not None:
                    continue
                groups.setdefault(
                    (reminder.exchange_id, reminder.user_id, reminder.kind), []
                ).append(reminder)
            for (xid, user_id, kind), reminders in groups.items():
                ids = [r.id for r in reminders if r.id is not None]
                x = await self._ctx(session, xid or 0, None) if xid else None
                notice = self._reminder(x, user_id, kind, now) if x else None
                if notice is None:
                    obsolete.extend(ids)
                else:
                    out.append((notice, ids))
            await repo.mark_reminders_sent(session, ids=obsolete, now=now)
        return out, len(obsolete)

    async def mark_sent(self, ids: list[int]) -> None:
        """Record that reminders went out (or could not be delivered)."""
        async with self.db.session() as session:
            await repo.mark_reminders_sent(session, ids=ids, now=self.clock.now())

    def _reminder(self, x: XCtx, user_id: int, kind: str, now: datetime) -> Notice | None:
        if user_id not in (x.visitor.id, x.host.id):
            return None
        visitor = user_id == x.visitor.id
        with use_language(language_of(x.user(user_id))):
            reply = self._reminder_reply(x, visitor, kind, now)
        if reply is None:
            return None
        return Notice(user_id, [reply])

    def _reminder_reply(self, x: XCtx, visitor: bool, kind: str, now: datetime) -> Reply | None:
        ex = x.ex
        peer = x.host_profile if visitor else x.visitor_profile
        today = now.astimezone(self.clock.tz).date()
        if kind == "before":
            if ex.phase != Phase.VISITING or ex.start_date is None or ex.start_date <= today:
                return None
            start = _local_start(ex.start_date, self.clock)
            when = describe_offset(start - now)
            text = "⏰ " + (
                _("Your ClusterXchange visit to {organisation} starts {when}.")
                if visitor
                else _("{organisation} starts their visit to you {when}.")
            ).format(organisation=f"<b>{esc(peer.organisation)}</b>", when=when)
            text += "\n" + self._dates_line(ex)
            keyboard: Keyboard = [[Button("🗓 " + _("Calendar file"), f"x:ics:{ex.id}")]]
            if ex.cq_status != Quality.VALIDATED:
                text += "\n\n" + _("Goals and agenda: {status}").format(
                    status=_(QUALITY_LABELS.get(ex.cq_status, ex.cq_status))
                )
                if visitor and ex.cq_status in (Quality.NONE, Quality.CHANGES):
                    keyboard.append([Button("📝 " + _("Write goals and agenda"), f"x:g:{ex.id}")])
            return Reply(text, keyboard)
        if kind == "checkin":
            if ex.phase != Phase.VISITING or ex.end_date is None or ex.end_date < today:
                return None
            if visitor:
                text = _(
                    "👋 Today your visit to {organisation} begins. Have a great exchange! Your "
                    "contact there: {name}."
                )
            else:
                text = _("👋 Today {organisation} begins their visit to you. Your contact: {name}.")
            return Reply(
                text.format(
                    organisation=f"<b>{esc(peer.organisation)}</b>", name=esc(peer.name or "")
                )
                + "\n"
                + self._dates_line(ex)
            )
        if kind == "happened":
            if ex.phase != Phase.VISITING or not visitor:
                return None
            return self._happened_question(x)
        if kind == "report":
            if ex.phase != Phase.RETURNING or not visitor:
                return None
            return Reply(
                _(
                    "A reminder: your closing report for the visit to {organisation} is still "
                    "missing. It takes about five minutes."
                ).format(organisation=f"<b>{esc(peer.organisation)}</b>"),
                [[Button("📄 " + _("Write the closing report"), f"x:rep:{ex.id}")]],
            )
        if kind == "outcome":
            column = ex.outcome_visitor if visitor else ex.outcome_host
            if ex.phase != Phase.CLOSED or column is not None:
                return None
            return Reply(
                _(
                    "Some months ago you took part in a ClusterXchange exchange with "
                    "{organisation}. What came of it?"
                ).format(organisation=f"<b>{esc(peer.organisation)}</b>"),
                [[Button(_(label), f"x:o:{ex.id}:{code}")] for code, label in OUTCOMES.items()],
            )
        return None

    # ----------------------------------------------------------------- audit trail

    async def history_text(self, session: AsyncSession, ex: Exchange) -> str:
        """The audit trail as staff read it."""
        x = await self._ctx(session, ex.id or 0, None)
        events = await repo.events_of(session, exchange_id=ex.id or 0)
        names: dict[int, str] = {}
        if x is not None:
            names = {
                x.visitor.id: x.visitor_profile.organisation or "",
                x.host.id: x.host_profile.organisation or "",
            }
        lines = [
            "<b>" + esc(_("History of exchange #{id}").format(id=ex.id)) + "</b>",
            _("Phase: {phase}").format(phase=_(PHASE_LABELS.get(ex.phase, ex.phase))),
            "",
        ]
        for event in events:
            local = event.at.astimezone(self.clock.tz)
            if event.actor_id is None:
                who = _("the bot")
            else:
                if event.actor_id not in names:
                    actor = await repo.get_user(session, user_id=event.actor_id)
                    names[event.actor_id] = (
                        "@" + actor.username
                        if actor is not None and actor.username
                        else _("staff member {id}").format(id=event.actor_id)
                    )
                who = names[event.actor_id]
            line = (
                f"{format_date(local.date())} {local:%H:%M} · "
                + esc(_(ACTIONS.get(event.action, event.action)))
                + " · "
                + esc(who)
            )
            if event.detail:
                line += " · <i>" + esc(event.detail) + "</i>"
            lines.append(line)
        return "\n".join(lines)


def _local_start(day: date, clock: Clock) -> datetime:
    """09:00 local time on ``day``, the moment a visit is taken to start."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=clock.tz)


__all__ = ["STATES", "Exchanges"]
