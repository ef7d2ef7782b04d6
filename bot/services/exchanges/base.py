"""What every part of the exchange lifecycle shares: one exchange with both sides loaded
(``XCtx``), telling a side in their language, the guarded transition, the lump-sum estimate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot import geo
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import _, country_name, format_money, format_number, language_of, use_language
from bot.scheme import LumpSum, estimate_lump_sum
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import buttons, departed_profile
from bot.services.partnerships.access import StaffAccess
from bot.services.ui import Keyboard, Notice, Outcome, Reply, esc
from bot.services.unit import Unit
from storage import repo, repo_finalisation
from storage.models import Exchange, ExchangeEvidence, Profile, User


@dataclass
class XCtx:
    """One exchange with both sides, and what to send to whom (collected until the step
    succeeds: a refused step tells nobody anything)."""

    unit: Unit
    ex: Exchange
    visitor: User
    visitor_profile: Profile
    host: User
    host_profile: Profile
    actor: int | None
    out: Outcome = field(default_factory=Outcome)
    notices: list[Notice] = field(default_factory=list)
    # Sides who erased their data (placeholders): shown as "a participant who left", never
    # written to.
    gone: frozenset[int] = frozenset()
    # The visitor's evidence files, in the order they came.
    evidence: list[ExchangeEvidence] = field(default_factory=list)

    def user(self, user_id: int) -> User:
        """The visitor's or the host's user row."""
        return self.visitor if user_id == self.visitor.id else self.host

    def peer_profile(self, user_id: int) -> Profile:
        """The other side's profile."""
        return self.host_profile if user_id == self.visitor.id else self.visitor_profile

    def send(self) -> Outcome:
        """The actor's reply; the messages for others go to the unit's outbox."""
        self.unit.notify(*self.notices)
        self.notices = []
        return self.out


class ExchangeBase:
    """Shared helpers of the exchange lifecycle's parts."""

    def __init__(
        self,
        clock: Clock,
        settings: Settings,
        access: StaffAccess,
        cities: geo.CityIndex | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.access = access
        self.cities = cities  # the host's region, for its public holidays

    async def _ctx(self, unit: Unit, exchange_id: int, actor: int | None) -> XCtx | None:
        if self.cities is not None:  # the host's region decides the public holidays
            await self.cities.ready()
        ex = await repo.get_exchange(unit.session, exchange_id=exchange_id)
        if ex is None:
            return None
        vu, vp = await repo.get_user_and_profile(unit.session, user_id=ex.visitor_id)
        hu, hp = await repo.get_user_and_profile(unit.session, user_id=ex.host_id)
        if vu is None or hu is None:
            return None
        # A side without a profile erased their data: the exchange stays the other side's.
        gone = frozenset(user.id for user, profile in ((vu, vp), (hu, hp)) if profile is None)
        return XCtx(
            unit,
            ex,
            vu,
            vp or departed_profile(vu.id),
            hu,
            hp or departed_profile(hu.id),
            actor,
            gone=gone,
            evidence=await repo_finalisation.evidence_of(unit.session, exchange_id=ex.id or 0),
        )

    def _tell(self, x: XCtx, user_id: int, build: Callable[[], list[Reply]]) -> None:
        """Messages for one side: in the reply when they acted, else in their language;
        none for a side who left."""
        if user_id in x.gone:
            return
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
        keyboard: Callable[[], Keyboard | None] | None = None,
    ) -> None:
        """One text (and keyboard), both built in the recipient's language."""
        self._tell(x, user_id, lambda: [Reply(build(), keyboard() if keyboard else None)])

    def _both(self, x: XCtx, build: Callable[[], str]) -> None:
        """The same text for both sides, each in their language."""
        for side in (x.visitor.id, x.host.id):
            self._text(x, side, build)

    def _offer(self, x: XCtx, act: Act) -> Callable[[], Keyboard]:
        """The buttons of ``act`` (built later, in the recipient's language)."""
        return lambda: buttons(act, x.ex)

    async def _staff(
        self, x: XCtx, partnership_ids: list[int | None], build: Callable[[], list[Reply]]
    ) -> None:
        parties = (x.actor, x.visitor.id, x.host.id)  # not theirs to decide
        x.notices.extend(await self.access.staff_notices(x.unit, partnership_ids, build, parties))

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
        return await repo.transition_exchange(
            x.unit.session,
            exchange=x.ex,
            expect=expect,
            values=values,
            now=self.clock.now(),
            actor_id=x.actor,
            action=action,
            detail=detail,
        )

    # ----------------------------------------------------------------- the parts call each other

    def _ask_dates(self, x: XCtx, validated: bool = False) -> None:
        """Dates part: ask both sides to agree on dates."""
        raise NotImplementedError

    def _ask_quality(self, x: XCtx) -> None:
        """Goals and agenda part: ask the visitor to write them."""
        raise NotImplementedError

    async def _close(self, x: XCtx) -> None:
        """Visit part: the report is validated, the exchange closes."""
        raise NotImplementedError

    def _card(self, x: XCtx, kind: str) -> Reply:
        """Review part: the card staff validate."""
        raise NotImplementedError

    async def _finalised(self, x: XCtx) -> None:
        """Finalisation part: the exchange closed; certificates and the payment's card."""
        raise NotImplementedError

    def _happened_question(self, x: XCtx) -> Reply:
        """Visit part: did the visit take place?"""
        raise NotImplementedError

    # ----------------------------------------------------------------- money and distance

    def _distance(self, x: XCtx) -> float | None:
        v, h = x.visitor_profile, x.host_profile
        if v.latitude is None or v.longitude is None or h.latitude is None or h.longitude is None:
            return None
        return geo.distance_km(v.latitude, v.longitude, h.latitude, h.longitude)

    def _estimate_text(self, x: XCtx) -> str:
        ex = x.ex
        cap = self.settings.cap_for(x.host_profile.country or "")
        estimate = estimate_lump_sum(ex.working_days or 0, ex.distance_km, cap)
        head = "💶 " + _(
            "Estimated lump sum: {amount} (an estimate; your partnership decides)."
        ).format(amount=format_money(estimate.amount))
        return "\n".join([head, *self._sum_reasons(x, estimate)])

    def _sum_reasons(self, x: XCtx, estimate: LumpSum) -> list[str]:
        """Why the lump sum is what it is: the cap, the distance, the halving rules."""
        host_country = x.host_profile.country or ""
        cap = estimate.cap
        lines = [
            "• "
            + _("Cap for visits to {country}: {cap}").format(
                country=esc(country_name(host_country)), cap=format_money(cap)
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
        return lines
