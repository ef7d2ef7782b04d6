"""The registration's answers: typed text (names, country, city, dates, e-mail) and buttons,
each checked against what the step allows; a wrong answer gets the reason and the question
again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from bot import geo
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
from bot.i18n import _, country_name, current_language, format_date, format_list, language_name
from bot.services import deeplinks
from bot.services.callbacks import number
from bot.services.cards import FIELD_LABELS
from bot.services.date_text import last_day, parse_date
from bot.services.onboarding import callbacks
from bot.services.onboarding.access import CONSENT, DECLINED, EDIT_MENU, IDLE, STEPS, SUMMARY
from bot.services.onboarding.flow import CHECK, EDIT_TARGET, PENDING_START, Ctx, Flow
from bot.services.profile_text import (
    InputError,
    check_window_date,
    check_window_end,
    clean_text,
    country_problem,
)
from bot.services.ui import STALE_BUTTON, Reply, esc
from storage import repo
from storage.models import ConsentState, Review, utcnow

TEXT_FIELDS = {"name": True, "organisation": True, "offers": False, "seeks": False}
TEXT_FIELDS_MULTI = {"motivation"}


class AnswersMixin(Flow):
    """Typed answers and button presses of the registration."""

    def _store_text(self, ctx: Ctx, state: str, text: str) -> None:
        single = TEXT_FIELDS.get(state, False)
        min_letters = 2 if state in ("name", "organisation") else 3
        value = clean_text(text, limit=LIMITS[state], single_line=single, min_letters=min_letters)
        setattr(ctx.profile, state, value)

    def _typed_country(self, ctx: Ctx, text: str) -> None:
        match = geo.resolve_country(text[:100], self.eligible)
        if match.code and match.eligible:
            self._set_country(ctx, match.code)
            if match.region is not None and ctx.out.replies:  # say what was understood
                lang = current_language()
                where = _("{region} is in {country}.").format(
                    region=esc(match.region.name(lang)), country=esc(country_name(match.code))
                )
                ctx.out.replies[-1].text = "📍 " + where + "\n\n" + ctx.out.replies[-1].text
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
        typed = parse_date(text[:60], month_end=state == "available_to")
        self._store_date(ctx, state, self.checked_date(ctx, state, typed))

    def _store_date(self, ctx: Ctx, state: str, value: date) -> None:
        """The start waits in the step data until its end is chosen too; then both are
        stored."""
        if state == "available_from":
            ctx.user.state_data = {**ctx.user.state_data, PENDING_START: value.isoformat()}
        else:
            p = ctx.profile
            p.available_from, p.available_to = self.start_of(ctx), value
            ctx.user.state_data = {
                k: v for k, v in ctx.user.state_data.items() if k != PENDING_START
            }
        self._advance(ctx, state)

    async def _b_date(self, ctx: Ctx, value: str) -> None:
        """A month (its 1st for the start, its last day for the end) or Keep."""
        state, p = ctx.user.state, ctx.profile
        if value == "keep":
            chosen = p.available_from if state == "available_from" else p.available_to
        else:
            month = callbacks.parse_month(value)
            if month is None:
                chosen = None
            elif state == "available_from":
                chosen = date(month[0], month[1], 1)
            else:
                chosen = last_day(*month)
        if chosen is None:
            raise InputError(_(STALE_BUTTON))
        chosen = self.checked_date(ctx, state, chosen)
        self._answered(ctx, format_date(chosen))
        self._store_date(ctx, state, chosen)

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
            "available_from": self._b_date,
            "available_to": self._b_date,
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
                ctx.unit.session.add(ctx.profile)
            payload = user.start_payload or ""
            if payload.startswith(deeplinks.IMPORT) and await self._claim(ctx, payload):
                return
            if payload.startswith(deeplinks.PARTNERSHIP):
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
            self._forget_language(user.id)
        else:
            raise InputError(_(STALE_BUTTON))

    async def _claim(self, ctx: Ctx, payload: str) -> bool:
        """Pre-fill the profile from a staff import; ask only what is missing, then confirm."""
        row = await repo.import_by_token(ctx.unit.session, token=payload[len(deeplinks.IMPORT) :])
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
        await self.cities.ready()
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
            raise InputError(_(STALE_BUTTON))
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
            raise InputError(_(STALE_BUTTON))
        self._answered(ctx, _(ORG_TYPE_LABELS[value]))
        ctx.profile.org_type = value
        self._advance(ctx, "org_type")

    async def _b_country(self, ctx: Ctx, value: str) -> None:
        if value not in self.eligible:
            raise InputError(_(STALE_BUTTON))
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
        chosen = number(value)
        if chosen is not None and chosen < len(candidates):
            await self.cities.ready()
            city = self.cities.get(int(candidates[chosen]["id"]))
            if city is not None:
                name = candidates[chosen]["name"]
                self._answered(ctx, name)
                self._set_city(ctx, replace(city, name=name))
                return
        raise InputError(_(STALE_BUTTON))

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
            chosen = format_list(
                [_(ECOSYSTEMS[s]) for s in selected]
                if is_eco
                else [language_name(c) for c in selected]
            )
            self._answered(ctx, chosen)
            if is_eco:  # in the order the person chose them (the first counts most)
                p.ecosystems = list(selected)
            else:
                p.languages = list(selected)
            user.state_data = {k: v for k, v in user.state_data.items() if k != key}
            self._advance(ctx, user.state)
            return
        if is_eco:
            index = number(value)
            if index is None or index >= len(options):
                raise InputError(_(STALE_BUTTON))
            item = options[index]
        else:
            if value not in options:
                raise InputError(_(STALE_BUTTON))
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
            raise InputError(_(STALE_BUTTON))
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
            raise InputError(_(STALE_BUTTON))
        self._advance(ctx, "email")

    async def _b_summary(self, ctx: Ctx, value: str) -> None:
        p = ctx.profile
        if value == "edit":
            self._answered(ctx, _("Edit"))
            self._goto(ctx, EDIT_MENU, data={"return": SUMMARY})
            return
        if value != "ok":
            raise InputError(_(STALE_BUTTON))
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
            ctx.out.add(
                thanks
                + "\n\n"
                + _(
                    "Next: send /matches to see the organisations that fit you best. I will "
                    "also tell you when someone new fits you."
                )
                + "\n\n"
                + self.help_text(registered=True)
            )
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
            raise InputError(_(STALE_BUTTON))
        if value == "partnership" and not ctx.partnerships:
            raise InputError(_(STALE_BUTTON))
        self._answered(ctx, _(FIELD_LABELS[value]))
        ctx.user.state_data = {"edit": value}
        self._goto(ctx, step, data={"return": back})
