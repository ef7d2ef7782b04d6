"""What a participant reads about proposals: the card, the answer, the introduction."""

from __future__ import annotations

from bot.domain import ECOSYSTEMS, ORG_TYPE_LABELS
from bot.i18n import N_, _, country_name, current_language, format_list
from bot.matching.engine import NoMatch, Reasons
from bot.matching.explain import explain
from bot.matching.vocabulary import Vocabulary
from bot.services.matchmaking import callbacks
from bot.services.ui import Button, Keyboard, Reply, contact_link, esc
from storage.models import Profile, User

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


def card_text(peer: Profile, reasons: Reasons, vocabulary: Vocabulary) -> str:
    """A proposed partner as the reader sees them (no contact details)."""
    role = _(PEER_ROLE[reasons.you_visit])
    org_type = _(ORG_TYPE_LABELS[peer.org_type]) if peer.org_type in ORG_TYPE_LABELS else ""
    lines = [
        f"🏢 <b>{esc(peer.organisation)}</b> · {esc(org_type)}",
        f"📍 {esc(peer.city or '')}, {esc(country_name(peer.country or ''))}",
        f"🧭 {role}",
        "🏭 " + esc(format_list([_(ECOSYSTEMS[e]) for e in peer.ecosystems if e in ECOSYSTEMS])),
        "",
        "<b>" + esc(_("Offers")) + ":</b> " + esc(peer.offers or ""),
        "<b>" + esc(_("Seeks")) + ":</b> " + esc(peer.seeks or ""),
        "",
        "<b>" + esc(_("Why this match")) + "</b>",
        *("• " + esc(line) for line in explain(reasons, vocabulary, current_language())),
    ]
    return "\n".join(lines)


def card_keyboard(proposal_id: int | None) -> Keyboard:
    """Interested / Not for me / Next."""
    return [
        [
            Button("👍 " + _("Interested"), callbacks.answer(callbacks.INTERESTED, proposal_id)),
            Button("👎 " + _("Not for me"), callbacks.answer(callbacks.NOT_FOR_ME, proposal_id)),
        ],
        [Button("➡️ " + _("Next"), callbacks.answer(callbacks.NEXT, proposal_id))],
    ]


def reasons_keyboard(proposal_id: int | None) -> Keyboard:
    """Why not (optional)."""
    return [
        [Button(_(label), callbacks.reason(proposal_id, code))]
        for code, label in DECLINE_REASONS.items()
    ]


def introduction(user: User, peer: Profile) -> Reply:
    """Both are interested: who the other is and how to reach them."""
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
