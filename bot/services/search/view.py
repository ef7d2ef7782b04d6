"""What a participant reads of ``/search``: the question, a page of results (the proposal
cards, each with the line on why it fits the search), the criteria's buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain import ECOSYSTEMS, ORG_TYPE_LABELS
from bot.i18n import (
    N_,
    _,
    country_name,
    current_language,
    format_list,
    language_name,
    ngettext,
    sort_key,
)
from bot.matching.engine import Reasons
from bot.matching.vocabulary import Vocabulary
from bot.services.matchmaking.view import card_text
from bot.services.search import callbacks
from bot.services.search.ranking import HOSTS, VISITORS, Filters, Hit
from bot.services.ui import Button, Keyboard, cut, esc, rows
from storage.models import Profile

PER_PAGE = 3
CLIP = 300  # characters of offers and seeks shown per card (three cards fit one message)
MAX_OPTIONS = 12  # countries, ecosystems or languages offered as criteria
BUTTON_NAME = 28  # characters of an organisation's name on its Interested button

ASK = N_(
    "What are you looking for? Type a few words in English or German, for example "
    "<i>hydrogen</i>, <i>3D-Druck</i> or the name of an organisation. /cancel to stop."
)
ROLE_LABELS: dict[str, str] = {HOSTS: N_("Hosts"), VISITORS: N_("Visitors")}
# Under an organisation's card opened from a shared link, when no 👍 is possible.
NOT_ALLOWED = N_(
    "The scheme's rules do not allow an exchange between your two organisations as "
    "registered (roles, countries, languages or dates). /profile shows what you entered."
)
ENDED = N_(
    "You were already proposed to each other, and it did not go ahead, so I cannot propose "
    "it again."
)
DESCRIPTION = 90  # characters of offers in an inline result's description


@dataclass(frozen=True)
class Result:
    """One organisation found, ready to show."""

    number: int  # its place in the ranking, from 1
    token: str  # the peer's opaque token (``Links.organisation``), for its 👍 button
    profile: Profile
    reasons: Reasons
    hit: Hit


def ask() -> str:
    """The question for the query."""
    return _(ASK)


def page_text(
    query: str,
    filters: Filters,
    results: Sequence[Result],
    total: int,
    page: int,
    vocabulary: Vocabulary,
) -> str:
    """A page of results, or what to do when nothing fits."""
    lines = [_("🔎 Search: {query}").format(query=f"<b>{esc(query)}</b>")]
    criteria = criteria_text(filters)
    if criteria:
        lines.append(_("Criteria: {criteria}").format(criteria=esc(criteria)))
    lines.append("")
    if not total:
        lines.append(_("No organisation fits this search right now."))
        if filters.any:
            lines.append(_("Remove a criterion with the buttons below, or try broader words."))
        else:
            lines.append(
                _(
                    "Try fewer or broader words: I read English and German alike. New "
                    "participants join all the time, and /matches shows the best fits for "
                    "your whole profile."
                )
            )
        return "\n".join(lines)
    pages = page_count(total)
    lines.append(
        ngettext(
            "{count} organisation fits, the best fit first.",
            "{count} organisations fit, the best fit first.",
            total,
        ).format(count=total)
        + " "
        + _("Page {page} of {pages}.").format(page=page + 1, pages=pages)
    )
    for result in results:
        lines += ["", "", f"<b>{result.number}.</b> " + card(result, vocabulary)]
    return "\n".join(lines)


def card(result: Result, vocabulary: Vocabulary) -> str:
    """The proposal card of a result, with why it fits the search first."""
    peer = result.profile
    shown = Profile(
        user_id=peer.user_id,
        organisation=peer.organisation,
        org_type=peer.org_type,
        city=peer.city,
        country=peer.country,
        ecosystems=list(peer.ecosystems),
        offers=cut(peer.offers or "", CLIP),
        seeks=cut(peer.seeks or "", CLIP),
    )
    return (
        "🔎 "
        + esc(fits(result.hit, vocabulary))
        + "\n"
        + card_text(shown, result.reasons, vocabulary)
    )


def fits(hit: Hit, vocabulary: Vocabulary) -> str:
    """Why a result fits the search (plain text)."""
    lang = current_language()
    if not (hit.offered or hit.sought or hit.related):
        return _("Fits your search: the name or the words of the profile")
    topics = [vocabulary.label(c, lang) for c in hit.offered]
    topics += [_("{topic} (sought)").format(topic=vocabulary.label(c, lang)) for c in hit.sought]
    topics += [
        _("{offered} (for {sought})").format(
            offered=vocabulary.label(offered, lang), sought=vocabulary.label(sought, lang)
        )
        for sought, offered in hit.related
    ]
    return _("Fits your search: {topics}").format(topics=format_list(topics))


def criteria_text(filters: Filters) -> str:
    """The chosen criteria in words (plain text), or ""."""
    parts = []
    if filters.role:
        parts.append(_(ROLE_LABELS[filters.role]))
    if filters.country:
        parts.append(country_name(filters.country))
    if filters.ecosystem in ECOSYSTEMS:
        parts.append(_(ECOSYSTEMS[filters.ecosystem]))
    if filters.language:
        parts.append(language_name(filters.language))
    if filters.soon:
        parts.append(_("available within a month"))
    return " · ".join(parts)


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """Pages of ``per_page`` results (one even when nothing fits)."""
    return max(1, -(-total // per_page))


def page_keyboard(
    version: int, filters: Filters, results: Sequence[Result], total: int, page: int
) -> Keyboard:
    """Interested per result, ◀ ▶, and the criteria (none when nothing fits even without
    criteria)."""
    if not total and not filters.any:
        return []
    keyboard: Keyboard = [
        [
            Button(
                f"👍 {r.number}. "
                + _("Interested")
                + ": "
                + shorten(r.profile.organisation, BUTTON_NAME),
                callbacks.interested(r.token),
            )
        ]
        for r in results
    ]
    nav = []
    if page > 0:
        nav.append(Button("◀️", callbacks.change(version, callbacks.PAGE, page - 1)))
    if page + 1 < page_count(total):
        nav.append(Button("▶️", callbacks.change(version, callbacks.PAGE, page + 1)))
    if nav:
        keyboard.append(nav)

    def button(step: str, value: str) -> str:
        return callbacks.change(version, step, value)

    keyboard += criteria_rows(button, filters)
    last = [soon_button(button, filters)]
    if total:
        last.append(Button("🗺 " + _("Map"), button(callbacks.MAP, "1")))
    keyboard.append(last)
    return keyboard


def criteria_rows(button: Callable[[str, str], str], filters: Filters) -> Keyboard:
    """The buttons of the criteria participants and staff share, showing the chosen value;
    ``button(step, value)`` makes a button's data."""
    role = _(ROLE_LABELS[filters.role]) if filters.role else _("Role")
    country = country_name(filters.country) if filters.country else _("Country")
    eco = _(ECOSYSTEMS[filters.ecosystem]) if filters.ecosystem in ECOSYSTEMS else _("Ecosystem")
    lang = language_name(filters.language) if filters.language else _("Language")
    return [
        [
            Button("🧭 " + role, button(callbacks.MENU, callbacks.ROLE)),
            Button("🌍 " + country, button(callbacks.MENU, callbacks.COUNTRY)),
        ],
        [
            Button("🏭 " + eco, button(callbacks.MENU, callbacks.ECOSYSTEM)),
            Button("💬 " + lang, button(callbacks.MENU, callbacks.LANGUAGE)),
        ],
    ]


