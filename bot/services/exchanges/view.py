"""How an exchange reads: phases and statuses, the answers offered, the audit trail's words,
and the buttons of each action (built from the lifecycle table)."""

from __future__ import annotations

from bot.i18n import N_, _, format_date_range, ngettext
from bot.services.exchanges import callbacks
from bot.services.exchanges.lifecycle import Act
from bot.services.ui import Button, Keyboard, esc
from storage.models import Exchange, Phase, Profile, Quality

# How the phases read for users and staff.
PHASE_LABELS: dict[str, str] = {
    Phase.DIRECTION: N_("matching: choosing who travels"),
    Phase.APPROVAL: N_("matching: waiting for validation"),
    Phase.PLANNING: N_("matching: agreeing on dates"),
    Phase.VISITING: N_("visiting"),
    Phase.RETURNING: N_("returning: closing report"),
    Phase.REPORT_REVIEW: N_("returning: report being validated"),
    Phase.CLOSED: N_("closed"),
    Phase.CANCELLED: N_("cancelled"),
    Phase.REJECTED: N_("not validated"),
}
QUALITY_LABELS: dict[str, str] = {
    Quality.NONE: N_("not written yet"),
    Quality.HOST: N_("waiting for the host's agreement"),
    Quality.CHANGES: N_("changes requested"),
    Quality.STAFF: N_("waiting for validation by the partnerships"),
    Quality.VALIDATED: N_("validated"),
}
NOT_HAPPENED_REASONS: dict[str, str] = {
    "host": N_("The host was not available"),
    "visitor": N_("We were not available"),
    "travel": N_("Travel problems"),
    "health": N_("Illness"),
    "other": N_("Another reason"),
}
OUTCOMES: dict[str, str] = {
    "none": N_("No further contact"),
    "contact": N_("We are in contact"),
    "negotiation": N_("Negotiation started"),
    "agreement": N_("Agreement reached"),
    "project": N_("Joint project"),
}
# Audit-trail actions, as staff read them.
ACTIONS: dict[str, str] = {
    "created": N_("mutual match"),
    "match_approved": N_("match validated"),
    "match_rejected": N_("match rejected"),
    "dates_proposed": N_("dates proposed"),
    "dates_agreed": N_("dates agreed"),
    "quality_written": N_("goals and agenda written"),
    "quality_changes": N_("changes to goals and agenda requested"),
    "quality_agreed": N_("goals and agenda agreed by the host"),
    "quality_approved": N_("goals and agenda validated"),
    "quality_rejected": N_("goals and agenda rejected"),
    "happened": N_("visit took place"),
    "postponed": N_("visit postponed"),
    "cancelled": N_("exchange cancelled"),
    "report_filed": N_("closing report filed"),
    "report_approved": N_("closing report validated"),
    "report_rejected": N_("closing report rejected"),
    "evidence_submitted": N_("evidence handed in"),
    "evidence_approved": N_("evidence validated"),
    "evidence_rejected": N_("evidence rejected"),
    "payment_approved": N_("lump sum approved for payment"),
    "paid": N_("lump sum paid"),
    "payment_reminder": N_("staff reminded of the payment"),
    "host_feedback": N_("host feedback"),
    "outcome": N_("outcome reported"),
    "reason": N_("reason given"),
    "visitor_left": N_("cancelled: the visitor left ClusterXchange"),
    "host_left": N_("cancelled: the host left ClusterXchange"),
}
# Stands for the name and organisation of a side who erased their data.
LEFT_LABEL = N_("a participant who left")


class Departed:
    """The name and organisation of a side who erased their data: reads as "a participant
    who left" in the language of whoever reads it (texts for others are built in theirs)."""

    def __str__(self) -> str:
        return _(LEFT_LABEL)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return "Departed()"


DEPARTED = Departed()


def departed_profile(user_id: int) -> Profile:
    """The profile shown for a side who left (never stored): no place, no details."""
    return Profile(user_id=user_id, name=DEPARTED, organisation=DEPARTED)  # type: ignore[arg-type]


