"""Partnerships and their staff: creation, invite links, validation of what waits for them.

Super-admins (``CXBOT_ADMIN_IDS``) create partnerships and invite staff with one-time links
that expire. Staff validate their participants' registrations here; matches, goals and agendas
and closing reports are validated through the same buttons and decided by ``Exchanges``. Every
staff action is authorised against the database, and a refusal is logged.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain import ECOSYSTEMS, MAX_ECOSYSTEMS
from bot.i18n import N_, _, format_date, language_of, use_language
from bot.matching.normalise import normalise
from bot.services import dialog
from bot.services.cards import profile_card
from bot.services.profile_text import InputError, clean_text
from bot.services.ui import Button, Notice, Outcome, Reply, esc
from storage import repo
from storage.db import Database
from storage.models import (
    Exchange,
    Partnership,
    Profile,
    Review,
    Staff,
    StaffInvite,
    User,
)

if TYPE_CHECKING:
    from bot.services.exchanges import Exchanges

log = logging.getLogger(__name__)

STAFF_INVITE_PREFIX = "st_"
PARTNERSHIP_PREFIX = "p_"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# Conversation states of staff input (User.state); the previous state is kept to return to.
NAME, SLUG, DESCRIPTION, ECOS, REASON = (
    "st_pn_name",
    "st_pn_slug",
    "st_pn_desc",
    "st_pn_eco",
    ("st_reason"),
)
STATES = frozenset({NAME, SLUG, DESCRIPTION, ECOS, REASON})

# What staff validate: registrations (p), matches (m), goals and agenda (q), closing reports (r).
KINDS: dict[str, str] = {
    "p": N_("registration"),
    "m": N_("match"),
    "q": N_("goals and agenda"),
    "r": N_("closing report"),
}
REJECT_REASONS: dict[str, dict[str, str]] = {
    "p": {
        "incomplete": N_("Profile incomplete or unclear"),
        "eligible": N_("Organisation not eligible"),
        "partnership": N_("Belongs to another partnership"),
        "duplicate": N_("Duplicate registration"),
    },
    "m": {
        "eligible": N_("Exchange not eligible"),
        "budget": N_("No budget left in this round"),
        "fit": N_("The two organisations do not fit"),
    },
    "q": {
        "goals": N_("The goals are unclear"),
        "agenda": N_("The agenda is too thin"),
    },
    "r": {
        "incomplete": N_("The report is incomplete"),
        "evidence": N_("Evidence of the visit is missing"),
    },
}
PENDING_LIMIT = 10


def reason_text(kind: str, note: str | None) -> str:
    """A stored rejection reason in the reader's language (codes start with ``#``)."""
    if note and note.startswith("#"):
        label = REJECT_REASONS.get(kind, {}).get(note[1:])
        if label:
            return _(label)
    return note or ""


@dataclass(frozen=True)
class Scope:
    """What a user may act on as staff."""

    admin: bool
    ids: frozenset[int]

    def covers(self, partnership_id: int | None) -> bool:
        """Staff of this partnership, or a super-admin."""
        return partnership_id is not None and (self.admin or partnership_id in self.ids)

    @property
    def is_staff(self) -> bool:
        """Staff of any partnership, or a super-admin."""
        return self.admin or bool(self.ids)