def soon_button(button: Callable[[str, str], str], filters: Filters) -> Button:
    """ "Within a month", ticked when chosen; a press turns it over."""
    soon = ("✅ " if filters.soon else "") + _("Within a month")
    return Button("📅 " + soon, button(callbacks.SOON, str(int(not filters.soon))))


def menu_keyboard(version: int, menu: str, options: Sequence[str], filters: Filters) -> Keyboard:
    """The options of one criterion (those that leave some result), "any" and back."""
    labels, any_label, current = criterion_options(menu, options, filters)

    def button(step: str, value: str) -> str:
        return callbacks.change(version, step, value)

    return options_keyboard(button, menu, labels, any_label, current)


def criterion_options(
    menu: str, options: Sequence[str], filters: Filters
) -> tuple[dict[str, str], str, str]:
    """The labels of a criterion's options, its "any" label and the value chosen now (the
    criteria participants and staff share)."""
    if menu == callbacks.ROLE:
        labels = {v: _(label) for v, label in ROLE_LABELS.items() if v in options}
        return labels, _("Any role"), filters.role
    if menu == callbacks.COUNTRY:
        return {c: country_name(c) for c in options}, _("Any country"), filters.country
    if menu == callbacks.ECOSYSTEM:
        labels = {e: _(ECOSYSTEMS[e]) for e in options if e in ECOSYSTEMS}
        return labels, _("Any ecosystem"), filters.ecosystem
    return {c: language_name(c) for c in options}, _("Any language"), filters.language


