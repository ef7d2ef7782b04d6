"""Registration as a state machine kept in the database.

A restart loses nothing: every update loads the user's row and continues at their step
(DECISIONS §1). Editing a single field reuses the same steps with a return target. Whether a
completed registration is announced to matching or sent to the staff for validation is the
registration workflow's (the outcome says which: ``completed``, ``submitted``).
"""

from __future__ import annotations

from bot.i18n import _
from bot.services import deeplinks
from bot.services.events.access import DONE as EVENT_SIGNUP_DONE
from bot.services.onboarding import callbacks
from bot.services.onboarding.access import CONSENT, EDIT_MENU, IDLE, STEPS, SUMMARY
from bot.services.onboarding.answers import TEXT_FIELDS, TEXT_FIELDS_MULTI, AnswersMixin
from bot.services.onboarding.flow import EDIT_TARGET, MISSING, PAUSED, Ctx
from bot.services.profile_text import InputError, parse_email
from bot.services.ui import Outcome, esc, stale_button
from bot.services.unit import Unit
from storage import repo
from storage.models import ConsentState, Profile, User

_TYPED_STEPS = frozenset(
    {"name", "organisation", "city", "offers", "seeks", "available_from", "available_to"}
    | {"motivation", "email", "country"}
)


class Onboarding(AnswersMixin):
    """Consent, registration, resuming, editing single fields."""

    async def start(
        self,
        unit: Unit,
        user_id: int,
        payload: str | None,
        username: str | None,
        client_language: str | None = None,
    ) -> Outcome:
        """``/start``: welcome and consent, or resume where the user stopped."""
        session = unit.session
        user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        out = Outcome()
        if user is None:
            user = User(id=user_id)
            session.add(user)
            self._forget_language(user_id)  # a new user has no stored choice
        if client_language:
            user.client_language = client_language[:16]
        payload = (payload or "").strip()[: deeplinks.MAX_PAYLOAD] or None
        if user.consent != ConsentState.GIVEN:
            user.state = CONSENT
            user.state_data = {"payload": payload} if payload else {}
            self._bump(user)
            out.replies.append(self._consent_prompt(user))
            return out
        if payload and not user.start_payload:
            user.start_payload = payload
        if username:
            user.username = username[:64]
        if profile is None:  # consented elsewhere (staff) but never registered
            profile = Profile(user_id=user.id)
            session.add(profile)
            user.state = STEPS[0]
        ctx = Ctx(unit, user, profile, out)
        ctx.partnerships = await self.access.partnerships(unit)
        if payload and payload.startswith(deeplinks.PARTNERSHIP):
            await self._preset_partnership(ctx, payload)
        if user.state == EVENT_SIGNUP_DONE:
            # Signed up at an event: the full profile asks only what the event did not.
            out.add(
                _("Let's complete your ClusterXchange profile. I only ask what is still missing.")
            )
            missing = self._missing(ctx)
            if missing:
                self._goto(ctx, missing[0], data={"return": MISSING})
            else:
                self._goto(ctx, SUMMARY)
        elif user.state == IDLE:
            out.add(
                _("Welcome back, {name}! Your profile is complete.").format(
                    name=esc(profile.name or "")
                )
                + "\n\n"
                + self.help_text(registered=True)
            )
        else:
            out.add(_("Welcome back! Let's continue where you stopped."))
            user.state_data = {k: v for k, v in user.state_data.items() if k != PAUSED}
            self._bump(user)
            out.replies.append(self._prompt(ctx))
        return out

    async def on_text(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """A typed answer to a registration question (or chatter when none is open)."""
        ctx = await self._load(unit, user_id)
        if ctx is None:
            return self._not_started()
        if ctx.user.state_data.get(PAUSED):
            return ctx.out.add(self._paused_text())
        state = ctx.user.state
        try:
            if state in TEXT_FIELDS or state in TEXT_FIELDS_MULTI:
                self._store_text(ctx, state, text)
                self._advance(ctx, state)
            elif state == "country":
                self._typed_country(ctx, text)
            elif state == "city":
                await self.cities.ready()
                self._typed_city(ctx, text)
            elif state in ("available_from", "available_to"):
                self._typed_date(ctx, state, text)
            elif state == "email":
                ctx.profile.email = parse_email(text)
                self._advance(ctx, state)
            elif state == IDLE:
                ctx.out.add(
                    _("I didn't understand that.") + "\n\n" + self.help_text(registered=True)
                )
            else:  # a step answered with buttons
                ctx.out.replies.append(self._prompt(ctx, prefix=_("Please use the buttons below.")))
        except InputError as exc:
            ctx.out.replies.append(self._prompt(ctx, prefix=str(exc)))
        return ctx.out

    async def on_other(self, unit: Unit, user_id: int) -> Outcome:
        """A sticker, photo, voice message or anything else that is not text."""
        ctx = await self._load(unit, user_id)
        if ctx is None:
            return self._not_started()
        if ctx.user.state == IDLE:
            ctx.out.add(
                _("I can only read text messages and buttons.")
                + "\n\n"
                + self.help_text(registered=True)
            )
            return ctx.out
        if ctx.user.state_data.get(PAUSED):
            return ctx.out.add(self._paused_text())
        prefix = (
            _("I can only read text here. Please type your answer.")
            if ctx.user.state in _TYPED_STEPS
            else _("Please use the buttons below.")
        )
        ctx.out.replies.append(self._prompt(ctx, prefix=prefix))
        return ctx.out

    async def on_button(
        self, unit: Unit, user_id: int, data: str | None, username: str | None = None
    ) -> Outcome:
        """A registration button ``r:<version>:<step>:<value>``."""
        session = unit.session
        user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        if user is None:
            return Outcome(toast=_("Please send /start first."), alert=True)
        press = callbacks.parse(data)
        if press is None:
            return stale_button()
        if press.version != user.state_version or press.step != user.state:
            return self._stale(unit, user, profile, data or "")
        if profile is None and press.step != CONSENT:
            return stale_button()
        ctx = Ctx(
            unit,
            user,
            profile or Profile(user_id=user.id),
            Outcome(),
            username,
            new_profile=profile is None,
        )
        if press.step != CONSENT or press.value == "yes":
            ctx.partnerships = await self.access.partnerships(unit)
        handler = self._button_handlers().get(press.step)
        if handler is None:
            return stale_button()
        try:
            await handler(ctx, press.value)
        except InputError as exc:
            ctx.out.toast, ctx.out.alert = str(exc), True
        if ctx.user.consent == ConsentState.GIVEN:  # a refusal stores nothing else
            ctx.user.state_data = {**ctx.user.state_data, "last": data}
        return ctx.out

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel``: leave the current question; nothing stored is lost."""
        ctx = await self._load(unit, user_id)
        if ctx is None or ctx.user.state == IDLE:
            return Outcome().add(_("There is nothing to cancel."))
        user = ctx.user
        if user.state_data.get("return") == "profile" or (
            user.state == EDIT_MENU and ctx.profile.completed_at
        ):
            user.state, user.state_data = IDLE, {}
            self._bump(user)
            ctx.out.add(_("Editing cancelled. Your profile is unchanged."))
        else:
            # The open question is set aside: typing or an old button does not answer it.
            user.state_data = {**user.state_data, PAUSED: True}
            self._bump(user)
            ctx.out.add(self._paused_text())
        return ctx.out

    @staticmethod
    def _paused_text() -> str:
        return _(
            "Registration paused. Everything you entered so far is saved. "
            "Send /start to continue where you left off."
        )

    # ----------------------------------------------------------------- /profile

    async def show_profile(self, unit: Unit, user_id: int, menu: bool = False) -> Outcome:
        """``/profile``: the card with an edit button; ``menu`` lists the fields instead."""
        ctx = await self._load(unit, user_id)
        if ctx is None or ctx.profile.completed_at is None:
            return Outcome().add(
                _("You have not completed your registration yet. Send /start to continue.")
            )
        if not ctx.partnerships:
            ctx.partnerships = await self.access.partnerships(unit)
        out = Outcome()
        out.replies.append(
            self.profile_edit_menu(bool(ctx.partnerships))
            if menu
            else self.profile_view(ctx.profile, ctx.names)
        )
        return out

    async def on_profile_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """``prof:menu`` opens the field list, ``prof:edit:<field>`` edits one field."""
        press = callbacks.parse_profile(data)
        if isinstance(press, callbacks.ProfileEdit):
            return await self.edit_field(unit, user_id, press.field)
        if isinstance(press, callbacks.ProfileMenu):
            return await self.show_profile(unit, user_id, menu=True)
        return stale_button()

    async def edit_field(self, unit: Unit, user_id: int, key: str) -> Outcome:
        """Start editing one field of a complete profile (from /profile)."""
        ctx = await self._load(unit, user_id)
        if ctx is None or not ctx.profile.completed_at:
            return Outcome(toast=_("Please complete your registration first."), alert=True)
        step = EDIT_TARGET.get(key, key)
        if not ctx.partnerships:
            ctx.partnerships = await self.access.partnerships(unit)
        if step not in STEPS or (step == "partnership" and not ctx.partnerships):
            return stale_button()
        ctx.user.state_data = {"edit": key}
        # An approved profile keeps its approved values aside: a material change waits for the
        # partnership's validation (Flow._hold_for_validation).
        held = self.hold_approved(ctx.profile)
        self._goto(ctx, step, data={"return": "profile", **held})
        return ctx.out

    # ----------------------------------------------------------------- help

    async def is_registered(self, unit: Unit, user_id: int) -> bool:
        """Whether the user has completed the registration."""
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        return profile is not None and profile.completed_at is not None
