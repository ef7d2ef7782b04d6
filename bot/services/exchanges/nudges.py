"""Nudges when an exchange waits on one side: who travels is still open, no dates are
proposed, or proposed dates wait for an answer. Each time it becomes someone's turn (the
match, a proposal, the validation, a postponement) the nudges are planned anew, 7 and 21
days later; when one falls due it goes to whoever's turn it then is, and a step taken
meanwhile makes it moot (checked then, like every reminder)."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import _
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.dates import confirm_keyboard
from bot.services.exchanges.direction import answer_keyboard
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import buttons, dates_line
from bot.services.ui import Keyboard, Reply, esc
from storage import repo
from storage.models import Phase

STALLED = "stalled"  # the reminders' kind
STALLED_AFTER = (timedelta(days=7), timedelta(days=21))


class NudgesMixin(ExchangeBase):
    """Plan the nudges of an exchange that waits on someone, and word them when due."""

    async def _plan_nudges(self, x: XCtx) -> None:
        """It is someone's turn from now: nudges 7 and 21 days later replace earlier ones."""
        now = self.clock.now()
        sides = [side for side in (x.visitor.id, x.host.id) if side not in x.gone]
        await repo.replan_reminders(
            x.unit.session,
            exchange_id=x.ex.id or 0,
            kind=STALLED,
            due=[(side, now + after) for after in STALLED_AFTER for side in sides],
        )

    def _stalled_reply(self, x: XCtx, user_id: int) -> Reply | None:
        """The nudge for ``user_id`` if the exchange waits on them (None: it does not)."""
        step = self._stalled_step(x, user_id)
        return None if step is None else Reply("⏳ " + step[0], step[1])

    def _stalled_step(self, x: XCtx, user_id: int) -> tuple[str, Keyboard] | None:
        """What the exchange waits on ``user_id`` for, and the buttons to do it."""
        ex = x.ex
        peer = f"<b>{esc(x.peer_profile(user_id).organisation)}</b>"
        if ex.phase == Phase.DIRECTION:
            if ex.direction_by is None:
                return _(
                    "Your exchange with {peer} is waiting for one step: who travels? Do you go "
                    "to {peer}, or does {peer} come to you? One of you proposes, the other "
                    "agrees."
                ).format(peer=peer), buttons(Act.CHOOSE_TRAVEL, ex)
            if ex.direction_by == user_id:
                return None  # their proposal waits for the other side
            return _(
                "{peer} proposed that {visitor} travels to {host} and is waiting for your "
                "answer. Do you agree?"
            ).format(
                peer=peer,
                visitor=f"<b>{esc(x.visitor_profile.organisation)}</b>",
                host=f"<b>{esc(x.host_profile.organisation)}</b>",
            ), answer_keyboard(ex)
        if ex.phase != Phase.PLANNING:
            return None
        if ex.start_date is None:
            return _(
                "Your exchange with {peer} is waiting for the dates of the visit. Once you have "
                "agreed on them, either of you can propose them here."
            ).format(peer=peer), buttons(Act.PROPOSE_DATES, ex)
        if ex.dates_by == user_id:
            return None  # their dates wait for the other side
        text = _("{peer} proposed these dates for the visit and is waiting for your answer:")
        return text.format(peer=peer) + "\n" + dates_line(ex), confirm_keyboard(ex)
