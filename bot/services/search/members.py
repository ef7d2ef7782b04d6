"""Staff search: a partnership's participants as the search sees them, the criteria, the
ranking.

Pure, no database: the caller hands in the members (from the running population index for
validated profiles, from the database for the others) and the query's concepts. The fit is
:func:`~bot.services.search.ranking.set_fit`, the same credits and weights as ``/search``,
so staff find their participants the way participants find each other; without concepts,
the fuzzy similarity with the organisation's or the contact person's name or the offers.
Criteria are those of ``/search`` on the participant's own profile (the role they registered
with, country, ecosystem, language, available within a month), plus the state of their
registration and, for staff of several partnerships, the partnership.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bot.domain import Role
from bot.i18n import sort_key
from bot.services.search.ranking import (
    HOSTS,
    VISITORS,
    Filters,
    Hit,
    available_soon,
    fuzzy_similarity,
    most_frequent,
    set_fit,
    why,
)

# The state of a participant's registration, as a criterion and on the card.
VALIDATED, WAITING, REJECTED, PAUSED = "ok", "wait", "fix", "pause"
STATUSES = (VALIDATED, WAITING, REJECTED, PAUSED)
NO_PARTNERSHIP = "0"  # the partnership criterion's value for profiles without one


@dataclass(frozen=True, slots=True)
class Member:
    """A participant with a complete profile, as staff search reads it."""

    key: str
    partnership: str  # the partnership's id as text, NO_PARTNERSHIP for none
    status: str  # one of STATUSES
    role: str
    country: str
    ecosystems: tuple[str, ...]
    languages: tuple[str, ...]
    available_from: date | None
    available_to: date | None
    offers: frozenset[str]  # concepts
    seeks: frozenset[str]
    organisation: str
    person: str  # the contact person's name
    text: str  # what the organisation offers, as typed


def status_of(*, approved: bool, rejected: bool, change_waiting: bool, paused: bool) -> str:
    """The state staff act on first: waiting, then rejected, then paused."""
    if change_waiting or not (approved or rejected):
        return WAITING
    if rejected:
        return REJECTED
    return PAUSED if paused else VALIDATED


def find(
    members: Sequence[Member],
    concepts: Collection[str],
    text: str,
    weight: Callable[[str], float],
    neighbours: Callable[[str], frozenset[str]],
) -> list[Hit]:
    """The members that fit the query, with their fit, in no order (:func:`page` orders the
    ones shown); without a query (``text`` empty), everyone."""
    if concepts:
        fits = [set_fit(m.offers, m.seeks, concepts, weight, neighbours) for m in members]
    elif text:
        by_name = fuzzy_similarity(
            text, [m.organisation for m in members], [m.text for m in members]
        )
        by_person = fuzzy_similarity(text, [m.person for m in members], [""] * len(members))
        fits = np.maximum(by_name, by_person).tolist()
    else:
        fits = [0.0] * len(members)
    return [
        Hit(m.key, round(float(fit), 3), 0.0)
        for fit, m in zip(fits, members, strict=True)
        if fit > 0 or not text
    ]


def page(
    hits: Iterable[Hit],
    members: Mapping[str, Member],
    start: int,
    count: int,
    concepts: Collection[str],
    weight: Callable[[str], float],
    neighbours: Callable[[str], frozenset[str]],
) -> list[Hit]:
    """Hits ``start`` to ``start + count`` in order (best fit first, ties and everyone
    without a query by organisation in the reader's alphabet), each with why it fits.

    Only what is shown is put in order, with ``heapq`` in Python steps: one C sort of
    100,000 hits holds the interpreter lock for a tenth of a second, a stall of the event
    loop even when it runs in a worker thread."""

    def order(hit: Hit) -> tuple[float, tuple[str, str], str]:
        return (-hit.fit, sort_key(members[hit.key].organisation), hit.key)

    shown = heapq.nsmallest(start + count, hits, key=order)[start:]
    out = []
    for hit in shown:
        m = members[hit.key]
        offered, sought, related = why(m.offers, m.seeks, concepts, weight, neighbours)
        out.append(replace(hit, offered=offered, sought=sought, related=related))
    return out


def narrow(
    members: Mapping[str, Member], hits: Iterable[Hit], filters: Filters, today: date
) -> list[Hit]:
    """The hits whose member meets every criterion."""
    if not filters.any:
        return list(hits)
    return [h for h in hits if h.key in members and meets(members[h.key], filters, today)]


def meets(member: Member, filters: Filters, today: date) -> bool:
    """Whether one member meets every criterion."""
    if filters.role and filters.role not in roles(member):
        return False
    if filters.country and member.country != filters.country:
        return False
    if filters.ecosystem and filters.ecosystem not in member.ecosystems:
        return False
    if filters.language and filters.language not in member.languages:
        return False
    if filters.status and member.status != filters.status:
        return False
    if filters.partnership and member.partnership != filters.partnership:
        return False
    return not filters.soon or available_soon(None, member, today)


def roles(member: Member) -> tuple[str, ...]:
    """The criterion's roles the member registered for."""
    return {
        Role.HOST: (HOSTS,),
        Role.VISITOR: (VISITORS,),
        Role.BOTH: (HOSTS, VISITORS),
    }.get(member.role, ())


def choices(
    members: Mapping[str, Member], hits: Iterable[Hit], filters: Filters, field: str, today: date
) -> list[str]:
    """The values of a criterion that would leave some hit, given the other criteria, most
    frequent first."""

    def values(m: Member) -> Iterable[str]:
        return {
            "role": roles(m),
            "country": (m.country,),
            "ecosystem": m.ecosystems,
            "language": m.languages,
            "status": (m.status,),
            "partnership": (m.partnership,),
        }.get(field, ())

    narrowed = narrow(members, hits, filters.without(field), today)
    return most_frequent(values(members[h.key]) for h in narrowed)
