"""``/broadcast``: one message to every attendee of an event, each in their language, sent
through the outbox by a paced sender (below Telegram's ~30 messages a second, so other
people's conversations keep flowing); the staff member sees the progress."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import _, language_of, ngettext, use_language
from bot.services import deeplinks
from bot.services.events import callbacks
from bot.services.events.access import BROADCAST
from bot.services.events.base import EventsBase
from bot.services.profile_text import InputError, clean_text
from bot.services.ui import STALE_BUTTON, Button, Notice, Outcome, Reply, esc
from bot.services.unit import Unit
from storage import repo, repo_events
from storage.models import Event, User


@dataclass
class BroadcastPlan:
    """A confirmed broadcast: its messages are the unit's paced outbox rows."""

    event_id: int
    event_name: str
    staff_language: str = "en"


class BroadcastMixin(EventsBase):
    """Broadcasts to an event's attendees."""

    async def broadcast(self, unit: Unit, user_id: int, argument: str | None) -> Outcome:
        """``/broadcast [event]``: which event (number or code), then the message."""
        scope = await self._scope(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "broadcast")
        events = await self.staff_events(unit, scope)
        wanted = (argument or "").strip().lstrip("#")
        code = wanted.removeprefix(deeplinks.EVENT)
        chosen = [e for e in events if wanted and (str(e.id) == wanted or e.code == code)]
        if chosen:
            return await self._ask_broadcast(unit, user_id, chosen[0])
        if not events:
            return Outcome().add(_("No events yet. /newevent creates one."))
        text = (
            _("Which event? Send /broadcast followed by its number:")
            + "\n"
            + "\n".join(f"#{e.id} {esc(e.name)} ({self._when(e)})" for e in events[:10])
        )
        if wanted:
            text = _("I found no event “{event}” of yours.").format(event=esc(wanted[:40])) + (
                "\n\n" + text
            )
        return Outcome().add(
            text,
            [
                [Button("📣 " + e.name[:40], callbacks.staff(callbacks.BROADCAST, e.id))]
                for e in events[:10]
            ],
        )

    async def _ask_broadcast(self, unit: Unit, user_id: int, event: Event) -> Outcome:
        signed = (await repo_events.figures(unit.session, event_id=event.id))[0]
        if not signed:
            return Outcome().add(
                _(
                    "Nobody has signed up for {event} yet, so there is nobody to send a "
                    "message to. Attendees join with the QR code (/event shows it)."
                ).format(event=f"<b>{esc(event.name)}</b>")
            )
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        self._enter(user, BROADCAST, {"event": event.id})
        return Outcome().add(
            ngettext(
                "Type the message for the {n} attendee of {event}. They receive it with the "
                "event's name above it. /cancel stops.",
                "Type the message for the {n} attendees of {event}. They receive it with the "
                "event's name above it. /cancel stops.",
                signed,
            ).format(n=signed, event=f"<b>{esc(event.name)}</b>")
        )

    async def _broadcast_text(self, unit: Unit, user: User, text: str) -> Outcome:
        event = await self._event_of_state(unit, user)
        if event is None or not (await self._scope(unit, user.id)).covers(event.partnership_id):
            self._enter(user, "idle")
            return Outcome().add(_(STALE_BUTTON))
        try:
            message = clean_text(text, limit=3500, min_letters=2)
        except InputError as exc:
            return Outcome().add(str(exc))
        signed = (await repo_events.figures(unit.session, event_id=event.id))[0]
        user.state_data = {**user.state_data, "text": message}
        self._bump(user)
        preview = self._broadcast_message(event, message)
        return Outcome().add(
            ngettext(
                "This is what {n} attendee will receive:",
                "This is what {n} attendees will receive:",
                signed,
            ).format(n=signed)
            + "\n\n"
            + preview,
            [
                [
                    Button("📣 " + _("Send"), callbacks.staff(callbacks.SEND, event.id)),
                    Button(_("Cancel"), callbacks.staff(callbacks.CANCEL, event.id)),
                ]
            ],
        )

    def _broadcast_message(self, event: Event, text: str) -> str:
        return (
            "📣 "
            + _("From the organisers of {event}:").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + esc(text)
        )

    async def _send_broadcast(
        self, unit: Unit, event: Event, text: str, staff_language: str
    ) -> BroadcastPlan:
        """Every attendee's message, in their language, as paced outbox rows of this unit."""
        notices = []
        for _a, user, _p in await repo_events.attendees(unit.session, event_id=event.id):
            with use_language(language_of(user)):
                notices.append(Notice(user.id, [Reply(self._broadcast_message(event, text))]))
        unit.notify_paced(notices, self.settings.broadcast_per_second)
        return BroadcastPlan(event.id or 0, event.name, staff_language)

    @staticmethod
    def progress_text(plan: BroadcastPlan, total: int, done: int, *counts: int) -> str:
        """The staff's progress message (in their language: the caller sets it)."""
        sent, blocked, failed = counts
        if done < total:
            return _("📣 Sending to the attendees of {event}: {done} of {total}…").format(
                event=f"<b>{esc(plan.event_name)}</b>", done=done, total=total
            )
        return (
            _("📣 Broadcast to {event} finished.").format(event=f"<b>{esc(plan.event_name)}</b>")
            + "\n"
            + _("Sent: {sent} · blocked the bot: {blocked} · failed: {failed}").format(
                sent=sent, blocked=blocked, failed=failed
            )
        )
