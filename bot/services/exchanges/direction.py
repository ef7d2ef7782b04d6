"""Who travels, when both sides are visitor and host: chosen by them, not by the engine.

A mutual match of two profiles that both offer to visit and to host starts in the phase
``direction``: both are asked; either proposes (and may propose the other way round later),
the other agrees, and only then does the exchange go on as any other: to the visitor's
partnership for validation, or straight to the dates. The partnership that validates and pays
is the visitor's, so the direction must be settled before anyone validates."""

from __future__ import annotations

from bot.i18n import _
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import buttons
from bot.services.ui import Keyboard, Reply, esc
from storage import repo
from storage.models import Exchange, Phase


class DirectionMixin(ExchangeBase):
    """Both sides choose who travels."""

    def _ask_direction(self, x: XCtx) -> None:
        """At the match: both sides are asked who travels."""
        for side in (x.visitor.id, x.host.id):
            self._text(
                x,
                side,
                lambda side=side: _(  # type: ignore[misc]
                    "You are both ready to visit and to host. Who travels: do you go to "
                    "{peer}, or does {peer} come to you? One of you proposes, the other "
                    "agrees."
                ).format(peer=f"<b>{esc(x.peer_profile(side).organisation)}</b>"),
                lambda: buttons(Act.CHOOSE_TRAVEL, x.ex),
            )

    async def _choose_travel(self, x: XCtx, user_id: int, value: str) -> bool:
        """Propose a direction; the other side is asked to agree."""
        other = x.host.id if user_id == x.visitor.id else x.visitor.id
        visitor, host = (user_id, other) if value == "me" else (other, user_id)
        if x.ex.direction_by == user_id and x.ex.visitor_id == visitor:
            return False  # the same proposal again
        session = x.unit.session
        _vu, vp = await repo.get_user_and_profile(session, user_id=visitor)
        _hu, hp = await repo.get_user_and_profile(session, user_id=host)
        assert vp is not None and hp is not None
        if not await self._move(
            x,
            "direction",
            expect={"phase": Phase.DIRECTION, "direction_by": x.ex.direction_by},
            detail=value,
            visitor_id=visitor,
            host_id=host,
            visitor_partnership_id=vp.partnership_id,
            host_partnership_id=hp.partnership_id,
            direction_by=user_id,
        ):
            return False
        travels, receives = esc(vp.organisation), esc(hp.organisation)
        x.out.replies.append(Reply(markup_only=True, edit=True))
        x.out.add(
            _("Noted: {visitor} travels to {host}. I have asked the other side to agree.").format(
                visitor=f"<b>{travels}</b>", host=f"<b>{receives}</b>"
            )
        )
        asker = esc(x.peer_profile(other).organisation)
        self._text(
            x,
            other,
            lambda: _("{asker} proposes that {visitor} travels to {host}. Do you agree?").format(
                asker=f"<b>{asker}</b>", visitor=f"<b>{travels}</b>", host=f"<b>{receives}</b>"
            ),
            lambda: answer_keyboard(x.ex),
        )
        await self._plan_nudges(x)  # now the other side's turn
        return True

    async def _agree_travel(self, x: XCtx, user_id: int) -> bool:
        """The other side agrees: the exchange goes on, to validation or to the dates."""
        needs_approval = x.ex.visitor_partnership_id is not None
        if not await self._move(
            x,
            "direction_agreed",
            expect={"phase": Phase.DIRECTION, "direction_by": x.ex.direction_by},
            phase=Phase.APPROVAL if needs_approval else Phase.PLANNING,
        ):
            return False
        fresh = await self._ctx(x.unit, x.ex.id or 0, user_id)
        assert fresh is not None
        x.out.replies.append(Reply(markup_only=True, edit=True))
        fresh.out = x.out
        await self._begin(fresh)
        x.notices.extend(fresh.notices)
        return True

    async def _begin(self, x: XCtx) -> None:
        """Creation part: validation by the visitor's partnership, or the dates."""
        raise NotImplementedError


def answer_keyboard(ex: Exchange) -> Keyboard:
    """What the side asked to agree to a direction may press: agree, or propose either way."""
    return [*buttons(Act.AGREE_TRAVEL, ex), *buttons(Act.CHOOSE_TRAVEL, ex)]
