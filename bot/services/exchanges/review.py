"""The staff's side of an exchange: the cards they validate, their decisions on a match (m),
goals and agenda (q), a closing report (r) and the evidence of the stay (e), and the audit
trail."""

from __future__ import annotations

import logging
from typing import Any

from bot.domain import ECOSYSTEMS
from bot.i18n import _, country_name, format_date, format_list
from bot.pseudonyms import who
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import (
    ACTIONS,
    PHASE_LABELS,
    dates_line,
    quality_lines,
    report_lines,
)
from bot.services.partnerships.access import Scope
from bot.services.review.view import (
    KINDS,
    decision_keyboard,
    finalisation_keyboard,
    history_keyboard,
    reason_text,
)
from bot.services.ui import Keyboard, Outcome, Reply, esc
from bot.services.unit import Unit
from storage import repo
from storage.models import Evidence, Exchange, Phase, Quality

log = logging.getLogger(__name__)

MATCH, QUALITY, REPORT, EVIDENCE = "m", "q", "r", "e"


class ReviewMixin(ExchangeBase):
    """Implements ``access.ExchangeReview`` for the review feature."""

    async def card(self, unit: Unit, ex: Exchange) -> Reply:
        """The card of an exchange waiting for validation (/pending)."""
        x = await self._ctx(unit, ex.id or 0, None)
        assert x is not None
        if ex.phase == Phase.CLOSED:
            return self._payment_card(x)
        kind = {Phase.APPROVAL: MATCH, Phase.REPORT_REVIEW: REPORT}.get(ex.phase, QUALITY)
        return self._card(x, kind)

    def _card(self, x: XCtx, kind: str) -> Reply:
        ex, vp, hp = x.ex, x.visitor_profile, x.host_profile
        head = {
            MATCH: "🤝 " + _("Match to validate"),
            QUALITY: "📝 " + _("Goals and agenda to validate"),
            REPORT: "📄 " + _("Closing report to validate"),
        }[kind]
        lines = [
            f"<b>{esc(head)}</b> · " + _("exchange #{id}").format(id=ex.id),
            "",
            _("Visitor: {organisation}, {city} ({country})").format(
                organisation=f"<b>{esc(vp.organisation)}</b>",
                city=esc(vp.city or ""),
                country=esc(country_name(vp.country or "")),
            ),
            _("Host: {organisation}, {city} ({country})").format(
                organisation=f"<b>{esc(hp.organisation)}</b>",
                city=esc(hp.city or ""),
                country=esc(country_name(hp.country or "")),
            ),
        ]
        shared = [e for e in vp.ecosystems if e in hp.ecosystems and e in ECOSYSTEMS]
        if shared:
            lines.append("🏭 " + esc(format_list([_(ECOSYSTEMS[e]) for e in shared])))
        if ex.start_date and ex.end_date:
            lines.append(dates_line(ex))
        if kind == QUALITY:
            lines += quality_lines(ex)
        if kind == REPORT:
            lines += report_lines(ex)
            lines += self._evidence_lines(x)
            if ex.lump_sum is not None:
                lines += ["", self._estimate_text(x)]
            return Reply("\n".join(lines), self._report_keyboard(x))
        return Reply("\n".join(lines), decision_keyboard(kind, ex.id or 0, True))

    def _report_keyboard(self, x: XCtx) -> Keyboard:
        """The report's card: what still waits for a decision, the files, the history."""
        ex = x.ex
        waiting = ex.phase == Phase.REPORT_REVIEW
        return finalisation_keyboard(
            ex.id or 0,
            report=waiting and not ex.report_ok,
            evidence=waiting and ex.evidence_status == Evidence.STAFF,
            files=bool(x.evidence),
        )

    async def decide(
        self,
        unit: Unit,
        kind: str,
        exchange_id: int,
        staff_id: int,
        approve: bool,
        note: str | None,
        scope: Scope,
    ) -> Outcome:
        """A staff decision (authorised by the review feature) on a match, goals and agenda
        or a closing report."""
        x = await self._ctx(unit, exchange_id, staff_id)
        if x is None:
            return Outcome(toast=_("This item does not exist any more."))
        if kind == MATCH:
            moved = await self._review_match(x, approve, note)
        elif kind == QUALITY:
            moved = await self._review_quality(x, approve, note, scope)
        elif kind == EVIDENCE:
            moved = await self._review_evidence(x, approve, note)
        else:
            moved = await self._review_report(x, approve, note)
        if not moved:
            return Outcome(toast=_("Already decided (perhaps by a colleague)."))
        label = _("Approved") if approve else _("Rejected")
        x.out.toast = label
        # The decision buttons go (those of the report's other part stay); the history stays.
        keyboard = (
            self._report_keyboard(x)
            if kind in (REPORT, EVIDENCE)
            else history_keyboard(exchange_id)
        )
        x.out.replies.insert(0, Reply(keyboard=keyboard, edit=True, markup_only=True))
        x.out.replies.insert(
            1,
            Reply(
                ("✅ " if approve else "✖️ ")
                + _("Exchange #{id}: {item} {decision}.").format(
                    id=x.ex.id, item=_(KINDS[kind]), decision=label.lower()
                )
            ),
        )
        log.info("exchange %s: %s %s by %s", exchange_id, kind, approve, who(staff_id))
        return x.send()

    async def _review_match(self, x: XCtx, approve: bool, note: str | None) -> bool:
        if approve:
            if not await self._move(
                x, "match_approved", expect={"phase": Phase.APPROVAL}, phase=Phase.PLANNING
            ):
                return False
            await self._ask_dates(x, validated=True)
            return True
        if not await self._move(
            x,
            "match_rejected",
            expect={"phase": Phase.APPROVAL},
            detail=note,
            phase=Phase.REJECTED,
            closed_at=self.clock.now(),
        ):
            return False
        self._both(
            x,
            lambda: (
                _(
                    "Your partnership could not validate the exchange between {visitor} and "
                    "{host}. The reason given:"
                ).format(
                    visitor=esc(x.visitor_profile.organisation),
                    host=esc(x.host_profile.organisation),
                )
                + "\n<i>"
                + esc(reason_text(MATCH, note))
                + "</i>\n\n"
                + _("Send /matches to look for another partner.")
            ),
        )
        return True

    async def _review_quality(self, x: XCtx, approve: bool, note: str | None, scope: Scope) -> bool:
        ex = x.ex
        if ex.cq_status != Quality.STAFF:
            return False
        if not approve:
            if not await self._move(
                x,
                "quality_rejected",
                expect={"cq_status": Quality.STAFF},
                detail=note,
                cq_status=Quality.CHANGES,
                cq_visitor_ok=False,
                cq_host_ok=False,
                cq_note=note,
            ):
                return False
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    _("Your goals and agenda were not validated yet. The reason given:")
                    + "\n<i>"
                    + esc(reason_text(QUALITY, note))
                    + "</i>"
                ),
                self._offer(x, Act.WRITE_GOALS),
            )
            self._text(
                x,
                x.host.id,
                lambda: _(
                    "The partnerships asked {visitor} to revise the goals and agenda of the "
                    "visit. You will see the new version."
                ).format(visitor=esc(x.visitor_profile.organisation)),
            )
            return True
        values: dict[str, Any] = {}
        if scope.covers(ex.visitor_partnership_id) and not ex.cq_visitor_ok:
            values["cq_visitor_ok"] = True
        if scope.covers(ex.host_partnership_id) and not ex.cq_host_ok:
            values["cq_host_ok"] = True
        if not values:
            return False
        visitor_ok = values.get("cq_visitor_ok", ex.cq_visitor_ok)
        host_ok = values.get("cq_host_ok", ex.cq_host_ok)
        if visitor_ok and host_ok:
            values["cq_status"] = Quality.VALIDATED
        expect = {"cq_status": Quality.STAFF}
        expect.update({k: False for k in values if k.startswith("cq_") and k != "cq_status"})
        if not await self._move(x, "quality_approved", expect=expect, **values):
            return False
        if ex.cq_status == Quality.VALIDATED:
            self._both(
                x,
                lambda: (
                    "✅ "
                    + _(
                        "Your goals and agenda are validated by the partnerships: the "
                        "Commitment to Quality is complete."
                    )
                ),
            )
        return True

    async def _review_report(self, x: XCtx, approve: bool, note: str | None) -> bool:
        ex = x.ex
        expect = {
            "phase": Phase.REPORT_REVIEW,
            "report_ok": False,
            "evidence_status": ex.evidence_status,
        }
        if approve:
            # The exchange closes when the evidence is validated too.
            closing = ex.evidence_status == Evidence.APPROVED
            values = self._closing(x) if closing else {}
            if not await self._move(x, "report_approved", expect=expect, report_ok=True, **values):
                return False
            if closing:
                await self._close(x)
                return True
            missing = ex.evidence_status in (Evidence.NONE, Evidence.REJECTED)
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    "✅ "
                    + _(
                        "Your closing report is validated. The exchange closes once your evidence "
                        "of the stay is validated too."
                    )
                    + (
                        "\n\n"
                        + _(
                            "Please add your evidence: boarding passes, travel or "
                            "accommodation invoices."
                        )
                        if missing
                        else ""
                    )
                ),
                self._offer(x, Act.ADD_EVIDENCE) if missing else None,
            )
            return True
        if not await self._move(
            x,
            "report_rejected",
            expect=expect,
            detail=note,
            phase=Phase.RETURNING,
            report_note=(note or "")[:300],
        ):
            return False
        self._text(
            x,
            x.visitor.id,
            lambda: (
                _("Your closing report needs another look. The reason given:")
                + "\n<i>"
                + esc(reason_text(REPORT, note))
                + "</i>"
            ),
            self._offer(x, Act.WRITE_REPORT),
        )
        return True

    async def history_text(self, unit: Unit, ex: Exchange) -> str:
        """The audit trail as staff read it."""
        x = await self._ctx(unit, ex.id or 0, None)
        events = await repo.events_of(unit.session, exchange_id=ex.id or 0)
        names: dict[int, str] = {}
        if x is not None:
            names = {
                x.visitor.id: x.visitor_profile.organisation or "",
                x.host.id: x.host_profile.organisation or "",
            }
        lines = [
            "<b>" + esc(_("History of exchange #{id}").format(id=ex.id)) + "</b>",
            _("Phase: {phase}").format(phase=_(PHASE_LABELS.get(ex.phase, ex.phase))),
            "",
        ]
        for event in events:
            local = event.at.astimezone(self.clock.tz)
            if event.actor_id is None:
                who = _("the bot")
            else:
                if event.actor_id not in names:
                    actor = await repo.get_user(unit.session, user_id=event.actor_id)
                    names[event.actor_id] = (
                        "@" + actor.username
                        if actor is not None and actor.username
                        else _("staff member {id}").format(id=event.actor_id)
                    )
                who = names[event.actor_id]
            line = (
                f"{format_date(local.date())} {local:%H:%M} · "
                + esc(_(ACTIONS.get(event.action, event.action)))
                + " · "
                + esc(who)
            )
            if event.detail:
                line += " · <i>" + esc(event.detail) + "</i>"
            lines.append(line)
        return "\n".join(lines)
