"""The only place where one feature's event makes another feature act.

Each workflow runs in the caller's unit of work, so the first change and the reaction to it
commit together (or not at all), and the messages both cause go to the outbox in that same
transaction. Features never call each other's services; when something spans two of them,
it is written here, where "what happens after a match" can be read in one place:

- a mutual match becomes an exchange (``answer_proposal``);
- a completed registration is announced to matching, or sent to the staff for validation
  (``registered``);
- a validated registration is announced to matching, and staff hear when nobody fits it
  (``staff_decision``, ``staff_reason``);
- two people who met at an event propose a ClusterXchange exchange, which enters the normal
  matching and may become an exchange at once (``event_button``);
- 👍 Interested in someone found by ``/search`` is the matchmaking's mutual consent, and
  may become an exchange at once (``search_button``);
- ``/exchange`` before there is one says whose answer the person is waiting for
  (``exchange_overview``);
- someone who erases their data leaves their exchanges: the running ones are cancelled and
  the other side and the partnerships told, and every exchange stays with the other side
  without their data (``ask_delete``, ``account_button``).
"""

from __future__ import annotations

from bot.i18n import _, format_list, ngettext
from bot.services.account import callbacks as account_callbacks
from bot.services.account.service import Account
from bot.services.events.service import Events
from bot.services.exchanges.service import Exchanges
from bot.services.matchmaking.service import Answered, Matchmaking
from bot.services.review.service import Decided, Reviews
from bot.services.search.service import Search
from bot.services.ui import Outcome, esc
from bot.services.unit import Unit


class Workflows:
    """Reactions that span two features, each in the caller's unit of work."""

    def __init__(
        self,
        matchmaking: Matchmaking,
        exchanges: Exchanges,
        reviews: Reviews,
        events: Events,
        account: Account,
        search: Search,
    ) -> None:
        self.matchmaking = matchmaking
        self.exchanges = exchanges
        self.reviews = reviews
        self.events = events
        self.account = account
        self.search = search

    async def answer_proposal(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """Interested / Not for me / Next on a proposal; a mutual match becomes an exchange."""
        return await self._matched(unit, await self.matchmaking.on_button(unit, user_id, data))

    async def _matched(self, unit: Unit, answered: Answered) -> Outcome:
        match = answered.match
        if match is not None:
            await self.exchanges.create(
                unit, match.proposal_id, match.visitor_id, match.host_id, match.actor
            )
        return answered.out

    async def registered(self, unit: Unit, user_id: int, out: Outcome) -> Outcome:
        """After a registration step: a profile now complete is proposed to those it fits;
        one that waits for validation goes to its partnership's staff."""
        if out.completed:
            await self.matchmaking.new_participant(unit, user_id)
        if out.submitted:
            await self.reviews.profile_submitted(unit, user_id)
        if out.changed:
            await self.reviews.change_submitted(unit, user_id)
        return out

    async def staff_decision(self, unit: Unit, staff_id: int, data: str | None) -> Outcome:
        """Approve / Reject / History; an approved registration enters matching."""
        return await self._announce(unit, await self.reviews.on_button(unit, staff_id, data))

    async def staff_reason(self, unit: Unit, staff_id: int, text: str) -> Outcome:
        """A typed rejection reason."""
        return await self._announce(unit, await self.reviews.on_text(unit, staff_id, text))

    async def _announce(self, unit: Unit, decided: Decided) -> Outcome:
        for participant in decided.approved:
            await self.matchmaking.new_participant(unit, participant)
            reason = await self.matchmaking.nobody_fits(unit, participant)
            if reason:  # nobody is dropped silently: the staff learn it too
                decided.out.add(
                    _("Nobody can be proposed to this participant yet. The participant reads:")
                    + "\n<i>"
                    + esc(reason)
                    + "</i>"
                )
        return decided.out

    async def event_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """An attendee's button; "propose an exchange" enters the normal matching."""
        pressed = await self.events.on_button(unit, user_id, data)
        request = pressed.exchange
        if request is None:
            return pressed.out
        answered = await self.matchmaking.request_pair(
            unit, user_id, request.other_id, request.event_name
        )
        return await self._matched(unit, answered)

    async def search_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """A button of search results; 👍 Interested enters the normal matching (mutual
        consent) and a mutual match becomes an exchange."""
        pressed = await self.search.on_button(unit, user_id, data)
        if pressed.interest is None:
            return pressed.out
        answered = await self.matchmaking.express_interest(unit, user_id, pressed.interest)
        return await self._matched(unit, answered)

    async def exchange_overview(self, unit: Unit, user_id: int) -> Outcome:
        """``/exchange``: the exchanges; before the first one, whose answer is awaited."""
        out = await self.exchanges.overview(unit, user_id)
        if out is not None:
            return out
        waiting = await self.matchmaking.waiting_for(unit, user_id)
        if not waiting:
            return Outcome().add(
                _(
                    "You have no exchange yet. It starts when you and a partner are both "
                    "interested: send /matches."
                )
            )
        names = format_list([f"<b>{esc(name)}</b>" for name in waiting])
        return Outcome().add(
            ngettext(
                "You have no exchange yet: you are interested in {organisations} and wait "
                "for their answer. I will tell you as soon as they answer; an exchange "
                "starts when both sides are interested.",
                "You have no exchange yet: you are interested in {organisations} and wait "
                "for their answers. I will tell you as soon as one of them answers; an "
                "exchange starts when both sides are interested.",
                len(waiting),
            ).format(organisations=names)
        )

    async def ask_delete(self, unit: Unit, user_id: int) -> Outcome:
        """``/deleteme``: the question, saying first what happens to running exchanges."""
        return self.account.ask_delete(await self.exchanges.running(unit, user_id))

    async def account_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """A language, or the answer to the erasure's question. A confirmed erasure first
        cancels the person's running exchanges and tells the others, in this unit; a
        confirmation given before such an exchange existed asks again, with the warning."""
        press = account_callbacks.parse(data)
        if isinstance(press, account_callbacks.Delete) and press.confirmed:
            running = await self.exchanges.running(unit, user_id)
            if running and not press.warned:
                return self.account.ask_delete(running, edit=True)
            await self.exchanges.side_leaves(unit, user_id)
        return await self.account.on_button(unit, user_id, data)
