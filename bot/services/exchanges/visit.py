"""After the visit: did it take place (yes, postponed, cancelled), the closing report with an
optional document, the host's rating, closing, and the outcome months later."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import _, format_date
from bot.services import dialog
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import buttons
from bot.services.review.view import history_keyboard
from bot.services.schedule import later_by_months
from bot.services.ui import Document, Reply, esc
from storage import repo
from storage.models import Evidence, Phase, Reminder


class VisitMixin(ExchangeBase):
    """What happens once the visit is over."""

    def _happened_question(self, x: XCtx) -> Reply:
        ex = x.ex
        return Reply(
            _("Your visit to {host} was planned until {end}. Did it take place?").format(
                host=f"<b>{esc(x.host_profile.organisation)}</b>",
                end=format_date(ex.end_date) if ex.end_date else "—",
            ),
            buttons(Act.HAPPENED, ex),
        )

    async def _happened(self, x: XCtx, answer: str) -> bool:
        ex = x.ex
        now = self.clock.now()
        session = x.unit.session
        expect = {"phase": Phase.VISITING}
        if answer == "yes":
            if not await self._move(
                x, "happened", expect=expect, phase=Phase.RETURNING, happened="yes"
            ):
                return False
            due = now + timedelta(days=self.settings.report_reminder_days)
            session.add(
                Reminder(user_id=ex.visitor_id, exchange_id=ex.id, kind="report", due_at=due)
            )
            self._text(
                x,
                x.visitor.id,
                lambda: _(
                    "Wonderful! The last step is your closing report: what you did, the "
                    "results and the next steps. It takes about five minutes."
                ),
                lambda: (
                    buttons(Act.WRITE_REPORT, ex)
                    + (buttons(Act.ADD_EVIDENCE, ex) if ex.visitor_partnership_id else [])
                ),
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "{visitor} confirms that the visit took place. How useful was hosting "
                    "them for you?"
                ).format(visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"),
                self._offer(x, Act.RATE_HOST),
            )
            return True
        if answer == "post":
            await repo.cancel_reminders(session, exchange_id=ex.id or 0, now=now)
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
                self._offer(x, Act.NOT_HAPPENED_REASON),
            )
            self._text(
                x,
                x.visitor.id,
                lambda: _("When you know the new dates, propose them here."),
                self._offer(x, Act.PROPOSE_DATES),
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "{visitor} reports that the visit was postponed. They will propose new "
                    "dates; I will ask you to confirm them."
                ).format(visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>"),
            )
            await self._plan_nudges(x)  # no new dates yet
            return True
        await repo.cancel_reminders(session, exchange_id=ex.id or 0, now=now)
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
            self._offer(x, Act.NOT_HAPPENED_REASON),
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
                    + _("Exchange #{id} was cancelled by the visitor: {visitor} → {host}.").format(
                        id=ex.id,
                        visitor=esc(x.visitor_profile.organisation),
                        host=esc(x.host_profile.organisation),
                    ),
                    history_keyboard(ex.id or 0),
                )
            ],
        )
        return True

    async def _submit_report(self, x: XCtx) -> None:
        ex = x.ex
        dialog.resume(x.visitor)
        review = ex.visitor_partnership_id is not None
        await repo.cancel_reminders(
            x.unit.session, exchange_id=ex.id or 0, now=self.clock.now(), kinds=("report",)
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
        if ex.evidence_status in (Evidence.NONE, Evidence.REJECTED):
            x.out.add(
                _(
                    "Your partnership also needs evidence of your stay (boarding passes, "
                    "travel or accommodation invoices) before it pays the lump sum."
                ),
                buttons(Act.ADD_EVIDENCE, ex),
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

    async def _close(self, x: XCtx) -> None:
        """The report is validated: tell both sides; ask for the outcome months later."""
        ex = x.ex
        session = x.unit.session
        await repo.cancel_reminders(session, exchange_id=ex.id or 0, now=self.clock.now())
        due = later_by_months(
            ex.end_date or self.clock.today(), self.settings.outcome_after_months, self.clock.tz
        )
        due = max(due, self.clock.now())
        for side in (x.visitor.id, x.host.id):
            session.add(Reminder(user_id=side, exchange_id=ex.id, kind="outcome", due_at=due))
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
        await self._finalised(x)
