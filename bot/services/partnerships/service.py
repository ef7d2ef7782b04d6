"""Partnership administration: super-admins create partnerships and invite staff with
one-time links that expire; staff see their partnership and its registration link.

Validation of what waits for the staff is the ``review`` feature's; who is staff of what is
``access``.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain import ECOSYSTEMS, MAX_ECOSYSTEMS
from bot.i18n import _, current_language, format_date, format_list, sort_key
from bot.matching.normalise import normalise
from bot.pseudonyms import who
from bot.services import deeplinks, dialog
from bot.services.partnerships import callbacks
from bot.services.partnerships.access import (
    DESCRIPTION,
    ECOS,
    NAME,
    SLUG,
    STATES,
    StaffAccess,
)
from bot.services.profile_text import InputError, clean_text
from bot.services.ui import STALE_BUTTON, Button, Keyboard, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo
from storage.models import Partnership, Staff, StaffInvite, User, as_utc

log = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")


class Partnerships:
    """Creation of partnerships, staff invitations, the staff's own overview."""

    def __init__(
        self, clock: Clock, settings: Settings, access: StaffAccess, links: deeplinks.Links
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.access = access
        self.links = links

    def link(self, kind: str, value: str) -> str:
        """A deep link into the bot."""
        return self.links.link(kind, value)

    # ----------------------------------------------------------------- super-admins

    async def new_partnership(self, unit: Unit, user_id: int) -> Outcome:
        """``/newpartnership``: ask for the name (super-admins only)."""
        if not self.access.is_admin(user_id):
            return self.access.refuse_command(user_id, "newpartnership")
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        dialog.ask(user, NAME, {}, STATES)
        return Outcome().add(_("A new partnership. What is its name? (/cancel stops.)"))

    async def list_partnerships(self, unit: Unit, user_id: int) -> Outcome:
        """``/partnerships``: every partnership for super-admins, their own for staff."""
        scope = await self.access.scope(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "partnerships")
        found = [p for p in await repo.partnerships(unit.session) if scope.covers(p.id)]
        found.sort(key=lambda p: sort_key(p.name, current_language()))
        out = Outcome()
        if not found:
            return out.add(_("There is no partnership yet. Create one with /newpartnership."))
        for p in found:
            members = await repo.staff_of(unit.session, partnership_ids=[p.id or 0])
            keyboard = None
            if scope.admin:
                keyboard = [[Button("➕ " + _("Invite staff"), callbacks.invite(p.id or 0))]]
            out.add(self._partnership_text(p, len(members)), keyboard)
        return out

    def _partnership_text(self, p: Partnership, staff: int) -> str:
        ecos = format_list([_(ECOSYSTEMS[e]) for e in p.ecosystems if e in ECOSYSTEMS]) or "—"
        lines = [
            f"<b>{esc(p.name)}</b> ({esc(p.slug)})",
            esc(p.description) if p.description else "",
            "🏭 " + esc(ecos),
            _("Staff members: {count}").format(count=staff),
            _("Registration link for participants: {link}").format(
                link=esc(self.link(deeplinks.PARTNERSHIP, p.slug))
            ),
        ]
        return "\n".join(line for line in lines if line)

    async def invite(self, unit: Unit, user_id: int, target: str | int) -> Outcome:
        """``/invite <slug>`` or the Invite button: a one-time staff link that expires."""
        if not self.access.is_admin(user_id):
            return self.access.refuse_command(user_id, "invite")
        if isinstance(target, int):
            partnership = await repo.get_partnership(unit.session, partnership_id=target)
            target = str(target)
        else:
            target = target.strip()
            partnership = await repo.partnership_by_slug(unit.session, slug=target[:40])
        if partnership is None:
            return Outcome().add(
                _("There is no partnership “{slug}”. /partnerships lists them.").format(
                    slug=esc(target[:40])
                )
            )
        now = self.clock.now()
        invite = StaffInvite(
            token=secrets.token_urlsafe(12),
            partnership_id=partnership.id or 0,
            created_by=user_id,
            created_at=now,
            expires_at=now + timedelta(days=self.settings.staff_invite_days),
        )
        unit.session.add(invite)
        expires = format_date(invite.expires_at.astimezone(self.clock.tz).date())
        return Outcome().add(
            _(
                "Send this link to the new staff member of {partnership}. It works once and "
                "until {date}:"
            ).format(partnership=f"<b>{esc(partnership.name)}</b>", date=expires)
            + "\n\n"
            + esc(self.link(deeplinks.STAFF_INVITE, invite.token))
        )

    async def accept_invite(
        self,
        unit: Unit,
        user_id: int,
        token: str,
        username: str | None,
        client_language: str | None,
    ) -> Outcome:
        """``/start st_<token>``: become staff, once, before the link expires. A refused
        link stores nothing about the person who opened it."""
        now = self.clock.now()
        session = unit.session
        invite = await repo.get_staff_invite(session, token=token[:32])
        refused = Outcome().add(
            _(
                "This staff invitation is not valid: it has been used already or it "
                "has expired. Please ask for a new link."
            )
        )
        if invite is None or invite.used_at is not None or as_utc(invite.expires_at) <= now:
            if invite is not None and invite.used_by == user_id:
                return Outcome().add(_("You have already accepted this invitation."))
            log.warning("refused a staff invite for %s", who(user_id))
            return refused
        known = await repo.get_user(session, user_id=user_id)
        user = known or await repo.get_or_add_user(session, user_id=user_id)
        if client_language:
            user.client_language = client_language[:16]
        if username:
            user.username = username[:64]
        await session.flush()  # the invitation names the user: the row must exist
        if not await repo.claim_invite(session, token=invite.token, user_id=user_id, now=now):
            if known is None:  # someone else was faster: store nothing about this user
                await session.delete(user)
            log.warning("refused a staff invite for %s", who(user_id))
            return refused
        partnership = await repo.get_partnership(session, partnership_id=invite.partnership_id)
        assert partnership is not None
        if invite.partnership_id not in await repo.staff_partnership_ids(session, user_id=user_id):
            session.add(Staff(partnership_id=invite.partnership_id, user_id=user_id))
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

    async def staff_start(self, unit: Unit, user_id: int) -> Outcome | None:
        """``/start`` from staff who are not participants: their overview instead of a
        registration. None for everyone else."""
        if not await self.access.is_staff(unit, user_id):
            return None
        _user_row, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is not None:
            return None
        return Outcome().add(
            _("Hello! You are partnership staff.")
            + "\n\n"
            + self.staff_help()
            + "\n\n"
            + _("To take part in ClusterXchange yourself, press the button below."),
            [[Button(_("Register as a participant"), callbacks.register())]],
        )

    def staff_help(self, admin: bool = False) -> str:
        """The staff commands."""
        lines = [
            _("For staff:"),
            _("/pending: what waits for your validation"),
            _("/participants: find your participants by topic, name or criteria"),
            _("/newevent: create an event with its QR code and poster"),
            _("/event: your events with live figures"),
            _("/broadcast: a message to everyone at an event"),
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

    async def help_for(self, unit: Unit, user_id: int) -> str | None:
        """The staff part of /help, or None for participants."""
        scope = await self.access.scope(unit, user_id)
        return self.staff_help(scope.admin) if scope.is_staff else None

    # ----------------------------------------------------------------- creating one

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel`` while creating a partnership."""
        dialog.resume(await repo.get_or_add_user(unit.session, user_id=user_id))
        return Outcome().add(_("Cancelled. Nothing was changed."))

    async def on_text(self, unit: Unit, user_id: int, text: str) -> Outcome:
        """A typed answer while creating a partnership."""
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        if not self.access.is_admin(user_id):
            dialog.resume(user)
            return self.access.refuse_command(user_id, "newpartnership")
        data = dict(user.state_data)
        try:
            return await self._step(unit, user, data, text)
        except InputError as exc:
            return Outcome().add(str(exc))

    async def _step(self, unit: Unit, user: User, data: dict, text: str) -> Outcome:
        out = Outcome()
        if user.state == NAME:
            name = clean_text(text, limit=120, single_line=True, min_letters=3)
            suggestion = _slugify(name)
            dialog.ask(user, SLUG, {"name": name, "suggest": suggestion}, STATES)
            keyboard = [[Button(suggestion, callbacks.take_slug())]] if suggestion else None
            return out.add(
                _(
                    "A short name for links (letters, digits and hyphens, at most 32), e.g. "
                    "for t.me/…?start=p_{slug}. Type it or take the suggestion."
                ).format(slug=esc(suggestion or "textiles-eu")),
                keyboard,
            )
        if user.state == SLUG:
            return await self._set_slug(unit, user, data, text)
        if user.state == DESCRIPTION:
            description = clean_text(text, limit=1000, min_letters=3)
            dialog.ask(user, ECOS, {**_without_resume(data), "description": description}, STATES)
            return out.add(*self._ecosystem_question(user))
        if user.state == ECOS:
            return out.add(*self._ecosystem_question(user, _("Please use the buttons.")))
        return out.add(_("Send /start to continue."))

    async def _set_slug(self, unit: Unit, user: User, data: dict, text: str) -> Outcome:
        slug = text.strip().lower()
        if not _SLUG.match(slug):
            raise InputError(
                _(
                    "Use 1 to 32 lowercase letters, digits and hyphens, such as "
                    "“textiles-eu”. Please type it again."
                )
            )
        if await repo.partnership_by_slug(unit.session, slug=slug) is not None:
            raise InputError(
                _("“{slug}” is taken by another partnership. Please choose another.").format(
                    slug=esc(slug)
                )
            )
        dialog.ask(user, DESCRIPTION, {**_without_resume(data), "slug": slug}, STATES)
        return Outcome().add(
            _("Describe the partnership in a sentence or two (participants see it)."),
            [[Button(_("Skip"), callbacks.skip_description())]],
        )

    def _ecosystem_question(self, user: User, prefix: str = "") -> tuple[str, Keyboard]:
        chosen = user.state_data.get("eco", [])
        keyboard: Keyboard = [
            [Button(("✅ " if slug in chosen else "") + _(label), callbacks.ecosystem(i))]
            for i, (slug, label) in enumerate(ECOSYSTEMS.items())
        ]
        keyboard.append([Button(_("Done"), callbacks.ecosystem(None))])
        text = _("Which industrial ecosystems does it cover? Choose 1 to 3, then press Done.")
        return ((prefix + "\n\n" if prefix else "") + text), keyboard

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Outcome:
        """``pn:…`` buttons: slug suggestion, no description, ecosystems, staff invites."""
        press = callbacks.parse(data)
        stale = stale_button()
        if isinstance(press, callbacks.Invite):
            return await self.invite(unit, user_id, press.partnership_id)
        if press is None or isinstance(press, callbacks.Register):
            return stale  # registering as a participant is the registration's
        if not self.access.is_admin(user_id):
            return self.access.refuse(user_id, data or "", "partnership creation")
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        state_data = dict(user.state_data)
        try:
            if isinstance(press, callbacks.TakeSlug) and user.state == SLUG:
                return await self._set_slug(unit, user, state_data, state_data["suggest"])
            if isinstance(press, callbacks.SkipDescription) and user.state == DESCRIPTION:
                dialog.ask(user, ECOS, {**_without_resume(state_data), "description": ""}, STATES)
                return Outcome().add(*self._ecosystem_question(user))
            if isinstance(press, callbacks.Ecosystem) and user.state == ECOS:
                return await self._toggle_ecosystem(unit, user, press.index)
        except InputError as exc:
            return Outcome(toast=str(exc), alert=True)
        return stale

    async def _toggle_ecosystem(self, unit: Unit, user: User, index: int | None) -> Outcome:
        data = dict(user.state_data)
        chosen: list[str] = list(data.get("eco", []))
        slugs = list(ECOSYSTEMS)
        if index is None:
            if not chosen:
                raise InputError(_("Please choose at least one ecosystem."))
            if await repo.partnership_by_slug(unit.session, slug=data["slug"]) is not None:
                raise InputError(_("That short name was taken meanwhile. Please start again."))
            partnership = Partnership(
                slug=data["slug"],
                name=data["name"],
                description=data.get("description", ""),
                ecosystems=[s for s in slugs if s in chosen],
                created_at=self.clock.now(),
            )
            unit.session.add(partnership)
            dialog.resume(user)
            await unit.session.flush()
            log.info("partnership %s created by %s", partnership.slug, who(user.id))
            self.access.forget_partnerships()
            out = Outcome()
            out.replies.append(Reply(keyboard=None, edit=True, markup_only=True))
            out.add(
                _("The partnership is created.") + "\n\n" + self._partnership_text(partnership, 0),
                [[Button("➕ " + _("Invite staff"), callbacks.invite(partnership.id or 0))]],
            )
            return out
        if index >= len(slugs):
            raise InputError(_(STALE_BUTTON))
        slug = slugs[index]
        if slug in chosen:
            chosen.remove(slug)
        elif len(chosen) >= MAX_ECOSYSTEMS:
            raise InputError(_("You can choose at most 3 ecosystems. Remove one first."))
        else:
            chosen.append(slug)
        user.state_data = {**data, "eco": chosen}
        _text, keyboard = self._ecosystem_question(user)
        return Outcome(replies=[Reply(keyboard=keyboard, edit=True, markup_only=True)])


def _slugify(name: str) -> str:
    words = normalise(name).split()
    slug = "-".join(w for w in words if w.isalnum())[:32].strip("-")
    return slug if _SLUG.match(slug) else ""


def _without_resume(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "resume"}