class Partnerships:
    """Partnership administration and staff validation."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.exchanges: Exchanges | None = None  # set once both services exist
        self.on_created: Callable[[], None] | None = None  # a partnership was created

    # ----------------------------------------------------------------- authorisation

    async def scope(self, session: AsyncSession, user_id: int) -> Scope:
        """The user's staff rights."""
        ids = await repo.staff_partnership_ids(session, user_id=user_id)
        return Scope(user_id in self.settings.admin_ids, frozenset(ids))

    def refuse(self, user_id: int, action: str, target: object) -> Outcome:
        """Refuse a staff action and log it."""
        log.warning("refused staff action %r on %s by user %s", action, target, user_id)
        out = Outcome(toast=_("Only staff of the partnership concerned can do this."), alert=True)
        return out

    def refuse_command(self, user_id: int, action: str) -> Outcome:
        """Refuse a staff command to someone who is not staff, and log it."""
        log.warning("refused staff command %r by user %s", action, user_id)
        return Outcome().add(_("This command is for partnership staff only."))

    async def is_staff(self, user_id: int) -> bool:
        """Staff of a partnership, or a super-admin."""
        async with self.db.session() as session:
            return (await self.scope(session, user_id)).is_staff

    # ----------------------------------------------------------------- links

    def link(self, payload: str) -> str:
        """A deep link into the bot (or the /start command when the username is unknown)."""
        if self.settings.bot_username:
            return f"https://t.me/{self.settings.bot_username}?start={payload}"
        return f"/start {payload}"

    # ----------------------------------------------------------------- super-admins

    async def new_partnership(self, user_id: int) -> Outcome:
        """``/newpartnership``: ask for the name (super-admins only)."""
        if user_id not in self.settings.admin_ids:
            return self.refuse_command(user_id, "newpartnership")
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            self._enter(user, NAME, {})
            await session.commit()
        return Outcome().add(_("A new partnership. What is its name? (/cancel stops.)"))

    async def list_partnerships(self, user_id: int) -> Outcome:
        """``/partnerships``: every partnership for super-admins, their own for staff."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            if not scope.is_staff:
                return self.refuse_command(user_id, "partnerships")
            found = [p for p in await repo.partnerships(session) if scope.covers(p.id)]
            counts = {
                p.id: len(await repo.staff_of(session, partnership_ids=[p.id])) for p in found
            }
        out = Outcome()
        if not found:
            return out.add(_("There is no partnership yet. Create one with /newpartnership."))
        for p in found:
            keyboard = None
            if scope.admin:
                keyboard = [[Button("➕ " + _("Invite staff"), f"pn:inv:{p.id}")]]
            out.add(self._partnership_text(p, counts[p.id]), keyboard)
        return out

    def _partnership_text(self, p: Partnership, staff: int) -> str:
        ecos = ", ".join(_(ECOSYSTEMS[e]) for e in p.ecosystems if e in ECOSYSTEMS) or "—"
        lines = [
            f"<b>{esc(p.name)}</b> ({esc(p.slug)})",
            esc(p.description) if p.description else "",
            "🏭 " + esc(ecos),
            _("Staff members: {count}").format(count=staff),
            _("Registration link for participants: {link}").format(
                link=esc(self.link(PARTNERSHIP_PREFIX + p.slug))
            ),
        ]
        return "\n".join(line for line in lines if line)

    async def invite(self, user_id: int, target: str) -> Outcome:
        """``/invite <slug>`` or the Invite button: a one-time staff link that expires."""
        if user_id not in self.settings.admin_ids:
            return self.refuse_command(user_id, "invite")
        async with self.db.session() as session:
            target = target.strip()
            partnership = (
                await repo.get_partnership(session, partnership_id=int(target))
                if target.isdigit()
                else await repo.partnership_by_slug(session, slug=target)
            )
            if partnership is None:
                return Outcome().add(
                    _("There is no partnership “{slug}”. /partnerships lists them.").format(
                        slug=esc(target[:40])
                    )
                )
            now = self.clock.now()
            invite = StaffInvite(
                token=secrets.token_urlsafe(12),
                partnership_id=partnership.id,  # type: ignore[arg-type]
                created_by=user_id,
                created_at=now,
                expires_at=now + timedelta(days=self.settings.staff_invite_days),
            )
            session.add(invite)
            await session.commit()
        expires = format_date(invite.expires_at.astimezone(self.clock.tz).date())
        return Outcome().add(
            _(
                "Send this link to the new staff member of {partnership}. It works once and "
                "until {date}:"
            ).format(partnership=f"<b>{esc(partnership.name)}</b>", date=expires)
            + "\n\n"
            + esc(self.link(STAFF_INVITE_PREFIX + invite.token))
        )

    async def accept_invite(
        self, user_id: int, token: str, username: str | None, client_language: str | None
    ) -> Outcome:
        """``/start st_<token>``: become staff, once, before the link expires."""
        now = self.clock.now()
        async with self.db.session() as session:
            invite = await session.get(StaffInvite, token[:32])
            used_by = invite.used_by if invite is not None else None
            user = await self._user(session, user_id)
            if client_language:
                user.client_language = client_language[:16]
            if username:
                user.username = username[:64]
            await session.flush()
            if invite is None or not await repo.claim_invite(
                session, token=invite.token, user_id=user_id, now=now
            ):
                await session.rollback()  # a refused link stores nothing about its user
                if used_by == user_id:
                    return Outcome().add(_("You have already accepted this invitation."))
                log.warning("refused staff invite %r for user %s", token[:32], user_id)
                return Outcome().add(
                    _(
                        "This staff invitation is not valid: it has been used already or it "
                        "has expired. Please ask for a new link."
                    )
                )
            partnership = await repo.get_partnership(session, partnership_id=invite.partnership_id)
            assert partnership is not None
            if invite.partnership_id not in await repo.staff_partnership_ids(
                session, user_id=user_id
            ):
                session.add(Staff(partnership_id=invite.partnership_id, user_id=user_id))
            await session.commit()
        return Outcome().add(
            _("Welcome to the staff of {partnership}!").format(
                partnership=f"<b>{esc(partnership.name)}</b>"
            )
            + "\n\n"
            + _(
                "I will send you the registrations, matches, goals and agendas and closing "
                "reports that your partnership validates. I store your Telegram id for this; "
                "/deleteme erases it."
            )
            + "\n\n"
            + self.staff_help()
        )

    async def staff_start(self, user_id: int) -> Outcome | None:
        """``/start`` from staff who are not participants: their overview instead of a
        registration. None for everyone else."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            if not scope.is_staff:
                return None
            _user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if profile is not None:
                return None
        return Outcome().add(
            _("Hello! You are partnership staff.")
            + "\n\n"
            + self.staff_help()
            + "\n\n"
            + _("To take part in ClusterXchange yourself, press the button below."),
            [[Button(_("Register as a participant"), "pn:reg")]],
        )

    def staff_help(self, admin: bool = False) -> str:
        """The staff commands."""
        lines = [
            _("For staff:"),
            _("/pending: what waits for your validation"),
            _("/stats: figures and a chart of your partnership"),
            _("/export: your participants and exchanges as CSV"),
            _("/partnerships: your partnership and its registration link"),
        ]
        if admin:
            lines += [
                _("/newpartnership: create a partnership"),
                _("/invite <slug>: a one-time link for a new staff member"),
            ]
        return "\n".join(lines)

    async def help_for(self, user_id: int) -> str | None:
        """The staff part of /help, or None for participants."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
        return self.staff_help(scope.admin) if scope.is_staff else None

    # ----------------------------------------------------------------- conversation

    async def _user(self, session: AsyncSession, user_id: int) -> User:
        user = await repo.get_user(session, user_id=user_id)
        if user is None:
            user = User(id=user_id, state="idle")
            session.add(user)
        return user

    @staticmethod
    def _enter(user: User, state: str, data: dict) -> None:
        """Ask for staff input, remembering where the user was."""
        dialog.ask(user, state, data, STATES)

    async def cancel(self, user_id: int) -> Outcome:
        """``/cancel`` during staff input."""
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            dialog.resume(user)
            await session.commit()
        return Outcome().add(_("Cancelled. Nothing was changed."))

    async def on_text(self, user_id: int, text: str) -> tuple[Outcome, list[Notice], list[int]]:
        """Typed staff input: the new partnership's fields, or a rejection reason."""
        reason: str | None = None
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            data = dict(user.state_data)
            try:
                if user.state == REASON:
                    reason = clean_text(text, limit=300, single_line=True, min_letters=3)
                    dialog.resume(user)
                    await session.commit()
                elif user_id not in self.settings.admin_ids:
                    dialog.resume(user)
                    await session.commit()
                    return self.refuse_command(user_id, "newpartnership"), [], []
                else:
                    out = await self._partnership_step(session, user, data, text)
            except InputError as exc:
                out = Outcome().add(str(exc))
            await session.commit()
        if reason is not None:  # the rejection, in its own unit of work
            return await self.decide(
                user_id, str(data.get("kind", "")), _int(data.get("id")), False, reason
            )
        return out, [], []

    async def _partnership_step(
        self, session: AsyncSession, user: User, data: dict, text: str
    ) -> Outcome:
        out = Outcome()
        if user.state == NAME:
            name = clean_text(text, limit=120, single_line=True, min_letters=3)
            suggestion = _slugify(name)
            self._enter(user, SLUG, {"name": name, "suggest": suggestion})
            keyboard = [[Button(suggestion, "pn:slug")]] if suggestion else None
            return out.add(
                _(
                    "A short name for links (letters, digits and hyphens, at most 32), e.g. "
                    "for t.me/…?start=p_{slug}. Type it or take the suggestion."
                ).format(slug=esc(suggestion or "textiles-eu")),
                keyboard,
            )
        if user.state == SLUG:
            return await self._set_slug(session, user, data, text)
        if user.state == DESCRIPTION:
            description = clean_text(text, limit=1000, min_letters=3)
            self._enter(user, ECOS, {**_without_resume(data), "description": description})
            return out.add(*self._ecosystem_question(user))
        if user.state == ECOS:
            return out.add(*self._ecosystem_question(user, _("Please use the buttons.")))
        return out

    async def _set_slug(self, session: AsyncSession, user: User, data: dict, text: str) -> Outcome:
        slug = text.strip().lower()
        if not _SLUG.match(slug):
            raise InputError(
                _(
                    "Use 1 to 32 lowercase letters, digits and hyphens, such as "
                    "“textiles-eu”. Please type it again."
                )
            )
        if await repo.partnership_by_slug(session, slug=slug) is not None:
            raise InputError(
                _("“{slug}” is taken by another partnership. Please choose another.").format(
                    slug=esc(slug)
                )
            )
        self._enter(user, DESCRIPTION, {**_without_resume(data), "slug": slug})
        return Outcome().add(
            _("Describe the partnership in a sentence or two (participants see it)."),
            [[Button(_("Skip"), "pn:desc")]],
        )

    def _ecosystem_question(self, user: User, prefix: str = "") -> tuple[str, list]:
        chosen = user.state_data.get("eco", [])
        buttons = [
            Button(("✅ " if slug in chosen else "") + _(label), f"pn:eco:{i}")
            for i, (slug, label) in enumerate(ECOSYSTEMS.items())
        ]
        keyboard = [[b] for b in buttons]
        keyboard.append([Button(_("Done"), "pn:eco:done")])
        text = _("Which industrial ecosystems does it cover? Choose 1 to 3, then press Done.")
        return ((prefix + "\n\n" if prefix else "") + text), keyboard

    async def on_partnership_button(self, user_id: int, data: str) -> Outcome:
        """``pn:…`` buttons: slug suggestion, no description, ecosystems, staff invites."""
        parts = data.split(":")
        if parts[1:2] == ["inv"] and len(parts) == 3:
            return await self.invite(user_id, parts[2])
        if user_id not in self.settings.admin_ids:
            return self.refuse(user_id, data, "partnership creation")
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            state_data = dict(user.state_data)
            stale = Outcome(toast=_("This button is not valid any more."))
            try:
                if parts[1:2] == ["slug"] and user.state == SLUG:
                    out = await self._set_slug(session, user, state_data, state_data["suggest"])
                elif parts[1:2] == ["desc"] and user.state == DESCRIPTION:
                    self._enter(user, ECOS, {**_without_resume(state_data), "description": ""})
                    out = Outcome().add(*self._ecosystem_question(user))
                elif parts[1:2] == ["eco"] and len(parts) == 3 and user.state == ECOS:
                    out = await self._toggle_ecosystem(session, user, parts[2])
                else:
                    return stale
            except InputError as exc:
                return Outcome(toast=str(exc), alert=True)
            await session.commit()
            return out

    async def _toggle_ecosystem(self, session: AsyncSession, user: User, value: str) -> Outcome:
        data = dict(user.state_data)
        chosen: list[str] = list(data.get("eco", []))
        slugs = list(ECOSYSTEMS)
        if value == "done":
            if not chosen:
                raise InputError(_("Please choose at least one ecosystem."))
            partnership = Partnership(
                slug=data["slug"],
                name=data["name"],
                description=data.get("description", ""),
                ecosystems=[s for s in slugs if s in chosen],
                created_at=self.clock.now(),
            )
            if await repo.partnership_by_slug(session, slug=partnership.slug) is not None:
                raise InputError(_("That short name was taken meanwhile. Please start again."))
            session.add(partnership)
            dialog.resume(user)
            await session.flush()
            log.info("partnership %s created by %s", partnership.slug, user.id)
            if self.on_created is not None:
                self.on_created()
            out = Outcome()
            out.replies.append(Reply(keyboard=None, edit=True, markup_only=True))
            out.add(
                _("The partnership is created.") + "\n\n" + self._partnership_text(partnership, 0),
                [[Button("➕ " + _("Invite staff"), f"pn:inv:{partnership.id}")]],
            )
            return out
        if not value.isdigit() or int(value) >= len(slugs):
            raise InputError(_("This button is not valid any more."))
        slug = slugs[int(value)]
        if slug in chosen:
            chosen.remove(slug)
        elif len(chosen) >= MAX_ECOSYSTEMS:
            raise InputError(_("You can choose at most 3 ecosystems. Remove one first."))
        else:
            chosen.append(slug)
        user.state_data = {**data, "eco": chosen}
        _text, keyboard = self._ecosystem_question(user)
        return Outcome(replies=[Reply(keyboard=keyboard, edit=True, markup_only=True)])

    # ----------------------------------------------------------------- validation

    async def profile_submitted(self, user_id: int) -> list[Notice]:
        """A profile now waits for validation: tell its partnership's staff."""
        async with self.db.session() as session:
            _user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            if profile is None or profile.partnership_id is None:
                return []
            partnership = await repo.get_partnership(session, partnership_id=profile.partnership_id)
            assert partnership is not None
            return await self.staff_notices(
                session,
                [profile.partnership_id],
                lambda: [self._profile_card(partnership, profile)],
            )

    async def staff_notices(
        self,
        session: AsyncSession,
        partnership_ids: list[int | None],
        build: Callable[[], list[Reply]],
        exclude: int | None = None,
    ) -> list[Notice]:
        """The same item for every staff member of these partnerships, in their language."""
        ids = [i for i in partnership_ids if i is not None]
        notices = []
        for member in await repo.staff_of(session, partnership_ids=ids):
            if member.id == exclude:
                continue
            with use_language(language_of(member)):
                notices.append(Notice(member.id, build()))
        return notices

    def _profile_card(self, partnership: Partnership, profile: Profile) -> Reply:
        uid = profile.user_id
        text = (
            "🆕 "
            + _("New registration for {partnership}").format(
                partnership=f"<b>{esc(partnership.name)}</b>"
            )
            + "\n\n"
            + profile_card(profile, profile.organisation or "")
        )
        return Reply(text, self.decision_keyboard("p", uid))

    @staticmethod
    def decision_keyboard(kind: str, item: int, history: bool = False) -> list[list[Button]]:
        """Approve / Reject for one item (and its audit trail for exchanges)."""
        keyboard = [
            [
                Button("✅ " + _("Approve"), f"sv:{kind}:{item}:a"),
                Button("✖️ " + _("Reject"), f"sv:{kind}:{item}:r"),
            ]
        ]
        if history:
            keyboard.append([Button("📜 " + _("History"), f"sv:h:{item}")])
        return keyboard

    async def pending(self, user_id: int) -> Outcome:
        """``/pending``: what waits for this staff member, oldest first."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            if not scope.is_staff:
                return self.refuse_command(user_id, "pending")
            names = {p.id: p for p in await repo.partnerships(session) if p.id is not None}
            ids = set(names) if scope.admin else set(scope.ids)
            profiles = await repo.pending_profiles(session, partnership_ids=ids)
            exchanges = await repo.exchanges_waiting_for(session, partnership_ids=ids)
            cards: list[Reply] = [
                self._profile_card(names[p.partnership_id], p)  # type: ignore[index]
                for _u, p in profiles
            ]
            assert self.exchanges is not None
            for ex in exchanges:
                cards.append(await self.exchanges.review_card(session, ex, scope))
        total = len(cards)
        out = Outcome()
        if not total:
            return out.add(_("Nothing waits for your validation. Well done!"))
        out.add(
            _("{count} items wait for your validation, oldest first.").format(count=total)
            if total != 1
            else _("One item waits for your validation.")
        )
        out.replies.extend(cards[:PENDING_LIMIT])
        if total > PENDING_LIMIT:
            out.add(
                _("…and {count} more. Decide these first, then send /pending again.").format(
                    count=total - PENDING_LIMIT
                )
            )
        return out

    async def on_button(self, user_id: int, data: str) -> tuple[Outcome, list[Notice], list[int]]:
        """``sv:<kind>:<id>:a|r|x:<code>`` and ``sv:h:<exchange>``: decide or show history.

        Returns the outcome, messages for others, and the users whose profile was approved
        (the caller announces them to matching).
        """
        parts = data.split(":")
        invalid = Outcome(toast=_("This button is not valid any more."))
        if len(parts) == 3 and parts[1] == "h" and parts[2].isdigit():
            return await self.history(user_id, int(parts[2])), [], []
        if len(parts) not in (4, 5) or parts[1] not in KINDS or not parts[2].isdigit():
            return invalid, [], []
        kind, item, action = parts[1], int(parts[2]), parts[3]
        if action == "a":
            return await self.decide(user_id, kind, item, True)
        if action == "x" and len(parts) == 5 and parts[4] in REJECT_REASONS[kind]:
            return await self.decide(user_id, kind, item, False, "#" + parts[4])
        if action == "r":
            return await self._ask_reason(user_id, kind, item), [], []
        return invalid, [], []

    async def _partnerships_of_item(
        self, session: AsyncSession, kind: str, item: int
    ) -> tuple[list[int | None], Profile | Exchange | None]:
        if kind == "p":
            _user, profile = await repo.get_user_and_profile(session, user_id=item)
            return ([profile.partnership_id] if profile else []), profile
        ex = await repo.get_exchange(session, exchange_id=item)
        if ex is None:
            return [], None
        if kind == "q":
            return [ex.visitor_partnership_id, ex.host_partnership_id], ex
        return [ex.visitor_partnership_id], ex

    async def _ask_reason(self, user_id: int, kind: str, item: int) -> Outcome:
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            owners, found = await self._partnerships_of_item(session, kind, item)
            if found is None:
                return Outcome(toast=_("This item does not exist any more."))
            if not any(scope.covers(p) for p in owners):
                return self.refuse(user_id, f"reject {kind}", item)
            user = await self._user(session, user_id)
            self._enter(user, REASON, {"kind": kind, "id": item})
            await session.commit()
        keyboard = [
            [Button(_(label), f"sv:{kind}:{item}:x:{code}")]
            for code, label in REJECT_REASONS[kind].items()
        ]
        return Outcome().add(
            _(
                "Why do you reject this {item}? Choose a reason or type your own; the "
                "participant will read it. /cancel keeps it waiting."
            ).format(item=_(KINDS[kind])),
            keyboard,
        )

    async def decide(
        self, user_id: int, kind: str, item: int, approve: bool, note: str | None = None
    ) -> tuple[Outcome, list[Notice], list[int]]:
        """Approve or reject one item after checking that the user may."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            owners, found = await self._partnerships_of_item(session, kind, item)
            if found is None:
                return Outcome(toast=_("This item does not exist any more.")), [], []
            if not any(scope.covers(p) for p in owners):
                return (
                    self.refuse(user_id, f"{'approve' if approve else 'reject'} {kind}", item),
                    [],
                    [],
                )
            user = await repo.get_user(session, user_id=user_id)
            if user is not None and user.state == REASON:
                dialog.resume(user)
                await session.commit()
        if kind != "p":
            assert self.exchanges is not None
            out, notices = await self.exchanges.review(kind, item, user_id, approve, note, scope)
            return out, notices, []
        return await self._decide_profile(user_id, item, approve, note)

    async def _decide_profile(
        self, staff_id: int, user_id: int, approve: bool, note: str | None
    ) -> tuple[Outcome, list[Notice], list[int]]:
        now = self.clock.now()
        async with self.db.session() as session:
            user, profile = await repo.get_user_and_profile(session, user_id=user_id)
            assert user is not None and profile is not None
            if profile.review != Review.PENDING or profile.completed_at is None:
                return (
                    Outcome(toast=_("Already decided (perhaps by a colleague).")),
                    [],
                    [],
                )
            profile.review = Review.APPROVED if approve else Review.REJECTED
            profile.reviewed_at, profile.reviewed_by = now, staff_id
            profile.review_note = None if approve else (note or "")[:300]
            profile.updated_at = now
            partnership = await repo.get_partnership(
                session, partnership_id=profile.partnership_id or 0
            )
            await session.commit()
        name = partnership.name if partnership else ""
        label = _("Approved") if approve else _("Rejected")
        out = Outcome(toast=label)
        out.replies.append(Reply(edit=True, markup_only=True))  # the card's buttons go
        out.add(
            ("✅ " if approve else "✖️ ")
            + _("{organisation}: registration {decision}.").format(
                organisation=esc(profile.organisation or ""), decision=label.lower()
            )
        )
        with use_language(language_of(user)):
            if approve:
                text = _(
                    "Good news: {partnership} has validated your profile. Matching starts now: "
                    "send /matches to see who fits you."
                ).format(partnership=f"<b>{esc(name)}</b>")
            else:
                text = (
                    _(
                        "{partnership} could not validate your profile yet. The reason given:"
                    ).format(partnership=f"<b>{esc(name)}</b>")
                    + "\n<i>"
                    + esc(reason_text("p", profile.review_note))
                    + "</i>\n\n"
                    + _(
                        "You can correct your profile with /profile; I will then send it for "
                        "validation again."
                    )
                )
            notice = Notice(user_id, [Reply(text)])
        log.info("profile %s %s by %s", user_id, "approved" if approve else "rejected", staff_id)
        return out, [notice], ([user_id] if approve else [])

    async def history(self, user_id: int, exchange_id: int) -> Outcome:
        """The audit trail of an exchange (staff of its partnerships)."""
        async with self.db.session() as session:
            scope = await self.scope(session, user_id)
            ex = await repo.get_exchange(session, exchange_id=exchange_id)
            if ex is None:
                return Outcome(toast=_("This item does not exist any more."))
            if not (
                scope.covers(ex.visitor_partnership_id) or scope.covers(ex.host_partnership_id)
            ):
                return self.refuse(user_id, "history", exchange_id)
            assert self.exchanges is not None
            text = await self.exchanges.history_text(session, ex)
        out = Outcome()
        out.add(text)
        return out


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _slugify(name: str) -> str:
    words = normalise(name).split()
    slug = "-".join(w for w in words if w.isalnum())[:32].strip("-")
    return slug if _SLUG.match(slug) else ""


def _without_resume(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "resume"}


__all__ = ["PARTNERSHIP_PREFIX", "STAFF_INVITE_PREFIX", "Partnerships", "Scope", "reason_text"]
