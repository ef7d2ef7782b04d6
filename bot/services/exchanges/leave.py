"""A side leaves ClusterXchange (``/deleteme``): their running exchanges are cancelled and the
others are told; the exchanges themselves stay, as the other side's and the partnerships'
record (the erasure then hands the side to a placeholder: ``storage.repo.delete_user``)."""

from __future__ import annotations

from bot.i18n import _
from bot.services import dialog
from bot.services.exchanges.access import STATES
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.view import PHASE_LABELS
from bot.services.review.view import history_keyboard
from bot.services.ui import Reply, esc
from bot.services.unit import Unit
from storage import repo
from storage.models import Phase


class LeaveMixin(ExchangeBase):
    """What erasing one side's data does to their exchanges."""

    async def _running(self, unit: Unit, user_id: int) -> list[XCtx]:
        found = []
        for ex in await repo.exchanges_of_user(unit.session, user_id=user_id):
            if ex.phase in Phase.ACTIVE:
                x = await self._ctx(unit, ex.id or 0, None)
                if x is not None:
                    found.append(x)
        return found

    async def running(self, unit: Unit, user_id: int) -> list[str]:
        """One line per running exchange of the user (for the erasure's question), in the
        user's language: with whom, which exchange, its phase."""
        lines = []
        for x in await self._running(unit, user_id):
            peer = f"<b>{esc(x.peer_profile(user_id).organisation)}</b>"
            what = (
                _("your visit to {organisation}")
                if user_id == x.visitor.id
                else _("the visit of {organisation} to you")
            )
            lines.append(
                "• "
                + what.format(organisation=peer)
                + " ("
                + _("exchange #{id}").format(id=x.ex.id)
                + ": "
                + _(PHASE_LABELS.get(x.ex.phase, x.ex.phase))
                + ")"
            )
        return lines

    async def side_leaves(self, unit: Unit, user_id: int) -> None:
        """The user erases their data: each running exchange is cancelled by the bot (its
        audit row says which side left) and the other side and the staff of both
        partnerships are told, each in their language, in this unit of work."""
        for x in await self._running(unit, user_id):
            ex = x.ex
            visitor_left = user_id == x.visitor.id
            now = self.clock.now()
            if not await self._move(
                x,
                "visitor_left" if visitor_left else "host_left",
                expect={"phase": ex.phase},
                phase=Phase.CANCELLED,
                closed_at=now,
            ):
                continue
            await repo.cancel_reminders(unit.session, exchange_id=ex.id or 0, now=now)
            other = x.host if visitor_left else x.visitor
            if other.state in STATES and other.state_data.get("x") == ex.id:
                dialog.resume(other)  # was typing for this exchange: nothing is open now
            x.gone = x.gone | {user_id}  # the one who leaves hears nothing more from it
            self._text(
                x,
                other.id,
                lambda visitor_left=visitor_left, xid=ex.id: (
                    "ℹ️ "
                    + (
                        _(
                            "Exchange #{id} is cancelled: the visitor has left ClusterXchange "
                            "and erased their data. You keep the exchange's record (see "
                            "/exchange), without their details."
                        )
                        if visitor_left
                        else _(
                            "Exchange #{id} is cancelled: the host has left ClusterXchange and "
                            "erased their data. You keep the exchange's record (see "
                            "/exchange), without their details, and you can look for another "
                            "partner with /matches."
                        )
                    ).format(id=xid)
                ),
            )
            x.notices.extend(
                await self.access.staff_notices(
                    unit,
                    [ex.visitor_partnership_id, ex.host_partnership_id],
                    lambda visitor_left=visitor_left, xid=ex.id: [
                        Reply(
                            "ℹ️ "
                            + (
                                _(
                                    "Exchange #{id} was cancelled: the visitor left "
                                    "ClusterXchange and erased their data. The record stays, "
                                    "without their details."
                                )
                                if visitor_left
                                else _(
                                    "Exchange #{id} was cancelled: the host left "
                                    "ClusterXchange and erased their data. The record stays, "
                                    "without their details."
                                )
                            ).format(id=xid),
                            history_keyboard(xid or 0),
                        )
                    ],
                    exclude=(user_id,),
                )
            )
            x.send()