def options_keyboard(
    button: Callable[[str, str], str],
    menu: str,
    labels: dict[str, str],
    any_label: str,
    current: str,
) -> Keyboard:
    """A criterion's options (the first ``MAX_OPTIONS``; in the reader's alphabetical order
    but for roles), the chosen one ticked, then "any" and back; ``button(step, value)``
    makes a button's data."""
    ordered = list(labels)[:MAX_OPTIONS]
    if menu != callbacks.ROLE:
        ordered.sort(key=lambda v: sort_key(labels[v]))
    buttons = [
        Button(("✅ " if value == current else "") + labels[value], button(menu, value))
        for value in ordered
    ]
    keyboard = rows(buttons, 2)
    keyboard.append(
        [
            Button(any_label, button(callbacks.ANY, menu)),
            Button("◀️ " + _("Back"), button(callbacks.MENU, callbacks.BACK)),
        ]
    )
    return keyboard


def shorten(text: str | None, limit: int) -> str:
    """``text`` on one line, white space collapsed, cut to ``limit`` characters with "…"."""
    return cut(" ".join((text or "").split()), limit)


def register_first() -> str:
    """Someone without a complete profile opened an organisation's link."""
    return _(
        "You opened the profile of an organisation taking part in ClusterXchange. To see "
        "it and say you are interested, you need a complete, validated profile yourself: "
        "then the same link shows it, and /search finds it too."
    )


def article_description(peer: Profile) -> str:
    """An inline result's second line: country and the start of what it offers."""
    return f"{country_name(peer.country or '')} · {shorten(peer.offers, DESCRIPTION)}"


def shared_profile(peer: Profile) -> str:
    """What an inline result posts in a chat: the organisation, no person, no contact."""
    org_type = _(ORG_TYPE_LABELS[peer.org_type]) if peer.org_type in ORG_TYPE_LABELS else ""
    lines = [
        f"🏢 <b>{esc(peer.organisation or '')}</b>" + (f" · {esc(org_type)}" if org_type else ""),
        f"📍 {esc(peer.city or '')}, {esc(country_name(peer.country or ''))}",
        "🏭 " + esc(format_list([_(ECOSYSTEMS[e]) for e in peer.ecosystems if e in ECOSYSTEMS])),
        "",
        "<b>" + esc(_("Offers")) + ":</b> " + esc(cut(peer.offers or "", CLIP)),
        "<b>" + esc(_("Seeks")) + ":</b> " + esc(cut(peer.seeks or "", CLIP)),
        "",
        esc(
            _(
                "A participant of ClusterXchange, the EU's short-term exchanges between "
                "clusters. Open the profile in cxbot to say you are interested."
            )
        ),
    ]
    return "\n".join(lines)