def dates_line(ex: Exchange) -> str:
    """📅 first – last day (n working days)."""
    assert ex.start_date and ex.end_date
    days = ex.working_days or 0
    working = ngettext("{n} working day", "{n} working days", days).format(n=days)
    return f"📅 {format_date_range(ex.start_date, ex.end_date)} ({working})"


def buttons(act: Act, ex: Exchange) -> Keyboard:
    """The button rows of one action of ``ex``."""
    xid = ex.id
    one = {
        Act.PROPOSE_DATES: "📅 " + _("Propose dates"),
        Act.CONFIRM_DATES: "✅ " + _("Confirm dates"),
        Act.CALENDAR: "🗓 " + _("Calendar file"),
        Act.WRITE_GOALS: "📝 "
        + (_("Revise goals and agenda") if ex.goals else _("Write goals and agenda")),
        Act.AGREE_GOALS: "✅ " + _("Agree to goals and agenda"),
        Act.SUGGEST_CHANGES: "✏️ " + _("Suggest changes"),
        Act.WRITE_REPORT: "📄 "
        + (_("Revise the report") if ex.report_done else _("Write the closing report")),
        Act.SKIP_DOCUMENT: _("Skip"),
        Act.ADD_EVIDENCE: "📎 " + _("Add evidence"),
        Act.FINISH_EVIDENCE: "✅ " + _("Done"),
        Act.AGREE_TRAVEL: "✅ " + _("Agreed"),
    }
    if act in one:
        return [[Button(one[act], callbacks.button(act, xid))]]
    if act == Act.HAPPENED:
        return [
            [Button("✅ " + _("Yes, it took place"), callbacks.button(act, xid, "yes"))],
            [Button("🔁 " + _("It was postponed"), callbacks.button(act, xid, "post"))],
            [Button("✖️ " + _("It was cancelled"), callbacks.button(act, xid, "canc"))],
        ]
    if act == Act.CHOOSE_TRAVEL:  # relative to whoever presses
        return [
            [Button("✈️ " + _("We travel to them"), callbacks.button(act, xid, "me"))],
            [Button("🏠 " + _("They come to us"), callbacks.button(act, xid, "them"))],
        ]
    if act == Act.NOT_HAPPENED_REASON:
        return [
            [Button(_(label), callbacks.button(act, xid, code))]
            for code, label in NOT_HAPPENED_REASONS.items()
        ]
    if act == Act.RATE_HOST:
        return [
            [Button("⭐" * n, callbacks.button(act, xid, n)) for n in (1, 2, 3)],
            [Button("⭐" * n, callbacks.button(act, xid, n)) for n in (4, 5)],
        ]
    if act == Act.OUTCOME:
        return [
            [Button(_(label), callbacks.button(act, xid, code))] for code, label in OUTCOMES.items()
        ]
    return []


def keyboard(ex: Exchange, acts: list[Act]) -> Keyboard | None:
    """The buttons of several actions, in order (None when there is none)."""
    rows: Keyboard = []
    for act in acts:
        rows.extend(buttons(act, ex))
    return rows or None


def quality_lines(ex: Exchange) -> list[str]:
    """Goals and agenda, as the host and staff read them."""
    return [
        "",
        "<b>" + esc(_("Goals")) + ":</b>\n" + esc(ex.goals or "—"),
        "<b>" + esc(_("Agenda")) + ":</b>\n" + esc(ex.agenda or "—"),
    ]


def report_lines(ex: Exchange) -> list[str]:
    """The closing report, as staff read it."""
    lines = [
        "",
        "<b>" + esc(_("What was done")) + ":</b>\n" + esc(ex.report_done or "—"),
        "<b>" + esc(_("Results")) + ":</b>\n" + esc(ex.report_results or "—"),
        "<b>" + esc(_("Next steps")) + ":</b>\n" + esc(ex.report_next or "—"),
    ]
    if ex.report_file_name:
        lines.append("📎 " + esc(ex.report_file_name))
    return lines
