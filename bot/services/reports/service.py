"""Figures and exports for partnership staff: ``/stats`` and ``/export``.

Staff see their own partnerships; super-admins see every partnership, one block each. A
participant belongs to the partnership chosen in their profile; an exchange counts for a
partnership when its visitor or its host belongs to it. Exports are CSV in UTF-8 with a BOM
(so spreadsheet programs read umlauts correctly), with cells that a spreadsheet would take for
a formula neutralised.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from bot.clock import Clock
from bot.domain import ECOSYSTEMS
from bot.i18n import _, country_name, current_language, format_date, format_money, sort_key
from bot.pseudonyms import who
from bot.services.charts import bar_chart_png
from bot.services.csvfile import csv_bytes
from bot.services.exchanges.view import DEPARTED, PHASE_LABELS
from bot.services.partnerships.access import Scope, StaffAccess
from bot.services.ui import Document, Outcome, Reply, esc
from bot.services.unit import Unit
from storage import repo_stats
from storage.models import Exchange, Partnership, Phase, Profile, Review, is_placeholder

log = logging.getLogger(__name__)

PARTICIPANT_COLUMNS = (
    "user_id",
    "name",
    "organisation",
    "org_type",
    "country",
    "city",
    "role",
    "ecosystems",
    "languages",
    "available_from",
    "available_to",
    "email",
    "review_status",
    "completed_at",
)
EXCHANGE_COLUMNS = (
    "id",
    "phase",
    "visitor_id",
    "visitor_organisation",
    "visitor_country",
    "host_id",
    "host_organisation",
    "host_country",
    "start_date",
    "end_date",
    "working_days",
    "lump_sum_estimate",
    "goals_agenda_status",
    "happened",
    "host_rating",
    "outcome_visitor",
    "outcome_host",
    "created_at",
    "closed_at",
    "report_validated",
    "evidence_status",
    "final_lump_sum",
    "payment_approved_at",
    "paid_at",
    "payment_reference",
)


def _registration(profile: Profile) -> str:
    return repo_stats.INCOMPLETE if profile.completed_at is None else profile.review


class StaffReports:
    """``/stats`` and ``/export`` for partnership staff and super-admins."""

    def __init__(self, clock: Clock, access: StaffAccess) -> None:
        self.clock = clock
        self.access = access

    async def _covered(self, unit: Unit, user_id: int) -> tuple[Scope, list[Partnership]]:
        scope = await self.access.scope(unit, user_id)
        if not scope.is_staff:
            return scope, []
        ids = None if scope.admin else scope.ids
        found = await repo_stats.partnerships_in(unit.session, partnership_ids=ids)
        lang = current_language()
        mine = [p for p in found if scope.covers(p.id)]
        return scope, sorted(mine, key=lambda p: sort_key(p.name, lang))

    # ----------------------------------------------------------------- /stats

    async def stats(self, unit: Unit, user_id: int) -> Outcome:
        """Participants by registration state, country and ecosystem; exchanges by phase with
        a bar chart; one block per partnership."""
        scope, found = await self._covered(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "stats")
        session = unit.session
        figures = []
        for p in found:
            assert p.id is not None
            figures.append(
                (
                    p,
                    await repo_stats.review_counts(session, partnership_id=p.id),
                    await repo_stats.phase_counts(session, partnership_id=p.id),
                    await repo_stats.country_counts(session, partnership_id=p.id),
                    await repo_stats.ecosystem_lists(session, partnership_id=p.id),
                    await repo_stats.exchanges_with_sides(session, partnership_id=p.id),
                )
            )
        out = Outcome()
        if not figures:
            return out.add(_("There is no partnership yet. Create one with /newpartnership."))
        log.info("stats of %s for %s", ",".join(p.slug for p, *_r in figures), who(user_id))
        for p, reviews, phases, countries, ecosystems, exchanges in figures:
            out.add(self._stats_text(p, reviews, phases, countries, ecosystems, exchanges))
            out.replies.append(Reply(document=await self._phase_chart(p, phases)))
        return out

    def _stats_text(
        self,
        p: Partnership,
        reviews: dict[str, int],
        phases: dict[str, int],
        countries: dict[str, int],
        ecosystems: list[list[str]],
        exchanges: list[tuple[Exchange, Profile | None, Profile | None]],
    ) -> str:
        lines = [
            "📊 "
            + _("Figures for {partnership} on {date}").format(
                partnership=f"<b>{esc(p.name)}</b>", date=format_date(self.clock.today())
            ),
            "",
            "<b>" + _("Participants: {count}").format(count=sum(reviews.values())) + "</b>",
            "• "
            + _("waiting for validation: {count}").format(count=reviews.get(Review.PENDING, 0)),
            "• " + _("validated: {count}").format(count=reviews.get(Review.APPROVED, 0)),
            "• " + _("rejected: {count}").format(count=reviews.get(Review.REJECTED, 0)),
            "• "
            + _("registration not finished: {count}").format(
                count=reviews.get(repo_stats.INCOMPLETE, 0)
            ),
            "",
            "<b>" + _("Exchanges: {count}").format(count=sum(phases.values())) + "</b>",
        ]
        if any(phases.values()):
            lines += [
                f"• {esc(_(PHASE_LABELS.get(phase, phase)))}: {phases[phase]}"
                for phase in self._phases(phases)
                if phases.get(phase)
            ]
        else:
            lines.append(_("No exchanges yet."))
        lines += ["", self._finalisation_text(p, exchanges)]
        lines += ["", "<b>" + _("By country (completed registrations):") + "</b>"]
        lang = current_language()
        by_country = sorted(
            ((country_name(code), n) for code, n in countries.items()),
            key=lambda item: (-item[1], sort_key(item[0], lang)),
        )
        lines += [f"• {esc(name)}: {n}" for name, n in by_country] or ["—"]
        lines += ["", "<b>" + _("By ecosystem (completed registrations):") + "</b>"]
        counted = Counter(slug for ecos in ecosystems for slug in set(ecos))
        by_ecosystem = sorted(
            ((_(ECOSYSTEMS.get(slug, slug)), n) for slug, n in counted.items()),
            key=lambda item: (-item[1], sort_key(item[0], lang)),
        )
        lines += [f"• {esc(label)}: {n}" for label, n in by_ecosystem] or ["—"]
        return "\n".join(lines)

    @staticmethod
    def _finalisation_text(
        p: Partnership, exchanges: list[tuple[Exchange, Profile | None, Profile | None]]
    ) -> str:
        """Closed exchanges, and the lump sums approved for payment and paid (those of the
        partnership's visitors), in all, by host country and by ecosystem."""
        lang = current_language()
        totals = [0, 0, 0]  # closed, approved, paid
        by_country: dict[str, list[int]] = {}
        by_ecosystem: dict[str, list[int]] = {}
        for ex, visitor, host in exchanges:
            if ex.phase != Phase.CLOSED:
                continue
            pays = ex.visitor_partnership_id == p.id and ex.final_lump_sum is not None
            approved = ex.final_lump_sum or 0 if pays and ex.payment_approved_at else 0
            paid = ex.final_lump_sum or 0 if pays and ex.paid_at else 0
            figures = (1, approved, paid)
            keys = [(by_country, host.country if host and host.country else "")]
            # The ecosystems both sides work in.
            for slug in visitor.ecosystems if visitor and host else []:
                if slug in host.ecosystems:  # type: ignore[union-attr]
                    keys.append((by_ecosystem, slug))
            for i, value in enumerate(figures):
                totals[i] += value
            for table, key in keys:
                row = table.setdefault(key, [0, 0, 0])
                for i, value in enumerate(figures):
                    row[i] += value

        def line(label: str, row: list[int]) -> str:
            return "• " + _("{label}: closed {closed}, approved {approved}, paid {paid}").format(
                label=esc(label),
                closed=row[0],
                approved=format_money(row[1]),
                paid=format_money(row[2]),
            )

        lines = [
            "<b>" + _("Finalisation:") + "</b>",
            "• " + _("exchanges closed: {count}").format(count=totals[0]),
            "• "
            + _("lump sums approved for payment: {amount}").format(amount=format_money(totals[1])),
            "• " + _("lump sums paid: {amount}").format(amount=format_money(totals[2])),
        ]
        if by_country:
            lines += ["", "<b>" + _("Closed exchanges by host country:") + "</b>"]
            named = [((country_name(c) if c else "—"), row) for c, row in by_country.items()]
            named.sort(key=lambda item: (-item[1][0], sort_key(item[0], lang)))
            lines += [line(name, row) for name, row in named]
        if by_ecosystem:
            lines += ["", "<b>" + _("Closed exchanges by ecosystem:") + "</b>"]
            labelled = [(_(ECOSYSTEMS.get(s, s)), row) for s, row in by_ecosystem.items()]
            labelled.sort(key=lambda item: (-item[1][0], sort_key(item[0], lang)))
            lines += [line(label, row) for label, row in labelled]
        return "\n".join(lines)

    @staticmethod
    def _phases(phases: dict[str, int]) -> list[str]:
        """Every known phase in the order of an exchange's life, then any unknown ones."""
        return [*Phase.ALL, *sorted(set(phases) - set(Phase.ALL))]

    async def _phase_chart(self, p: Partnership, phases: dict[str, int]) -> Document:
        order = self._phases(phases)
        labels = [_(PHASE_LABELS.get(phase, phase)) for phase in order]
        values = [phases.get(phase, 0) for phase in order]
        png = await asyncio.to_thread(
            bar_chart_png,
            _("Exchanges by phase: {partnership}").format(partnership=p.name),
            labels,
            values,
            ylabel=_("Exchanges"),
            empty_text=_("No exchanges yet."),
        )
        caption = _("Exchanges by phase: {partnership}").format(partnership=f"<b>{esc(p.name)}</b>")
        return Document(filename="exchanges.png", content=png, caption=caption, photo=True)

    # ----------------------------------------------------------------- /export

    async def export(self, unit: Unit, user_id: int) -> Outcome:
        """Two CSV files per partnership: its participants and its exchanges."""
        scope, found = await self._covered(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "export")
        session = unit.session
        data = []
        for p in found:
            assert p.id is not None
            data.append(
                (
                    p,
                    await repo_stats.profiles_of_partnership(session, partnership_id=p.id),
                    await repo_stats.exchanges_with_sides(session, partnership_id=p.id),
                )
            )
        out = Outcome()
        if not data:
            return out.add(_("There is no partnership yet. Create one with /newpartnership."))
        for p, profiles, exchanges in data:
            log.info(
                "export of %s (%d participants, %d exchanges) for %s",
                p.slug,
                len(profiles),
                len(exchanges),
                who(user_id),
            )
            name = f"<b>{esc(p.name)}</b>"
            out.replies.append(
                Reply(
                    document=Document(
                        filename=f"participants-{p.slug}.csv",
                        content=csv_bytes(
                            PARTICIPANT_COLUMNS, map(self._participant_row, profiles)
                        ),
                        caption=_("Participants of {partnership}: {count}").format(
                            partnership=name, count=len(profiles)
                        ),
                    )
                )
            )
            out.replies.append(
                Reply(
                    document=Document(
                        filename=f"exchanges-{p.slug}.csv",
                        content=csv_bytes(
                            EXCHANGE_COLUMNS, (self._exchange_row(*x) for x in exchanges)
                        ),
                        caption=_("Exchanges of {partnership}: {count}").format(
                            partnership=name, count=len(exchanges)
                        ),
                    )
                )
            )
        return out

    @staticmethod
    def _participant_row(profile: Profile) -> list[object]:
        return [
            profile.user_id,
            profile.name,
            profile.organisation,
            profile.org_type,
            profile.country,
            profile.city,
            profile.role,
            ";".join(profile.ecosystems or []),
            ";".join(profile.languages or []),
            profile.available_from,
            profile.available_to,
            profile.email,
            _registration(profile),
            profile.completed_at,
        ]

    @staticmethod
    def _exchange_row(ex: Exchange, visitor: Profile | None, host: Profile | None) -> list[object]:
        """A side who erased their data has no id and reads "a participant who left"."""
        visitor_id, host_id = (
            None if is_placeholder(i) else i for i in (ex.visitor_id, ex.host_id)
        )
        return [
            ex.id,
            ex.phase,
            visitor_id,
            visitor.organisation if visitor else str(DEPARTED),
            visitor.country if visitor else None,
            host_id,
            host.organisation if host else str(DEPARTED),
            host.country if host else None,
            ex.start_date,
            ex.end_date,
            ex.working_days,
            ex.lump_sum,
            ex.cq_status,
            ex.happened,
            ex.host_rating,
            ex.outcome_visitor,
            ex.outcome_host,
            ex.created_at,
            ex.closed_at,
            ex.report_ok,
            ex.evidence_status,
            ex.final_lump_sum,
            ex.payment_approved_at,
            ex.paid_at,
            ex.payment_reference,
        ]
