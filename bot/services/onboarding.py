"""Registration as a state machine kept in the database.

Each user row holds the step they are at (``User.state``), a version that changes whenever a new
question supersedes the old one (buttons carry it as ``r:<version>:<step>:<value>``, so stale or
repeated presses are recognised) and step data. A restart loses nothing: the next update loads the
row and continues. Editing a single field reuses the same steps with a return target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from time import monotonic

from sqlalchemy.ext.asyncio import AsyncSession

from bot import geo
from bot.clock import Clock
from bot.domain import (
    ECOSYSTEMS,
    HOST_ONLY_ORG_TYPES,
    LANGUAGES,
    LIMITS,
    MAX_ECOSYSTEMS,
    ORG_TYPE_LABELS,
    ROLE_LABELS,
    Role,
)
from bot.i18n import _, country_name, current_language, format_date, language_name
from bot.services import events, exchanges, partnerships
from bot.services.cards import FIELD_LABELS, fields, profile_card
from bot.services.imports import INVITE_PREFIX
from bot.services.profile_text import (
    InputError,
    check_window_date,
    check_window_end,
    clean_text,
    country_problem,
    parse_date,
    parse_email,
)
from bot.services.ui import Button, Keyboard, Outcome, Reply, esc, rows
from storage import repo
from storage.db import Database
from storage.models import ConsentState, Partnership, Profile, Review, User, utcnow

PARTNERSHIPS_TTL = 10.0  # seconds another worker's new partnership may take to show up
# States whose typed answers belong to another service (exchange steps, staff input).
DELEGATED = exchanges.STATES | partnerships.STATES | events.STATES

# The registration steps, in order.
STEPS: tuple[str, ...] = (
    "role",
    "org_type",
    "name",
    "organisation",
    "country",
    "city",
    "ecosystems",
    "partnership",  # only where partnerships exist, and not when a link chose it
    "offers",
    "seeks",
    "languages",
    "available_from",
    "available_to",
    "motivation",
    "email",
)
CHAINED = {"country": "city", "available_from": "available_to"}  # an edit of one needs the next
EDIT_TARGET = {"availability": "available_from"}  # edit-menu field → first step
TEXT_FIELDS = {"name": True, "organisation": True, "offers": False, "seeks": False}
TEXT_FIELDS_MULTI = {"motivation"}
IDLE, CONSENT, DECLINED, SUMMARY, EDIT_MENU = "idle", "consent", "declined", "summary", "edit_menu"
MISSING = "missing"  # return target: the next unanswered step (after an event's quick sign-up)
CHECK = "✅"


@dataclass
class Ctx:
    """The loaded rows of one update."""

    session: AsyncSession
    user: User
    profile: Profile
    out: Outcome
    username: str | None = None
    new_profile: bool = False
    partnerships: list[Partnership] = field(default_factory=list)

    @property
    def names(self) -> dict[int, str]:
        """Partnership names by id (empty when there is none)."""
        return {p.id: p.name for p in self.partnerships if p.id is not None}


class Onboarding:
    """Consent, registration, resuming, editing single fields."""

    def __init__(
        self,
        db: Database,
        cities: geo.CityIndex,
        clock: Clock,
        eligible: tuple[str, ...],
        on_language: Callable[[int, str | None], None] | None = None,
    ) -> None:
        self.db = db
        self.cities = cities
        self.clock = clock
        self.eligible = eligible
        self._on_language = on_language
        self._partnerships: tuple[float, list[Partnership]] | None = None

    async def partnerships(self, session: AsyncSession) -> list[Partnership]:
        """The partnerships to choose from; read at most every few seconds (they rarely
        change, and every registration step needs them)."""
        now = monotonic()
        if self._partnerships is None or now - self._partnerships[0] > PARTNERSHIPS_TTL:
            self._partnerships = (now, await repo.partnerships(session))
        return self._partnerships[1]

    def forget_partnerships(self) -> None:
        """A partnership was created by this process: read them again."""
        self._partnerships = None

    # ----------------------------------------------------------------- entry points

    async def start(
        self,
        user_id: int,
        payload: str | None,
        username: str | None,
        client_language: str | None = None,
    ) -> Outcome:
        """``/start``: welcome and consent, or resume where the user stopped."""
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            out = Outcome()
            if user is None:
                user = User(id=user_id)
                session.add(user)
                if self._on_language:
                    self._on_language(user_id, None)  # a new user has no stored choice
            if client_language:
                user.client_language = client_language[:16]
            payload = (payload or "").strip()[:64] or None
            if user.consent != ConsentState.GIVEN:
                user.state = CONSENT
                user.state_data = {"payload": payload} if payload else {}
                self._bump(user)
                out.replies.append(self._consent_prompt(user))
                await session.commit()
                return out
            if payload and not user.start_payload:
                user.start_payload = payload
            if username:
                user.username = username[:64]
            if profile is None:  # consented elsewhere (staff) but never registered
                profile = Profile(user_id=user.id)
                session.add(profile)
                user.state = STEPS[0]
            ctx = Ctx(session, user, profile, out)
            ctx.partnerships = await self.partnerships(session)
            if payload and payload.startswith(partnerships.PARTNERSHIP_PREFIX):
                await self._preset_partnership(ctx, payload)
            if user.state == events.DONE:
                # Signed up at an event: the full profile asks only what the event did not.
                out.add(
                    _(
                        "Let's complete your ClusterXchange profile. I only ask what is still "
                        "missing."
                    )
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
                self._bump(user)
                out.replies.append(self._prompt(ctx))
            await session.commit()
            return out

    async def on_text(self, user_id: int, text: str) -> Outcome | None:
        """A typed answer; None when another service asked the question (``DELEGATED``)."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
            if ctx is None and await self._delegated(session, user_id):
                return None
            if ctx is not None and ctx.user.state in DELEGATED:
                return None
            if ctx is None:
                return self._not_started()
            state = ctx.user.state
            try:
                if state in TEXT_FIELDS or state in TEXT_FIELDS_MULTI:
                    self._store_text(ctx, state, text)
                    self._advance(ctx, state)
                elif state == "country":
                    self._typed_country(ctx, text)
                elif state == "city":
                    self._typed_city(ctx, text)
                elif state in ("available_from", "available_to"):
                    self._typed_date(ctx, state, text)
                elif state == "email":
                    ctx.profile.email = parse_email(text)
                    self._advance(ctx, state)
                elif state == IDLE:
                    ctx.out.add(
                        _("I didn't understand that. Here is what I can do:")
                        + "\n\n"
                        + self.help_text(registered=True)
                    )
                else:  # a step answered with buttons
                    ctx.out.replies.append(
                        self._prompt(ctx, prefix=_("Please use the buttons below."))
                    )
            except InputError as exc:
                ctx.out.replies.append(self._prompt(ctx, prefix=str(exc)))
            await session.commit()
            return ctx.out

    async def on_other(self, user_id: int) -> Outcome:
        """A sticker, photo, voice message or anything else that is not text."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
            if ctx is None:
                return self._not_started()
            if ctx.user.state == IDLE:
                ctx.out.add(
                    _("I can only read text messages and buttons.")
                    + "\n\n"
                    + self.help_text(registered=True)
                )
                return ctx.out
            prefix = (
                _("I can only read text here. Please type your answer.")
                if ctx.user.state in _TYPED_STEPS
                else _("Please use the buttons below.")
            )
            ctx.out.replies.append(self._prompt(ctx, prefix=prefix))
            return ctx.out

    async def on_button(self, user_id: int, data: str, username: str | None = None) -> Outcome:
        """A registration button ``r:<version>:<step>:<value>``."""
        parts = data.split(":", 3)
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if user is None:
                return Outcome(toast=_("Please send /start first."), alert=True)
            if len(parts) != 4 or not parts[1].isdigit():
                return Outcome(toast=_("This button is not valid any more."))
            _r, version, step, value = parts
            if int(version) != user.state_version or step != user.state:
                return self._stale(user, profile, data, session)
            if profile is None and step != CONSENT:
                return Outcome(toast=_("This button is not valid any more."))
            ctx = Ctx(
                session,
                user,
                profile or Profile(user_id=user.id),
                Outcome(),
                username,
                new_profile=profile is None,
            )
            if step != CONSENT or value == "yes":
                ctx.partnerships = await self.partnerships(session)
            handler = self._button_handlers().get(step)
            if handler is None:
                return Outcome(toast=_("This button is not valid any more."))
            try:
                await handler(ctx, value)
            except InputError as exc:
                ctx.out.toast, ctx.out.alert = str(exc), True
            if ctx.user.consent == ConsentState.GIVEN:  # a refusal stores nothing else
                ctx.user.state_data = {**ctx.user.state_data, "last": data}
            await session.commit()
            return ctx.out

    async def cancel(self, user_id: int) -> Outcome:
        """``/cancel``: leave the current question; nothing stored is lost."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
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
                self._bump(user)
                ctx.out.add(
                    _(
                        "Registration paused. Everything you entered so far is saved. "
                        "Send /start to continue where you left off."
                    )
                )
            await session.commit()
            return ctx.out

    async def show_profile(self, user_id: int, menu: bool = False) -> Outcome:
        """``/profile``: the card with an edit button; ``menu`` lists the fields instead."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
            if ctx is not None and not ctx.partnerships:
                ctx.partnerships = await self.partnerships(session)
        if ctx is None or ctx.profile.completed_at is None:
            return Outcome().add(
                _("You have not completed your registration yet. Send /start to continue.")
            )
        out = Outcome()
        out.replies.append(
            self.profile_edit_menu(bool(ctx.partnerships))
            if menu
            else self.profile_view(ctx.profile, ctx.names)
        )
        return out

    async def edit_field(self, user_id: int, key: str) -> Outcome:
        """Start editing one field of a complete profile (from /profile)."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
            if ctx is None or not ctx.profile.completed_at:
                return Outcome(toast=_("Please complete your registration first."), alert=True)
            step = EDIT_TARGET.get(key, key)
            if not ctx.partnerships:
                ctx.partnerships = await self.partnerships(session)
            if step not in STEPS or (step == "partnership" and not ctx.partnerships):
                return Outcome(toast=_("This button is not valid any more."))
            ctx.user.state_data = {"edit": key}
            self._goto(ctx, step, data={"return": "profile"})
            await session.commit()
            return ctx.out

    # ----------------------------------------------------------------- helpers: flow

    @staticmethod
    async def _delegated(session: AsyncSession, user_id: int) -> bool:
        user = await repo.get_user(session, user_id=user_id)  # already in the session
        return user is not None and user.state in DELEGATED

    async def _load(self, session: AsyncSession, user_id: int) -> Ctx | None:
        user, profile = await repo.get_user_and_profile(session, user_id=user_id)
        if user is None or user.consent != ConsentState.GIVEN or profile is None:
            return None
        ctx = Ctx(session, user, profile, Outcome())
        if user.state != IDLE and user.state not in DELEGATED:
            ctx.partnerships = await self.partnerships(session)
        return ctx

    def _not_started(self) -> Outcome:
        return Outcome().add(_("Hello! Send /start to begin."))

    @staticmethod
    def _bump(user: User) -> None:
        user.state_version += 1
        user.updated_at = utcnow()

    def _goto(self, ctx: Ctx, state: str, data: dict | None = None) -> None:
        """Move to ``state`` and ask its question."""
        if state == "partnership" and self._skip_partnership(ctx, data):
            ctx.user.state, ctx.user.state_data = state, data if data is not None else {}
            self._advance(ctx, state)
            return
        ctx.user.state = state
        ctx.user.state_data = data if data is not None else {}
        self._bump(ctx.user)
        if state in (IDLE, DECLINED):
            return
        ctx.out.replies.append(self._prompt(ctx))

    def _advance(self, ctx: Ctx, done: str) -> None:
        """After ``done`` was answered: the chained step, the return target or the next step."""
        ctx.profile.updated_at = utcnow()
        back = ctx.user.state_data.get("return")
        if done in CHAINED and (back is None or self._chain_needed(ctx, done)):
            self._goto(ctx, CHAINED[done], data={"return": back} if back else None)
        elif back == "profile":
            self._goto(ctx, IDLE)
            ctx.out.add(
                _("Saved.")
                + self._resubmit(ctx)
                + "\n\n"
                + profile_card(ctx.profile, _("Your profile"), ctx.names),
                self._profile_keyboard(),
            )
        elif back == MISSING:
            missing = [s for s in self._missing(ctx) if s != done]
            if missing:
                self._goto(ctx, missing[0], data={"return": MISSING})
            else:
                self._goto(ctx, SUMMARY)
        elif back == SUMMARY or done == STEPS[-1]:
            self._goto(ctx, SUMMARY)
        else:
            self._goto(ctx, STEPS[STEPS.index(done) + 1])

    @staticmethod
    def _missing(ctx: Ctx) -> list[str]:
        """Required steps without an answer (the partnership only where there are some)."""
        p = ctx.profile
        return [
            s
            for s in STEPS
            if s != "email"
            and not (s == "partnership" and (not ctx.partnerships or p.partnership_id))
            and not (s != "partnership" and _filled(p, s))
        ]

    @staticmethod
    def _skip_partnership(ctx: Ctx, data: dict | None) -> bool:
        """No partnership to choose, or a link chose it and the user did not ask to change it."""
        if not ctx.partnerships:
            return True
        asked = (
            bool(data and data.get("return")) and ctx.user.state_data.get("edit") == "partnership"
        )
        return ctx.profile.partnership_id is not None and not asked

    def _steps(self, ctx: Ctx) -> list[str]:
        """The steps this user goes through, for the "3/14" counter."""
        preset = (ctx.user.start_payload or "").startswith(partnerships.PARTNERSHIP_PREFIX)
        skip = not ctx.partnerships or (preset and ctx.profile.partnership_id is not None)
        return [s for s in STEPS if not (s == "partnership" and skip)]

    @staticmethod
    def _chain_needed(ctx: Ctx, done: str) -> bool:
        if done == "country":
            return True  # the city belongs to the country
        p = ctx.profile
        return p.available_to is None or (
            p.available_from is not None and p.available_to <= p.available_from
        )

    def _stale(
        self, user: User, profile: Profile | None, data: str, session: AsyncSession
    ) -> Outcome:
        if user.state_data.get("last") == data:
            return Outcome(toast=_("Already noted."))
        out = Outcome(toast=_("That button belongs to an earlier question."))
        if user.state in (IDLE, DECLINED) or (profile is None and user.state != CONSENT):
            return out
        if user.state == CONSENT:
            out.replies.append(self._consent_prompt(user))
        else:
            assert profile is not None
            out.replies.append(
                self._prompt(
                    Ctx(session, user, profile, out),
                    prefix=_("That button belongs to an earlier question. Here is where we are:"),
                )
            )
        return out

    # ----------------------------------------------------------------- prompts

    def _btn(self, user: User, step: str, value: str, label: str) -> Button:
        return Button(label, f"r:{user.state_version}:{step}:{value}")

    def _consent_prompt(self, user: User) -> Reply:
        text = (
            _("Welcome to ClusterXchange!")
            + "\n\n"
            + _(
                "I help organisations from clusters across Europe find a partner abroad for a "
                "short exchange visit (3 working days to 1 month), and I guide you through "
                "matching, the visit and what comes after."
            )
            + "\n\n"
            + _(
                "<b>Privacy:</b> to match you, I store the profile you give me (name, "
                "organisation, location, interests, availability, optional e-mail) and your "
                "Telegram id. Your contact details are shared only with a partner when both of "
                "you accept a match, and with the staff of the cluster partnerships that run "
                "the scheme. /privacy explains more; /deleteme erases everything at any time."
            )
            + "\n\n"
            + _("Do you agree?")
        )
        return Reply(
            text,
            [
                [
                    self._btn(user, CONSENT, "yes", _("I agree")),
                    self._btn(user, CONSENT, "no", _("No, thanks")),
                ]
            ],
        )

    def _prompt(self, ctx: Ctx, prefix: str | None = None) -> Reply:
        """The question of the current step, optionally after an explanation."""
        state = ctx.user.state
        text, keyboard = self._question(ctx, state)
        steps = self._steps(ctx)
        if state in steps and not ctx.user.state_data.get("return"):
            text = f"<i>{steps.index(state) + 1}/{len(steps)}</i>  {text}"
        if prefix:
            text = prefix + "\n\n" + text
        return Reply(text, keyboard)

    def _question(self, ctx: Ctx, state: str) -> tuple[str, Keyboard | None]:
        user, p = ctx.user, ctx.profile
        b = self._btn
        if state == CONSENT:
            reply = self._consent_prompt(user)
            return reply.text, reply.keyboard
        if state == "role":
            return _("What is your role in the exchange?"), [
                [b(user, "role", r, _(label))] for r, label in ROLE_LABELS.items()
            ]
        if state == "org_type":
            allowed = [
                t for t in ORG_TYPE_LABELS if p.role == Role.HOST or t not in HOST_ONLY_ORG_TYPES
            ]
            text = _("What kind of organisation do you represent?")
            if p.role != Role.HOST:
                text += "\n" + _(
                    "(Large companies, public bodies and training providers can take part "
                    "as hosts only.)"
                )
            return text, rows([b(user, "org_type", t, _(ORG_TYPE_LABELS[t])) for t in allowed], 2)
        if state == "name":
            return _("What is your name? This is how partners will see you."), None
        if state == "organisation":
            return _("What is the name of your organisation?"), None
        if state == "country":
            return (
                _(
                    "In which country is your organisation registered? Choose below or "
                    "type its name."
                ),
                self._country_keyboard(user),
            )
        if state == "city":
            return self._city_question(ctx)
        if state == "ecosystems":
            selected = user.state_data.get("eco", p.ecosystems)
            keyboard = [
                [
                    b(
                        user,
                        "ecosystems",
                        str(i),
                        (CHECK + " " if slug in selected else "") + _(label),
                    )
                ]
                for i, (slug, label) in enumerate(ECOSYSTEMS.items())
            ]
            keyboard.append([b(user, "ecosystems", "done", _("Done"))])
            return (
                _(
                    "Which industrial ecosystems is your organisation active in? Choose 1 to "
                    "3, then press Done."
                ),
                keyboard,
            )
        if state == "partnership":
            return self._partnership_question(ctx)
        if state == "offers":
            return (
                _(
                    "What does your organisation offer a partner? For example expertise, "
                    "facilities, contacts or markets. English or German are both fine."
                ),
                None,
            )
        if state == "seeks":
            return (
                _(
                    "What are you looking for in a partner? For example know-how, a "
                    "technology, a market or a joint project."
                ),
                None,
            )
        if state == "languages":
            selected = user.state_data.get("lang", p.languages)
            names = _languages_in_order(current_language())
            buttons = [
                b(user, "languages", c, (CHECK + " " if c in selected else "") + language_name(c))
                for c in names
            ]
            keyboard = rows(buttons, 3)
            keyboard.append([b(user, "languages", "done", _("Done"))])
            return (
                _("Which languages can you work in? Choose all that apply, then press Done."),
                keyboard,
            )
        if state == "available_from":
            return (
                _(
                    "From which date are you available for an exchange? Write a date like "
                    "{example_iso} or {example_de}."
                ).format(**self._date_examples()),
                None,
            )
        if state == "available_to":
            return (
                _("Until which date are you available? (Starting from {start}.)").format(
                    start=format_date(p.available_from) if p.available_from else "—"
                ),
                None,
            )
        if state == "motivation":
            return (
                _("Why do you want to take part in ClusterXchange? What do you hope to achieve?"),
                None,
            )
        if state == "email":
            keyboard = [[b(user, "email", "skip", _("Skip"))]]
            if p.email:
                keyboard[0].insert(
                    0, b(user, "email", "keep", _("Keep {email}").format(email=p.email)[:60])
                )
            return (
                _(
                    "Optionally, an e-mail address where partners can reach you. It is shared "
                    "only when both sides accept a match. Type it or press Skip."
                ),
                keyboard,
            )
        if state == SUMMARY:
            return (
                profile_card(p, _("Your profile"), ctx.names)
                + "\n\n"
                + _("Is everything correct?"),
                [
                    [
                        b(user, SUMMARY, "ok", CHECK + " " + _("Confirm")),
                        b(user, SUMMARY, "edit", "✏️ " + _("Edit")),
                    ]
                ],
            )
        if state == EDIT_MENU:
            keyboard = rows(
                [
                    b(user, EDIT_MENU, key, _(label))
                    for key, label in fields(bool(ctx.partnerships)).items()
                ],
                2,
            )
            back = user.state_data.get("return") or SUMMARY
            if back == SUMMARY:
                keyboard.append([b(user, EDIT_MENU, "back", _("Back to the summary"))])
            return _("Which field do you want to change?"), keyboard
        return _("Send /start to continue."), None

    def _date_examples(self) -> dict[str, str]:
        example = self.clock.today().replace(day=1)
        month = example.month % 12 + 1
        example = example.replace(year=example.year + (example.month == 12), month=month)
        return {
            "example_iso": example.isoformat(),
            "example_de": f"{example.day}.{example.month}.{example.year}",
        }

    def _country_keyboard(self, user: User, first: tuple[str, ...] = ()) -> Keyboard:
        codes = _countries_in_order(self.eligible, current_language())
        keyboard = rows([self._btn(user, "country", c, country_name(c)) for c in codes], 3)
        if first:
            keyboard.insert(0, [self._btn(user, "country", c, country_name(c)) for c in first])
        return keyboard

    def _city_question(self, ctx: Ctx) -> tuple[str, Keyboard | None]:
        user, p = ctx.user, ctx.profile
        typed = user.state_data.get("city_typed")
        if typed is None:
            return (
                _("In which city or town in {country} is your organisation based?").format(
                    country=esc(country_name(p.country or ""))
                ),
                None,
            )
        candidates = user.state_data.get("city_candidates", [])
        keyboard = [[self._btn(user, "city", str(i), c["name"])] for i, c in enumerate(candidates)]
        keyboard.append(
            [self._btn(user, "city", "keep", _("Keep “{city}”").format(city=typed)[:60])]
        )
        if candidates:
            text = _("I could not find “{city}” exactly. Did you mean one of these?").format(
                city=esc(typed)
            )
        else:
            text = _(
                "I could not find “{city}” in {country}. Check the spelling and send it again, "
                "or keep it as typed if it is a small town."
            ).format(city=esc(typed), country=esc(country_name(p.country or "")))
        return text + "\n" + _("You can also type the name again."), keyboard

    def _profile_keyboard(self) -> Keyboard:
        return [[Button("✏️ " + _("Edit my profile"), "prof:menu")]]

    def profile_view(self, profile: Profile, names: dict[int, str] | None = None) -> Reply:
        """The /profile card with its edit button."""
        text = profile_card(profile, _("Your profile"), names)
        if profile.review == Review.PENDING and profile.partnership_id is not None:
            text += "\n\n⏳ " + _("Waiting for validation by your partnership.")
        return Reply(text, self._profile_keyboard())

    def profile_edit_menu(self, with_partnership: bool = False) -> Reply:
        """Buttons for every editable field of a complete profile."""
        return Reply(
            _("Which field do you want to change?"),
            rows(
                [
                    Button(_(label), f"prof:edit:{key}")
                    for key, label in fields(with_partnership).items()
                ],
                2,
            ),
        )

    def _partnership_question(self, ctx: Ctx) -> tuple[str, Keyboard | None]:
        """Partnerships whose ecosystems fit the profile come first."""
        mine = set(ctx.profile.ecosystems)
        ranked = sorted(
            ctx.partnerships, key=lambda p: (-len(mine & set(p.ecosystems)), p.name.casefold())
        )
        lines = [
            _(
                "Which European Cluster Partnership do you take part with? It validates your "
                "registration and your exchange. Those that fit your ecosystems come first."
            ),
            "",
        ]
        keyboard: Keyboard = []
        for p in ranked:
            fits = bool(mine & set(p.ecosystems))
            label = ("⭐ " if fits else "") + p.name
            keyboard.append([self._btn(ctx.user, "partnership", str(p.id), label[:60])])
            line = f"<b>{esc(p.name)}</b>"
            if p.description:
                line += ": " + esc(p.description[:200])
            lines.append(line)
        return "\n".join(lines), keyboard

    async def _preset_partnership(self, ctx: Ctx, payload: str) -> None:
        """``p_<slug>``: register with that partnership (or say the link is unknown)."""
        slug = payload[len(partnerships.PARTNERSHIP_PREFIX) :]
        found = next((p for p in ctx.partnerships if p.slug == slug.lower()), None)
        if found is None:
            ctx.out.add(
                _(
                    "I don't know the partnership of this link. You can choose your "
                    "partnership during the registration."
                )
            )
            return
        p = ctx.profile
        if p.partnership_id == found.id:
            return
        if p.partnership_id is not None and p.completed_at is not None:
            return  # a registered participant keeps the partnership that validated them
        p.partnership_id = found.id
        ctx.out.add(
            _("You are registering with {partnership}.").format(
                partnership=f"<b>{esc(found.name)}</b>"
            )
        )
        if p.completed_at is not None:
            p.review = Review.PENDING
            ctx.out.submitted = True

    def _resubmit(self, ctx: Ctx) -> str:
        """After an edit: a rejected profile (or a new partnership) goes back to the staff."""
        p = ctx.profile
        if p.partnership_id is None or p.review != Review.REJECTED:
            return ""
        p.review = Review.PENDING
        ctx.out.submitted = True
        return " " + _("I have sent your profile to your partnership for validation again.")

    # ----------------------------------------------------------------- typed answers

    def _store_text(self, ctx: Ctx, state: str, text: str) -> None:
        single = TEXT_FIELDS.get(state, False)
        min_letters = 2 if state in ("name", "organisation") else 3
        value = clean_text(text, limit=LIMITS[state], single_line=single, min_letters=min_letters)
        setattr(ctx.profile, state, value)

    def _typed_country(self, ctx: Ctx, text: str) -> None:
        match = geo.resolve_country(text[:100], self.eligible)
        if match.code and match.eligible:
            self._set_country(ctx, match.code)
            return
        text_out = country_problem(text, match, self.eligible)
        if match.code:
            raise InputError(text_out)
        ctx.out.replies.append(
            Reply(
                text_out + "\n\n" + _("Please choose your country below or type its name."),
                self._country_keyboard(ctx.user, first=match.suggestions),
            )
        )

    def _set_country(self, ctx: Ctx, code: str) -> None:
        p = ctx.profile
        if p.country != code:
            p.city = p.city_geoname_id = p.latitude = p.longitude = None
        p.country = code
        self._advance(ctx, "country")

    def _typed_city(self, ctx: Ctx, text: str) -> None:
        typed = clean_text(text, limit=LIMITS["city"], single_line=True, min_letters=2)
        resolution = self.cities.resolve(ctx.profile.country or "", typed)
        if resolution.exact is not None:
            self._set_city(ctx, resolution.exact)
            # Say what was understood, in the same message as the next question.
            where = (
                f"📍 {esc(resolution.exact.name)}, {esc(country_name(ctx.profile.country or ''))}"
            )
            if ctx.out.replies:
                ctx.out.replies[-1].text = where + "\n\n" + ctx.out.replies[-1].text
            return
        ctx.user.state_data = {
            **ctx.user.state_data,
            "city_typed": typed,
            "city_candidates": [
                {"id": c.geoname_id, "name": c.name} for c in resolution.candidates
            ],
        }
        self._bump(ctx.user)
        ctx.out.replies.append(self._prompt(ctx))

    def _set_city(self, ctx: Ctx, city: geo.City | None, typed: str | None = None) -> None:
        p = ctx.profile
        if city is None:
            p.city, p.city_geoname_id, p.latitude, p.longitude = typed, None, None, None
        else:
            p.city, p.city_geoname_id = city.name[: LIMITS["city"]], city.geoname_id
            p.latitude, p.longitude = city.latitude, city.longitude
        data = {k: v for k, v in ctx.user.state_data.items() if not k.startswith("city_")}
        ctx.user.state_data = data
        self._advance(ctx, "city")

    def _typed_date(self, ctx: Ctx, state: str, text: str) -> None:
        today = self.clock.today()
        value = check_window_date(parse_date(text[:40]), today)
        p = ctx.profile
        if state == "available_from":
            p.available_from = value
        else:
            assert p.available_from is not None
            p.available_to = check_window_end(p.available_from, value)
        self._advance(ctx, state)

    # ----------------------------------------------------------------- buttons

    def _button_handlers(self) -> dict[str, Callable]:
        return {
            CONSENT: self._b_consent,
            "role": self._b_role,
            "org_type": self._b_org_type,
            "country": self._b_country,
            "city": self._b_city,
            "ecosystems": self._b_toggle,
            "partnership": self._b_partnership,
            "languages": self._b_toggle,
            "email": self._b_email,
            SUMMARY: self._b_summary,
            EDIT_MENU: self._b_edit_menu,
        }

    def _answered(self, ctx: Ctx, label: str) -> None:
        """Turn the pressed question into a record of the answer (buttons removed)."""
        text, _kb = self._question(ctx, ctx.user.state)
        ctx.out.replies.append(Reply(text + "\n\n" + CHECK + " " + esc(label), edit=True))

    async def _b_consent(self, ctx: Ctx, value: str) -> None:
        user = ctx.user
        if value == "yes":
            self._answered(ctx, _("I agree"))
            user.consent, user.consent_at = ConsentState.GIVEN, utcnow()
            user.start_payload = user.state_data.get("payload")
            user.username = ctx.username[:64] if ctx.username else None
            if ctx.new_profile:  # on_button already looked: no profile row yet
                ctx.session.add(ctx.profile)
            payload = user.start_payload or ""
            if payload.startswith(INVITE_PREFIX) and await self._claim(ctx, payload):
                return
            if payload.startswith(partnerships.PARTNERSHIP_PREFIX):
                await self._preset_partnership(ctx, payload)
            ctx.out.add(_("Thank you! Let's build your profile. It takes about five minutes."))
            self._goto(ctx, STEPS[0])
        elif value == "no":
            self._answered(ctx, _("No, thanks"))
            user.consent, user.consent_at = ConsentState.DECLINED, utcnow()
            user.language = user.username = user.start_payload = None
            self._goto(ctx, DECLINED)
            ctx.out.add(
                _(
                    "Understood. I have stored nothing about you except this refusal. If you "
                    "change your mind, send /start."
                )
            )
            if self._on_language:
                self._on_language(user.id, None)
        else:
            raise InputError(_("This button is not valid any more."))

    async def _claim(self, ctx: Ctx, payload: str) -> bool:
        """Pre-fill the profile from a staff import; ask only what is missing, then confirm."""
        row = await repo.import_by_token(ctx.session, token=payload[len(INVITE_PREFIX) :])
        if row is None or row.claimed_by not in (None, ctx.user.id):
            ctx.out.add(_("This invitation link is not valid any more."))
            return False
        row.claimed_by = ctx.user.id
        r, p, today = row.record, ctx.profile, self.clock.today()
        p.role, p.org_type = r.get("role"), r.get("org_type")
        for key in ("name", "organisation", "offers", "seeks"):
            setattr(p, key, (r.get(key) or "")[: LIMITS[key]] or None)
        p.country = r.get("country") if r.get("country") in self.eligible else None
        city = (r.get("city") or "")[: LIMITS["city"]]
        found = self.cities.resolve(p.country or "", city).exact if city and p.country else None
        if found is not None:
            p.city, p.city_geoname_id = found.name, found.geoname_id
            p.latitude, p.longitude = found.latitude, found.longitude
        else:
            p.city = city or None
        p.ecosystems = [e for e in r.get("ecosystems", []) if e in ECOSYSTEMS][:MAX_ECOSYSTEMS]
        p.languages = [c for c in LANGUAGES if c in r.get("languages", [])]
        try:
            start = check_window_date(date.fromisoformat(r["available_from"]), today)
            end = check_window_end(
                start, check_window_date(date.fromisoformat(r["available_to"]), today)
            )
            p.available_from, p.available_to = start, end
        except (KeyError, TypeError, ValueError):  # absent, open or no longer valid: ask
            p.available_from = p.available_to = None
        ctx.out.add(
            _(
                "Your cluster partnership has already entered your registration. Please check "
                "it: I will only ask for what is missing."
            )
        )
        missing = self._missing(ctx)
        if missing:
            self._goto(ctx, missing[0], data={"return": SUMMARY})
        else:
            self._goto(ctx, SUMMARY)
        return True

    async def _b_role(self, ctx: Ctx, value: str) -> None:
        if value not in ROLE_LABELS:
            raise InputError(_("This button is not valid any more."))
        self._answered(ctx, _(ROLE_LABELS[value]))
        p = ctx.profile
        p.role = value
        if p.org_type in HOST_ONLY_ORG_TYPES and value != Role.HOST:
            p.org_type = None
            ctx.out.add(
                _(
                    "Large companies, public bodies and training providers can take part as "
                    "hosts only, so please choose your organisation type again."
                )
            )
            back = ctx.user.state_data.get("return")
            self._goto(ctx, "org_type", data={"return": back} if back else None)
            return
        self._advance(ctx, "role")

    async def _b_org_type(self, ctx: Ctx, value: str) -> None:
        if value not in ORG_TYPE_LABELS or (
            value in HOST_ONLY_ORG_TYPES and ctx.profile.role != Role.HOST
        ):
            raise InputError(_("This button is not valid any more."))
        self._answered(ctx, _(ORG_TYPE_LABELS[value]))
        ctx.profile.org_type = value
        self._advance(ctx, "org_type")

    async def _b_country(self, ctx: Ctx, value: str) -> None:
        if value not in self.eligible:
            raise InputError(_("This button is not valid any more."))
        self._answered(ctx, country_name(value))
        self._set_country(ctx, value)

    async def _b_city(self, ctx: Ctx, value: str) -> None:
        data = ctx.user.state_data
        typed = data.get("city_typed")
        candidates = data.get("city_candidates", [])
        if value == "keep" and typed:
            self._answered(ctx, typed)
            self._set_city(ctx, None, typed)
            return
        if value.isdigit() and int(value) < len(candidates):
            city = self.cities.get(int(candidates[int(value)]["id"]))
            if city is not None:
                name = candidates[int(value)]["name"]
                self._answered(ctx, name)
                self._set_city(ctx, replace(city, name=name))
                return
        raise InputError(_("This button is not valid any more."))

    async def _b_toggle(self, ctx: Ctx, value: str) -> None:
        """Ecosystems and languages: toggle one option, or finish with Done."""
        user, p = ctx.user, ctx.profile
        is_eco = user.state == "ecosystems"
        key = "eco" if is_eco else "lang"
        options = list(ECOSYSTEMS) if is_eco else list(LANGUAGES)
        selected = list(user.state_data.get(key, p.ecosystems if is_eco else p.languages))
        if value == "done":
            if not selected:
                raise InputError(
                    _("Please choose at least one ecosystem.")
                    if is_eco
                    else _("Please choose at least one language.")
                )
            chosen = (
                ", ".join(_(ECOSYSTEMS[s]) for s in selected)
                if is_eco
                else ", ".join(language_name(c) for c in selected)
            )
            ordered = [o for o in options if o in selected]
            self._answered(ctx, chosen)
            if is_eco:
                p.ecosystems = ordered
            else:
                p.languages = ordered
            user.state_data = {k: v for k, v in user.state_data.items() if k != key}
            self._advance(ctx, user.state)
            return
        if is_eco:
            if not value.isdigit() or int(value) >= len(options):
                raise InputError(_("This button is not valid any more."))
            item = options[int(value)]
        else:
            if value not in options:
                raise InputError(_("This button is not valid any more."))
            item = value
        if item in selected:
            selected.remove(item)
        elif is_eco and len(selected) >= MAX_ECOSYSTEMS:
            raise InputError(_("You can choose at most 3 ecosystems. Remove one first."))
        else:
            selected.append(item)
        user.state_data = {**user.state_data, key: selected}
        _text, keyboard = self._question(ctx, user.state)
        ctx.out.replies.append(Reply(keyboard=keyboard, edit=True, markup_only=True))

    async def _b_partnership(self, ctx: Ctx, value: str) -> None:
        found = next((p for p in ctx.partnerships if str(p.id) == value), None)
        if found is None:
            raise InputError(_("This button is not valid any more."))
        self._answered(ctx, found.name)
        p = ctx.profile
        if p.partnership_id != found.id and p.completed_at is not None:
            p.review = Review.PENDING  # a new partnership validates the profile again
            ctx.out.submitted = True
        p.partnership_id = found.id
        self._advance(ctx, "partnership")

    async def _b_email(self, ctx: Ctx, value: str) -> None:
        if value == "skip":
            self._answered(ctx, _("Skip"))
            ctx.profile.email = None
        elif value == "keep" and ctx.profile.email:
            self._answered(ctx, ctx.profile.email)
        else:
            raise InputError(_("This button is not valid any more."))
        self._advance(ctx, "email")

    async def _b_summary(self, ctx: Ctx, value: str) -> None:
        p = ctx.profile
        if value == "edit":
            self._answered(ctx, _("Edit"))
            self._goto(ctx, EDIT_MENU, data={"return": SUMMARY})
            return
        if value != "ok":
            raise InputError(_("This button is not valid any more."))
        missing = self._missing(ctx)
        if missing:
            self._goto(ctx, missing[0], data={"return": SUMMARY})
            return
        self._answered(ctx, _("Confirm"))
        first_time = p.completed_at is None
        p.completed_at = p.completed_at or utcnow()
        p.updated_at = utcnow()
        self._goto(ctx, IDLE)
        if not first_time:
            ctx.out.add(_("Saved.") + self._resubmit(ctx))
            return
        thanks = _("Thank you, {name}! Your profile is complete.").format(name=esc(p.name or ""))
        if p.partnership_id is None:
            p.review = Review.APPROVED
            ctx.out.completed = True
            ctx.out.add(thanks + "\n\n" + self.help_text(registered=True))
            return
        p.review = Review.PENDING
        ctx.out.submitted = True
        ctx.out.add(
            thanks
            + "\n\n"
            + _(
                "{partnership} now validates your registration. I will tell you as soon as "
                "it has; then I start proposing partners."
            ).format(partnership=f"<b>{esc(ctx.names.get(p.partnership_id, ''))}</b>")
            + "\n\n"
            + self.help_text(registered=True)
        )

    async def _b_edit_menu(self, ctx: Ctx, value: str) -> None:
        back = ctx.user.state_data.get("return") or SUMMARY
        if value == "back":
            self._goto(ctx, SUMMARY)
            return
        step = EDIT_TARGET.get(value, value)
        if step not in STEPS:
            raise InputError(_("This button is not valid any more."))
        if value == "partnership" and not ctx.partnerships:
            raise InputError(_("This button is not valid any more."))
        self._answered(ctx, _(FIELD_LABELS[value]))
        ctx.user.state_data = {"edit": value}
        self._goto(ctx, step, data={"return": back})

    # ----------------------------------------------------------------- help

    async def help(self, user_id: int) -> Outcome:
        """``/help``: the command list fitting where the user is."""
        async with self.db.session() as session:
            ctx = await self._load(session, user_id)
        registered = ctx is not None and ctx.profile.completed_at is not None
        return Outcome().add(self.help_text(registered))

    def help_text(self, registered: bool) -> str:
        """What the user can do now."""
        lines = [_("Here is what I can do:")]
        if not registered:
            lines.append(_("/start: register or continue your registration"))
        lines += [
            _("/matches: your proposed partners"),
            _("/exchange: your exchange: dates, goals and agenda, report"),
            _("/event: your event: meetings and proposals"),
            _("/profile: show and edit your profile"),
            _("/pause: take a break from matching"),
            _("/resume: take part in matching again"),
            _("/language: English or Deutsch"),
            _("/privacy: what I store and why"),
            _("/mydata: download all your data"),
            _("/deleteme: erase all your data"),
            _("/cancel: leave the current question"),
            _("/help: this list"),
        ]
        return "\n".join(lines)


@cache
def _countries_in_order(eligible: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """Eligible countries sorted by their name in ``lang`` (the keyboard's order)."""
    return tuple(sorted(eligible, key=lambda c: country_name(c, lang).casefold()))


@cache
def _languages_in_order(lang: str) -> tuple[str, ...]:
    """English and German first, then the others by their name in ``lang``."""
    rest = sorted(LANGUAGES[2:], key=lambda c: language_name(c, lang).casefold())
    return (*sorted(LANGUAGES[:2]), *rest)


_TYPED_STEPS = frozenset(
    {"name", "organisation", "city", "offers", "seeks", "available_from", "available_to"}
    | {"motivation", "email", "country"}
)


def _filled(p: Profile, step: str) -> bool:
    if step in ("ecosystems", "languages"):
        return bool(getattr(p, step))
    return getattr(p, step) is not None


__all__ = ["STEPS", "Onboarding"]
