"""Goals and agenda of the visit (the scheme's Commitment to Quality): the visitor writes
them, the host agrees or suggests changes, and both partnerships validate them."""

from __future__ import annotations

from bot.i18n import _
from bot.services.exchanges import callbacks
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import quality_lines
from bot.services.profile_text import InputError
from bot.services.ui import Button, esc
from storage.models import Quality


class QualityMixin(ExchangeBase):
    """Writing, agreeing and revising goals and agenda."""

    def _ask_quality(self, x: XCtx) -> None:
        self._text(
            x,
            x.visitor.id,
            lambda: _(
                "Next, the Commitment to Quality: write down the goals of your visit and an "
                "agenda. {host} agrees to them and both partnerships validate them."
            ).format(host=esc(x.host_profile.organisation)),
            self._offer(x, Act.WRITE_GOALS),
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
                + "\n".join(quality_lines(ex))
            ),
            lambda: [
                [Button("✅ " + _("I agree"), callbacks.button(Act.AGREE_GOALS, ex.id))],
                [Button("✏️ " + _("Suggest changes"), callbacks.button(Act.SUGGEST_CHANGES, ex.id))],
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
            self._both(
                x,
                lambda: (
                    "✅ "
                    + _(
                        "Both sides agree on the goals and agenda: the Commitment to "
                        "Quality is complete."
                    )
                ),
            )
            return True
        self._both(
            x,
            lambda: _(
                "Both sides agree on the goals and agenda. The partnerships validate them "
                "now; I will tell you when they have."
            ),
        )
        await self._staff(
            x, [ex.visitor_partnership_id, ex.host_partnership_id], lambda: [self._card(x, "q")]
        )
        return True

    async def _changes_suggested(self, x: XCtx, value: str) -> None:
        """The host's typed suggestion goes to the visitor."""
        if not await self._move(
            x, "quality_changes", expect={"cq_status": Quality.HOST}, detail=value,
            cq_status=Quality.CHANGES, cq_note=value,
        ):  # fmt: skip
            x.out.add(_("The goals and agenda changed meanwhile. Please look at /exchange."))
            return
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
            self._offer(x, Act.WRITE_GOALS),
        )
