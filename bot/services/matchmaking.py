"""Proposals in the chat: one card at a time, mutual consent, introductions, nudges and expiry.

The engine (``bot.matching``) ranks; this service decides who sees what, stores every proposed
pair (``storage.models.Proposal``, a pair exists once and is never proposed again) and says what
to send to whom. Contact details appear only in the introduction after both sides said yes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import ECOSYSTEMS, ORG_TYPE_LABELS
from bot.i18n import N_, _, country_name, current_language, language_of, use_language
from bot.matching.engine import MatchIndex, NoMatch, Participant, Reasons
from bot.matching.explain import explain
from bot.matching.vocabulary import Vocabulary
from bot.services.ui import Button, Keyboard, Notice, Outcome, Reply, contact_link, esc
from storage import repo
from storage.db import Database
from storage.models import Profile, Proposal, Review, User
from storage.models import ProposalSide as Side

# What someone who was interested is told when the pair ends without them.
DECLINED_NOTE = N_(
    "The organisation {organisation} has decided not to go ahead this time. Send /matches for "
    "your next proposal."
)
EXPIRED_NOTE = N_(
    "{organisation} did not answer in time, so this proposal has expired. Send /matches for "
    "your next proposal."
)
# How the peer's role reads on a card: the reader visits a host, or hosts a visitor.
PEER_ROLE: dict[bool, str] = {
    True: N_("Host: would receive you"),
    False: N_("Visitor: would visit you"),
}
DECLINE_REASONS: dict[str, str] = {
    "topic": N_("Topics don't fit"),
    "place": N_("Country or region"),
    "dates": N_("Dates don't fit"),
    "size": N_("Organisation type or size"),
    "other": N_("Another reason"),
}
NO_MATCH_TEXT: dict[str, str] = {
    NoMatch.PAUSED: N_("You are paused, so I am not looking for partners. Send /resume."),
    NoMatch.EXCHANGE_DONE: N_(
        "You already have an exchange as a visitor, and you cannot host, so there is no one "
        "to propose."
    ),
    NoMatch.NO_COUNTERPART_ROLE: N_(
        "Nobody is registered yet who could be your counterpart (a host for a visitor, a "
        "visitor for a host)."
    ),
    NoMatch.NO_OTHER_COUNTRY: N_(
        "Everyone who could be your counterpart is in your own country, and exchanges are "
        "cross-border."
    ),
    NoMatch.NO_SHARED_LANGUAGE: N_(
        "No possible partner in another country speaks one of your languages yet."
    ),
    NoMatch.NO_OVERLAPPING_DATES: N_(
        "No possible partner in another country is available in your dates. Changing your "
        "availability in /profile may help."
    ),
    NoMatch.ALL_SEEN: N_("You have seen every current proposal."),
    NoMatch.UNKNOWN: N_("Please complete your registration first: send /start to continue."),
}


@dataclass
class _Population:
    index: MatchIndex
    rows: dict[int, tuple[User, Profile]]
    fingerprint: tuple


def _key(user_id: int) -> str:
    return str(user_id)


class Matchmaking:
    """Everything between a complete profile and an introduction."""

    def __init__(
        self, db: Database, clock: Clock, vocabulary: Vocabulary, answer_days: float = 5.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.vocabulary = vocabulary
        self.answer_time = timedelta(days=answer_days)
        self._population: _Population | None = None
        self._lock = asyncio.Lock()
        # Called when both sides are interested: (proposal id, visitor, host, actor) → the
        # actor's replies and messages for others (the exchange service).
        self.on_match: Callable[[int, int, int, int], Awaitable[tuple[list, list]]] | None = None

    # ----------------------------------------------------------------- population

    async def population(self) -> _Population:
        """The engine's index over every complete profile, rebuilt when profiles change."""
        async with self._lock:
            async with self.db.session() as session:
                fingerprint = await repo.population_fingerprint(session)
                if self._population and self._population.fingerprint == fingerprint:
                    return self._population
                rows = await repo.completed_participants(session)
                visited = await repo.visitors_with_exchange(session)
            people = [
                Participant(
                    key=_key(u.id),
                    role=p.role or "",
                    country=p.country or "",
                    ecosystems=tuple(p.ecosystems),
                    offers=p.offers or "",
                    seeks=p.seeks or "",
                    languages=tuple(p.languages),
                    available_from=p.available_from,
                    available_to=p.available_to,
                    paused=u.paused,
                    has_exchange=u.id in visited,
                )
                for u, p in rows
            ]
            today = self.clock.today()
            index = await asyncio.to_thread(MatchIndex, people, self.vocabulary, today=today)
            self._population = _Population(index, {u.id: (u, p) for u, p in rows}, fingerprint)
            return self._population

    # ----------------------------------------------------------------- /matches

    async def show(
        self, user_id: int, skip: frozenset[int] = frozenset(), prefer_new: bool = False
    ) -> Outcome:
        """The next proposal card: answers others wait for first, then new peers.

        ``prefer_new`` (the Next button) offers a peer not yet proposed before going back to
        the open ones, so Next always moves on instead of cycling through the same cards.
        """
        pop = await self.population()
        if user_id not in pop.rows:
            return await self._not_in_population(user_id)
        me, _profile = pop.rows[user_id]
        if me.paused:
            return Outcome().add(_(NO_MATCH_TEXT[NoMatch.PAUSED]))
        async with self.db.session() as session:
            proposals = await repo.proposals_of(session, user_id=user_id)
            pending = [
                p
                for p in proposals
                if p.closed_at is None
                and _mine(p, user_id)[0] in (Side.NEW, Side.SHOWN)
                and p.id not in skip
                and _other_id(p, user_id) in pop.rows
            ]
            pending.sort(key=lambda p: (_theirs(p, user_id)[0] != Side.INTERESTED, -p.score))
            seen = {_key(_other_id(p, user_id)) for p in proposals}
            best = []
            if prefer_new or not pending:
                best = pop.index.propose(_key(user_id), 1, exclude=seen)
            if best:
                a, b = sorted((user_id, int(best[0].key)))
                proposal = Proposal(a_id=a, b_id=b, score=best[0].score)
                session.add(proposal)
            elif pending:
                proposal = pending[0]
            else:
                return self._nothing(pop.index, user_id, seen, bool(skip))
            if _mine(proposal, user_id)[0] == Side.NEW:  # the answer time starts now
                _set_mine(proposal, user_id, Side.SHOWN, shown=self.clock.now())
            await session.commit()
        return Outcome(replies=[self._card(pop, proposal, user_id)])

    async def _not_in_population(self, user_id: int) -> Outcome:
        """Not complete, waiting for validation, or rejected: say which."""
        async with self.db.session() as session:
            _user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if profile is None or profile.completed_at is None:
                return Outcome().add(_(NO_MATCH_TEXT[NoMatch.UNKNOWN]))
            partnership = await repo.get_partnership(
                session, partnership_id=profile.partnership_id or 0
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

    def _nothing(self, index: MatchIndex, user_id: int, seen: set[str], skipped: bool) -> Outcome:
        if skipped:
            return Outcome().add(
                _("That was the last proposal for now. Send /matches to see them again.")
            )
        reason = index.why_none(_key(user_id), exclude=seen)
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

    def _card(self, pop: _Population, proposal: Proposal, reader_id: int, intro: str = "") -> Reply:
        other_id = _other_id(proposal, reader_id)
        _user, peer = pop.rows[other_id]
        reasons = pop.index.reasons(
            pop.index.position[_key(reader_id)], pop.index.position[_key(other_id)]
        )
        text = (intro + "\n\n" if intro else "") + self._card_text(peer, reasons)
        pid = proposal.id
        keyboard: Keyboard = [
            [
                Button("👍 " + _("Interested"), f"m:i:{pid}"),
                Button("👎 " + _("Not for me"), f"m:n:{pid}"),
            ],
            [Button("➡️ " + _("Next"), f"m:x:{pid}")],
        ]
        return Reply(text, keyboard)

    def _answered(self, pop: _Population, proposal: Proposal, reader: int, label: str) -> Reply:
        """The pressed card, buttons replaced by the answer."""
        card = self._card(pop, proposal, reader)
        return Reply(card.text + "\n\n✅ " + esc(label), edit=True)

    def _card_text(self, peer: Profile, reasons: Reasons) -> str:
        lang = current_language()
        role = _(PEER_ROLE[reasons.you_visit])
        org_type = _(ORG_TYPE_LABELS[peer.org_type]) if peer.org_type in ORG_TYPE_LABELS else ""
        lines = [
            f"🏢 <b>{esc(peer.organisation)}</b> · {esc(org_type)}",
            f"📍 {esc(peer.city or '')}, {esc(country_name(peer.country or ''))}",
            f"🧭 {role}",
            "🏭 " + esc(", ".join(_(ECOSYSTEMS[e]) for e in peer.ecosystems if e in ECOSYSTEMS)),
            "",
            "<b>" + esc(_("Offers")) + ":</b> " + esc(peer.offers or ""),
            "<b>" + esc(_("Seeks")) + ":</b> " + esc(peer.seeks or ""),
            "",
            "<b>" + esc(_("Why this match")) + "</b>",
            *("• " + esc(line) for line in explain(reasons, self.vocabulary, lang)),
        ]
        return "\n".join(lines)

    # ----------------------------------------------------------------- buttons

    async def on_button(self, user_id: int, data: str) -> tuple[Outcome, list[Notice]]:
        """``m:i|n|x:<id>`` and ``m:r:<id>:<reason>``; ids are checked against the presser."""
        parts = data.split(":")
        invalid = (Outcome(toast=_("This button is not valid any more.")), [])
        if len(parts) not in (3, 4) or not parts[2].isdigit():
            return invalid
        action, pid = parts[1], int(parts[2])
        not_yours = Outcome(toast=_("This proposal is not yours."), alert=True), []
        if action in ("x", "r"):  # Next, or why not: then the next card (its own session)
            reason = parts[3] if len(parts) == 4 else ""
            async with self.db.session() as session:
                proposal = await repo.get_proposal(session, proposal_id=pid)
                if proposal is None or user_id not in (proposal.a_id, proposal.b_id):
                    return not_yours
                if action == "r":
                    if (
                        reason not in DECLINE_REASONS
                        or _mine(proposal, user_id)[0] != Side.DECLINED
                    ):
                        return invalid
                    proposal.decline_reason = reason
                    await session.commit()
            if action == "x":
                return await self.show(user_id, skip=frozenset({pid}), prefer_new=True), []
            out = Outcome(toast=_("Thank you."))
            out.replies.append(Reply(_("Thank you, that helps me propose better."), edit=True))
            out.replies.extend((await self.show(user_id)).replies)
            return out, []
        pop = await self.population()
        async with self.db.session() as session:
            proposal = await repo.get_proposal(session, proposal_id=pid)
            if proposal is None or user_id not in (proposal.a_id, proposal.b_id):
                return not_yours
            other = _other_id(proposal, user_id)
            mine, theirs = _mine(proposal, user_id)[0], _theirs(proposal, user_id)[0]
            if proposal.closed_at is not None or mine in (
                Side.INTERESTED,
                Side.DECLINED,
                Side.EXPIRED,
            ):
                return Outcome(toast=_("You have already answered this proposal.")), []
            if other not in pop.rows:
                return Outcome(toast=_("This proposal is not available any more.")), []
            now = self.clock.now()
            notices: list[Notice] = []
            waiting: list[int] = []  # told that this pair ended: offered their next proposal
            out = Outcome()
            matched: tuple[int, int] | None = None
            if action == "i":
                _set_mine(proposal, user_id, Side.INTERESTED)
                if theirs == Side.INTERESTED:
                    proposal.matched_at = proposal.closed_at = now
                    out.replies.append(self._answered(pop, proposal, user_id, _("Interested")))
                    # Both introductions are durable messages (they carry the contacts): a
                    # crash after the commit delays them, never loses them.
                    notices.append(Notice(user_id, [self._introduction(pop, other)]))
                    notices.append(self._notice_introduction(pop, other, user_id))
                    matched = self._visitor_and_host(pop, user_id, other)
                else:
                    out.replies.append(self._answered(pop, proposal, user_id, _("Interested")))
                    out.add(
                        _(
                            "Noted. I will introduce you as soon as they are interested too. "
                            "Until then neither side sees the other's contact details."
                        )
                    )
                    other_user = pop.rows[other][0]
                    if theirs == Side.NEW and not other_user.paused:
                        _set_theirs(proposal, user_id, Side.SHOWN, shown=now)
                        await session.flush()
                        notices.append(
                            self._notice_card(
                                pop,
                                proposal,
                                other,
                                N_("An organisation would like to meet you:"),
                            )
                        )
            elif action == "n":
                _set_mine(proposal, user_id, Side.DECLINED)
                proposal.closed_at = now
                out.replies.append(self._answered(pop, proposal, user_id, _("Not for me")))
                out.replies.append(
                    Reply(
                        _(
                            "Understood, I will not propose them again. Would you tell me why? "
                            "It is optional."
                        ),
                        [
                            [Button(_(label), f"m:r:{pid}:{code}")]
                            for code, label in DECLINE_REASONS.items()
                        ],
                    )
                )
                if theirs == Side.INTERESTED:
                    self._pair_ended(pop, other, user_id, DECLINED_NOTE, waiting, notices)
            else:
                return invalid
            proposal.updated_at = now
            await session.commit()
        if matched is not None and self.on_match is not None:
            replies, more = await self.on_match(proposal.id or 0, *matched, user_id)
            _merge(notices, [Notice(user_id, replies), *more])
        if action == "i" and proposal.matched_at is None:  # while waiting: the next card
            out.replies.extend((await self.show(user_id, skip=frozenset({pid}))).replies)
        await self._offer_next(pop, waiting, notices)
        return out, notices

    async def request_pair(
        self, user_id: int, other_id: int, event_name: str = ""
    ) -> tuple[Outcome, list[Notice]]:
        """Two people who met (at an event) want a ClusterXchange exchange: the pair enters
        the normal matching as a proposal this user is interested in."""
        pop = await self.population()
        a, b = sorted((user_id, other_id))
        async with self.db.session() as session:
            proposal = await repo.proposal_between(session, a_id=a, b_id=b)
            if proposal is not None and proposal.closed_at is not None:
                return Outcome().add(
                    _(
                        "You were already proposed to each other for an exchange, and it did "
                        "not go ahead, so I cannot propose it again."
                    )
                ), []
            if proposal is None:
                proposal = Proposal(a_id=a, b_id=b)
                session.add(proposal)
                await session.flush()
            pid = proposal.id
            if user_id not in pop.rows:  # not complete (or not validated) yet
                _set_mine(proposal, user_id, Side.INTERESTED)
                await session.commit()
                return Outcome().add(
                    _(
                        "Noted. For an exchange I need your full ClusterXchange profile: send "
                        "/start to complete it. The other side sees your proposal once your "
                        "profile is complete and validated."
                    )
                ), []
            await session.commit()
        if other_id not in pop.rows:
            async with self.db.session() as session:
                proposal = await repo.get_proposal(session, proposal_id=pid or 0)
                assert proposal is not None
                _set_mine(proposal, user_id, Side.INTERESTED)
                other_user, _other_profile = await repo.get_user_and_profile(
                    session, user_id=other_id
                )
                await session.commit()
            me = pop.rows[user_id][1]
            notices = []
            if other_user is not None:
                with use_language(language_of(other_user)):
                    text = _(
                        "{organisation}, whom you met at {event}, would like to plan a "
                        "ClusterXchange exchange with you. Complete your ClusterXchange profile "
                        "(send /start) to see the proposal."
                    ).format(
                        organisation=f"<b>{esc(me.organisation or '')}</b>", event=esc(event_name)
                    )
                notices.append(Notice(other_id, [Reply(text)]))
            return Outcome().add(
                _(
                    "Noted. The other side has no complete ClusterXchange profile yet; I have "
                    "asked them to complete it. Then they see your proposal."
                )
            ), notices
        if not pop.index.allows(_key(user_id), _key(other_id)):
            return Outcome().add(
                _(
                    "The scheme's rules do not allow an exchange between your two "
                    "organisations as registered (roles, countries, languages or dates). "
                    "/profile shows what you entered."
                )
            ), []
        return await self.on_button(user_id, f"m:i:{pid}")

    def _visitor_and_host(self, pop: _Population, me: int, other: int) -> tuple[int, int]:
        """Who travels: the engine's reading of the two roles (``both`` meets its best side)."""
        index = pop.index
        me_visits = index.reasons(index.position[_key(me)], index.position[_key(other)]).you_visit
        return (me, other) if me_visits else (other, me)

    def _pair_ended(
        self,
        pop: _Population,
        to: int,
        peer: int,
        note: str,
        waiting: list[int],
        notices: list[Notice],
    ) -> None:
        """Tell ``to``, who was interested, that the pair with ``peer`` ended; the next card
        follows (``_offer_next``)."""
        waiting.append(to)
        organisation = pop.rows[peer][1].organisation or ""
        notices.append(self._notice_text(pop, to, note, organisation=organisation))

    async def _offer_next(self, pop: _Population, users: list[int], notices: list[Notice]) -> None:
        """Append each user's next proposal card (if any) to the notice they are getting."""
        for user_id in users:
            with use_language(self._lang(pop, user_id)):
                cards = [r for r in (await self.show(user_id)).replies if r.keyboard]
            for notice in notices:
                if notice.chat_id == user_id:
                    notice.replies.extend(cards)
                    break

    # ----------------------------------------------------------------- messages to others

    def _lang(self, pop: _Population, user_id: int) -> str:
        user = pop.rows[user_id][0]
        return language_of(user)

    def _notice_card(self, pop: _Population, proposal: Proposal, to: int, intro: str) -> Notice:
        with use_language(self._lang(pop, to)):
            return Notice(to, [self._card(pop, proposal, to, intro=_(intro))])

    def _notice_text(self, pop: _Population, to: int, text: str, **values: str) -> Notice:
        with use_language(self._lang(pop, to)):
            return Notice(to, [Reply(_(text).format(**{k: esc(v) for k, v in values.items()}))])

    def _introduction(self, pop: _Population, other: int) -> Reply:
        user, peer = pop.rows[other]
        contact = contact_link(user.id, peer.name or peer.organisation or "", user.username)
        lines = [
            _("🎉 It's a match! {organisation} would like to meet you too.").format(
                organisation=f"<b>{esc(peer.organisation)}</b>"
            ),
            "",
            _("Contact: {contact}").format(contact=contact),
        ]
        if peer.email:
            lines.append(_("E-mail: {email}").format(email=esc(peer.email)))
        lines += [
            "",
            _(
                "Write to each other to plan your exchange: goals, what you want to see, and "
                "possible dates."
            ),
        ]
        return Reply("\n".join(lines))

    def _notice_introduction(self, pop: _Population, to: int, other: int) -> Notice:
        with use_language(self._lang(pop, to)):
            return Notice(to, [self._introduction(pop, other)])

    # ----------------------------------------------------------------- jobs

    async def nobody_fits(self, user_id: int) -> str | None:
        """Why nobody at all can be proposed to this participant, or None (for staff)."""
        pop = await self.population()
        if user_id not in pop.rows:
            return None
        reason = pop.index.why_none(_key(user_id))
        if reason in (NoMatch.ALL_SEEN, NoMatch.UNKNOWN):
            return None  # somebody fits
        return _(NO_MATCH_TEXT[reason])

    async def new_participant(self, user_id: int) -> list[Notice]:
        """Push the newcomer to existing participants who rank them in their top 5."""
        pop = await self.population()
        if user_id not in pop.rows:
            return []
        index = pop.index
        now = self.clock.now()
        notices: list[Notice] = []
        candidates = index.propose(_key(user_id), 20)
        async with self.db.session() as session:
            existing = {
                _other_id(p, user_id) for p in await repo.proposals_of(session, user_id=user_id)
            }
            for candidate in candidates:
                other = int(candidate.key)
                other_user = await repo.get_user(session, user_id=other)
                if other in existing or other_user is None or other_user.paused:
                    continue
                if other_user.pushed_at and now - other_user.pushed_at < timedelta(days=1):
                    continue
                mine = await repo.proposals_of(session, user_id=other)
                seen = {_key(_other_id(p, other)) for p in mine}
                top = [p.key for p in index.propose(candidate.key, 5, exclude=seen)]
                if _key(user_id) not in top:
                    continue
                a, b = sorted((user_id, other))
                proposal = Proposal(a_id=a, b_id=b, score=candidate.score)
                _set_mine(proposal, other, Side.SHOWN, shown=now)
                session.add(proposal)
                other_user.pushed_at = now
                await session.flush()
                notices.append(
                    self._notice_card(pop, proposal, other, N_("A new participant fits you well:"))
                )
            await session.commit()
        return notices

    async def dispatch_due(self) -> list[Notice]:
        """One nudge after the answer time, expiry after twice that; tell whoever waited.

        Each nudge and expiry is claimed with a guarded UPDATE committed on its own, so two
        workers on one database never send the same message twice.
        """
        now = self.clock.now()
        pop = await self.population()
        notices: list[Notice] = []
        waiting: list[int] = []
        async with self.db.session() as session:
            due = await repo.open_proposals_shown_before(session, before=now - self.answer_time)
            await session.commit()  # end the read before the claims
            for proposal in due:
                for side in (proposal.a_id, proposal.b_id):
                    status, shown_at, nudged_at = _mine(proposal, side)
                    if status != Side.SHOWN or shown_at is None or side not in pop.rows:
                        continue
                    column = "a" if side == proposal.a_id else "b"
                    other = _other_id(proposal, side)
                    if nudged_at is None:
                        if await repo.claim_nudge(session, proposal.id, column, now):
                            notices.append(
                                self._notice_card(
                                    pop,
                                    proposal,
                                    side,
                                    N_("A reminder: this proposal waits for your answer."),
                                )
                            )
                    elif now - nudged_at >= self.answer_time:
                        if not await repo.claim_expiry(session, proposal.id, column, now):
                            continue
                        if _mine(proposal, other)[0] == Side.INTERESTED and other in pop.rows:
                            self._pair_ended(pop, other, side, EXPIRED_NOTE, waiting, notices)
        await self._offer_next(pop, waiting, notices)
        return notices


def _merge(notices: list[Notice], more: list[Notice]) -> None:
    """Append messages, joining those for the same chat so they arrive in order."""
    for notice in more:
        for existing in notices:
            if existing.chat_id == notice.chat_id:
                existing.replies.extend(notice.replies)
                break
        else:
            notices.append(notice)


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
