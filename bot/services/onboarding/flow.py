"""The registration's flow: which question comes next, how each question reads, and where
an edit returns to. Each user row holds the step they are at (``User.state``), a version
that changes whenever a new question supersedes the old one (buttons carry it, so stale or
repeated presses are recognised) and step data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from bot import geo
from bot.clock import Clock
from bot.domain import (
    ECOSYSTEMS,
    HOST_ONLY_ORG_TYPES,
    LANGUAGES,
    ORG_TYPE_LABELS,
    ROLE_LABELS,
    Role,
)
from bot.i18n import (
    _,
    country_name,
    current_language,
    format_date,
    format_month,
    language_name,
    sort_key,
)
from bot.services import deeplinks
from bot.services.cards import HELD, MATERIAL, change_lines, fields, profile_card
from bot.services.date_text import examples, last_day, months_after
from bot.services.onboarding import callbacks
from bot.services.onboarding.access import CONSENT, DECLINED, EDIT_MENU, IDLE, STEPS, SUMMARY
from bot.services.partnerships.access import StaffAccess
from bot.services.profile_text import InputError, check_window_date, check_window_end
from bot.services.ui import Button, Keyboard, Outcome, Reply, esc, rows
from bot.services.unit import Unit
from storage import repo
from storage.models import ConsentState, Partnership, Profile, Review, User, utcnow

# An answer to the first always asks the second too (an edit of one needs the next).
CHAINED = {"country": "city", "available_from": "available_to"}
EDIT_TARGET = {"availability": "available_from"}  # edit-menu field → first step
PENDING_START = "from"  # state data: the new start of the availability, stored with its end
APPROVED = "approved"  # state data: the approved values while one of them is edited
MONTH_BUTTONS = 6
PAUSED = "paused"  # state_data flag: /cancel set the registration aside until /start
MISSING = "missing"  # return target: the next unanswered step (after an event's quick sign-up)
CHECK = "✅"


@dataclass
class Ctx:
    """The loaded rows of one update."""

    unit: Unit
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


class Flow:
    """The registration's questions and the way through them."""

    def __init__(
        self,
        cities: geo.CityIndex,
        clock: Clock,
        eligible: tuple[str, ...],
        access: StaffAccess,
        remember_language: Callable[[int, str | None], None] | None = None,
    ) -> None:
        self.cities = cities
        self.clock = clock
        self.eligible = eligible
        self.access = access
        self._remember_language = remember_language

    def _forget_language(self, user_id: int) -> None:
        """A new or refusing user has no stored language choice (the language cache)."""
        if self._remember_language is not None:
            self._remember_language(user_id, None)

    async def _load(self, unit: Unit, user_id: int) -> Ctx | None:
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is None or user.consent != ConsentState.GIVEN or profile is None:
            return None
        ctx = Ctx(unit, user, profile, Outcome())
        if user.state != IDLE:
            ctx.partnerships = await self.access.partnerships(unit)
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
        if done in CHAINED:
            data = {"return": back} if back else {}
            for carried in (PENDING_START, APPROVED):
                if carried in ctx.user.state_data:
                    data[carried] = ctx.user.state_data[carried]
            self._goto(ctx, CHAINED[done], data=data)
        elif back == "profile":
            held = self._hold_for_validation(ctx)
            self._goto(ctx, IDLE)
            view = self.profile_view(ctx.profile, ctx.names)
            ctx.out.add(
                _("Saved.") + (held or self._resubmit(ctx)) + "\n\n" + view.text, view.keyboard
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
        preset = (ctx.user.start_payload or "").startswith(deeplinks.PARTNERSHIP)
        skip = not ctx.partnerships or (preset and ctx.profile.partnership_id is not None)
        return [s for s in STEPS if not (s == "partnership" and skip)]

    def _stale(self, unit: Unit, user: User, profile: Profile | None, data: str) -> Outcome:
        if user.state_data.get("last") == data:
            return Outcome(toast=_("Already noted."))
        if user.state_data.get(PAUSED):
            return Outcome(
                toast=_("Your registration is paused. Send /start to continue."), alert=True
            )
        out = Outcome(toast=_("That button belongs to an earlier question."))
        if user.state in (IDLE, DECLINED) or (profile is None and user.state != CONSENT):
            return out
        if user.state == CONSENT:
            out.replies.append(self._consent_prompt(user))
        else:
            assert profile is not None
            out.replies.append(
                self._prompt(
                    Ctx(unit, user, profile, out),
                    prefix=_("That button belongs to an earlier question. Here is where we are:"),
                )
            )
        return out

    def _btn(self, user: User, step: str, value: str, label: str) -> Button:
        return Button(label, callbacks.step(user.state_version, step, value))

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
        if state in ("available_from", "available_to"):
            return self._date_question(ctx, state)
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

    def start_of(self, ctx: Ctx) -> date | None:
        """The availability's start: the one just chosen (kept until the end is chosen too,
        so that leaving in between changes nothing) or the stored one."""
        pending = ctx.user.state_data.get(PENDING_START)
        return date.fromisoformat(pending) if pending else ctx.profile.available_from

    def checked_date(self, ctx: Ctx, state: str, value: date) -> date:
        """The checks of both ends of the availability (``InputError`` says what is wrong)."""
        value = check_window_date(value, self.clock.today())
        start = self.start_of(ctx)
        if state == "available_to" and start is not None:
            check_window_end(start, value)
        return value

    def _valid(self, ctx: Ctx, state: str, value: date | None) -> bool:
        if value is None:
            return False
        try:
            self.checked_date(ctx, state, value)
        except InputError:
            return False
        return True

    def _date_question(self, ctx: Ctx, state: str) -> tuple[str, Keyboard]:
        """Start or end of the availability: the next months as buttons (the 1st for the
        start, the last day for the end), the current date to keep, or a typed date."""
        user, p = ctx.user, ctx.profile
        today = self.clock.today()
        start = self.start_of(ctx)
        if state == "available_from":
            text = _("From which date are you available for an exchange?")
            months = [date(y, m, 1) for y, m in months_after(today, MONTH_BUTTONS)]
            example = months[0]
            current = p.available_from
        else:
            text = _("Until which date are you available? (Starting from {start}.)").format(
                start=format_date(start) if start else "—"
            )
            first = (start or today).replace(day=1)
            candidates = [last_day(first.year, first.month)]
            candidates += [last_day(y, m) for y, m in months_after(first, MONTH_BUTTONS + 1)]
            months = [d for d in candidates if self._valid(ctx, state, d)][:MONTH_BUTTONS]
            example = months[min(2, len(months) - 1)] if months else today
            current = p.available_to
        text += "\n" + _(
            "Choose a month or type a date, for example {example_en} or {example_de}."
        ).format(**examples(example))
        buttons = [
            self._btn(user, state, callbacks.month(d.year, d.month), format_month(d))
            for d in months
        ]
        keyboard = rows(buttons, 3)
        editing = bool(user.state_data.get("return"))
        if editing and self._valid(ctx, state, current):
            assert current is not None
            label = _("Keep {date}").format(date=format_date(current))
            keyboard.insert(0, [self._btn(user, state, "keep", label)])
        return text, keyboard

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
        return [[Button("✏️ " + _("Edit my profile"), callbacks.profile_menu())]]

    def profile_view(self, profile: Profile, names: dict[int, str] | None = None) -> Reply:
        """The /profile card with its edit button (and changes waiting for validation)."""
        text = profile_card(profile, _("Your profile"), names)
        if profile.review == Review.PENDING and profile.partnership_id is not None:
            text += "\n\n⏳ " + _("Waiting for validation by your partnership.")
        if profile.pending_changes:
            text += (
                "\n\n⏳ "
                + _(
                    "Your partnership validates these changes; until then others see the "
                    "profile above:"
                )
                + "\n"
                + "\n".join(change_lines(profile, names))
            )
        return Reply(text, self._profile_keyboard())

    @staticmethod
    def hold_approved(profile: Profile) -> dict[str, object]:
        """State data that keeps an approved profile's material values while one is edited
        (nothing for a profile that is not approved by a partnership)."""
        if profile.review != Review.APPROVED or profile.partnership_id is None:
            return {}
        return {APPROVED: {f: getattr(profile, f) for f in HELD}}

    def _hold_for_validation(self, ctx: Ctx) -> str:
        """After an edit of an approved profile: a material change waits for validation in
        ``pending_changes`` and the approved values go back into place; '' if none."""
        approved = ctx.user.state_data.get(APPROVED)
        p = ctx.profile
        if not isinstance(approved, dict):
            return ""
        changed = {f: getattr(p, f) for f in HELD if getattr(p, f) != approved.get(f)}
        if not any(f in MATERIAL for f in changed):
            return ""
        for f in changed:
            setattr(p, f, approved.get(f))
        p.pending_changes = {**(p.pending_changes or {}), **changed}
        ctx.out.changed = True
        return " " + _(
            "{partnership} validates this change first; until then others see your profile "
            "as it was."
        ).format(partnership=f"<b>{esc(ctx.names.get(p.partnership_id or 0, ''))}</b>")

    def profile_edit_menu(self, with_partnership: bool = False) -> Reply:
        """Buttons for every editable field of a complete profile."""
        return Reply(
            _("Which field do you want to change?"),
            rows(
                [
                    Button(_(label), callbacks.profile_edit(key))
                    for key, label in fields(with_partnership).items()
                ],
                2,
            ),
        )

    def _partnership_question(self, ctx: Ctx) -> tuple[str, Keyboard | None]:
        """Partnerships whose ecosystems fit the profile come first."""
        mine = set(ctx.profile.ecosystems)
        ranked = sorted(
            ctx.partnerships,
            key=lambda p: (-len(mine & set(p.ecosystems)), sort_key(p.name, current_language())),
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
        slug = payload[len(deeplinks.PARTNERSHIP) :]
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

    def help_text(self, registered: bool, attendee: bool = False) -> str:
        """What the user can do now: the matching's commands once registered, the event's
        for someone who joined one."""
        lines = [_("Here is what I can do:")]
        if not registered:
            lines.append(_("/start: register or continue your registration"))
        else:
            lines += [
                _("/matches: your proposed partners"),
                _("/search: search partners by topic or name"),
                _("/exchange: your exchange: dates, goals and agenda, report"),
                _("/profile: show and edit your profile"),
                _("/pause: take a break from matching"),
                _("/resume: take part in matching again"),
            ]
        if attendee:
            lines.append(_("/event: your event: meetings and proposals"))
        lines += [
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
    return tuple(sorted(eligible, key=lambda c: sort_key(country_name(c, lang), lang)))


@cache
def _languages_in_order(lang: str) -> tuple[str, ...]:
    """English and German first, then the others by their name in ``lang``."""
    rest = sorted(LANGUAGES[2:], key=lambda c: sort_key(language_name(c, lang), lang))
    return (*sorted(LANGUAGES[:2]), *rest)


def _filled(p: Profile, step: str) -> bool:
    if step in ("ecosystems", "languages"):
        return bool(getattr(p, step))
    return getattr(p, step) is not None
