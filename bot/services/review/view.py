"""What staff read when validating: item kinds, listed rejection reasons, the buttons."""

from __future__ import annotations

from bot.i18n import N_, _
from bot.services.cards import profile_card
from bot.services.review import callbacks
from bot.services.ui import Button, Keyboard, Reply, esc
from storage.models import Partnership, Profile

KINDS: dict[str, str] = {
    callbacks.PROFILE: N_("registration"),
    callbacks.CHANGE: N_("profile change"),
    callbacks.MATCH: N_("match"),
    callbacks.QUALITY: N_("goals and agenda"),
    callbacks.REPORT: N_("closing report"),
    callbacks.EVIDENCE: N_("evidence"),
}
REJECT_REASONS: dict[str, dict[str, str]] = {
    callbacks.PROFILE: {
        "incomplete": N_("Profile incomplete or unclear"),
        "eligible": N_("Organisation not eligible"),
        "partnership": N_("Belongs to another partnership"),
        "duplicate": N_("Duplicate registration"),
    },
    callbacks.CHANGE: {
        "unclear": N_("The change is unclear"),
        "eligible": N_("The organisation would no longer be eligible"),
    },
    callbacks.MATCH: {
        "eligible": N_("Exchange not eligible"),
        "budget": N_("No budget left in this round"),
        "fit": N_("The two organisations do not fit"),
    },
    callbacks.QUALITY: {
        "goals": N_("The goals are unclear"),
        "agenda": N_("The agenda is too thin"),
    },
    callbacks.REPORT: {
        "incomplete": N_("The report is incomplete"),
        "evidence": N_("Evidence of the visit is missing"),
    },
    callbacks.EVIDENCE: {
        "missing": N_("Travel or accommodation evidence is missing"),
        "unreadable": N_("A file cannot be read"),
        "dates": N_("The evidence does not match the dates of the visit"),
    },
}


def reason_text(kind: str, note: str | None) -> str:
    """A stored rejection reason in the reader's language (listed ones start with ``#``)."""
    if note and note.startswith("#"):
        label = REJECT_REASONS.get(kind, {}).get(note[1:])
        if label:
            return _(label)
    return note or ""


def decision_keyboard(kind: str, item: int, history: bool = False) -> Keyboard:
    """Approve / Reject for one item (and its audit trail for exchanges)."""
    keyboard = [
        [
            Button("✅ " + _("Approve"), callbacks.approve(kind, item)),
            Button("✖️ " + _("Reject"), callbacks.reject(kind, item)),
        ]
    ]
    if history:
        keyboard.append([Button("📜 " + _("History"), callbacks.history(item))])
    return keyboard


def history_keyboard(exchange_id: int) -> Keyboard:
    """Only the History button (after a decision)."""
    return [[Button("📜 " + _("History"), callbacks.history(exchange_id))]]


def finalisation_keyboard(
    exchange_id: int, *, report: bool, evidence: bool, files: bool
) -> Keyboard:
    """A closing report's card: decide the report and the evidence (each while it waits),
    see the evidence files, the history."""
    rows: Keyboard = []
    if report:
        rows.append(
            [
                Button(
                    "✅ " + _("Approve report"), callbacks.approve(callbacks.REPORT, exchange_id)
                ),
                Button("✖️ " + _("Reject report"), callbacks.reject(callbacks.REPORT, exchange_id)),
            ]
        )
    if evidence:
        rows.append(
            [
                Button(
                    "✅ " + _("Approve evidence"),
                    callbacks.approve(callbacks.EVIDENCE, exchange_id),
                ),
                Button(
                    "✖️ " + _("Reject evidence"), callbacks.reject(callbacks.EVIDENCE, exchange_id)
                ),
            ]
        )
    if files:
        rows.append(
            [
                Button(
                    "📎 " + _("Send me the evidence"), callbacks.step(callbacks.FILES, exchange_id)
                )
            ]
        )
    rows.append([Button("📜 " + _("History"), callbacks.history(exchange_id))])
    return rows


def payment_keyboard(exchange_id: int, *, approved: bool, paid: bool) -> Keyboard:
    """The payment's card: approve it for payment, then mark it paid; the history."""
    rows: Keyboard = []
    if not approved:
        rows.append(
            [
                Button(
                    "💶 " + _("Approve for payment"),
                    callbacks.step(callbacks.APPROVE_PAYMENT, exchange_id),
                )
            ]
        )
    elif not paid:
        rows.append(
            [Button("🏦 " + _("Mark as paid"), callbacks.step(callbacks.MARK_PAID, exchange_id))]
        )
    rows.append([Button("📜 " + _("History"), callbacks.history(exchange_id))])
    return rows


def reasons_keyboard(kind: str, item: int) -> Keyboard:
    """The listed reasons to reject an item."""
    return [
        [Button(_(label), callbacks.reject_for(kind, item, code))]
        for code, label in REJECT_REASONS[kind].items()
    ]


def profile_review_card(partnership: Partnership, profile: Profile) -> Reply:
    """A registration waiting for the staff's validation."""
    text = (
        "🆕 "
        + _("New registration for {partnership}").format(
            partnership=f"<b>{esc(partnership.name)}</b>"
        )
        + "\n\n"
        + profile_card(profile, profile.organisation or "")
    )
    return Reply(text, decision_keyboard(callbacks.PROFILE, profile.user_id))


def change_review_card(partnership: Partnership, profile: Profile, lines: list[str]) -> Reply:
    """A change of an approved profile waiting for the staff's validation (``lines``: each
    changed field, old → new)."""
    text = (
        "✏️ "
        + _("{organisation} changed its validated profile ({partnership})").format(
            organisation=f"<b>{esc(profile.organisation or '')}</b>",
            partnership=esc(partnership.name),
        )
        + "\n\n"
        + "\n".join(lines)
        + "\n\n"
        + _("Until you decide, others see the profile as it was validated.")
    )
    return Reply(text, decision_keyboard(callbacks.CHANGE, profile.user_id))
