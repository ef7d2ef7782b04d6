"""Staff follow-up: nothing waits for validation silently.

The periodic job looks at everything that waits for a partnership's staff (registrations,
matches, goals and agendas, closing reports). An item that has waited
``review_reminder_days`` is reminded to that partnership's staff; one that has waited twice as
long is reported to the super-admins (``CXBOT_ADMIN_IDS``). A partnership without staff has
nobody to remind: its items go to the super-admins at the first reminder already, and a
registration of such a partnership reaches them the moment it is submitted
(``Reviews.profile_submitted``). Each reminder and report is taken by a guarded UPDATE, so two
workers running the job at once send it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from bot.clock import Clock
from bot.i18n import language_of, ngettext, use_language
from bot.services.partnerships.access import StaffAccess
from bot.services.ui import Notice, Reply, esc
from bot.services.unit import Unit
from storage import repo, repo_followup
from storage.models import Partnership, ReviewFollowUp


def waited_text(days: float) -> str:
    """ "for more than 3 days", in the reader's language (whole days, at least one)."""
    whole = max(1, round(days))
    return ngettext("for more than {days} day", "for more than {days} days", whole).format(
        days=whole
    )


class FollowUps:
    """Reminders to staff about what waits, and reports to the super-admins."""

    def __init__(self, clock: Clock, access: StaffAccess, days: float) -> None:
        self.clock = clock
        self.access = access
        self.after = timedelta(days=days)

    async def send_due(self, unit: Unit) -> None:
        """Remember what waits since when; remind and report what waited long enough."""
        session, now = unit.session, self.clock.now()
        await repo_followup.remember(
            session, items=await repo_followup.waiting_items(session), now=now
        )
        names = {p.id: p for p in await repo.partnerships(session) if p.id is not None}
        due = await repo_followup.take_due(
            session, column="reminded_at", waited_since=now - self.after, now=now
        )
        unstaffed: list[ReviewFollowUp] = []
        for pid, rows in _by_partnership(due).items():
            staff = await repo.staff_of(session, partnership_ids=[pid])
            partnership = names.get(pid)
            if not staff or partnership is None:
                unstaffed.extend(rows)
                continue
            for member in staff:
                with use_language(language_of(member)):
                    unit.notify(Notice(member.id, [self._reminder(partnership, len(rows))]))
        # Nobody to remind: the super-admins hear of it now, and not a second time later.
        told = [r.id for r in unstaffed if r.id is not None]
        await repo_followup.mark(session, ids=told, column="escalated_at", now=now)
        late = await repo_followup.take_due(
            session, column="escalated_at", waited_since=now - 2 * self.after, now=now
        )
        for rows, no_staff in ((unstaffed, True), (late, False)):
            for pid, items in _by_partnership(rows).items():
                partnership = names.get(pid)
                if partnership is not None:
                    await self._tell_admins(unit, partnership, len(items), no_staff)

    def _reminder(self, partnership: Partnership, count: int) -> Reply:
        text = ngettext(
            "⏰ One item of {partnership} has been waiting for your validation {waited}. "
            "/pending shows it.",
            "⏰ {count} items of {partnership} have been waiting for your validation {waited}. "
            "/pending shows them, oldest first.",
            count,
        ).format(
            count=count,
            partnership=f"<b>{esc(partnership.name)}</b>",
            waited=waited_text(self.after.total_seconds() / 86400),
        )
        return Reply(text)

    async def _tell_admins(
        self, unit: Unit, partnership: Partnership, count: int, no_staff: bool
    ) -> None:
        """One message per super-admin, in their language."""

        def build() -> list[Reply]:
            return [self._report(partnership, count, no_staff)]

        unit.notify(*await self.access.admin_notices(unit, build))

    def _report(self, partnership: Partnership, count: int, no_staff: bool) -> Reply:
        name = f"<b>{esc(partnership.name)}</b>"
        if no_staff:
            text = ngettext(
                "⚠️ {partnership} has no staff, and one item has been waiting for validation "
                "{waited}. As a super-admin you can decide it: /pending.",
                "⚠️ {partnership} has no staff, and {count} items have been waiting for "
                "validation {waited}. As a super-admin you can decide them: /pending.",
                count,
            )
            waited = self.after
        else:
            text = ngettext(
                "⚠️ One item of {partnership} has been waiting for validation {waited}, "
                "although its staff were reminded. /pending shows it.",
                "⚠️ {count} items of {partnership} have been waiting for validation {waited}, "
                "although its staff were reminded. /pending shows them.",
                count,
            )
            waited = 2 * self.after
        days = waited.total_seconds() / 86400
        return Reply(text.format(count=count, partnership=name, waited=waited_text(days)))


def _by_partnership(rows: Iterable[ReviewFollowUp]) -> dict[int, list[ReviewFollowUp]]:
    grouped: dict[int, list[ReviewFollowUp]] = defaultdict(list)
    for row in rows:
        if row.partnership_id is not None:
            grouped[row.partnership_id].append(row)
    return dict(sorted(grouped.items()))
