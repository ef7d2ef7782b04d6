"""``/participants``: staff search their partnership's participants by the criteria of
``/search`` and their own words (English or German, read with the matching's vocabulary).

Staff see the participants of the partnerships they work for, super-admins everyone's, each
with a complete profile whatever its validation (validated, waiting, rejected, paused), with
the contact details staff hold anyway. Validated profiles are read from the running
population index (their concepts are there already); the others, few by nature, from the
database, their concepts read as the index would. The search shown is kept in the staff
member's ``state_data`` under ``staff_search``, apart from a search of their own as a
participant, with a version every button carries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.clock import Clock
from bot.i18n import _
from bot.matching.engine import MatchIndex, Participant, Terms
from bot.matching.vocabulary import Vocabulary
from bot.services import collector
from bot.services.deeplinks import Links
from bot.services.matchmaking.access import Population, key, participant, terms_of
from bot.services.partnerships.access import Scope, StaffAccess
from bot.services.profile_text import InputError
from bot.services.search import callbacks, members, staff_view, state
from bot.services.search.members import Member
from bot.services.search.ranking import Filters, Hit
from bot.services.search.state import Saved
from bot.services.ui import Outcome, Reply, stale_button
from bot.services.unit import Unit
from storage import repo, repo_population, repo_search
from storage.models import Review, User
from storage.repo_population import Row
from storage.repo_search import MemberRow


@dataclass(frozen=True)
class Found:
    """A staff search run: how many members fit the query and the criteria, the page shown
    (clamped to the last one) with its members in order, and the options of the criterion
    whose menu was opened."""

    total: int
    page: int
    shown: list[tuple[Hit, Member]]
    options: list[str]


SAVED = "staff_search"  # where the search shown is kept (``state_data``)
INLINE = 32  # fewer texts than this to read are read on the loop
# From this many members on, they are built, ranked and narrowed in a worker thread: this is
# plain Python, about 15 µs a member (10,000 held the event loop for 0.14 s).
OFF_LOOP_MEMBERS = 1_000
# The criteria as kept in ``state_data`` and in the callback data's steps.
_FIELDS = {
    callbacks.ROLE: "role",
    callbacks.COUNTRY: "country",
    callbacks.ECOSYSTEM: "ecosystem",
    callbacks.LANGUAGE: "language",
    callbacks.STATUS: "status",
    callbacks.PARTNERSHIP: "partnership",
}


class StaffSearch:
    """Staff's search over the participants of their partnerships."""

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

    async def instead_of_search(self, unit: Unit, user_id: int) -> bool:
        """Staff without a complete profile of their own: ``/search`` is this search."""
        if not await self.access.is_staff(unit, user_id):
            return False
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        return profile is None or profile.completed_at is None

    async def command(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """``/participants [words]``: the first page (everyone by organisation without words)."""
        scope = await self.access.scope(unit, user_id)
        if not scope.is_staff:
            return StaffAccess.refuse_command(user_id, "participants")
        query = ""
        if text.strip():
            try:
                query = state.clean(text)
            except InputError as problem:
                return Outcome().add(str(problem) + "\n\n" + _(staff_view.ADD_WORDS))
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        saved = Saved(state.next_version(user, SAVED), query, Filters())
        return Outcome(replies=[await self._page(unit, user, scope, saved)])

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """A participant's whole profile, a page, a criterion's menu or option."""
        press = callbacks.parse_staff(data)
        if press is None:
            return stale_button()
        scope = await self.access.scope(unit, user_id)
        if not scope.is_staff:
            return StaffAccess.refuse(user_id, "participants", data)
        if isinstance(press, callbacks.Open):
            return await self._open(unit, user_id, scope, press.token)
        user = await repo.get_user(unit.session, user_id=user_id)
        saved = state.load(user, SAVED) if user else None
        if user is None or saved is None or saved.version != press.version:
            return Outcome(
                toast=_("This list is not current any more. Send /participants to search again.")
            )
        version = state.next_version(user, SAVED)
        if press.step == callbacks.MENU and press.value != callbacks.BACK:
            state.save(user, SAVED, Saved(version, saved.query, saved.filters, saved.page))
            found = await self._search(unit, scope, saved, menu=_FIELDS[press.value])
            options = found.options
            names = await self._partnerships(unit, scope)
            keyboard = staff_view.menu_keyboard(version, press.value, options, saved.filters, names)
            return Outcome(replies=[Reply(keyboard=keyboard, edit=True, markup_only=True)])
        filters, page = saved.filters, saved.page
        if press.step == callbacks.PAGE:
            page = int(press.value)
        elif press.step == callbacks.SOON:
            filters, page = replace(filters, soon=press.value == "1"), 0
        elif press.step == callbacks.ANY:
            filters, page = filters.without(_FIELDS[press.value]), 0
        elif press.step == callbacks.PARTNERSHIP:
            filters, page = replace(filters, partnership=str(int(press.value))), 0
        elif press.step in _FIELDS:
            filters, page = replace(filters, **{_FIELDS[press.step]: press.value}), 0
        reply = await self._page(unit, user, scope, Saved(version, saved.query, filters, page))
        reply.edit = True
        return Outcome(replies=[reply])

    # ----------------------------------------------------------------- results

    async def _page(self, unit: Unit, user: User, scope: Scope, saved: Saved) -> Reply:
        """Run the search, keep it as the staff member's current one, show the page asked
        for (the last one when fewer participants remain)."""
        found = await self._search(unit, scope, saved)
        saved = Saved(saved.version, saved.query, saved.filters, found.page)
        state.save(user, SAVED, saved)
        results = []
        first = found.page * staff_view.PER_PAGE + 1
        for number, (hit, member) in enumerate(found.shown, start=first):
            other, profile = await repo.get_user_and_profile(unit.session, user_id=int(hit.key))
            if other is None or profile is None:
                continue
            token = self.links.organisation(other.id)
            results.append(staff_view.Result(number, token, other, profile, member, hit))
        names = await self._partnerships(unit, scope)
        text = staff_view.page_text(
            saved.query, saved.filters, results, found.total, found.page, self.vocabulary, names
        )
        keyboard = staff_view.page_keyboard(
            saved.version, saved.filters, results, found.total, found.page, names
        )
        return Reply(text, keyboard)

    async def _open(self, unit: Unit, user_id: int, scope: Scope, token: str) -> Outcome:
        """A participant's whole profile, for staff of their partnership."""
        other = self.links.organisation_id(token)
        if other is None:
            return stale_button()
        user, profile = await repo.get_user_and_profile(unit.session, user_id=other)
        if (
            user is None
            or profile is None
            or profile.completed_at is None
            or not (scope.admin or scope.covers(profile.partnership_id))
        ):
            return Outcome(toast=_("This profile is not available now."), alert=True)
        status = members.status_of(
            approved=profile.review == Review.APPROVED,
            rejected=profile.review == Review.REJECTED,
            change_waiting=profile.pending_changes is not None,
            paused=user.paused,
        )
        names = await self._partnerships(unit, scope)
        return Outcome().add(staff_view.whole_profile(user, profile, status, names))

    async def _search(self, unit: Unit, scope: Scope, saved: Saved, menu: str = "") -> Found:
        """The members in scope that fit the search and its criteria, in order; with
        ``menu``, the values of that criterion that would leave some."""
        pop = await self.population.current(unit)
        ids = None if scope.admin else scope.ids
        raw = await repo_search.members(unit.session, partnership_ids=ids, parse=False)
        others = await repo_search.unsettled_ids(unit.session, partnership_ids=ids)
        full = (
            await repo_population.participant_rows(unit.session, user_ids=others) if others else []
        )
        concepts = tuple(self.vocabulary.extract(saved.query)) if saved.query else ()
        work = (pop.index, raw, full, concepts, saved, menu, self.clock.today())
        if len(raw) < OFF_LOOP_MEMBERS and len(full) < INLINE:
            return self._find(*work)
        async with pop.lock:  # many to read or rank: in a thread, the index held still
            return await asyncio.to_thread(self._find_many, *work)

    def _find_many(self, *work: Any) -> Found:
        """``_find`` of many members: no garbage collection walks the objects it builds."""
        with collector.paused():
            return self._find(*work)

    def _find(
        self,
        index: MatchIndex,
        raw: list[Any],
        full: list[Row],
        concepts: tuple[str, ...],
        saved: Saved,
        menu: str,
        today: date,
    ) -> Found:
        """Build the members, rank and narrow them (pure CPU)."""
        people = [participant(r, False) for r in full]
        terms_read, _read = terms_of(self.vocabulary, full, people)
        outside = {r.user_id: (p, t) for r, p, t in zip(full, people, terms_read, strict=True)}
        found: dict[str, Member] = {}
        for row in repo_search.parse_members(raw):
            if row.user_id in outside:
                person, terms = outside[row.user_id]
            elif (slot := index.position.get(key(row.user_id))) is not None and (
                person := index.people[slot]
            ) is not None:
                terms = Terms(index.concepts.offers[slot], index.concepts.seeks[slot])
            else:
                continue  # erased or changed meanwhile
            found[person.key] = _member(row, person, terms)
        weight, neighbours = index.weight, self.vocabulary.neighbours
        hits = members.find(list(found.values()), concepts, saved.query, weight, neighbours)
        if menu:  # the menu of a criterion: the page stays as it is
            options = members.choices(found, hits, saved.filters, menu, today)
            return Found(0, saved.page, [], options)
        hits = members.narrow(found, hits, saved.filters, today)
        per = staff_view.PER_PAGE
        number = min(max(saved.page, 0), staff_view.page_count(len(hits)) - 1)
        shown = members.page(hits, found, number * per, per, concepts, weight, neighbours)
        return Found(len(hits), number, [(h, found[h.key]) for h in shown], [])

    async def _partnerships(self, unit: Unit, scope: Scope) -> dict[int, str]:
        """The names of the partnerships in scope (all for a super-admin), by id."""
        every = await self.access.partnerships(unit)
        return {
            p.id: p.name for p in every if p.id is not None and (scope.admin or p.id in scope.ids)
        }


def _member(row: MemberRow, person: Participant, terms: Terms) -> Member:
    status = members.status_of(
        approved=row.review == Review.APPROVED,
        rejected=row.review == Review.REJECTED,
        change_waiting=row.change_waiting,
        paused=row.paused,
    )
    return Member(
        key=person.key,  # the index's own string: one per member, not two
        partnership=str(row.partnership_id or members.NO_PARTNERSHIP),
        status=status,
        role=person.role,
        country=person.country,
        ecosystems=person.ecosystems,
        languages=person.languages,
        available_from=person.available_from,
        available_to=person.available_to,
        offers=terms.offers,
        seeks=terms.seeks,
        organisation=row.organisation,
        person=row.person,
        text=person.offers,
    )
