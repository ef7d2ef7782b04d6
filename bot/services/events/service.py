"""Events: a QR code at the door, a quick sign-up, and meetings between the people present.

Staff create an event of their partnership (``/newevent``) and get its deep link
(``t.me/<bot>?start=ev_<code>``, the code unguessable), a QR code and an A4 poster. Whoever
scans it answers at most four questions (name and organisation, country, what they offer, what
they seek), or is simply checked in when already registered. Proposals are scoped to the
event: anyone present may meet anyone else (the scheme's cross-border rules do not apply to a
meeting), ranked by the same engine. When both sides are interested, both get an introduction
and a meeting slot from the event's settings, a reminder 10 minutes before it, and after the
event "did you meet?"; pairs in different eligible countries are offered to turn the contact
into a ClusterXchange exchange (the match workflow hands it to the normal matching).

Conversation state lives in ``User.state`` like everywhere else (``access.STATES``).
"""

from __future__ import annotations

from bot.i18n import _, current_language
from bot.services.events import callbacks
from bot.services.events.access import BROADCAST, CONSENT, CREATE, DONE, PICK, SIGNUP, STATES, TYPED
from bot.services.events.admin import AdminMixin
from bot.services.events.broadcast import BroadcastMixin, BroadcastPlan
from bot.services.events.meetings import MeetingsMixin
from bot.services.events.signup import SignupMixin
from bot.services.ui import Outcome, Reply, stale_button
from bot.services.unit import Unit
from storage import repo


class Events(SignupMixin, MeetingsMixin, AdminMixin, BroadcastMixin):
    """Events for staff, quick sign-up and meetings for attendees."""

    async def on_staff_button(
        self, unit: Unit, user_id: int, data: str | None, bot_username: str | None
    ) -> tuple[Outcome, BroadcastPlan | None]:
        """``es:<action>:<event>``: refresh, export, chart, QR and poster, broadcast."""
        press = callbacks.parse_staff(data)
        if press is None:
            return stale_button(), None
        event = await self._staff_event(unit, user_id, press.event_id)
        if event is None:
            return self.access.refuse(user_id, press.action, f"event {press.event_id}"), None
        action = press.action
        if action == callbacks.REFRESH:
            card = await self._figures_card(unit, event)
            card.edit = True
            return Outcome(replies=[card], toast=_("Updated.")), None
        if action == callbacks.CSV:
            return Outcome(replies=await self._export(unit, event)), None
        if action == callbacks.CHART:
            return Outcome(replies=[await self._chart(unit, event)]), None
        if action == callbacks.QR:
            return Outcome(replies=await self._media(event, bot_username)), None
        if action == callbacks.BROADCAST:
            return await self._ask_broadcast(unit, user_id, event), None
        user = await repo.get_user(unit.session, user_id=user_id)
        if action == callbacks.SEND:
            text = (user.state_data.get("text") if user else None) or ""
            if user is None or user.state_data.get("event") != event.id or not text:
                return stale_button(), None
            self._enter(user, "idle")
            plan = await self._send_broadcast(unit, event, text, current_language())
            return Outcome(replies=[Reply(_("Sending…"), edit=True)]), plan
        if user is not None and user.state == BROADCAST:  # CANCEL
            self._enter(user, "idle")
        return Outcome(replies=[Reply(_("Broadcast cancelled."), edit=True)]), None

    # ----------------------------------------------------------------- typed text, /cancel

    async def on_text(
        self, unit: Unit, user_id: int, text: str, bot_username: str | None = None
    ) -> Outcome:
        """A typed answer in one of the events feature's states."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is None or user.state not in STATES:
            return Outcome().add(_("Send /start to continue."))
        if user.state in SIGNUP and profile is not None:
            return await self._signup_text(unit, user, profile, text)
        if user.state in CREATE:
            return await self._create_typed(unit, user, text, bot_username)
        if user.state == BROADCAST:
            return await self._broadcast_text(unit, user, text)
        if user.state == CONSENT:
            event = await self._event_of_state(unit, user)
            if event is None:
                return Outcome().add(_("Send /start to continue."))
            prompt = self._consent_prompt(user, event)
            prompt.text = _("Please use the buttons below.") + "\n\n" + prompt.text
            return Outcome(replies=[prompt])
        if user.state == PICK:
            return Outcome().add(_("Please use the buttons below."))
        # DONE: signed up, no question open
        return Outcome().add(_("I didn't understand that.") + "\n\n" + self.done_help())

    async def other_input(self, unit: Unit, user_id: int) -> Outcome:
        """A sticker, photo or file while a question of this feature is open."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is not None and user.state in SIGNUP and profile is not None:
            return Outcome(
                replies=[
                    self._question(
                        user, profile, _("I can only read text here. Please type your answer.")
                    )
                ]
            )
        if user is not None and user.state in TYPED:
            return Outcome().add(_("I can only read text here. Please type your answer."))
        return Outcome().add(self.done_help())

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel`` during /newevent, a broadcast or the quick sign-up."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is None or user.state == DONE:
            return Outcome().add(_("There is nothing to cancel."))
        if user.state in SIGNUP or user.state == CONSENT:
            # The question stays: /start asks it again.
            self._bump(user)
            return Outcome().add(
                _("Sign-up paused. Scan the code again or send /start to continue.")
            )
        self._enter(user, "idle")
        return Outcome().add(_("Cancelled. Nothing was sent or created."))
