"""The exchange lifecycle: from a mutual match to a validated, reported exchange.

Phases (``storage.models.Phase``): a match waits for the visitor's partnership (*approval*);
the two sides agree on dates (*planning*); with dates agreed both get a calendar file and the
exchange is *visiting*, while the visitor writes goals and agenda that the host agrees and both
partnerships validate; after the visit the visitor says whether it happened and files the
closing report and hands in evidence of the stay (*returning*); the visitor's partnership
validates both, apart (*closed*: ``finalisation``, with the certificate and the payment).
Months later both sides are asked for the outcome.

What is allowed when is one table (``lifecycle``); every change is a guarded UPDATE with an
audit row (``storage.repo.transition_exchange``), so double taps and two staff members
pressing at once change an exchange only once.
"""

from __future__ import annotations

import logging

from bot.domain import Role
from bot.i18n import _, format_date
from bot.pseudonyms import who
from bot.services import dialog, documents
from bot.services.exchanges import callbacks
from bot.services.exchanges.access import (
    AGENDA,
    CHANGES,
    DATES,
    EVIDENCE,
    GOALS,
    REPORT_DOC,
    REPORT_DONE,
    REPORT_NEXT,
    REPORT_RESULTS,
    STATES,
)
from bot.services.exchanges.base import XCtx
from bot.services.exchanges.dates import DatesMixin
from bot.services.exchanges.direction import DirectionMixin
from bot.services.exchanges.finalisation import FinalisationMixin
from bot.services.exchanges.leave import LeaveMixin
from bot.services.exchanges.lifecycle import CLOSED, DONE, EARLY, OWN, Act, check, offered
from bot.services.exchanges.nudges import NudgesMixin
from bot.services.exchanges.quality import QualityMixin
from bot.services.exchanges.reminders import RemindersMixin
from bot.services.exchanges.review import MATCH, ReviewMixin
from bot.services.exchanges.view import (
    OUTCOMES,
    PHASE_LABELS,
    QUALITY_LABELS,
    buttons,
    dates_line,
    keyboard,
)
from bot.services.exchanges.visit import VisitMixin
from bot.services.profile_text import InputError, clean_text
from bot.services.ui import Notice, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo
from storage.models import Exchange, ExchangeEvent, Phase, User

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000
# The action a typed answer belongs to: checked again when the text arrives.
TYPED: dict[str, Act] = {
    DATES: Act.PROPOSE_DATES,
    GOALS: Act.WRITE_GOALS,
    AGENDA: Act.WRITE_GOALS,
    CHANGES: Act.SUGGEST_CHANGES,
    REPORT_DONE: Act.WRITE_REPORT,
    REPORT_RESULTS: Act.WRITE_REPORT,
    REPORT_NEXT: Act.WRITE_REPORT,
    REPORT_DOC: Act.WRITE_REPORT,
    EVIDENCE: Act.ADD_EVIDENCE,
}


