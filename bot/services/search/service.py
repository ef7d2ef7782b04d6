"""``/search``: a participant looks for partners with their own words and criteria.

Only those in the matching population search (complete, validated, not paused), and they find
only peers the engine's hard rules admit for them (``ranking``), less anyone who declined
them and pairs that ended. The search shown (query, criteria, page) is kept in the user's
``state_data`` under ``search`` with a version that every button carries and every press
changes: a second press of the same button, or one of an older results message, is stale.
👍 Interested is the matchmaking's mutual consent (``Workflows.search_button``): this service
only says whom the press is for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from bot import city_data
from bot.clock import Clock
from bot.i18n import _, ngettext
from bot.matching.engine import NoMatch
from bot.matching.vocabulary import Vocabulary
from bot.services import deeplinks, dialog, maps
from bot.services.deeplinks import Links
from bot.services.matchmaking.access import OFF_LOOP_FROM, Population, Snapshot, key
from bot.services.matchmaking.view import NO_MATCH_TEXT, card_text
from bot.services.partnerships.access import StaffAccess
from bot.services.profile_text import InputError
from bot.services.search import callbacks, state, view
from bot.services.search.access import QUERY, STATES
from bot.services.search.ranking import Filters, Hit, choices, narrow, organisations, rank
from bot.services.search.state import Saved
from bot.services.ui import Article, Button, Document, Inline, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo, repo_search
from storage.models import Proposal, Review, User
from storage.models import ProposalSide as Side

SAVED = "search"  # where the search shown is kept (``state_data``)
INLINE_RESULTS = 10  # organisations listed in inline mode, one page at a time
INLINE_MAX = 50  # ... at most, over all its pages: a query, not a way to list everyone
MAP_PINS = 30  # organisations on a search's map (the first, as numbered in the list)
INLINE_START = "inline"  # the /start payload of inline mode's button (no kind: a plain start)
# The criteria as kept in ``state_data`` and in the callback data's steps.
_FIELDS = {
    callbacks.ROLE: "role",
    callbacks.COUNTRY: "country",
    callbacks.ECOSYSTEM: "ecosystem",
    callbacks.LANGUAGE: "language",
}


@dataclass
class Pressed:
    """The answer to a search button; ``interest``: the peer whose 👍 was pressed (the
    matchmaking answers it)."""

    out: Outcome = field(default_factory=Outcome)
    interest: int | None = None


@dataclass
class Opened:
    """The answer to an organisation's link; ``done`` False: go on as a plain ``/start``
    (the registration) after it."""

    out: Outcome
    done: bool = True


class Search:
    """Search by text and criteria over the running population index."""

    def __init__(
        self,
        clock: Clock,
        vocabulary: Vocabulary,
        population: Population,
        access: StaffAccess,
        links: Links,
    ) -> None:
        self.clock = clock
        self.vocabulary = vocabulary
        self.population = population
        self.access = access
        self.links = links

    # ----------------------------------------------------------------- asking

    async def command(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """``/search [words]``: the results, or the question for the words."""
        pop = await self.population.current(unit)
        refusal = await self._refusal(unit, pop, user_id)
        if refusal is not None:
            return refusal
        user = await pop.user(user_id)
        if not text.strip():
            dialog.ask(user, QUERY, {}, STATES)
            return Outcome().add(view.ask())
        try:
            query = state.clean(text)
        except InputError as problem:
            return Outcome().add(str(problem))
        if user.state in STATES:  # the words came with the command: nothing is asked now
            dialog.resume(user)
        return await self._first_page(pop, user, query)

    async def on_text(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """The words typed after ``/search``."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is None or user.state != QUERY:
            return Outcome().add(view.ask())
        try:
            query = state.clean(text)
        except InputError as problem:
            return Outcome().add(str(problem) + "\n\n" + view.ask())
        dialog.resume(user)
        pop = await self.population.current(unit)
        refusal = await self._refusal(unit, pop, user_id)
        if refusal is not None:
            return refusal
        return await self._first_page(pop, user, query)

    async def other_input(self, unit: Unit, user_id: int) -> Outcome:
        """A sticker or a file while the words are asked for."""
        return Outcome().add(_("Please type what you are looking for, or /cancel."))

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel`` instead of the words."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state in STATES:
            dialog.resume(user)
        return Outcome().add(_("Search cancelled. Send /search whenever you like."))

    async def _refusal(self, unit: Unit, pop: Snapshot, user_id: int) -> Outcome | None:
        """Why this user may not search (yet), or None."""
        if user_id in pop:
            if (await pop.user(user_id)).paused:
                return Outcome().add(
                    _("You are paused, so you cannot search for partners. Send /resume.")
                )
            return None
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is None or profile.completed_at is None:
            return Outcome().add(
                _(
                    "Search is for participants with a complete profile, so that I can apply "
                    "the scheme's rules (roles, countries, languages, dates) for you."
                )
                + " "
                + _(NO_MATCH_TEXT[NoMatch.UNKNOWN])
            )
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id or 0
        )
        name = f"<b>{esc(partnership.name)}</b>" if partnership else ""
        if profile.review == Review.REJECTED:
            return Outcome().add(
                _(
                    "{partnership} has not validated your profile, so you cannot search yet. "
                    "Please correct it with /profile; I will then send it for validation again."
                ).format(partnership=name)
            )
        return Outcome().add(
            _(
                "Your profile is waiting for validation by {partnership}. You can search as "
                "soon as they have validated it; I will tell you."
            ).format(partnership=name)
        )

    # ----------------------------------------------------------------- buttons

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Pressed:
        """Interested (for the matchmaking), a page, a criterion's menu or option."""
        press = callbacks.parse(data)
        if press is None:
            return Pressed(stale_button())
        if isinstance(press, callbacks.Interest):
            peer = self.links.organisation_id(press.token)
            if peer is None or peer == user_id:
                return Pressed(stale_button())
            return Pressed(interest=peer)
        user = await repo.get_user(unit.session, user_id=user_id)
        saved = state.load(user, SAVED) if user else None
        if user is None or saved is None or saved.version != press.version:
            return Pressed(
                Outcome(
                    toast=_("This search is not current any more. Send /search to search again.")
                )
            )
        pop = await self.population.current(unit)
        refusal = await self._refusal(unit, pop, user_id)
        if refusal is not None:
            return Pressed(refusal)
        if press.step == callbacks.MAP:  # a picture of the results; the search stays
            return Pressed(Outcome(replies=[await self._map(pop, user_id, saved)]))
        version = state.next_version(user, SAVED)
        if press.step == callbacks.MENU and press.value != callbacks.BACK:
            state.save(user, SAVED, Saved(version, saved.query, saved.filters, saved.page))
            hits = await self._hits(pop, user_id, saved.query)
            field_name, today = _FIELDS[press.value], self.clock.today()
            options = choices(pop.index, key(user_id), hits, saved.filters, field_name, today)
            keyboard = view.menu_keyboard(version, press.value, options, saved.filters)
            return Pressed(Outcome(replies=[Reply(keyboard=keyboard, edit=True, markup_only=True)]))
        filters, page = saved.filters, saved.page
        if press.step == callbacks.PAGE:
            page = int(press.value)
        elif press.step == callbacks.SOON:
            filters, page = replace(filters, soon=press.value == "1"), 0
        elif press.step == callbacks.ANY:
            filters, page = filters.without(_FIELDS[press.value]), 0
        elif press.step in _FIELDS:
            filters, page = replace(filters, **{_FIELDS[press.step]: press.value}), 0
        reply = await self._page(pop, user, Saved(version, saved.query, filters, page))
        reply.edit = True
        return Pressed(Outcome(replies=[reply]))

    # ----------------------------------------------------------------- inline mode

    async def inline(self, unit: Unit, user_id: int, text: str, offset: str = "") -> Outcome:
        """``@bot words`` in any chat: validated organisations that are not paused and fit
        the words (no names, no contacts), each with a link to its profile in the bot,
        ``INLINE_RESULTS`` a page (Telegram asks for the next page with the ``offset`` we
        gave, as the list is scrolled), ``INLINE_MAX`` in all. Only for participants with a
        complete profile and staff: the profiles were entrusted to the scheme, not to
        everyone on Telegram."""
        if not await self._may_share(unit, user_id):
            button = _("Register with cxbot to share profiles")
            return Outcome(inline=Inline(button=button, start=INLINE_START))
        try:
            words = state.clean(text)
        except InputError:
            return Outcome(inline=Inline(button=_("Open cxbot"), start=INLINE_START))
        pop = await self.population.current(unit)
        concepts = tuple(self.vocabulary.extract(words))
        names: dict[str, str] = {}
        if not concepts:
            names = await self._names(pop, exclude=None)
        start = inline_offset(offset)
        end = min(start + INLINE_RESULTS, INLINE_MAX)
        found = organisations(
            pop.index, concepts, words, names=names, limit=end + 1, exclude=key(user_id)
        )
        more = len(found) > end and end < INLINE_MAX
        articles = []
        for peer_key in found[start:end]:
            profile = await pop.profile(int(peer_key))
            token = self.links.organisation(profile.user_id)
            url = ""
            if self.links.username:
                url = self.links.link(deeplinks.ORGANISATION, token)
            articles.append(
                Article(
                    token,
                    profile.organisation or "",
                    view.article_description(profile),
                    view.shared_profile(profile),
                    _("Open in cxbot"),
                    url,
                )
            )
        return Outcome(
            inline=Inline(articles, _("Open cxbot"), INLINE_START, str(end) if more else "")
        )

    async def _may_share(self, unit: Unit, user_id: int) -> bool:
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is not None and profile.completed_at is not None:
            return True
        return await self.access.is_staff(unit, user_id)

    async def open_profile(self, unit: Unit, user_id: int, value: str) -> Opened:
        """``/start o_<token>``: the organisation's card with 👍 Interested when the rules
        allow the pair; otherwise why not, or (no complete profile) the registration."""
        pop = await self.population.current(unit)
        refusal = await self._refusal(unit, pop, user_id)
        if refusal is not None:
            _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
            if profile is not None and profile.completed_at is not None:
                return Opened(refusal)  # waiting for validation, rejected or paused
            return Opened(Outcome().add(view.register_first()), done=False)
        other = self.links.organisation_id(value)
        if other is None or other == user_id or other not in pop:
            return Opened(Outcome().add(_("This organisation's profile is not available now.")))
        peer = await pop.profile(other)
        index = pop.index
        reasons = index.reasons(index.position[key(user_id)], index.position[key(other)])
        text = card_text(peer, reasons, self.vocabulary)
        if key(other) in await self._excluded(pop, user_id):
            return Opened(Outcome().add(text + "\n\n" + _(view.ENDED)))
        if not index.allows(key(user_id), key(other)):
            return Opened(Outcome().add(text + "\n\n" + _(view.NOT_ALLOWED)))
        token = self.links.organisation(other)
        button = Button("👍 " + _("Interested"), callbacks.interested(token))
        return Opened(Outcome().add(text, [[button]]))

    # ----------------------------------------------------------------- results

    async def _first_page(self, pop: Snapshot, user: User, query: str) -> Outcome:
        saved = Saved(state.next_version(user, SAVED), query, Filters())
        return Outcome(replies=[await self._page(pop, user, saved)])

    async def _page(self, pop: Snapshot, user: User, saved: Saved) -> Reply:
        """Run the search, keep it as the user's current one, and show the page asked for
        (the last one when fewer results remain)."""
        hits = await self._hits(pop, user.id, saved.query)
        found = narrow(pop.index, key(user.id), hits, saved.filters, self.clock.today())
        pages = view.page_count(len(found))
        page = min(max(saved.page, 0), pages - 1)
        saved = Saved(saved.version, saved.query, saved.filters, page)
        state.save(user, SAVED, saved)
        shown = found[page * view.PER_PAGE : (page + 1) * view.PER_PAGE]
        index, me = pop.index, pop.index.position[key(user.id)]
        results = []
        for number, hit in enumerate(shown, start=page * view.PER_PAGE + 1):
            other = int(hit.key)
            reasons = index.reasons(me, index.position[hit.key])
            token = self.links.organisation(other)
            results.append(view.Result(number, token, await pop.profile(other), reasons, hit))
        text = view.page_text(
            saved.query, saved.filters, results, len(found), page, self.vocabulary
        )
        keyboard = view.page_keyboard(saved.version, saved.filters, results, len(found), page)
        return Reply(text, keyboard)

    async def _map(self, pop: Snapshot, user_id: int, saved: Saved) -> Reply:
        """The results of the search shown, numbered as their cards, on a map of Europe."""
        hits = await self._hits(pop, user_id, saved.query)
        found = narrow(pop.index, key(user_id), hits, saved.filters, self.clock.today())
        pins, unplaced = [], 0
        for number, hit in enumerate(found[:MAP_PINS], start=1):
            profile = await pop.profile(int(hit.key))
            if profile.latitude is None or profile.longitude is None:
                unplaced += 1
            else:
                pins.append(maps.Pin(number, profile.latitude, profile.longitude))
        me = await pop.profile(user_id)
        reader = (me.latitude, me.longitude) if me.latitude is not None else None
        title = _("Search: {query}").format(query=saved.query)
        places = await asyncio.to_thread(city_data.background_places)
        png = await asyncio.to_thread(maps.europe_map_png, places, pins, title=title, reader=reader)
        caption = ngettext(
            "🗺 {count} organisation of your search, numbered as in the list; the ring is you.",
            "🗺 {count} organisations of your search, numbered as in the list; the ring is you.",
            len(pins),
        ).format(count=len(pins))
        if unplaced:
            caption += " " + ngettext(
                "{count} more has no known place.", "{count} more have no known place.", unplaced
            ).format(count=unplaced)
        if len(found) > MAP_PINS:
            caption += " " + ngettext(
                "The map shows the first {count}.", "The map shows the first {count}.", MAP_PINS
            ).format(count=MAP_PINS)
        return Reply(document=Document("search-map.png", png, caption, photo=True))

    async def _hits(self, pop: Snapshot, user_id: int, query: str) -> list[Hit]:
        """Everyone admissible who fits the query, best first."""
        concepts = tuple(self.vocabulary.extract(query))
        exclude = await self._excluded(pop, user_id)
        names: dict[str, str] = {}
        if not concepts:
            names = await self._names(pop, exclude=key(user_id))
        index, me = pop.index, key(user_id)
        if len(index) < OFF_LOOP_FROM:
            return rank(index, me, concepts, query, exclude=exclude, names=names)
        async with pop.lock:  # a large population: rank in a thread, the index held still
            return await asyncio.to_thread(
                rank, index, me, concepts, query, exclude=exclude, names=names
            )

    async def _names(self, pop: Snapshot, exclude: str | None) -> dict[str, str]:
        """The organisations' names in the population (for a query without concepts)."""
        ids = [int(k) for k in pop.index.position if k != exclude]
        found = await repo_search.organisation_names(pop.unit.session, user_ids=ids)
        return {key(user): name for user, name in found.items()}

    async def _excluded(self, pop: Snapshot, user_id: int) -> set[str]:
        """Peers this user may not find: who declined them, whom they declined, and pairs
        that ended without a match (expired)."""
        out = set()
        for p in await repo.proposals_of(pop.unit.session, user_id=user_id):
            other = p.b_id if p.a_id == user_id else p.a_id
            if _ended(p) or Side.DECLINED in (p.a_status, p.b_status):
                out.add(key(other))
        return out


def _ended(p: Proposal) -> bool:
    return p.closed_at is not None and p.matched_at is None


def inline_offset(offset: str) -> int:
    """Where the page an inline query asks for starts: the offset we gave with the last page
    (a number of results), 0 for the first page and for anything we did not give."""
    if not offset.isascii() or not offset.isdigit():
        return 0
    start = int(offset[:4])
    return start if start < INLINE_MAX and start % INLINE_RESULTS == 0 else 0
