"""What other features may ask of partnerships: who may act as staff on what, the refusal
(logged) when someone may not, one message for all staff of some partnerships, and the list
of partnerships (cached briefly: every registration step needs it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from time import monotonic

from bot.i18n import _, language_of, use_language
from bot.pseudonyms import who
from bot.services.ui import Notice, Outcome, Reply
from bot.services.unit import Unit
from storage import repo
from storage.models import Partnership

log = logging.getLogger(__name__)

PARTNERSHIPS_TTL = 10.0  # seconds another worker's new partnership may take to show up
# The conversation states of creating a partnership (``User.state``).
NAME, SLUG, DESCRIPTION, ECOS = "st_pn_name", "st_pn_slug", "st_pn_desc", "st_pn_eco"
STATES = frozenset({NAME, SLUG, DESCRIPTION, ECOS})


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


class StaffAccess:
    """Staff rights, read in the caller's unit of work."""

    def __init__(self, admin_ids: Collection[int]) -> None:
        self.admin_ids = frozenset(admin_ids)
        self._partnerships: tuple[float, list[Partnership]] | None = None

    async def scope(self, unit: Unit, user_id: int) -> Scope:
        """The user's staff rights."""
        ids = await repo.staff_partnership_ids(unit.session, user_id=user_id)
        return Scope(user_id in self.admin_ids, frozenset(ids))

    async def is_staff(self, unit: Unit, user_id: int) -> bool:
        """Staff of a partnership, or a super-admin."""
        return (await self.scope(unit, user_id)).is_staff

    def is_admin(self, user_id: int) -> bool:
        """A super-admin (``CXBOT_ADMIN_IDS``)."""
        return user_id in self.admin_ids

    @staticmethod
    def refuse(user_id: int, action: str, target: object) -> Outcome:
        """Refuse a staff action (a button) and log it."""
        log.warning("refused staff action %r on %s by %s", action, target, who(user_id))
        return Outcome(toast=_("Only staff of the partnership concerned can do this."), alert=True)

    @staticmethod
    def refuse_command(user_id: int, action: str) -> Outcome:
        """Refuse a staff command to someone who is not staff, and log it."""
        log.warning("refused staff command %r by %s", action, who(user_id))
        return Outcome().add(_("This command is for partnership staff only."))

    async def staff_notices(
        self,
        unit: Unit,
        partnership_ids: Collection[int | None],
        build: Callable[[], list[Reply]],
        exclude: Collection[int | None] = (),
    ) -> list[Notice]:
        """The same item for every staff member of these partnerships, each in their
        language (``exclude``: the staff member who acted, who sees it in the reply, and
        staff who are a party to the item, who may not decide it)."""
        ids = [i for i in partnership_ids if i is not None]
        notices = []
        for member in await repo.staff_of(unit.session, partnership_ids=ids):
            if member.id in exclude:
                continue
            with use_language(language_of(member)):
                notices.append(Notice(member.id, build()))
        return notices

    async def admin_notices(
        self, unit: Unit, build: Callable[[], list[Reply]], exclude: Collection[int | None] = ()
    ) -> list[Notice]:
        """The same item for every super-admin, each in their language (the default one for
        an admin the bot has no row of); ``exclude``: whoever it is about."""
        notices = []
        for admin_id in sorted(self.admin_ids - set(exclude)):
            admin = await repo.get_user(unit.session, user_id=admin_id)
            with use_language(language_of(admin)):
                notices.append(Notice(admin_id, build()))
        return notices

    async def partnerships(self, unit: Unit) -> list[Partnership]:
        """Every partnership, by name; read at most every few seconds."""
        now = monotonic()
        if self._partnerships is None or now - self._partnerships[0] > PARTNERSHIPS_TTL:
            self._partnerships = (now, await repo.partnerships(unit.session))
        return self._partnerships[1]

    def forget_partnerships(self) -> None:
        """A partnership was created by this process: read the list again."""
        self._partnerships = None
