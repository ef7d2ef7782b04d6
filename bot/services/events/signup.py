"""Joining an event by its QR code: consent, at most four questions (name and organisation,
country, what they offer, what they seek), or a simple check-in for registered people."""

from __future__ import annotations

import re

from bot import geo
from bot.domain import LIMITS
from bot.i18n import _, country_name, current_language, ngettext, sort_key
from bot.services import deeplinks
from bot.services.events import callbacks
from bot.services.events.access import CONSENT, DONE, SIGNUP, STATES
from bot.services.events.base import EventsBase
from bot.services.events.index import missing
from bot.services.profile_text import InputError, clean_text, country_problem
from bot.services.ui import Button, Keyboard, Outcome, Reply, esc, rows, stale_button
from bot.services.unit import Unit
from storage import repo, repo_events
from storage.models import Attendee, ConsentState, Event, Profile, User, utcnow

_NAME_SPLIT = re.compile(r"\s*(?:\n|,|;| / | – | — | - | @ )\s*")


class SignupMixin(EventsBase):
    """The quick sign-up at the door."""

    async def join(
        self,
        unit: Unit,
        user_id: int,
        code: str,
        username: str | None,
        client_language: str | None,
    ) -> tuple[Outcome, bool]:
        """``/start ev_<code>``: consent, the quick sign-up, or a check-in; and whether the
        code is unknown or the event over (the normal registration should follow)."""
        session = unit.session
        event = await repo_events.event_by_code(session, code=code[:24])
        out = Outcome()
        if event is None:
            out.add(
                _(
                    "I don't know this event code. Maybe the link was copied incompletely. "
                    "You can still register for ClusterXchange:"
                )
            )
            return out, True
        if self._ended(event):
            out.add(
                _(
                    "The event {event} is over (it took place on {dates}), so it takes no "
                    "more sign-ups. You can still register for ClusterXchange:"
                ).format(event=f"<b>{esc(event.name)}</b>", dates=self._when(event))
            )
            return out, True
        user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        if user is None:
            user = User(id=user_id)
            session.add(user)
            self._forget_language(user_id)
        if client_language:
            user.client_language = client_language[:16]
        if user.consent != ConsentState.GIVEN:
            self._enter(user, CONSENT, {"event": event.id})
            out.replies.append(self._consent_prompt(user, event))
            return out, False
        if username:
            user.username = username[:64]
        if profile is None:
            profile = Profile(user_id=user_id)
            session.add(profile)
        await self._attend(unit, event, user_id, quick=profile.completed_at is None)
        out.replies.extend(await self._after_join(unit, event, user, profile))
        return out, False

    async def _attend(self, unit: Unit, event: Event, user_id: int, quick: bool) -> None:
        """Add the attendance (once); scanning while the event is on checks in."""
        attendee = await repo_events.get_attendee(unit.session, event_id=event.id, user_id=user_id)
        now = self.clock.now()
        if attendee is None:
            attendee = Attendee(event_id=event.id, user_id=user_id, joined_at=now, quick=quick)
            unit.session.add(attendee)
        if self._running(event) and attendee.checked_in_at is None:
            attendee.checked_in_at = now
        await unit.session.flush()

    async def _after_join(
        self, unit: Unit, event: Event, user: User, profile: Profile
    ) -> list[Reply]:
        """A registered participant is checked in; others answer what is missing."""
        steps = missing(profile)
        name = f"<b>{esc(event.name)}</b>"
        if not steps:
            if profile.completed_at is not None:
                text = _("Welcome to {event}, {name}! You are checked in.").format(
                    event=name, name=esc(profile.name or "")
                )
            else:
                text = _("Welcome back to {event}! You are signed up.").format(event=name)
                if user.state not in STATES or user.state in (CONSENT, *SIGNUP):
                    self._enter(user, DONE, {"event": event.id})
            cards = await self._first_cards(unit, event, user.id)
            await self._push_newcomer(unit, event, user.id)
            return with_cards(text, cards)
        if user.state in STATES - {CONSENT, DONE, *SIGNUP}:
            # Busy with staff input: leave it; the sign-up can wait for the next scan.
            return [Reply(_("You are signed up for {event}.").format(event=name))]
        self._enter(user, steps[0], {"event": event.id, "steps": steps})
        intro = ngettext(
            "Welcome to {event}! {count} quick question and you are in.",
            "Welcome to {event}! {count} quick questions and you are in.",
            len(steps),
        ).format(event=name, count=len(steps))
        return [Reply(intro), self._question(user, profile)]

    def _consent_prompt(self, user: User, event: Event) -> Reply:
        text = (
            _("Welcome to {event}!").format(event=f"<b>{esc(event.name)}</b>")
            + "\n\n"
            + _(
                "I introduce you to the people here who are worth meeting, and suggest a time "
                "and place to meet. It takes four quick questions."
            )
            + "\n\n"
            + _(
                "<b>Privacy:</b> I store your name, organisation, country, what you offer and "
                "seek, and your Telegram id. The event's organisers see your sign-up; your "
                "contact goes only to people you both agree to meet. /privacy explains more; "
                "/deleteme erases everything at any time."
            )
            + "\n\n"
            + _("Do you agree?")
        )
        v = user.state_version
        return Reply(
            text,
            [
                [
                    Button(_("I agree"), callbacks.signup(v, CONSENT, "yes")),
                    Button(_("No, thanks"), callbacks.signup(v, CONSENT, "no")),
                ]
            ],
        )

    def _question(self, user: User, profile: Profile, prefix: str = "") -> Reply:
        """The current sign-up question, numbered among those this person is asked."""
        state = user.state
        steps = user.state_data.get("steps") or list(SIGNUP)
        number = f"<i>{steps.index(state) + 1}/{len(steps)}</i>  " if state in steps else ""
        keyboard: Keyboard | None = None
        if state == "q_name":
            text = _(
                "Your name and your organisation, separated by a comma. For example: "
                "<i>Anna Schmidt, Textilwerk GmbH</i>"
            )
        elif state == "q_country":
            text = _("In which country is your organisation based? Choose or type it.")
            keyboard = self._country_keyboard(user)
        elif state == "q_offers":
            text = _(
                "What does your organisation offer? A sentence or a few keywords, e.g. "
                "<i>digital twins for textile machines</i>."
            )
        elif state == "q_seeks":
            text = _("And what are you looking for at this event?")
        else:
            text = _("Send /start to continue.")
        return Reply((prefix + "\n\n" if prefix else "") + number + text, keyboard)

    def _country_keyboard(self, user: User, first: tuple[str, ...] = ()) -> Keyboard:
        v = user.state_version
        lang = current_language()
        codes = sorted(self.eligible, key=lambda c: sort_key(country_name(c), lang))
        keyboard = rows(
            [Button(country_name(c), callbacks.signup(v, "q_country", c)) for c in codes], 3
        )
        if first:
            keyboard.insert(
                0, [Button(country_name(c), callbacks.signup(v, "q_country", c)) for c in first]
            )
        return keyboard

    async def resume(self, unit: Unit, user_id: int) -> Outcome:
        """``/start`` in the middle of the sign-up: the open question again."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is None:
            return Outcome().add(_("Hello! Send /start to begin."))
        event = await self._event_of_state(unit, user)
        if user.state == CONSENT and event is not None:
            return Outcome(replies=[self._consent_prompt(user, event)])
        if user.state in SIGNUP and profile is not None:
            return Outcome(replies=[self._question(user, profile, _("Let's continue."))])
        return Outcome().add(_("Send /start to continue."))

    async def on_signup_button(
        self, unit: Unit, user_id: int, data: str | None, username: str | None = None
    ) -> Outcome:
        """``q:<version>:<step>:<value>``: consent and country buttons of the quick sign-up."""
        press = callbacks.parse_step(data, callbacks.SIGNUP)
        stale = stale_button()
        if press is None:
            return stale
        session = unit.session
        user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        if user is None:
            return Outcome(toast=_("Please send /start first."), alert=True)
        if press.version != user.state_version or press.step != user.state:
            if user.state_data.get("last") == data:
                return Outcome(toast=_("Already noted."))
            return Outcome(toast=_("That button belongs to an earlier question."))
        event = await self._event_of_state(unit, user)
        if event is None:
            return stale
        out = Outcome()
        step, value = press.step, press.value
        if step == CONSENT and value == "no":
            out.replies.append(self._answered(self._consent_prompt(user, event), "No, thanks"))
            user.consent, user.consent_at = ConsentState.DECLINED, utcnow()
            user.language = user.username = user.start_payload = None
            self._enter(user, "declined")
            out.add(
                _(
                    "Understood. I have stored nothing about you except this refusal. If you "
                    "change your mind, scan the code again."
                )
            )
            self._forget_language(user_id)
        elif step == CONSENT and value == "yes":
            out.replies.append(self._answered(self._consent_prompt(user, event), "I agree"))
            user.consent, user.consent_at = ConsentState.GIVEN, utcnow()
            user.start_payload = deeplinks.payload(deeplinks.EVENT, event.code)
            user.username = username[:64] if username else None
            if profile is None:
                profile = Profile(user_id=user_id)
                session.add(profile)
            await session.flush()
            await self._attend(unit, event, user_id, quick=True)
            steps = missing(profile)
            if steps:
                self._enter(user, steps[0], {"event": event.id, "steps": steps})
                out.replies.append(self._question(user, profile))
            else:
                out.replies.extend(await self._after_join(unit, event, user, profile))
        elif step == "q_country" and profile is not None and value in self.eligible:
            out.replies.append(
                self._answered(self._question(user, profile), country_name(value), raw=True)
            )
            profile.country = value
            await self._next_step(unit, event, user, profile, out)
        else:
            return stale
        continue_in_place(out)
        user.state_data = {**user.state_data, "last": data}
        return out

    @staticmethod
    def _answered(reply: Reply, label: str, raw: bool = False) -> Reply:
        """The pressed question with its answer instead of its buttons."""
        shown = label if raw else _(label)
        return Reply(reply.text + "\n\n✅ " + esc(shown), edit=True)

    async def _signup_text(self, unit: Unit, user: User, profile: Profile, text: str) -> Outcome:
        out = Outcome()
        event = await self._event_of_state(unit, user)
        if event is None:
            self._enter(user, DONE)
            return out.add(_("Send /start to continue."))
        state = user.state
        understood = ""
        try:
            if state == "q_name":
                profile.name, profile.organisation = name_and_organisation(text)
            elif state == "q_country":
                match = geo.resolve_country(text[:100], self.eligible)
                if not (match.code and match.eligible):
                    out.replies.append(self._unknown_country(user, text, match))
                    return out
                profile.country = match.code
                if match.region is not None:  # "Bayern": say what was understood
                    understood = "📍 " + _("{region} is in {country}.").format(
                        region=esc(match.region.name(current_language())),
                        country=esc(country_name(match.code)),
                    )
            elif state in ("q_offers", "q_seeks"):
                key = state[2:]
                value = clean_text(text, limit=LIMITS[key], single_line=False, min_letters=3)
                setattr(profile, key, value)
        except InputError as exc:
            out.replies.append(self._question(user, profile, str(exc)))
            return out
        await self._next_step(unit, event, user, profile, out)
        if understood and out.replies:
            out.replies[0].text = understood + "\n\n" + (out.replies[0].text or "")
        return out

    def _unknown_country(self, user: User, text: str, match: geo.CountryMatch) -> Reply:
        message = country_problem(text, match, self.eligible)
        return Reply(
            message + "\n\n" + _("Please choose your country below or type its name."),
            self._country_keyboard(user, first=match.suggestions),
        )

    async def _next_step(
        self, unit: Unit, event: Event, user: User, profile: Profile, out: Outcome
    ) -> None:
        """After an answer: the next missing question, or done and the first proposals."""
        profile.updated_at = utcnow()
        steps = missing(profile)
        if steps:
            asked = user.state_data.get("steps") or list(SIGNUP)
            self._enter(user, steps[0], {"event": event.id, "steps": asked})
            out.replies.append(self._question(user, profile))
            return
        self._enter(user, DONE, {"event": event.id})
        await unit.session.flush()
        text = (
            _("Thank you, {name}! You are signed up for {event}.").format(
                name=esc(profile.name or ""), event=f"<b>{esc(event.name)}</b>"
            )
            + "\n\n"
            + _(
                "You can complete your full ClusterXchange profile later (send /start) to be "
                "matched for an exchange visit abroad as well."
            )
        )
        cards = await self._first_cards(unit, event, user.id)
        out.replies.extend(with_cards(text, cards))
        await self._push_newcomer(unit, event, user.id)

    def done_help(self) -> str:
        """What someone signed up through an event can do."""
        return "\n".join(
            [
                _("Here is what I can do:"),
                _("/event: your event, your meetings and more proposals"),
                _("/start: complete your ClusterXchange profile for an exchange visit"),
                _("/language: English or Deutsch"),
                _("/privacy: what I store and why"),
                _("/deleteme: erase all your data"),
            ]
        )


def name_and_organisation(text: str) -> tuple[str, str]:
    """ "Anna Schmidt, Textilwerk GmbH" → name and organisation (other separators work too)."""
    parts = [p for p in _NAME_SPLIT.split(text.strip(), maxsplit=1) if p.strip()]
    if len(parts) != 2:
        raise InputError(
            _(
                "Please write your name and your organisation separated by a comma, e.g. "
                "“Anna Schmidt, Textilwerk GmbH”."
            )
        )
    name = clean_text(parts[0], limit=LIMITS["name"], single_line=True, min_letters=2)
    organisation = clean_text(
        parts[1], limit=LIMITS["organisation"], single_line=True, min_letters=2
    )
    return name, organisation


def continue_in_place(out: Outcome) -> None:
    """A pressed sign-up button (consent, country): the pressed message is edited to show the
    answer *and* what follows, instead of an edit plus a new message. One message fewer per
    button at the door, where a crowd reaches Telegram's ~30 new messages per second (edits
    are not part of that budget), and a tidier chat: each answer sits under its question."""
    if len(out.replies) < 2:
        return
    answered, following = out.replies[0], out.replies[1]
    if answered.edit and not following.edit and following.document is None:
        out.replies[:2] = [
            Reply(answered.text + "\n\n" + following.text, following.keyboard, edit=True)
        ]


def with_cards(text: str, cards: list[Reply]) -> list[Reply]:
    """A confirmation and the first proposal card in one message (or "no proposals yet").

    One message fewer per sign-up at the door, where a crowd reaches Telegram's ~30 new
    messages a second. The card keeps its buttons and its tag, so answering it edits this
    message (to the answered card) like any other copy of the card."""
    if not cards:
        return [Reply(text)]
    first, *rest = cards
    if first.edit or first.document is not None or first.message_id is not None:
        return [Reply(text), *cards]
    merged = Reply(text + "\n\n" + first.text, first.keyboard, tag=first.tag)
    return [merged, *rest]
