"""Language, pause/resume, privacy: export and erasure of a user's data."""

from __future__ import annotations

import json

from bot.i18n import SUPPORTED, _, set_language
from bot.services.account import callbacks
from bot.services.languages import LanguageCache
from bot.services.ui import Button, Document, Outcome, Reply, stale_button
from bot.services.unit import Unit
from storage import repo, repo_delivery
from storage.models import ConsentState, utcnow


class Account:
    """Settings a registered user controls, and their GDPR rights."""

    def __init__(self, languages: LanguageCache) -> None:
        self.languages = languages

    @staticmethod
    async def state_of(unit: Unit, user_id: int) -> str | None:
        """The conversation step the user is at (None for someone unknown)."""
        user = await repo.get_user(unit.session, user_id=user_id)
        return user.state if user else None

    def language_menu(self) -> Outcome:
        """``/language``: the two choices."""
        return Outcome().add(
            _("Which language should I use?"),
            [
                [
                    Button("English", callbacks.language("en")),
                    Button("Deutsch", callbacks.language("de")),
                ]
            ],
        )

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """``lang:<code>`` or ``del:yes|no``."""
        press = callbacks.parse(data)
        if isinstance(press, callbacks.Language):
            return await self.set_language(unit, user_id, press.code)
        if isinstance(press, callbacks.Delete):
            return await self.delete(unit, user_id, press.confirmed)
        return stale_button()

    async def set_language(self, unit: Unit, user_id: int, lang: str) -> Outcome:
        """Store the choice (for consenting users) and answer in the new language."""
        if lang not in SUPPORTED:
            return stale_button()
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.consent != ConsentState.DECLINED:
            user.language = lang
            user.updated_at = utcnow()
        self.languages.remember(user_id, lang)
        set_language(lang)
        out = Outcome(language=lang)
        out.replies.append(Reply(_("I will speak English with you from now on."), edit=True))
        return out

    @staticmethod
    async def set_reachable(unit: Unit, user_id: int, reachable: bool) -> None:
        """The user blocked the bot (False) or started it again (True)."""
        await repo_delivery.set_unreachable(
            unit.session, user_id=user_id, when=None if reachable else unit.now
        )

    @staticmethod
    async def set_paused(unit: Unit, user_id: int, paused: bool) -> Outcome:
        """``/pause`` and ``/resume``."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is None or profile is None or profile.completed_at is None:
            return Outcome().add(
                _("Please complete your registration first: send /start to continue.")
            )
        if user.paused == paused:
            text = (
                _("You are already paused. Send /resume when you want to be matched again.")
                if paused
                else _("You are already taking part in matching.")
            )
            return Outcome().add(text)
        user.paused = paused
        user.updated_at = utcnow()
        if paused:
            return Outcome().add(
                _(
                    "Paused. I will not propose you to anyone or send you new proposals "
                    "until you send /resume. Your profile stays saved."
                )
            )
        return Outcome().add(_("Welcome back! You take part in matching again."))

    def privacy(self) -> Outcome:
        """``/privacy``: what is stored, why, for how long, and the user's rights."""
        return Outcome().add(
            "\n\n".join(
                [
                    _("<b>What I store and why</b>"),
                    _(
                        "• Your Telegram id and chosen language: to talk to you.\n"
                        "• Your consent and when you gave it: the legal basis for everything "
                        "else (GDPR Art. 6(1)(a)).\n"
                        "• Your profile (role, name, organisation, country and city, "
                        "ecosystems, what you offer and seek, languages, availability, "
                        "motivation, optional e-mail): to find matching partners.\n"
                        "• Where you are in the conversation: so nothing is lost if you stop "
                        "halfway."
                    ),
                    _(
                        "• The proposals made to you and the answers on both sides: so that "
                        "no pair is proposed twice and each side hears the outcome."
                    ),
                    _(
                        "Other participants see your organisation, city, country, ecosystems "
                        "and what you offer and seek in proposals. Your name, Telegram contact "
                        "and e-mail are shared only when both sides accept a match. Staff of "
                        "the European Cluster Partnerships running ClusterXchange can see "
                        "profiles to validate them."
                    ),
                    _(
                        "Your data is kept while you take part and erased when you send "
                        "/deleteme. /mydata sends you a copy of everything stored about you."
                    ),
                ]
            )
        )

    @staticmethod
    async def export(unit: Unit, user_id: int) -> Outcome:
        """``/mydata``: every stored row about the user as one JSON document.

        In proposals the other participant's id stays hidden until both sides agreed, as it
        is in the chat.
        """
        tables = await repo.rows_of_user(unit.session, user_id=user_id)
        if not tables.get("user"):
            return Outcome().add(_("I have no data about you."))
        for row in tables.get("proposal", []):
            if row.get("matched_at") is None:
                other = "b_id" if row["a_id"] == user_id else "a_id"
                row[other] = None
        data = {
            "exported_at": utcnow().isoformat(),
            "user": tables["user"][0],
            "profile": (tables.get("profile") or [None])[0],
            "proposals": tables.get("proposal", []),
            "imported_registrations": tables.get("imported_profile", []),
        }
        content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return Outcome().add(
            "",
            document=Document(
                "cxbot-my-data.json", content, _("All data I have stored about you.")
            ),
        )

    def ask_delete(self) -> Outcome:
        """``/deleteme``: ask for confirmation."""
        return Outcome().add(
            _(
                "This erases your profile and everything else I have stored about you. It "
                "cannot be undone. Are you sure?"
            ),
            [
                [
                    Button(_("Yes, erase everything"), callbacks.delete(True)),
                    Button(_("No, keep my data"), callbacks.delete(False)),
                ]
            ],
        )

    async def delete(self, unit: Unit, user_id: int, confirmed: bool) -> Outcome:
        """Erase every row holding the user's personal data."""
        if not confirmed:
            out = Outcome()
            out.replies.append(Reply(_("Nothing was deleted."), edit=True))
            return out
        await repo.delete_user(unit.session, user_id=user_id)
        self.languages.remember(user_id, None)
        out = Outcome()
        out.replies.append(
            Reply(
                _(
                    "All your data has been erased. Thank you for your interest in "
                    "ClusterXchange. Send /start if you ever want to register again."
                ),
                edit=True,
            )
        )
        return out
