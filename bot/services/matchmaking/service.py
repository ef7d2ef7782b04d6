"""Proposals in the chat: one card at a time, mutual consent, introductions, nudges and expiry.

The engine (``bot.matching``) ranks; this service decides who sees what, stores every proposed
pair (``storage.models.Proposal``, a pair exists once and is never proposed again) and says what
to send to whom. Contact details appear only in the introduction after both sides said yes.
What follows a mutual match (the exchange) is the match workflow's.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n import N_, _, language_of, use_language
from bot.matching.engine import MatchIndex, NoMatch
from bot.matching.vocabulary import Vocabulary
from bot.services.matchmaking import callbacks
from bot.services.matchmaking.population import Population, Snapshot, key
from bot.services.matchmaking.view import (
    DECLINED_NOTE,
    EXPIRED_NOTE,
    NO_MATCH_TEXT,
    card_keyboard,
    card_text,
    introduction,
    reasons_keyboard,
)
from bot.services.ui import Notice, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo, repo_delivery, repo_feedback
from storage.models import Proposal, Review
from storage.models import ProposalSide as Side

# Learning from answers, per person (never pooled): "Not for me: topics don't fit" multiplies
# the person's factor of the concepts behind that proposal by LEARN_DOWN, a match both sides
# wanted multiplies it by LEARN_UP; factors stay within LEARN_LOW..LEARN_HIGH.
LEARN_DOWN = 0.6
LEARN_UP = 1.25
LEARN_LOW = 0.2
LEARN_HIGH = 2.0


@dataclass(frozen=True)
class Match:
    """Both sides of a proposal are interested: who travels."""

    proposal_id: int
    visitor_id: int
    host_id: int
    actor: int


@dataclass
class Answered:
    """The reply to the person who answered, and the mutual match it made, if any."""

    out: Outcome
    match: Match | None = None


class Matchmaking:
    """Everything between a complete profile and an introduction."""

    def __init__(
        self,
        clock: Clock,
        vocabulary: Vocabulary,
        units: Callable[[], AbstractAsyncContextManager[Unit]],
        answer_days: float = 5.0,
    ) -> None:
        self.clock = clock
        self.vocabulary = vocabulary
        self.answer_time = timedelta(days=answer_days)
        self.population = Population(clock, vocabulary, units)

    # ----------------------------------------------------------------- /matches

    async def show(
        self,
        unit: Unit,
        user_id: int,
        skip: frozenset[int] = frozenset(),
        prefer_new: bool = False,
    ) -> Outcome:
        """The next proposal card: answers others wait for first, then new peers.

        ``prefer_new`` (the Next button) offers a peer not yet proposed before going back to
        the open ones, so Next always moves on instead of cycling through the same cards.
        """
        pop = await self.population.current(unit)
        if user_id not in pop:
            return await self._not_in_population(unit, user_id)
        me = await pop.user(user_id)
        if me.paused:
            return Outcome().add(_(NO_MATCH_TEXT[NoMatch.PAUSED]))
        proposals = await repo.proposals_of(unit.session, user_id=user_id)
        open_ = [
            p
            for p in proposals
            if p.closed_at is None
            and _mine(p, user_id)[0] in (Side.NEW, Side.SHOWN)
            and _other_id(p, user_id) in pop
        ]
        pending = [p for p in open_ if p.id not in skip]
        pending.sort(key=lambda p: (_theirs(p, user_id)[0] != Side.INTERESTED, -p.score))
        seen = {key(_other_id(p, user_id)) for p in proposals}
        best = []
        if prefer_new or not pending:
            best = await pop.propose(key(user_id), 1, exclude=seen)
        if best:
            a, b = sorted((user_id, int(best[0].key)))
            proposal = Proposal(a_id=a, b_id=b, score=best[0].score)
            unit.session.add(proposal)
        elif pending:
            proposal = pending[0]
        else:
            return self._nothing(pop.index, user_id, seen, reopen=bool(open_))
        if _mine(proposal, user_id)[0] == Side.NEW:  # the answer time starts now
            _set_mine(proposal, user_id, Side.SHOWN, shown=self.clock.now())
        await unit.session.flush()
        return Outcome(replies=[await self._card(pop, proposal, user_id)])

    async def _not_in_population(self, unit: Unit, user_id: int) -> Outcome:
        """Not complete, waiting for validation, or rejected: say which."""
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is None or profile.completed_at is None:
            return Outcome().add(_(NO_MATCH_TEXT[NoMatch.UNKNOWN]))
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id or 0
        )
        name = esc(partnership.name) if partnership else ""
        if profile.review == Review.REJECTED:
            return Outcome().add(
                _(
                    "{partnership} has not validated your profile. Please correct it with "
                    "/profile; I will then send it for validation again."
                ).format(partnership=f"<b>{name}</b>")
            )
        return Outcome().add(
            _(
                "Your profile is waiting for validation by {partnership}. Matching starts as "
                "soon as they have validated it; I will tell you."
            ).format(partnership=f"<b>{name}</b>")
        )

    def _nothing(self, index: MatchIndex, user_id: int, seen: set[str], reopen: bool) -> Outcome:
        """No new proposal. ``reopen``: some the user passed over are still open (Next),
        and /matches shows them again; otherwise why there is nobody."""
        if reopen:
            return Outcome().add(
                _(
                    "That was the last new proposal for now. Send /matches to see the ones "
                    "you have not answered yet."
                )
            )
        reason = index.why_none(key(user_id), exclude=seen)
        return Outcome().add(
            _("I have no proposal for you right now.")
            + " "
            + _(NO_MATCH_TEXT[reason])
            + "\n\n"
            + _(
                "I look again whenever new participants join and will tell you when someone "
                "fits (at most one message a day)."
            )
        )

    async def _card(
        self, pop: Snapshot, proposal: Proposal, reader_id: int, intro: str = ""
    ) -> Reply:
        other_id = _other_id(proposal, reader_id)
        peer = await pop.profile(other_id)
        index = pop.index
        reasons = index.reasons(index.position[key(reader_id)], index.position[key(other_id)])
        text = (intro + "\n\n" if intro else "") + card_text(peer, reasons, self.vocabulary)
        return Reply(text, card_keyboard(proposal.id), tag=card_tag(proposal))

    async def _answered(
        self, unit: Unit, pop: Snapshot, proposal: Proposal, reader: int, label: str
    ) -> list[Reply]:
        """The pressed card, buttons replaced by the answer; so is every other copy of it
        in the reader's chat (the card of a notice and the one /matches showed)."""
        card = await self._card(pop, proposal, reader)
        text = card.text + "\n\n✅ " + esc(label)
        copies = await repo_delivery.take_cards(
            unit.session, chat_id=reader, tag=card_tag(proposal)
        )
        return [Reply(text, edit=True)] + [Reply(text, message_id=m) for m in copies]

    # ----------------------------------------------------------------- buttons

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Answered:
        """Interested, Not for me, Next, or why not; ids are checked against the presser."""
        press = callbacks.parse(data)
        if press is None:
            return Answered(stale_button())
        return await self._press(unit, user_id, press)

    async def express_interest(self, unit: Unit, user_id: int, other_id: int) -> Answered:
        """👍 Interested in someone the user found themselves (``/search``): the same proposal
        row and mutual consent as a proposed card (contacts only when both are interested,
        the other side gets the card through the outbox). The pressed message is the
        search's, so it is left as it is; other copies of the pair's card are updated."""
        pop = await self.population.current(unit)
        if user_id not in pop:
            return Answered(await self._not_in_population(unit, user_id))
        if (await pop.user(user_id)).paused:
            return Answered(Outcome().add(_(NO_MATCH_TEXT[NoMatch.PAUSED])))
        if other_id not in pop or not pop.index.allows(key(user_id), key(other_id)):
            return Answered(
                Outcome(toast=_("This proposal is not available any more."), alert=True)
            )
        a, b = sorted((user_id, other_id))
        proposal = await repo.proposal_between(unit.session, a_id=a, b_id=b)
        if proposal is None:
            proposal = Proposal(a_id=a, b_id=b)
            unit.session.add(proposal)
            await unit.session.flush()
        press = callbacks.Press(callbacks.INTERESTED, proposal.id or 0)
        answered = await self._press(unit, user_id, press, found=True)
        if answered.match is not None:
            answered.out.toast = _("It's a match! I am sending you the contact details.")
        return answered

    async def _press(
        self, unit: Unit, user_id: int, press: callbacks.Press, found: bool = False
    ) -> Answered:
        """``found``: Interested in someone found by search (no card was pressed, and no
        next card follows)."""
        session = unit.session
        pid = press.proposal_id
        proposal = await repo.get_proposal(session, proposal_id=pid)
        if proposal is None or user_id not in (proposal.a_id, proposal.b_id):
            return Answered(Outcome(toast=_("This proposal is not yours."), alert=True))
        if press.action == callbacks.NEXT:
            return Answered(await self.show(unit, user_id, skip=frozenset({pid}), prefer_new=True))
        if press.action == callbacks.REASON:
            if _mine(proposal, user_id)[0] != Side.DECLINED:
                return Answered(stale_button())
            if press.reason == "topic" and proposal.decline_reason != "topic":
                # The topics did not fit: what brought this pair together counts less in
                # this person's own proposals from now on.
                pop = await self.population.current(unit)
                await self._learn(pop, user_id, _other_id(proposal, user_id), LEARN_DOWN)
            proposal.decline_reason = press.reason
            out = Outcome(toast=_("Thank you."))
            out.replies.append(Reply(_("Thank you, that helps me propose better."), edit=True))
            out.replies.extend((await self.show(unit, user_id)).replies)
            return Answered(out)
        pop = await self.population.current(unit)
        other = _other_id(proposal, user_id)
        mine, theirs = _mine(proposal, user_id)[0], _theirs(proposal, user_id)[0]
        if mine in (Side.INTERESTED, Side.DECLINED):
            return Answered(Outcome(toast=_("You have already answered this proposal.")))
        if mine == Side.EXPIRED:
            return Answered(Outcome(toast=_("This proposal has expired.")))
        if proposal.closed_at is not None or other not in pop:
            return Answered(Outcome(toast=_("This proposal is not available any more.")))
        now = self.clock.now()
        notices: list[Notice] = []
        waiting: list[int] = []  # told that this pair ended: offered their next proposal
        out = Outcome()
        match: Match | None = None
        if press.action == callbacks.INTERESTED:
            _set_mine(proposal, user_id, Side.INTERESTED)
            answered = await self._answered(unit, pop, proposal, user_id, _("Interested"))
            out.replies.extend(answered[1:] if found else answered)
            if theirs == Side.INTERESTED:
                proposal.matched_at = proposal.closed_at = now
                # Both introductions are durable messages (they carry the contacts): a crash
                # after the commit delays them, never loses them.
                notices.append(Notice(user_id, [introduction(*await pop.row(other))]))
                notices.append(await self._notice_introduction(pop, other, user_id))
                match = Match(pid, *self._visitor_and_host(pop, user_id, other), actor=user_id)
                # Both wanted it: what brought them together counts more for each of them.
                await self._learn(pop, user_id, other, LEARN_UP)
                await self._learn(pop, other, user_id, LEARN_UP)
            else:
                out.add(
                    _(
                        "Noted. I will introduce you as soon as they are interested too. "
                        "Until then neither side sees the other's contact details."
                    )
                )
                other_user = await pop.user(other)
                if theirs == Side.NEW and not other_user.paused:
                    _set_theirs(proposal, user_id, Side.SHOWN, shown=now)
                    await session.flush()
                    notices.append(
                        await self._notice_card(
                            pop, proposal, other, N_("An organisation would like to meet you:")
                        )
                    )
        else:
            _set_mine(proposal, user_id, Side.DECLINED)
            proposal.closed_at = now
            out.replies.extend(await self._answered(unit, pop, proposal, user_id, _("Not for me")))
            out.replies.append(
                Reply(
                    _(
                        "Understood, I will not propose them again. Would you tell me why? "
                        "It is optional."
                    ),
                    reasons_keyboard(pid),
                )
            )
            if theirs == Side.INTERESTED:
                await self._pair_ended(pop, other, user_id, DECLINED_NOTE, waiting, notices)
        proposal.updated_at = now
        await session.flush()
        if press.action == callbacks.INTERESTED and match is None and not found:  # next card
            out.replies.extend((await self.show(unit, user_id, skip=frozenset({pid}))).replies)
        await self._offer_next(unit, pop, waiting, notices)
        unit.notify(*notices)
        return Answered(out, match)

    async def request_pair(
        self, unit: Unit, user_id: int, other_id: int, event_name: str = ""
    ) -> Answered:
        """Two people who met (at an event) want a ClusterXchange exchange: the pair enters
        the normal matching as a proposal this user is interested in."""
        session = unit.session
        pop = await self.population.current(unit)
        a, b = sorted((user_id, other_id))
        proposal = await repo.proposal_between(session, a_id=a, b_id=b)
        if proposal is not None and proposal.closed_at is not None:
            return Answered(
                Outcome().add(
                    _(
                        "You were already proposed to each other for an exchange, and it did "
                        "not go ahead, so I cannot propose it again."
                    )
                )
            )
        if proposal is None:
            proposal = Proposal(a_id=a, b_id=b)
            session.add(proposal)
            await session.flush()
        pid = proposal.id or 0
        if user_id not in pop:  # not complete (or not validated) yet
            _set_mine(proposal, user_id, Side.INTERESTED)
            return Answered(
                Outcome().add(
                    _(
                        "Noted. For an exchange I need your full ClusterXchange profile: send "
                        "/start to complete it. The other side sees your proposal once your "
                        "profile is complete and validated."
                    )
                )
            )
        if other_id not in pop:
            _set_mine(proposal, user_id, Side.INTERESTED)
            other_user, _other_profile = await repo.get_user_and_profile(session, user_id=other_id)
            me = await pop.profile(user_id)
            if other_user is not None:
                with use_language(language_of(other_user)):
                    text = _(
                        "{organisation}, whom you met at {event}, would like to plan a "
                        "ClusterXchange exchange with you. Complete your ClusterXchange profile "
                        "(send /start) to see the proposal."
                    ).format(
                        organisation=f"<b>{esc(me.organisation or '')}</b>", event=esc(event_name)
                    )
                unit.notify(Notice(other_id, [Reply(text)]))
            return Answered(
                Outcome().add(
                    _(
                        "Noted. The other side has no complete ClusterXchange profile yet; I "
                        "have asked them to complete it. Then they see your proposal."
                    )
                )
            )
        if not pop.index.allows(key(user_id), key(other_id)):
            return Answered(
                Outcome().add(
                    _(
                        "The scheme's rules do not allow an exchange between your two "
                        "organisations as registered (roles, countries, languages or dates). "
                        "/profile shows what you entered."
                    )
                )
            )
        return await self._press(unit, user_id, callbacks.Press(callbacks.INTERESTED, pid))

    def _visitor_and_host(self, pop: Snapshot, me: int, other: int) -> tuple[int, int]:
        """Who travels: the engine's reading of the two roles (``both`` meets its best side)."""
        index = pop.index
        me_visits = index.reasons(index.position[key(me)], index.position[key(other)]).you_visit
        return (me, other) if me_visits else (other, me)

    async def _pair_ended(
        self,
        pop: Snapshot,
        to: int,
        peer: int,
        note: str,
        waiting: list[int],
        notices: list[Notice],
    ) -> None:
        """Tell ``to``, who was interested, that the pair with ``peer`` ended; the next card
        follows (``_offer_next``)."""
        waiting.append(to)
        organisation = (await pop.profile(peer)).organisation or ""
        notices.append(await self._notice_text(pop, to, note, organisation=organisation))

    async def _offer_next(
        self, unit: Unit, pop: Snapshot, users: list[int], notices: list[Notice]
    ) -> None:
        """Append each user's next proposal card (if any) to the notice they are getting."""
        for user_id in users:
            with use_language(language_of(await pop.user(user_id))):
                cards = [r for r in (await self.show(unit, user_id)).replies if r.keyboard]
            for notice in notices:
                if notice.chat_id == user_id:
                    notice.replies.extend(cards)
                    break

    # ----------------------------------------------------------------- messages to others

    async def _notice_card(self, pop: Snapshot, proposal: Proposal, to: int, intro: str) -> Notice:
        with use_language(language_of(await pop.user(to))):
            return Notice(to, [await self._card(pop, proposal, to, intro=_(intro))])

    async def _notice_text(self, pop: Snapshot, to: int, text: str, **values: str) -> Notice:
        with use_language(language_of(await pop.user(to))):
            return Notice(to, [Reply(_(text).format(**{k: esc(v) for k, v in values.items()}))])

    async def _notice_introduction(self, pop: Snapshot, to: int, other: int) -> Notice:
        other_row = await pop.row(other)
        with use_language(language_of(await pop.user(to))):
            return Notice(to, [introduction(*other_row)])

    # ----------------------------------------------------------------- others' questions

    async def waiting_for(self, unit: Unit, user_id: int) -> list[str]:
        """The organisations whose answer this user waits for (they said Interested)."""
        names = []
        for p in await repo.proposals_of(unit.session, user_id=user_id):
            if p.closed_at is None and _mine(p, user_id)[0] == Side.INTERESTED:
                _user, profile = await repo.get_user_and_profile(
                    unit.session, user_id=_other_id(p, user_id)
                )
                if profile is not None and profile.organisation:
                    names.append(profile.organisation)
        return names

    async def nobody_fits(self, unit: Unit, user_id: int) -> str | None:
        """Why nobody at all can be proposed to this participant, or None (for staff)."""
        pop = await self.population.current(unit)
        if user_id not in pop:
            return None
        reason = pop.index.why_none(key(user_id))
        if reason in (NoMatch.ALL_SEEN, NoMatch.UNKNOWN):
            return None  # somebody fits
        return _(NO_MATCH_TEXT[reason])

    async def new_participant(self, unit: Unit, user_id: int) -> None:
        """Push the newcomer to existing participants who rank them in their top 5."""
        pop = await self.population.current(unit)
        if user_id not in pop:
            return
        session = unit.session
        now = self.clock.now()
        candidates = await pop.propose(key(user_id), 20)
        ids = [int(c.key) for c in candidates]
        users = await repo.get_users(session, user_ids=ids)
        partners = await repo.partners_of(session, user_ids=[user_id, *ids])
        readers = []
        for candidate in candidates:
            other = int(candidate.key)
            other_user = users.get(other)
            if other in partners[user_id] or other_user is None or other_user.paused:
                continue
            if other_user.pushed_at and now - other_user.pushed_at < timedelta(days=1):
                continue
            readers.append(candidate)
        # The newcomer in the reader's top 5, of those the reader has not been shown yet.
        fits = await pop.in_top(
            [(c.key, {key(p) for p in partners[int(c.key)]}) for c in readers], key(user_id), 5
        )
        for candidate, fit in zip(readers, fits, strict=True):
            if not fit:
                continue
            other = int(candidate.key)
            other_user = users[other]
            a, b = sorted((user_id, other))
            proposal = Proposal(a_id=a, b_id=b, score=candidate.score)
            _set_mine(proposal, other, Side.SHOWN, shown=now)
            session.add(proposal)
            other_user.pushed_at = now
            await session.flush()
            unit.notify(
                await self._notice_card(
                    pop, proposal, other, N_("A new participant fits you well:")
                )
            )

    async def _learn(self, pop: Snapshot, reader: int, other: int, by: float) -> None:
        """Multiply ``reader``'s factors of the concepts that matched ``other`` by ``by``."""
        index = pop.index
        if reader not in pop or other not in pop:
            return
        reasons = index.reasons(index.position[key(reader)], index.position[key(other)])
        concepts = {
            *reasons.they_offer_you_seek,
            *reasons.you_offer_they_seek,
            *reasons.shared_concepts,
        }
        await repo_feedback.adjust_concepts(
            pop.unit.session,
            user_id=reader,
            concepts=concepts,
            by=by,
            low=LEARN_LOW,
            high=LEARN_HIGH,
        )

    # ----------------------------------------------------------------- the periodic job

    async def send_due_nudges(self, unit: Unit) -> None:
        """One nudge after the answer time, expiry after twice that; tell whoever waited.

        Each nudge and expiry is a guarded UPDATE in this unit of work, so two workers on one
        database never send the same message twice.
        """
        now = self.clock.now()
        session = unit.session
        pop = await self.population.current(unit)
        notices: list[Notice] = []
        waiting: list[int] = []
        due = await repo.open_proposals_shown_before(session, before=now - self.answer_time)
        for proposal in due:
            for side in (proposal.a_id, proposal.b_id):
                status, shown_at, nudged_at = _mine(proposal, side)
                if status != Side.SHOWN or shown_at is None or side not in pop:
                    continue
                column = "a" if side == proposal.a_id else "b"
                other = _other_id(proposal, side)
                if nudged_at is None:
                    if await repo.claim_nudge(
                        session, proposal_id=proposal.id or 0, side=column, now=now
                    ):
                        notices.append(
                            await self._notice_card(
                                pop,
                                proposal,
                                side,
                                N_("A reminder: this proposal waits for your answer."),
                            )
                        )
                elif now - nudged_at >= self.answer_time:
                    if not await repo.claim_expiry(
                        session, proposal_id=proposal.id or 0, side=column, now=now
                    ):
                        continue
                    if _mine(proposal, other)[0] == Side.INTERESTED and other in pop:
                        await self._pair_ended(pop, other, side, EXPIRED_NOTE, waiting, notices)
        await self._offer_next(unit, pop, waiting, notices)
        unit.notify(*notices)


def card_tag(proposal: Proposal) -> str:
    """What the copies of a proposal's card are remembered by."""
    return f"proposal:{proposal.id}" if proposal.id is not None else ""


def _mine(p: Proposal, user_id: int) -> tuple[str, datetime | None, datetime | None]:
    if p.a_id == user_id:
        return p.a_status, p.a_shown_at, p.a_nudged_at
    return p.b_status, p.b_shown_at, p.b_nudged_at


def _theirs(p: Proposal, user_id: int) -> tuple[str, datetime | None, datetime | None]:
    return _mine(p, _other_id(p, user_id))


def _other_id(p: Proposal, user_id: int) -> int:
    return p.b_id if p.a_id == user_id else p.a_id


def _set_mine(p: Proposal, user_id: int, status: str, *, shown: datetime | None = None) -> None:
    side = "a" if p.a_id == user_id else "b"
    setattr(p, f"{side}_status", status)
    if shown is not None:
        setattr(p, f"{side}_shown_at", shown)


def _set_theirs(p: Proposal, user_id: int, status: str, *, shown: datetime | None = None) -> None:
    _set_mine(p, _other_id(p, user_id), status, shown=shown)