class Exchanges(
    DirectionMixin,
    DatesMixin,
    QualityMixin,
    VisitMixin,
    ReviewMixin,
    FinalisationMixin,
    RemindersMixin,
    NudgesMixin,
    LeaveMixin,
):
    """The exchange lifecycle for participants (and, through ``ReviewMixin``, for staff)."""

    # ----------------------------------------------------------------- creation

    async def create(
        self, unit: Unit, proposal_id: int, visitor_id: int, host_id: int, actor: int
    ) -> None:
        """A mutual match becomes an exchange. Everyone's messages, the actor's included,
        are durable (they follow the introductions, which are)."""
        session = unit.session
        now = self.clock.now()
        vu, vp = await repo.get_user_and_profile(session, user_id=visitor_id)
        hu, hp = await repo.get_user_and_profile(session, user_id=host_id)
        assert vu and vp and hu and hp
        needs_approval = vp.partnership_id is not None
        # Both visitor and host: they choose who travels (the engine's direction is only
        # where the question starts).
        choose = vp.role == Role.BOTH and hp.role == Role.BOTH
        phase = Phase.APPROVAL if needs_approval else Phase.PLANNING
        if choose:
            phase = Phase.DIRECTION
        ex = Exchange(
            proposal_id=proposal_id,
            visitor_id=visitor_id,
            host_id=host_id,
            visitor_partnership_id=vp.partnership_id,
            host_partnership_id=hp.partnership_id,
            phase=phase,
            created_at=now,
            updated_at=now,
        )
        session.add(ex)
        await session.flush()
        session.add(
            ExchangeEvent(
                exchange_id=ex.id,  # type: ignore[arg-type]
                at=now,
                actor_id=actor,
                action="created",
                phase=ex.phase,
            )
        )
        if self.cities is not None:  # the host's region decides the public holidays
            await self.cities.ready()
        x = XCtx(unit, ex, vu, vp, hu, hp, actor)
        if choose:
            self._ask_direction(x)
            await self._plan_nudges(x)
        else:
            await self._begin(x)
        mine = x.send()
        if mine.replies:
            unit.notify(Notice(actor, mine.replies))

    async def _begin(self, x: XCtx) -> None:
        """The direction is settled: the visitor's partnership validates, or the dates."""
        ex = x.ex
        if ex.visitor_partnership_id is not None:
            partnership = await repo.get_partnership(
                x.unit.session, partnership_id=ex.visitor_partnership_id
            )
            name = partnership.name if partnership else ""
            self._both(
                x,
                lambda: _(
                    "Next step: {partnership} validates this exchange. I will tell you "
                    "as soon as it has; then you agree on the dates of the visit."
                ).format(partnership=f"<b>{esc(name)}</b>"),
            )
            await self._staff(x, [ex.visitor_partnership_id], lambda: [self._card(x, MATCH)])
        else:
            await self._ask_dates(x)

    # ----------------------------------------------------------------- /exchange

    async def overview(self, unit: Unit, user_id: int) -> Outcome | None:
        """``/exchange``: the user's exchanges, their phase and the next step; None when the
        user has none (the caller says what comes before one)."""
        out = Outcome()
        for ex in (await repo.exchanges_of_user(unit.session, user_id=user_id))[:5]:
            x = await self._ctx(unit, ex.id or 0, user_id)
            if x is not None:
                out.replies.append(self._overview_card(x, user_id))
        return out if out.replies else None

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
            lines.append(dates_line(ex) + f" ({agreed})")
        if ex.phase in (Phase.PLANNING, Phase.VISITING):
            lines.append(
                _("Goals and agenda: {status}").format(
                    status=_(QUALITY_LABELS.get(ex.cq_status, ex.cq_status))
                )
            )
        if visiting and ex.final_lump_sum is not None and not x.gone:
            lines += ["", self._payment_status(x)]
        elif (
            visiting
            and ex.lump_sum is not None
            and ex.phase not in (Phase.CANCELLED, Phase.REJECTED)
            and not x.gone
        ):
            lines += ["", self._estimate_text(x)]
        acts = [a for a in offered(ex, user_id, self.clock.today()) if a != Act.SKIP_DOCUMENT]
        return Reply("\n".join(lines), keyboard(ex, acts))

    # ----------------------------------------------------------------- buttons

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """``x:<action>:<exchange>[:<value>]``, checked against the lifecycle table."""
        press = callbacks.parse(data)
        if press is None:
            return stale_button()
        x = await self._ctx(unit, press.exchange_id, user_id)
        if x is None or user_id not in (x.visitor.id, x.host.id):
            log.warning("refused exchange button %r by %s", data, who(user_id))
            return Outcome(toast=_("This exchange is not yours."), alert=True)
        ex, act = x.ex, press.act
        refusal = check(act, ex, user_id, self.clock.today())
        if act == Act.SKIP_DOCUMENT and refusal is None and x.visitor.state != REPORT_DOC:
            refusal = DONE
        if refusal is not None:
            return self._refused(refusal, act, ex)
        if not await self._do(x, user_id, press):
            return Outcome(toast=_("Already noted."))
        return x.send()

    async def _do(self, x: XCtx, user_id: int, press: callbacks.Press) -> bool:
        """Carry out an allowed press; False when someone else was faster."""
        ex, act, value = x.ex, press.act, press.value
        if act == Act.CHOOSE_TRAVEL:
            return await self._choose_travel(x, user_id, value)
        if act == Act.AGREE_TRAVEL:
            return await self._agree_travel(x, user_id)
        if act == Act.PROPOSE_DATES:
            self._enter(x, user_id, DATES)
            x.out.add(self._dates_prompt(x) + "\n\n" + _("/cancel stops."))
        elif act == Act.CONFIRM_DATES:
            if not await self._confirm_dates(x, user_id):
                return False
            x.out.replies.insert(0, Reply(markup_only=True, edit=True))
        elif act == Act.CALENDAR:
            x.out.replies.append(Reply(document=self._ics(x, user_id)))
        elif act == Act.WRITE_GOALS:
            self._enter(x, user_id, GOALS)
            x.out.add(
                _(
                    "What are the goals of the visit? What do you want to learn, see or "
                    "start together? (/cancel stops.)"
                )
            )
        elif act == Act.AGREE_GOALS:
            if not await self._quality_agreed(x):
                return False
            x.out.replies.insert(0, Reply(markup_only=True, edit=True))
        elif act == Act.SUGGEST_CHANGES:
            self._enter(x, user_id, CHANGES)
            x.out.add(
                _("What should {visitor} change? Type your suggestion.").format(
                    visitor=esc(x.visitor_profile.organisation)
                )
            )
        elif act == Act.HAPPENED:
            if not await self._happened(x, value):
                return False
            x.out.replies.insert(0, Reply(markup_only=True, edit=True))
        elif act == Act.NOT_HAPPENED_REASON:
            if not await self._move(
                x, "reason", expect={"happened_reason": None}, detail=value,
                happened_reason=value,
            ):  # fmt: skip
                return False
            x.out.toast = _("Thank you.")
            x.out.replies.append(Reply(_("Thank you for telling me."), edit=True))
        elif act == Act.WRITE_REPORT:
            self._enter(x, user_id, REPORT_DONE)
            x.out.add(_("Closing report, 1/4: what did you do during the visit? (/cancel stops.)"))
        elif act == Act.SKIP_DOCUMENT:
            await self._submit_report(x)
        elif act == Act.ADD_EVIDENCE:
            self._enter(x, user_id, EVIDENCE)
            x.out.add(
                self._evidence_prompt() + " " + _("(/cancel stops; what you sent is kept.)"),
                buttons(Act.FINISH_EVIDENCE, ex) if x.evidence else None,
            )
        elif act == Act.FINISH_EVIDENCE:
            return await self._finish_evidence(x)
        elif act == Act.RATE_HOST:
            if not await self._move(
                x, "host_feedback", expect={"host_rating": None}, detail=value,
                host_rating=int(value),
            ):  # fmt: skip
                return False
            x.out.replies.append(
                Reply(_("Thank you for your feedback!") + " " + "⭐" * int(value), edit=True)
            )
        elif act == Act.OUTCOME:
            column = "outcome_visitor" if user_id == ex.visitor_id else "outcome_host"
            if not await self._move(
                x, "outcome", expect={column: None}, detail=value, **{column: value}
            ):
                return False
            x.out.replies.append(Reply("✅ " + _(OUTCOMES[value]), edit=True))
            x.out.add(_("Thank you! This helps the partnerships show what exchanges achieve."))
        return True

    def _refused(self, refusal: str, act: Act, ex: Exchange) -> Outcome:
        """Why an action cannot be taken now; nothing changes."""
        if refusal == DONE:
            return Outcome(toast=_("Already noted."))
        if refusal == EARLY and ex.end_date is not None:
            return Outcome(
                toast=_("You can answer this from the last day of the visit on ({date}).").format(
                    date=format_date(ex.end_date)
                ),
                alert=True,
            )
        if refusal == OWN:
            return Outcome(toast=_("You proposed these dates; the other side confirms them."))
        if refusal == CLOSED:
            return Outcome(
                toast=_(
                    "This step is not open at this stage of the exchange. /exchange shows "
                    "where it stands."
                ),
                alert=True,
            )
        return Outcome(toast=_("This step is for the other side of the exchange."), alert=True)

    def _enter(self, x: XCtx, user_id: int, state: str) -> None:
        dialog.ask(x.user(user_id), state, {"x": x.ex.id}, STATES)

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel`` while typing exchange input: nothing is changed."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state == EVIDENCE:
            dialog.resume(user)
            return Outcome().add(
                _(
                    "Stopped. The files you sent are kept; press “Add evidence” in /exchange "
                    "to go on."
                )
            )
        if user is not None and user.state in STATES:
            dialog.resume(user)
        return Outcome().add(
            _("Cancelled. Nothing was changed; /exchange shows where your exchange stands.")
        )

    # ----------------------------------------------------------------- typed input

    async def on_text(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """Typed dates, goals, agenda, suggestions and report parts."""
        user = await repo.get_user(unit.session, user_id=user_id)
        assert user is not None
        x = await self._ctx(unit, _int(user.state_data.get("x")), user_id)
        if x is None or user_id not in (x.visitor.id, x.host.id):
            dialog.resume(user)
            return Outcome().add(_("This exchange does not exist any more."))
        user = x.user(user_id)
        state = user.state
        act = TYPED.get(state)
        refusal = None if act is None else check(act, x.ex, user_id, self.clock.today())
        if act is None or refusal is not None:
            dialog.resume(user)
            return Outcome().add(
                _("This step is not open any more. /exchange shows where your exchange stands.")
            )
        try:
            await self._typed(x, user, state, text)
        except InputError as exc:
            x.out.replies = [Reply(str(exc) + "\n\n" + self._reprompt(x, state))]
            x.notices = []
        return x.send()

    def _reprompt(self, x: XCtx, state: str) -> str:
        if state == DATES:
            return self._dates_prompt(x) + " " + _("(/cancel stops.)")
        return _("Please send it again, or /cancel.")

    async def _typed(self, x: XCtx, user: User, state: str, text: str) -> None:
        ex = x.ex
        if state == DATES:
            await self._set_dates(x, user.id, text)
            dialog.resume(user)
            return
        if state == EVIDENCE:  # a text instead of a file
            x.out.add(
                _("Please send the evidence as a file or a photo, or press Done."),
                buttons(Act.FINISH_EVIDENCE, ex) if x.evidence else None,
            )
            return
        if state == REPORT_DOC:  # a text instead of a document
            x.out.add(
                _("Please send the document as a file, or press Skip."),
                buttons(Act.SKIP_DOCUMENT, ex),
            )
            return
        value = clean_text(text, limit=TEXT_LIMIT, min_letters=10)
        if state == GOALS:
            ex.goals = value
            _next(user, AGENDA)
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
            await self._changes_suggested(x, value)
        elif state == REPORT_DONE:
            ex.report_done = value
            _next(user, REPORT_RESULTS)
            x.out.add(_("2/4: what are the results? What did you learn or agree on?"))
        elif state == REPORT_RESULTS:
            ex.report_results = value
            _next(user, REPORT_NEXT)
            x.out.add(
                _("3/4: what are the next steps with {host}?").format(
                    host=esc(x.host_profile.organisation)
                )
            )
        elif state == REPORT_NEXT:
            ex.report_next = value
            _next(user, REPORT_DOC)
            x.out.add(
                _(
                    "4/4: optionally, send a document of up to {limit} MB (for example an "
                    "agenda, photos as a PDF or a signed attendance sheet). Or press Skip."
                ).format(limit=documents.MAX_MEGABYTES),
                buttons(Act.SKIP_DOCUMENT, ex),
            )

    async def on_document(
        self,
        unit: Unit,
        user_id: int,
        file_id: str,
        filename: str,
        size: int | None = None,
        mime_type: str | None = None,
        unique_id: str = "",
    ) -> Outcome | None:
        """A file sent while the report asks for one, or as evidence; None when no exchange
        input waits. Programs, scripts and files over Telegram's 20 MB are refused with the
        reason (evidence: see ``finalisation``)."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state == EVIDENCE:
            return await self._evidence_input(
                unit, user, file_id, unique_id, documents.clean_name(filename), mime_type, size
            )
        if user is None or user.state != REPORT_DOC:
            return None
        x = await self._ctx(unit, _int(user.state_data.get("x")), user_id)
        if x is None or check(Act.WRITE_REPORT, x.ex, user_id, self.clock.today()) is not None:
            return None
        name = documents.clean_name(filename)
        refusal = documents.problem(name, mime_type, size)
        if refusal is not None:
            return Outcome().add(refusal, buttons(Act.SKIP_DOCUMENT, x.ex))
        x.ex.report_file_id = file_id[:200]
        x.ex.report_file_name = name
        await self._submit_report(x)
        return x.send()

    async def on_photo(
        self, unit: Unit, user_id: int, file_id: str, unique_id: str, size: int | None
    ) -> Outcome | None:
        """A photo sent as evidence; None when no evidence is expected."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is None or user.state != EVIDENCE:
            return None
        name = _("photo") + f"-{unique_id[-6:] or 1}.jpg"
        return await self._evidence_input(
            unit, user, file_id, unique_id, name, "image/jpeg", size, photo=True
        )

    async def _evidence_input(
        self,
        unit: Unit,
        user: User,
        file_id: str,
        unique_id: str,
        name: str,
        mime_type: str | None,
        size: int | None,
        photo: bool = False,
    ) -> Outcome:
        x = await self._ctx(unit, _int(user.state_data.get("x")), user.id)
        if x is None or check(Act.ADD_EVIDENCE, x.ex, user.id, self.clock.today()) is not None:
            dialog.resume(user)
            return Outcome().add(
                _("This step is not open any more. /exchange shows where your exchange stands.")
            )
        await self._evidence_file(x, file_id, unique_id, name, mime_type, size, photo)
        return x.send()

    async def other_input(self, unit: Unit, user_id: int) -> Outcome:
        """A sticker, photo or voice message while exchange input is expected."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state == EVIDENCE:
            return Outcome().add(_("Please send the evidence as a file or a photo, or press Done."))
        if user is not None and user.state == REPORT_DOC:
            return Outcome().add(_("Please send the document as a file, or press Skip."))
        return Outcome().add(_("I can only read text here. Please type your answer, or /cancel."))


def _next(user: User, state: str) -> None:
    """The next question of the same dialog."""
    user.state = state
    user.state_version += 1


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
