"""Finalisation: the visitor's evidence of the stay, its validation apart from the closing
report, the final lump sum approved for payment and marked paid (with a reminder to the
staff when it is not), and the certificate of participation for both sides.

Evidence files are kept as Telegram's ids (``ExchangeEvidence``), never as bytes: PDF, JPEG
or PNG, up to ``EVIDENCE_MAX_MEGABYTES`` each and ``EVIDENCE_MAX_FILES`` in all.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.i18n import (
    _,
    country_name,
    format_date,
    format_date_range,
    format_list,
    format_money,
    format_number,
    language_of,
    ngettext,
    use_language,
)
from bot.scheme import LumpSum, estimate_lump_sum
from bot.services import dialog, documents
from bot.services.exchanges.access import EVIDENCE
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.certificate import CertificateText, certificate_pdf
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.view import buttons, dates_line
from bot.services.review.view import payment_keyboard, reason_text
from bot.services.ui import Document, Keyboard, Outcome, Reply, esc
from bot.services.unit import Unit
from storage import repo, repo_finalisation
from storage.models import Evidence, Phase, Profile, as_utc

EVIDENCE_MAX_MEGABYTES = 10
EVIDENCE_MAX_BYTES = EVIDENCE_MAX_MEGABYTES * 1024 * 1024
EVIDENCE_MAX_FILES = 10
EVIDENCE_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
EVIDENCE_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png"})
UNKNOWN_TYPES = frozenset({"", "application/octet-stream"})


def evidence_problem(name: str, mime_type: str | None, size: int | None) -> str | None:
    """Why a file is refused as evidence (localized), or None when it may be kept."""
    mime = (mime_type or "").split(";", 1)[0].strip().casefold()
    ext = documents.extension(name)
    known_type = mime in EVIDENCE_TYPES or (mime in UNKNOWN_TYPES and ext in EVIDENCE_EXTENSIONS)
    if not known_type or (ext and ext not in EVIDENCE_EXTENSIONS):
        return _(
            "I can keep only PDF, JPEG and PNG files as evidence; {name} is not one. Please "
            "send it as a PDF or an image."
        ).format(name=esc(name))
    if size is not None and size > EVIDENCE_MAX_BYTES:
        return _(
            "{name} is {size} MB; the limit is {limit} MB per file. Please send a smaller "
            "file (for example a scan at a lower resolution)."
        ).format(
            name=esc(name),
            size=format_number(round(size / 1024 / 1024, 1)),
            limit=EVIDENCE_MAX_MEGABYTES,
        )
    return None


class FinalisationMixin(ExchangeBase):
    """Evidence, payment and certificate."""

    # ----------------------------------------------------------------- evidence (visitor)

    def _evidence_prompt(self) -> str:
        return _(
            "Please send your evidence of the stay: boarding passes, travel or accommodation "
            "invoices. PDF, JPEG or PNG, up to {limit} MB per file, at most {most} files. "
            "Press Done when you have sent everything."
        ).format(limit=EVIDENCE_MAX_MEGABYTES, most=EVIDENCE_MAX_FILES)

    def _evidence_list(self, x: XCtx) -> str:
        lines = [
            ngettext(
                "Your evidence so far ({count} file):",
                "Your evidence so far ({count} files):",
                len(x.evidence),
            ).format(count=len(x.evidence))
        ]
        lines += [f"📎 {esc(row.name)}" for row in x.evidence]
        return "\n".join(lines)

    async def _evidence_file(
        self,
        x: XCtx,
        file_id: str,
        unique_id: str,
        name: str,
        mime_type: str | None,
        size: int | None,
        photo: bool = False,
    ) -> None:
        """One file while the visitor hands in evidence: kept, or refused with the reason
        (what was kept stays)."""
        done = buttons(Act.FINISH_EVIDENCE, x.ex) if x.evidence else None
        if len(x.evidence) >= EVIDENCE_MAX_FILES:
            x.out.add(
                _(
                    "You have sent {most} files, the most I can keep. Press Done to hand them in."
                ).format(most=EVIDENCE_MAX_FILES),
                done,
            )
            return
        refusal = evidence_problem(name, mime_type, size)
        if refusal is not None:
            x.out.add(refusal, done)
            return
        if unique_id and any(row.file_unique_id == unique_id for row in x.evidence):
            x.out.add(_("You sent this file already."), done)
            return
        mime = (mime_type or "").split(";", 1)[0].strip().casefold()
        if mime not in EVIDENCE_TYPES:
            mime = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png"}.get(
                documents.extension(name), "application/pdf"
            )
        row = await repo_finalisation.add_evidence(
            x.unit.session,
            exchange_id=x.ex.id or 0,
            user_id=x.visitor.id,
            file_id=file_id,
            file_unique_id=unique_id or file_id,
            name=name,
            mime_type=mime,
            size=size,
            photo=photo,
            now=self.clock.now(),
        )
        x.evidence.append(row)
        left = EVIDENCE_MAX_FILES - len(x.evidence)
        x.out.add(
            "✅ "
            + _("Received: {name}.").format(name=esc(name))
            + "\n\n"
            + self._evidence_list(x)
            + "\n\n"
            + ngettext(
                "You can send {count} more file, or press Done.",
                "You can send {count} more files, or press Done.",
                left,
            ).format(count=left),
            buttons(Act.FINISH_EVIDENCE, x.ex),
        )

    async def _finish_evidence(self, x: XCtx) -> bool:
        """Done: the evidence goes to the visitor's partnership (with the report, when it is
        filed). False when someone was faster."""
        ex = x.ex
        if not x.evidence:
            x.out.add(
                _("You have not sent any evidence yet.") + " " + self._evidence_prompt(),
                buttons(Act.FINISH_EVIDENCE, ex),
            )
            return True
        if x.visitor.state == EVIDENCE:
            dialog.resume(x.visitor)
        if not await self._move(
            x,
            "evidence_submitted",
            expect={"evidence_status": ex.evidence_status, "phase": ex.phase},
            detail=str(len(x.evidence)),
            evidence_status=Evidence.STAFF,
        ):
            return False
        x.out.replies.insert(0, Reply(markup_only=True, edit=True))
        if ex.phase == Phase.REPORT_REVIEW:
            x.out.add(
                self._evidence_list(x)
                + "\n\n"
                + _(
                    "Thank you! Your partnership checks your evidence; I will tell you when it has."
                )
            )
            await self._staff(x, [ex.visitor_partnership_id], lambda: [self._card(x, "r")])
            return True
        x.out.add(
            self._evidence_list(x)
            + "\n\n"
            + _(
                "Thank you! Your partnership checks your evidence together with your closing "
                "report."
            ),
            buttons(Act.WRITE_REPORT, ex) if ex.phase == Phase.RETURNING else None,
        )
        return True

    # ----------------------------------------------------------------- evidence (staff)

    def _evidence_lines(self, x: XCtx) -> list[str]:
        """The evidence as staff read it on the report's card."""
        status = {
            Evidence.NONE: _("Evidence: not handed in yet"),
            Evidence.STAFF: _("Evidence: waiting for your validation"),
            Evidence.REJECTED: _("Evidence: rejected, waiting for more"),
            Evidence.APPROVED: _("Evidence: validated"),
        }.get(x.ex.evidence_status, x.ex.evidence_status)
        lines = ["", "<b>" + esc(status) + "</b>"]
        for row in x.evidence:
            size = f" ({row.size / 1024 / 1024:.1f} MB)" if row.size else ""
            lines.append(f"📎 {esc(row.name)}{size}")
        if x.ex.report_ok:
            lines.append("✅ " + esc(_("Closing report: validated")))
        return lines

    def _closing(self, x: XCtx) -> dict[str, Any]:
        """The values that close an exchange: the final lump sum is fixed now."""
        values: dict[str, Any] = {"phase": Phase.CLOSED, "closed_at": self.clock.now()}
        if x.ex.visitor_partnership_id is not None:
            values["final_lump_sum"] = self._final_sum(x).amount
        return values

    async def _review_evidence(self, x: XCtx, approve: bool, note: str | None) -> bool:
        ex = x.ex
        expect = {
            "phase": Phase.REPORT_REVIEW,
            "evidence_status": Evidence.STAFF,
            "report_ok": ex.report_ok,
        }
        if not approve:
            if not await self._move(
                x,
                "evidence_rejected",
                expect=expect,
                detail=note,
                evidence_status=Evidence.REJECTED,
                evidence_note=(note or "")[:300],
            ):
                return False
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    _("Your evidence needs another look. The reason given:")
                    + "\n<i>"
                    + esc(reason_text("e", note))
                    + "</i>\n\n"
                    + _("Please add what is missing; the files you sent are kept.")
                ),
                self._offer(x, Act.ADD_EVIDENCE),
            )
            return True
        closing = ex.report_ok
        values: dict[str, Any] = {"evidence_status": Evidence.APPROVED, "evidence_note": None}
        if closing:
            values.update(self._closing(x))
        if not await self._move(x, "evidence_approved", expect=expect, **values):
            return False
        if closing:
            await self._close(x)
        else:
            self._text(
                x,
                x.visitor.id,
                lambda: (
                    "✅ "
                    + _(
                        "Your evidence is validated. The exchange closes once your closing report "
                        "is validated too."
                    )
                ),
            )
        return True

    async def evidence_files(self, unit: Unit, exchange_id: int) -> Outcome:
        """The evidence files, sent to the staff member by Telegram's ids."""
        files = await repo_finalisation.evidence_of(unit.session, exchange_id=exchange_id)
        if not files:
            return Outcome(toast=_("No evidence has been handed in yet."))
        out = Outcome(toast=_("Sending the files."))
        for row in files:
            caption = _("Evidence of exchange #{id}: {name}").format(
                id=exchange_id, name=esc(row.name)
            )
            out.replies.append(
                Reply(
                    document=Document(
                        row.name, file_id=row.file_id, caption=caption, photo=row.photo
                    )
                )
            )
        return out

    # ----------------------------------------------------------------- payment

    def _final_sum(self, x: XCtx) -> LumpSum:
        """The lump sum of the stay that happened: its working days, the distance, the host
        country's cap, halved for a short stay or a short distance."""
        ex = x.ex
        distance = ex.distance_km if ex.distance_km is not None else self._distance(x)
        cap = self.settings.cap_for(x.host_profile.country or "")
        return estimate_lump_sum(ex.working_days or 0, distance, cap)

    def _payment_card(self, x: XCtx) -> Reply:
        """The payment as the visitor's partnership reads it."""
        ex, vp, hp = x.ex, x.visitor_profile, x.host_profile
        estimate = self._final_sum(x)
        amount = ex.final_lump_sum if ex.final_lump_sum is not None else estimate.amount
        lines = [
            "<b>💶 " + esc(_("Lump sum to pay")) + "</b> · " + _("exchange #{id}").format(id=ex.id),
            "",
            _("Visitor: {organisation}").format(organisation=f"<b>{esc(vp.organisation)}</b>"),
            _("Host: {organisation}, {city} ({country})").format(
                organisation=f"<b>{esc(hp.organisation)}</b>",
                city=esc(hp.city or ""),
                country=esc(country_name(hp.country or "")),
            ),
        ]
        if ex.start_date and ex.end_date:
            lines.append(dates_line(ex))
        lines += [
            "",
            "💶 " + _("Final lump sum: {amount}").format(amount=format_money(amount)),
            *self._sum_reasons(x, estimate),
        ]
        if ex.payment_approved_at is not None:
            lines += [
                "",
                "✅ "
                + _("Approved for payment on {date}.").format(
                    date=format_date(as_utc(ex.payment_approved_at).astimezone(self.clock.tz))
                ),
            ]
        if ex.paid_at is not None:
            lines.append(
                "🏦 "
                + _("Paid on {date}, reference: {reference}").format(
                    date=format_date(as_utc(ex.paid_at).astimezone(self.clock.tz)),
                    reference=esc(ex.payment_reference or ""),
                )
            )
        return Reply("\n".join(lines), self._payment_keyboard(x))

    def _payment_status(self, x: XCtx) -> str:
        """The final lump sum as the visitor reads it in /exchange."""
        ex = x.ex
        if ex.paid_at is not None:
            return "🏦 " + _("Lump sum of {amount} paid on {date}.").format(
                amount=self._amount(x),
                date=format_date(as_utc(ex.paid_at).astimezone(self.clock.tz).date()),
            )
        if ex.payment_approved_at is not None:
            return "💶 " + _("Lump sum of {amount} approved for payment.").format(
                amount=self._amount(x)
            )
        return "💶 " + _(
            "Final lump sum: {amount}; your partnership approves it for payment."
        ).format(amount=self._amount(x))

    def _payment_keyboard(self, x: XCtx) -> Keyboard:
        ex = x.ex
        return payment_keyboard(
            ex.id or 0, approved=ex.payment_approved_at is not None, paid=ex.paid_at is not None
        )

    def _amount(self, x: XCtx) -> str:
        return format_money(x.ex.final_lump_sum or 0)

    async def approve_payment(self, unit: Unit, exchange_id: int, staff_id: int) -> Outcome:
        """Record the final lump sum as approved for payment; the visitor is told."""
        x = await self._ctx(unit, exchange_id, staff_id)
        if x is None:
            return Outcome(toast=_("This item does not exist any more."))
        ex = x.ex
        if ex.phase != Phase.CLOSED or ex.final_lump_sum is None:
            return Outcome(toast=_("The lump sum is fixed when the exchange is closed."))
        if not await self._move(
            x,
            "payment_approved",
            expect={"payment_approved_at": None, "phase": Phase.CLOSED},
            detail=str(ex.final_lump_sum),
            payment_approved_at=self.clock.now(),
            payment_approved_by=staff_id,
        ):
            return Outcome(toast=_("Already decided (perhaps by a colleague)."))
        self._text(
            x,
            x.visitor.id,
            lambda: (
                "💶 "
                + _(
                    "Your partnership has approved the lump sum of {amount} for your visit to "
                    "{host} for payment. I will tell you when it is paid."
                ).format(amount=self._amount(x), host=esc(x.host_profile.organisation))
            ),
        )
        x.out.toast = _("Approved for payment")
        x.out.replies.append(Reply(keyboard=self._payment_keyboard(x), edit=True, markup_only=True))
        x.out.add(
            "✅ "
            + _("Exchange #{id}: {amount} approved for payment.").format(
                id=ex.id, amount=self._amount(x)
            )
        )
        return x.send()

    async def payable(self, unit: Unit, exchange_id: int) -> str | None:
        """Why the lump sum cannot be marked paid now, or None."""
        ex = await repo.get_exchange(unit.session, exchange_id=exchange_id)
        if ex is None:
            return _("This item does not exist any more.")
        if ex.paid_at is not None:
            return _("Already marked as paid.")
        if ex.payment_approved_at is None:
            return _("Approve the lump sum for payment first.")
        return None

    async def mark_paid(
        self, unit: Unit, exchange_id: int, staff_id: int, reference: str
    ) -> Outcome:
        """Record the payment (date, amount, reference); the visitor is told."""
        refusal = await self.payable(unit, exchange_id)
        x = await self._ctx(unit, exchange_id, staff_id)
        if refusal is not None or x is None:
            return Outcome().add(refusal or _("This item does not exist any more."))
        ex = x.ex
        now = self.clock.now()
        if not await self._move(
            x,
            "paid",
            expect={"paid_at": None},
            detail=reference,
            paid_at=now,
            paid_by=staff_id,
            payment_reference=reference,
        ):
            return Outcome().add(_("Already marked as paid."))
        today = now.astimezone(self.clock.tz).date()
        self._text(
            x,
            x.visitor.id,
            lambda: (
                "🏦 "
                + _(
                    "The lump sum of {amount} for your visit to {host} was paid on {date}. "
                    "Reference: {reference}"
                ).format(
                    amount=self._amount(x),
                    host=esc(x.host_profile.organisation),
                    date=format_date(today),
                    reference=esc(reference),
                )
            ),
        )
        x.out.add(
            "✅ "
            + _("Exchange #{id} is marked as paid ({amount}). Reference: {reference}").format(
                id=ex.id, amount=self._amount(x), reference=esc(reference)
            )
        )
        return x.send()

    async def remind_unpaid(self, unit: Unit) -> int:
        """Staff of the visitor's partnership are reminded, once, of a lump sum approved for
        payment ``payment_days`` ago and not marked paid; how many exchanges."""
        now = self.clock.now()
        before = now - timedelta(days=self.settings.payment_days)
        count = 0
        for row in await repo_finalisation.unpaid_since(unit.session, approved_before=before):
            x = await self._ctx(unit, row.id or 0, None)
            if x is None or not await self._move(
                x,
                "payment_reminder",
                expect={"payment_reminded_at": None, "paid_at": None},
                payment_reminded_at=now,
            ):
                continue
            await self._staff(x, [x.ex.visitor_partnership_id], self._unpaid_notice(x))
            x.send()
            count += 1
        return count

    def _unpaid_notice(self, x: XCtx):  # type: ignore[no-untyped-def]
        ex = x.ex

        def build() -> list[Reply]:
            approved = as_utc(ex.payment_approved_at or self.clock.now()).astimezone(self.clock.tz)
            return [
                Reply(
                    "⏰ "
                    + _(
                        "The lump sum of exchange #{id} ({visitor} → {host}, {amount}) was "
                        "approved for payment on {date} and is not marked as paid yet."
                    ).format(
                        id=ex.id,
                        visitor=esc(x.visitor_profile.organisation),
                        host=esc(x.host_profile.organisation),
                        amount=self._amount(x),
                        date=format_date(approved.date()),
                    ),
                    self._payment_keyboard(x),
                )
            ]

        return build

    # ----------------------------------------------------------------- closed: certificate

    async def _finalised(self, x: XCtx) -> None:
        """Both sides get their certificate; the visitor's partnership the payment's card."""
        ex = x.ex
        names = []
        for pid in dict.fromkeys((ex.visitor_partnership_id, ex.host_partnership_id)):
            partnership = await repo.get_partnership(x.unit.session, partnership_id=pid or 0)
            if partnership is not None:
                names.append(partnership.name)
        for side in (x.visitor.id, x.host.id):
            if side in x.gone:
                continue
            with use_language(language_of(x.user(side))):
                text = self._certificate_text(x, names)
            pdf = await asyncio.to_thread(certificate_pdf, text)
            self._tell(x, side, self._certificate_reply(x, pdf))
        if ex.visitor_partnership_id is not None:
            await self._staff(x, [ex.visitor_partnership_id], lambda: [self._payment_card(x)])
            if x.actor is not None and x.actor not in (x.visitor.id, x.host.id):
                x.out.replies.append(self._payment_card(x))  # the staff member who closed it

    def _certificate_reply(self, x: XCtx, pdf: bytes):  # type: ignore[no-untyped-def]
        def build() -> list[Reply]:
            name = _("certificate-of-participation") + f"-{x.ex.id}.pdf"
            caption = _("Your certificate of participation in ClusterXchange")
            return [Reply(document=Document(name, pdf, caption))]

        return build

    def _certificate_text(self, x: XCtx, partnerships: list[str]) -> CertificateText:
        ex = x.ex

        def org(profile: Profile) -> str:
            place = ", ".join(
                part for part in (profile.city or "", country_name(profile.country or "")) if part
            )
            return f"{profile.organisation}" + (f" ({place})" if place else "")

        dates = (
            format_date_range(ex.start_date, ex.end_date) if ex.start_date and ex.end_date else "—"
        )
        days = ex.working_days or 0
        details = [
            (_("Visiting organisation"), org(x.visitor_profile)),
            (_("Host organisation"), org(x.host_profile)),
            (
                _("Dates of the visit"),
                dates
                + " ("
                + ngettext("{n} working day", "{n} working days", days).format(n=days)
                + ")",
            ),
            (
                _("Place"),
                ", ".join(
                    p
                    for p in (x.host_profile.city or "", country_name(x.host_profile.country or ""))
                    if p
                ),
            ),
        ]
        if partnerships:
            details.append(
                (
                    _("Partnership") if len(partnerships) == 1 else _("Partnerships"),
                    format_list(partnerships),
                )
            )
        return CertificateText(
            title=_("Certificate of participation"),
            scheme=_("ClusterXchange, the exchange scheme of the European Cluster Partnerships"),
            body=[
                _(
                    "{visitor} took part in a ClusterXchange visit hosted by {host} from {dates}."
                ).format(
                    visitor=x.visitor_profile.organisation,
                    host=x.host_profile.organisation,
                    dates=dates,
                ),
                _("The closing report and the evidence of the stay have been validated.")
                if ex.visitor_partnership_id is not None
                else _("The closing report has been filed."),
            ],
            details=details,
            footer=_("Issued on {date} for exchange #{id}.").format(
                date=format_date(self.clock.today()), id=ex.id
            ),
        )
