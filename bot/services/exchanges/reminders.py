"""Reminders of an exchange that fell due become messages, written for the time actually
left; those the exchange has outgrown (a visit that started, was postponed or cancelled)
are dropped. Several due reminders of one kind for the same person (after downtime) become
one message."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import Clock
from bot.i18n import _, language_of, use_language
from bot.services.exchanges.base import ExchangeBase, XCtx
from bot.services.exchanges.lifecycle import Act
from bot.services.exchanges.nudges import STALLED
from bot.services.exchanges.view import QUALITY_LABELS, buttons, dates_line
from bot.services.schedule import describe_offset
from bot.services.ui import Keyboard, Notice, Reply, esc
from bot.services.unit import Unit
from storage import repo
from storage.models import Phase, Quality, Reminder


class RemindersMixin(ExchangeBase):
    """The exchange's due reminders."""

    async def send_due_reminders(self, unit: Unit) -> int:
        """Turn the due reminders of exchanges into messages (in this unit); how many."""
        now = self.clock.now()
        due = await repo.take_due_reminders(unit.session, now=now, events=False)
        groups: dict[tuple, list[Reminder]] = {}
        for reminder in due:
            key = (reminder.exchange_id, reminder.user_id, reminder.kind)
            groups.setdefault(key, []).append(reminder)
        sent = 0
        for (xid, user_id, kind), _reminders in groups.items():
            x = await self._ctx(unit, xid or 0, None) if xid else None
            notice = self._reminder(x, user_id, kind, now) if x else None
            if notice is not None:
                unit.notify(notice)
                sent += 1
        return sent

    def _reminder(self, x: XCtx, user_id: int, kind: str, now: datetime) -> Notice | None:
        if user_id not in (x.visitor.id, x.host.id):
            return None
        visitor = user_id == x.visitor.id
        with use_language(language_of(x.user(user_id))):
            reply = self._reminder_reply(x, visitor, kind, now)
        if reply is None:
            return None
        return Notice(user_id, [reply])

    def _reminder_reply(self, x: XCtx, visitor: bool, kind: str, now: datetime) -> Reply | None:
        ex = x.ex
        if kind == STALLED:
            return self._stalled_reply(x, x.visitor.id if visitor else x.host.id)
        peer = x.host_profile if visitor else x.visitor_profile
        today = now.astimezone(self.clock.tz).date()
        if kind == "before":
            if ex.phase != Phase.VISITING or ex.start_date is None or ex.start_date <= today:
                return None
            start = _local_start(ex.start_date, self.clock)
            when = describe_offset(start - now)
            text = "⏰ " + (
                _("Your ClusterXchange visit to {organisation} starts {when}.")
                if visitor
                else _("{organisation} starts their visit to you {when}.")
            ).format(organisation=f"<b>{esc(peer.organisation)}</b>", when=when)
            text += "\n" + dates_line(ex)
            keyboard: Keyboard = buttons(Act.CALENDAR, ex)
            if ex.cq_status != Quality.VALIDATED:
                text += "\n\n" + _("Goals and agenda: {status}").format(
                    status=_(QUALITY_LABELS.get(ex.cq_status, ex.cq_status))
                )
                if visitor and ex.cq_status in (Quality.NONE, Quality.CHANGES):
                    keyboard += buttons(Act.WRITE_GOALS, ex)
            return Reply(text, keyboard)
        if kind == "checkin":
            if ex.phase != Phase.VISITING or ex.end_date is None or ex.end_date < today:
                return None
            if visitor:
                text = _(
                    "👋 Today your visit to {organisation} begins. Have a great exchange! Your "
                    "contact there: {name}."
                )
            else:
                text = _("👋 Today {organisation} begins their visit to you. Your contact: {name}.")
            return Reply(
                text.format(
                    organisation=f"<b>{esc(peer.organisation)}</b>", name=esc(peer.name or "")
                )
                + "\n"
                + dates_line(ex)
            )
        if kind == "happened":
            if ex.phase != Phase.VISITING or not visitor:
                return None
            return self._happened_question(x)
        if kind == "report":
            if ex.phase != Phase.RETURNING or not visitor:
                return None
            return Reply(
                _(
                    "A reminder: your closing report for the visit to {organisation} is still "
                    "missing. It takes about five minutes."
                ).format(organisation=f"<b>{esc(peer.organisation)}</b>"),
                buttons(Act.WRITE_REPORT, ex),
            )
        if kind == "outcome":
            column = ex.outcome_visitor if visitor else ex.outcome_host
            if ex.phase != Phase.CLOSED or column is not None:
                return None
            return Reply(
                _(
                    "Some months ago you took part in a ClusterXchange exchange with "
                    "{organisation}. What came of it?"
                ).format(organisation=f"<b>{esc(peer.organisation)}</b>"),
                buttons(Act.OUTCOME, ex),
            )
        return None


def _local_start(day: date, clock: Clock) -> datetime:
    """09:00 local time on ``day``, the moment a visit is taken to start."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=clock.tz)
