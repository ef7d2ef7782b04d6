"""Language, pause/resume, privacy: export and erasure of a user's data."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.i18n import SUPPORTED, _, ngettext, set_language
from bot.pseudonyms import who
from bot.services.account import callbacks
from bot.services.languages import LanguageCache
from bot.services.ui import Button, Document, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo, repo_delivery
from storage.models import ConsentState, utcnow

log = logging.getLogger(__name__)


# What /mydata shows of a profile the user validated as staff.
REVIEW_FIELDS = ("partnership_id", "review", "reviewed_at", "reviewed_by", "review_note")
# The sections of /mydata, by table (a table not listed here is exported under its name).
SECTIONS = {
    "proposal": "proposals",
    "imported_profile": "imported_registrations",
    "exchange": "exchanges",
    "exchange_event": "exchange_history",
    "reminder": "reminders",
    "event_attendee": "events_joined",
    "event_match": "event_matches",
    "event": "events_created",
    "staff": "staff_roles",
    "staff_invite": "staff_invitations",
    "outbox": "messages_to_you",
    "review_followup": "waiting_for_validation",
    "concept_feedback": "what_your_answers_taught_the_matching",
}


async def _nothing() -> None:
    return None


class Account:
    """Settings a registered user controls, and their GDPR rights."""

    def __init__(
        self,
        languages: LanguageCache,
        controller: tuple[str | None, str | None] = (None, None),
        forget_erased: Callable[[], Awaitable[None]] = _nothing,
    ) -> None:
        self.languages = languages
        self.controller = controller  # name and contact, named in /privacy
        self.forget_erased = forget_erased  # run after an erasure is committed

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
        """``/privacy``: who is responsible, what is stored, why, for how long, who sees it,
        and the user's rights (GDPR Art. 13). Sections are separated by one blank line, a
        section's lines by none."""
        name, contact = self.controller
        if name and contact:
            controller = _("The controller of your data is {name}, {contact}.").format(
                name=esc(name), contact=esc(contact)
            )
        elif name or contact:
            controller = _("The controller of your data is {name}.").format(
                name=esc(name or contact)
            )
        else:
            controller = _(
                "The operator of this bot has not named the controller of your data yet. "
                "Please ask the team of your partnership."
            )
        sections = [
            [_("<b>Who is responsible</b>"), controller],
            [
                _("<b>What I store and why</b>"),
                "• "
                + _(
                    "Your Telegram id, username and language: to talk to you. Your consent "
                    "and when you gave it: the legal basis for everything else (GDPR Art. "
                    "6(1)(a))."
                ),
                "• "
                + _(
                    "Your profile (role, name, organisation, country and city, ecosystems, "
                    "what you offer and seek, languages, availability, motivation, optional "
                    "e-mail): to find matching partners. Where you are in the conversation: "
                    "so nothing is lost if you stop halfway."
                ),
                "• "
                + _(
                    "The proposals made to you and the answers on both sides: so that no pair "
                    "is proposed twice and each side hears the outcome."
                ),
                "• "
                + _(
                    "Your exchanges (dates, goals and agenda, closing report, ratings, outcome) "
                    "and who did what when: for the validation and payment by the "
                    "partnerships."
                ),
                "• "
                + _(
                    "The events you join, the meetings agreed there and your reminders: to "
                    "arrange and remind you of them."
                ),
            ],
            [
                _("<b>Who sees it</b>"),
                _(
                    "Other participants see your organisation, city, country, ecosystems and "
                    "what you offer and seek in proposals. Your name, Telegram contact and "
                    "e-mail are shared only when both sides accept a match. Staff of the "
                    "European Cluster Partnerships running ClusterXchange can see profiles "
                    "to validate them; an event's team sees who joined it."
                ),
            ],
            [
                _("<b>How long</b>"),
                "• "
                + _(
                    "Your profile, proposals, exchanges, events and reminders: until you send "
                    "/deleteme. An exchange then stays with the other side and the "
                    "partnerships without your name, organisation or texts; a running "
                    "exchange is cancelled."
                ),
                "• "
                + _(
                    "What you send me: what it says is dropped as soon as it has been handled; "
                    "the record that it arrived is deleted after 2 days."
                ),
                "• "
                + _(
                    "Messages to you that wait to be sent (notices, reminders): the text is "
                    "dropped once sent; the record is deleted after 1 day."
                ),
                "• "
                + _(
                    "If you decline consent, only your Telegram id and the refusal with its "
                    "time are kept. Logs never contain names, messages or your Telegram id, "
                    "only a pseudonym."
                ),
            ],
            [
                _("<b>Your rights</b>"),
                _(
                    "/mydata sends you a copy of everything stored about you (GDPR Art. 15), "
                    "/profile corrects it (Art. 16), /deleteme erases it and withdraws your "
                    "consent (Art. 17 and 7(3)). You have the right to lodge a complaint with "
                    "a data protection supervisory authority, in particular in the EU country "
                    "where you live or work or where you think your data was misused (GDPR "
                    "Art. 77)."
                ),
            ],
        ]
        return Outcome().add("\n\n".join("\n".join(lines) for lines in sections))

    async def export(self, unit: Unit, user_id: int) -> Outcome:
        """``/mydata``: every stored row that names the user, as one JSON document: table by
        table (``storage.models.user_columns``), the audit trail of their exchanges included.

        Other people's ids stay hidden where the chat hides them: in proposals and event
        matches until both sides agreed, in an exchange's trail when staff acted; of
        someone else's profile the user validated as staff only the decision is shown.
        """
        tables = await repo.rows_of_user(unit.session, user_id=user_id)
        if not tables.get("user"):
            return Outcome().add(_("I have no data about you."))
        data: dict[str, Any] = {
            "exported_at": unit.now.isoformat(),
            "user": tables.pop("user")[0],
            "profile": None,
            "profile_reviews": [],
        }
        for row in tables.pop("profile", []):
            if row["user_id"] == user_id:
                data["profile"] = row
            else:  # validated by the user as staff: the decision, not the other's profile
                data["profile_reviews"].append({k: row[k] for k in REVIEW_FIELDS})
        for table in ("proposal", "event_match"):
            for row in tables.get(table, []):
                if row.get("matched_at") is None:
                    row["b_id" if row["a_id"] == user_id else "a_id"] = None
        sides = {row["id"]: {row["visitor_id"], row["host_id"]} for row in tables["exchange"]}
        for row in tables.get("exchange_event", []):
            if row["actor_id"] not in sides.get(row["exchange_id"], {user_id}):
                row["actor_id"] = None  # staff of a partnership
        for row in tables.get("staff_invite", []):
            for column in ("created_by", "used_by"):
                if row[column] != user_id:
                    row[column] = None
        data.update({SECTIONS.get(table, table): rows for table, rows in tables.items()})
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        return Outcome().add(
            "",
            document=Document(
                "cxbot-my-data.json", content, _("All data I have stored about you.")
            ),
        )

    @staticmethod
    def ask_delete(running: list[str], *, edit: bool = False) -> Outcome:
        """``/deleteme``: ask for confirmation; ``running`` describes the user's running
        exchanges, which the erasure cancels (they are listed first)."""
        question = _(
            "This erases your profile and everything else I have stored about you. It "
            "cannot be undone. Are you sure?"
        )
        if running:
            count = len(running)
            question = (
                "\n".join(
                    [
                        "⚠️ "
                        + ngettext(
                            "You have {n} running exchange:",
                            "You have {n} running exchanges:",
                            count,
                        ).format(n=count),
                        *running,
                        ngettext(
                            "If you erase your data, it is cancelled: the other side and the "
                            "partnerships are told that you left, and they keep its record "
                            "without your name, your organisation or what you wrote.",
                            "If you erase your data, they are cancelled: the other sides and the "
                            "partnerships are told that you left, and they keep their records "
                            "without your name, your organisation or what you wrote.",
                            count,
                        ),
                    ]
                )
                + "\n\n"
                + question
            )
        keyboard = [
            [
                Button(_("Yes, erase everything"), callbacks.delete(True, bool(running))),
                Button(_("No, keep my data"), callbacks.delete(False)),
            ]
        ]
        out = Outcome()
        out.replies.append(Reply(question, keyboard, edit=edit))
        return out

    @staticmethod
    async def _withdraw_mentions(unit: Unit, user_id: int) -> None:
        """Messages to others that name the person and wait to be sent (a retry, a crash
        before delivery) are not sent any more: an introduction with their contact, a staff
        card with their organisation. Names shorter than 5 characters are not searched for,
        so that nobody else's message is withdrawn by chance."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        mentions = [f"tg://user?id={user_id}"]
        if user is not None and user.username:
            mentions.append("@" + esc(user.username))
        if profile is not None:
            values = (profile.name, profile.organisation, profile.email)
            mentions += [esc(value) for value in values if value and len(value) >= 5]
        await repo_delivery.give_up_mentioning(
            unit.session, mentions=mentions, now=unit.now, reason="erased"
        )

    async def delete(self, unit: Unit, user_id: int, confirmed: bool) -> Outcome:
        """Erase every row holding the user's personal data (their exchanges stay with the
        other side, handed to a placeholder); on SQLite the freed pages are then wiped from
        the write-ahead log too (after the commit)."""
        if not confirmed:
            out = Outcome()
            out.replies.append(Reply(_("Nothing was deleted."), edit=True))
            return out
        await self._withdraw_mentions(unit, user_id)
        await repo.delete_user(unit.session, user_id=user_id)
        self.languages.remember(user_id, None)
        unit.later(self.forget_erased)
        log.info("erased the data of %s", who(user_id))
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
