"""What staff read of ``/participants``: a page of their participants (compact cards with the
state of each registration and the contact details staff already hold), the criteria's
buttons, and a participant's whole profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain import ECOSYSTEMS, ROLE_SHORT
from bot.i18n import N_, _, country_name, format_list, language_name, ngettext
from bot.matching.vocabulary import Vocabulary
from bot.services.cards import field_value, profile_card
from bot.services.review import callbacks as review_buttons
from bot.services.review.view import reason_text
from bot.services.search import callbacks, members, view
from bot.services.search.ranking import Filters, Hit
from bot.services.ui import Button, Keyboard, contact_link, esc
from storage.models import Profile, Review, User

PER_PAGE = 5
CLIP = 160  # characters of offers and seeks on a card (five cards fit one message)
BUTTON_NAME = 30  # characters of an organisation's name on its button
ADD_WORDS = N_("Add words to search by topic or name: /participants hydrogen")

STATUS_LABELS: dict[str, str] = {
    members.VALIDATED: N_("Validated"),
    members.WAITING: N_("Waiting for validation"),
    members.REJECTED: N_("Rejected"),
    members.PAUSED: N_("Paused"),
}
STATUS_ICONS = {
    members.VALIDATED: "✅",
    members.WAITING: "⏳",
    members.REJECTED: "↩️",
    members.PAUSED: "⏸",
}


@dataclass(frozen=True)
class Result:
    """One participant found, ready to show."""

    number: int  # its place in the list, from 1
    token: str  # the participant's opaque token (``Links.organisation``), for its button
    user: User
    profile: Profile
    member: members.Member
    hit: Hit


def status_text(status: str, profile: Profile) -> str:
    """The state of a registration (plain text), saying when it is a change that waits."""
    if status == members.WAITING and profile.review != Review.PENDING:
        return "✏️ " + _("A change waits for validation")
    return f"{STATUS_ICONS[status]} {_(STATUS_LABELS[status])}"


def page_text(
    query: str,
    filters: Filters,
    results: Sequence[Result],
    total: int,
    page: int,
    vocabulary: Vocabulary,
    partnerships: Mapping[int, str],
) -> str:
    """A page of participants, or what to do when nobody fits."""
    if query:
        title = _("👥 Your participants: {query}").format(query=f"<b>{esc(query)}</b>")
    else:
        title = _("👥 Your participants")
    lines = [title]
    criteria = criteria_text(filters, partnerships)
    if criteria:
        lines.append(_("Criteria: {criteria}").format(criteria=esc(criteria)))
    lines.append("")
    if not total:
        if filters.any:
            lines.append(_("No participant meets these criteria."))
            lines.append(_("Remove a criterion with the buttons below."))
        elif query:
            lines.append(_("No participant fits these words."))
            lines.append(
                _(
                    "Try fewer or broader words: I read English and German alike. /participants "
                    "without words lists everyone."
                )
            )
        else:
            lines.append(
                _(
                    "Nobody has completed a profile for your partnership yet. Share its link "
                    "from /partnerships with your members."
                )
            )
        return "\n".join(lines)
    order = _("the best fit first") if query else _("by organisation")
    lines.append(
        ngettext("{count} participant, {order}.", "{count} participants, {order}.", total).format(
            count=total, order=order
        )
        + " "
        + _("Page {page} of {pages}.").format(page=page + 1, pages=page_count(total))
    )
    for result in results:
        lines += ["", card(result, vocabulary, partnerships)]
    if not query:
        lines += ["", _(ADD_WORDS)]
    return "\n".join(lines)


def card(result: Result, vocabulary: Vocabulary, partnerships: Mapping[int, str]) -> str:
    """A compact card: organisation and state, profile in brief, contact, why it fits."""
    p, m = result.profile, result.member
    head = f"<b>{result.number}. {esc(p.organisation or '')}</b> · {esc(status_text(m.status, p))}"
    place = f"{esc(p.city or '')}, {esc(country_name(p.country or ''))}"
    role = "🧭 " + esc(_(ROLE_SHORT[p.role])) if p.role in ROLE_SHORT else ""
    lines = [head, " · ".join(x for x in (role, "📍 " + place) if x)]
    if len(partnerships) > 1:
        name = partnerships.get(p.partnership_id or 0) or _("No partnership")
        lines[-1] += " · 🤝 " + esc(name)
    ecosystems = [_(ECOSYSTEMS[e]) for e in p.ecosystems if e in ECOSYSTEMS]
    languages = [language_name(c) for c in p.languages]
    lines.append("🏭 " + esc(format_list(ecosystems)) + " · 💬 " + esc(format_list(languages)))
    lines.append("📅 " + field_value(p, "availability"))
    lines.append(f"<b>{esc(_('Offers'))}:</b> {esc(view.shorten(p.offers, CLIP))}")
    lines.append(f"<b>{esc(_('Seeks'))}:</b> {esc(view.shorten(p.seeks, CLIP))}")
    contact = [contact_link(p.user_id, p.name or p.organisation or "", result.user.username)]
    if p.email:
        contact.append(esc(p.email))
    lines.append("👤 " + " · ".join(contact))
    if result.hit.offered or result.hit.sought or result.hit.related:
        lines.append("🔎 " + esc(view.fits(result.hit, vocabulary)))
    return "\n".join(lines)


def criteria_text(filters: Filters, partnerships: Mapping[int, str]) -> str:
    """The chosen criteria in words (plain text), or ""."""
    shared = view.criteria_text(filters)
    parts = [shared] if shared else []
    if filters.status in STATUS_LABELS:
        parts.append(_(STATUS_LABELS[filters.status]))
    if filters.partnership:
        parts.append(_partnership_name(filters.partnership, partnerships))
    return " · ".join(parts)


def page_count(total: int) -> int:
    return view.page_count(total, PER_PAGE)


def page_keyboard(
    version: int,
    filters: Filters,
    results: Sequence[Result],
    total: int,
    page: int,
    partnerships: Mapping[int, str],
) -> Keyboard:
    """A button per participant (the whole profile), ◀ ▶, and the criteria."""

    def button(step: str, value: str) -> str:
        return callbacks.staff_change(version, step, value)

    keyboard: Keyboard = [
        [
            Button(
                f"📄 {r.number}. " + view.shorten(r.profile.organisation, BUTTON_NAME),
                callbacks.staff_open(r.token),
            )
        ]
        for r in results
    ]
    nav = []
    if page > 0:
        nav.append(Button("◀️", button(callbacks.PAGE, str(page - 1))))
    if page + 1 < page_count(total):
        nav.append(Button("▶️", button(callbacks.PAGE, str(page + 1))))
    if nav:
        keyboard.append(nav)
    keyboard += view.criteria_rows(button, filters)
    status = _(STATUS_LABELS[filters.status]) if filters.status in STATUS_LABELS else _("State")
    last = [Button("🗂 " + status, button(callbacks.MENU, callbacks.STATUS))]
    if len(partnerships) > 1:
        name = (
            _partnership_name(filters.partnership, partnerships)
            if filters.partnership
            else _("Partnership")
        )
        last.append(Button("🤝 " + name, button(callbacks.MENU, callbacks.PARTNERSHIP)))
    keyboard.append(last)
    keyboard.append([view.soon_button(button, filters)])
    return keyboard


def menu_keyboard(
    version: int,
    menu: str,
    options: Sequence[str],
    filters: Filters,
    partnerships: Mapping[int, str],
) -> Keyboard:
    """The options of one criterion (those that leave some participant), "any" and back."""
    if menu == callbacks.STATUS:
        labels = {s: _(STATUS_LABELS[s]) for s in members.STATUSES if s in options}
        any_label, current = _("Any state"), filters.status
    elif menu == callbacks.PARTNERSHIP:
        labels = {p: _partnership_name(p, partnerships) for p in options}
        any_label, current = _("Any partnership"), filters.partnership
    else:
        labels, any_label, current = view.criterion_options(menu, options, filters)

    def button(step: str, value: str) -> str:
        return callbacks.staff_change(version, step, value)

    return view.options_keyboard(button, menu, labels, any_label, current)


def whole_profile(
    user: User, profile: Profile, status: str, partnerships: Mapping[int, str]
) -> str:
    """A participant's whole profile for staff, with its state and how to reach them."""
    lines = [
        profile_card(profile, profile.organisation or "", dict(partnerships) or None),
        "",
        "<b>" + esc(_("State")) + ":</b> " + esc(status_text(status, profile)),
    ]
    if profile.review_note and status == members.REJECTED:
        lines.append(
            "<b>"
            + esc(_("Reason"))
            + ":</b> "
            + esc(reason_text(review_buttons.PROFILE, profile.review_note))
        )
    lines.append(
        "<b>"
        + esc(_("Telegram"))
        + ":</b> "
        + contact_link(profile.user_id, profile.name or profile.organisation or "", user.username)
    )
    if status == members.WAITING:
        lines += ["", _("/pending shows it with the buttons to approve or reject it.")]
    return "\n".join(lines)


def _partnership_name(value: str, partnerships: Mapping[int, str]) -> str:
    if value == members.NO_PARTNERSHIP:
        return _("No partnership")
    return partnerships.get(int(value), "") or _("Partnership")
