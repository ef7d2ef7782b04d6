"""Staff validation: what waits (``/pending``), Approve / Reject with a reason, the audit
trail. Registrations are decided here; matches, goals and agendas and closing reports are
steps of an exchange, decided through the exchanges feature's review access.

Every decision is authorised against the database (staff of the partnership the item
belongs to, or a super-admin); a refusal is logged. Nobody decides an item they are a party
to (their own registration, an exchange in which they visit or host): another member of the
team or a super-admin does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.i18n import N_, _, language_of, ngettext, use_language
from bot.pseudonyms import who
from bot.services import dialog
from bot.services.cards import HELD, change_lines
from bot.services.exchanges.access import ExchangeReview
from bot.services.partnerships.access import StaffAccess
from bot.services.profile_text import InputError, clean_text
from bot.services.review import callbacks
from bot.services.review.access import PAY_REFERENCE, REASON, STATES
from bot.services.review.followup import FollowUps
from bot.services.review.view import (
    KINDS,
    REJECT_REASONS,
    change_review_card,
    profile_review_card,
    reason_text,
    reasons_keyboard,
)
from bot.services.ui import STALE_BUTTON, Notice, Outcome, Reply, esc, stale_button
from bot.services.unit import Unit
from storage import repo
from storage.models import Exchange, Profile, Review

log = logging.getLogger(__name__)

PENDING_LIMIT = 10


@dataclass
class Decided:
    """A staff member's answer, and the participants whose registration was just approved
    (matching announces them)."""

    out: Outcome
    approved: list[int] = field(default_factory=list)


class Reviews:
    """What waits for the staff, and their decisions."""

    def __init__(
        self,
        clock: Clock,
        access: StaffAccess,
        exchanges: ExchangeReview,
        reminder_days: float = 3.0,
    ) -> None:
        self.clock = clock
        self.access = access
        self.exchanges = exchanges
        self.followups = FollowUps(clock, access, reminder_days)

    # ----------------------------------------------------------------- incoming

    async def profile_submitted(self, unit: Unit, user_id: int) -> None:
        """A profile now waits for validation: tell its partnership's staff."""
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is None or profile.partnership_id is None:
            return
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id
        )
        assert partnership is not None

        def warned() -> list[Reply]:
            warning = _(
                "⚠️ {partnership} has no staff who could validate this registration. As a "
                "super-admin you can decide it:"
            ).format(partnership=f"<b>{esc(partnership.name)}</b>")
            return [Reply(warning), profile_review_card(partnership, profile)]

        await self._to_deciders(
            unit, profile, lambda: [profile_review_card(partnership, profile)], warned
        )

    async def change_submitted(self, unit: Unit, user_id: int) -> None:
        """A change of an approved profile now waits for validation: tell the staff (the
        super-admins where the partnership has none)."""
        _user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if profile is None or profile.partnership_id is None or not profile.pending_changes:
            return
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id
        )
        assert partnership is not None

        def card() -> list[Reply]:
            return [change_review_card(partnership, profile, change_lines(profile))]

        await self._to_deciders(unit, profile, card)

    async def _to_deciders(
        self,
        unit: Unit,
        profile: Profile,
        build: Callable[[], list[Reply]],
        without_staff: Callable[[], list[Reply]] | None = None,
    ) -> None:
        """An item about ``profile`` for the staff of its partnership, except the
        participant (a staff member's own item is not theirs to decide); where nobody is in
        the team (yet), for the super-admins at once (``without_staff``, if given)."""
        exclude = (profile.user_id,)
        notices = await self.access.staff_notices(
            unit, [profile.partnership_id], build, exclude=exclude
        )
        if not notices:
            notices = await self.access.admin_notices(unit, without_staff or build, exclude=exclude)
        unit.notify(*notices)

    async def pending(self, unit: Unit, user_id: int) -> Outcome:
        """``/pending``: what waits for this staff member, oldest first."""
        scope = await self.access.scope(unit, user_id)
        if not scope.is_staff:
            return self.access.refuse_command(user_id, "pending")
        names = {p.id: p for p in await repo.partnerships(unit.session) if p.id is not None}
        ids = set(names) if scope.admin else set(scope.ids)
        profiles = await repo.pending_profiles(unit.session, partnership_ids=ids)
        changes = await repo.pending_changes(unit.session, partnership_ids=ids)
        exchanges = await repo.exchanges_waiting_for(unit.session, partnership_ids=ids)
        # Their own items are not theirs to decide: counted, not offered.
        own = (
            sum(1 for u, _p in profiles if u.id == user_id)
            + sum(1 for p in changes if p.user_id == user_id)
            + sum(1 for ex in exchanges if _party(ex, user_id))
        )
        profiles = [(u, p) for u, p in profiles if u.id != user_id]
        changes = [p for p in changes if p.user_id != user_id]
        exchanges = [ex for ex in exchanges if not _party(ex, user_id)]
        cards: list[Reply] = [
            profile_review_card(names[p.partnership_id], p)  # type: ignore[index]
            for _u, p in profiles
        ]
        cards += [
            change_review_card(names[p.partnership_id], p, change_lines(p))  # type: ignore[index]
            for p in changes
        ]
        for ex in exchanges:
            cards.append(await self.exchanges.card(unit, ex))
        total = len(cards)
        out = Outcome()
        if not total:
            out.add(_("Nothing waits for your validation. Well done!"))
            return self._own_items(out, own)
        out.add(
            ngettext(
                "One item waits for your validation.",
                "{count} items wait for your validation, oldest first.",
                total,
            ).format(count=total)
        )
        out.replies.extend(cards[:PENDING_LIMIT])
        if total > PENDING_LIMIT:
            out.add(
                ngettext(
                    "…and {count} more. Decide these first, then send /pending again.",
                    "…and {count} more. Decide these first, then send /pending again.",
                    total - PENDING_LIMIT,
                ).format(count=total - PENDING_LIMIT)
            )
        return self._own_items(out, own)

    @staticmethod
    def _own_items(out: Outcome, count: int) -> Outcome:
        """Say that items of the staff member's own wait for someone else."""
        if count:
            out.add(
                ngettext(
                    "{count} item of your own waits too; another member of the team or a "
                    "super-admin decides it.",
                    "{count} items of your own wait too; another member of the team or a "
                    "super-admin decides them.",
                    count,
                ).format(count=count)
            )
        return out

    # ----------------------------------------------------------------- decisions

    async def on_button(self, unit: Unit, user_id: int, data: str | None) -> Decided:
        """``sv:…``: decide, ask for a reason, or show an exchange's history."""
        press = callbacks.parse(data, REJECT_REASONS)
        if isinstance(press, callbacks.History):
            return Decided(await self.history(unit, user_id, press.exchange_id))
        if isinstance(press, callbacks.Step):
            return Decided(await self._step(unit, user_id, press.step, press.exchange_id))
        if isinstance(press, callbacks.AskReason):
            return Decided(await self._ask_reason(unit, user_id, press.kind, press.item))
        if isinstance(press, callbacks.Decide):
            note = None if press.reason is None else "#" + press.reason
            return await self.decide(unit, user_id, press.kind, press.item, press.approve, note)
        return Decided(stale_button())

    async def _owners(
        self, unit: Unit, kind: str, item: int
    ) -> tuple[list[int | None], Profile | Exchange | None]:
        """The partnerships whose staff decide an item, and the item."""
        if kind in (callbacks.PROFILE, callbacks.CHANGE):
            _user, profile = await repo.get_user_and_profile(unit.session, user_id=item)
            return ([profile.partnership_id] if profile else []), profile
        ex = await repo.get_exchange(unit.session, exchange_id=item)
        if ex is None:
            return [], None
        if kind == callbacks.QUALITY:
            return [ex.visitor_partnership_id, ex.host_partnership_id], ex
        return [ex.visitor_partnership_id], ex

    async def _ask_reason(self, unit: Unit, user_id: int, kind: str, item: int) -> Outcome:
        scope = await self.access.scope(unit, user_id)
        owners, found = await self._owners(unit, kind, item)
        if found is None:
            return Outcome(toast=_("This item does not exist any more."))
        if not any(scope.covers(p) for p in owners):
            return self.access.refuse(user_id, f"reject {kind}", item)
        if _party(found, user_id):
            return _refuse_own(user_id, f"reject {kind}", found)
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        dialog.ask(user, REASON, {"kind": kind, "id": item}, STATES)
        return Outcome().add(
            _(
                "Why do you reject this {item}? Choose a reason or type your own; the "
                "participant will read it. /cancel keeps it waiting."
            ).format(item=_(KINDS[kind])),
            reasons_keyboard(kind, item),
        )

    async def decide(
        self,
        unit: Unit,
        user_id: int,
        kind: str,
        item: int,
        approve: bool,
        note: str | None = None,
    ) -> Decided:
        """Approve or reject one item after checking that the user may."""
        scope = await self.access.scope(unit, user_id)
        owners, found = await self._owners(unit, kind, item)
        if found is None:
            return Decided(Outcome(toast=_("This item does not exist any more.")))
        action = f"{'approve' if approve else 'reject'} {kind}"
        if not any(scope.covers(p) for p in owners):
            return Decided(self.access.refuse(user_id, action, item))
        if _party(found, user_id):
            return Decided(_refuse_own(user_id, action, found))
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state == REASON:
            dialog.resume(user)
        if kind == callbacks.CHANGE:
            return Decided(await self._decide_change(unit, user_id, item, approve, note))
        if kind != callbacks.PROFILE:
            out = await self.exchanges.decide(unit, kind, item, user_id, approve, note, scope)
            return Decided(out)
        return await self._decide_profile(unit, user_id, item, approve, note)

    async def _decide_profile(
        self, unit: Unit, staff_id: int, user_id: int, approve: bool, note: str | None
    ) -> Decided:
        now = self.clock.now()
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        assert user is not None and profile is not None
        if profile.review != Review.PENDING or profile.completed_at is None:
            return Decided(Outcome(toast=_("Already decided (perhaps by a colleague).")))
        profile.review = Review.APPROVED if approve else Review.REJECTED
        profile.reviewed_at, profile.reviewed_by = now, staff_id
        profile.review_note = None if approve else (note or "")[:300]
        profile.updated_at = now
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id or 0
        )
        name = partnership.name if partnership else ""
        out = _decided(approve, N_("{organisation}: registration {decision}."), profile)
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
                    + esc(reason_text(callbacks.PROFILE, profile.review_note))
                    + "</i>\n\n"
                    + _(
                        "You can correct your profile with /profile; I will then send it for "
                        "validation again."
                    )
                )
            unit.notify(Notice(user_id, [Reply(text)]))
        decision = "approved" if approve else "rejected"
        log.info("profile %s %s by %s", who(user_id), decision, who(staff_id))
        return Decided(out, [user_id] if approve else [])

    async def _step(self, unit: Unit, user_id: int, step: str, exchange_id: int) -> Outcome:
        """A finalisation step (evidence files, payment), for the staff of the visitor's
        partnership; the payment not by a party to the exchange."""
        scope = await self.access.scope(unit, user_id)
        ex = await repo.get_exchange(unit.session, exchange_id=exchange_id)
        if ex is None:
            return Outcome(toast=_("This item does not exist any more."))
        if not scope.covers(ex.visitor_partnership_id):
            return self.access.refuse(user_id, f"exchange step {step}", exchange_id)
        if step == callbacks.FILES:
            return await self.exchanges.evidence_files(unit, exchange_id)
        if _party(ex, user_id):
            return _refuse_own(user_id, f"exchange step {step}", ex)
        if step == callbacks.APPROVE_PAYMENT:
            return await self.exchanges.approve_payment(unit, exchange_id, user_id)
        refusal = await self.exchanges.payable(unit, exchange_id)
        if refusal is not None:
            return Outcome(toast=refusal)
        user = await repo.get_or_add_user(unit.session, user_id=user_id)
        dialog.ask(user, PAY_REFERENCE, {"id": exchange_id}, STATES)
        return Outcome().add(
            _(
                "What is the payment's reference (for example the bank transfer's reference)? "
                "The visitor will read it. /cancel keeps it unpaid."
            )
        )

    async def _decide_change(
        self, unit: Unit, staff_id: int, user_id: int, approve: bool, note: str | None
    ) -> Outcome:
        """Apply or drop a change of an approved profile; the participant is told."""
        user, profile = await repo.get_user_and_profile(unit.session, user_id=user_id)
        if user is None or profile is None or not profile.pending_changes:
            return Outcome(toast=_("Already decided (perhaps by a colleague)."))
        now = self.clock.now()
        pending = dict(profile.pending_changes)
        if approve:
            for field_name, value in pending.items():
                if field_name in HELD:
                    setattr(profile, field_name, value)
        profile.pending_changes = None
        profile.reviewed_at, profile.reviewed_by = now, staff_id
        profile.updated_at = now  # matching reads the profile again
        partnership = await repo.get_partnership(
            unit.session, partnership_id=profile.partnership_id or 0
        )
        name = f"<b>{esc(partnership.name if partnership else '')}</b>"
        out = _decided(approve, N_("{organisation}: profile change {decision}."), profile)
        with use_language(language_of(user)):
            if approve:
                text = _(
                    "{partnership} has validated the change of your profile: proposals use it "
                    "from now on."
                ).format(partnership=name)
            else:
                text = (
                    _(
                        "{partnership} did not validate the change of your profile, which stays "
                        "as it was. The reason given:"
                    ).format(partnership=name)
                    + "\n<i>"
                    + esc(reason_text(callbacks.CHANGE, (note or "")[:300]))
                    + "</i>\n\n"
                    + _("You can edit it again with /profile.")
                )
            unit.notify(Notice(user_id, [Reply(text)]))
        decision = "approved" if approve else "rejected"
        log.info("profile change of %s %s by %s", who(user_id), decision, who(staff_id))
        return out

    # ----------------------------------------------------------------- typed reason

    async def on_text(self, unit: Unit, user_id: int, text: str) -> Decided:
        """A typed rejection reason."""
        user = await repo.get_user(unit.session, user_id=user_id)
        assert user is not None
        data = dict(user.state_data)
        if user.state == PAY_REFERENCE:
            return Decided(await self._reference(unit, user_id, _int(data.get("id")), text))
        try:
            reason = clean_text(text, limit=300, single_line=True, min_letters=3)
        except InputError as exc:
            return Decided(Outcome().add(str(exc)))
        dialog.resume(user)
        kind, item = str(data.get("kind", "")), _int(data.get("id"))
        if kind not in KINDS:
            return Decided(Outcome().add(_(STALE_BUTTON)))
        return await self.decide(unit, user_id, kind, item, False, reason)

    async def _reference(self, unit: Unit, user_id: int, exchange_id: int, text: str) -> Outcome:
        """A typed payment reference: checked again, then the payment is marked paid."""
        try:
            reference = clean_text(text, limit=100, single_line=True, min_letters=0)
        except InputError as exc:
            return Outcome().add(str(exc))
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None:
            dialog.resume(user)
        scope = await self.access.scope(unit, user_id)
        ex = await repo.get_exchange(unit.session, exchange_id=exchange_id)
        if ex is None:
            return Outcome().add(_("This item does not exist any more."))
        if not scope.covers(ex.visitor_partnership_id):
            return self.access.refuse(user_id, "mark paid", exchange_id)
        if _party(ex, user_id):
            return _refuse_own(user_id, "mark paid", ex)
        return await self.exchanges.mark_paid(unit, exchange_id, user_id, reference)

    async def cancel(self, unit: Unit, user_id: int) -> Outcome:
        """``/cancel`` instead of a reason: the item keeps waiting."""
        user = await repo.get_user(unit.session, user_id=user_id)
        if user is not None and user.state in STATES:
            dialog.resume(user)
        return Outcome().add(_("Cancelled. Nothing was changed."))

    # ----------------------------------------------------------------- audit trail

    async def history(self, unit: Unit, user_id: int, exchange_id: int) -> Outcome:
        """The audit trail of an exchange (staff of its partnerships)."""
        scope = await self.access.scope(unit, user_id)
        ex = await repo.get_exchange(unit.session, exchange_id=exchange_id)
        if ex is None:
            return Outcome(toast=_("This item does not exist any more."))
        if not (scope.covers(ex.visitor_partnership_id) or scope.covers(ex.host_partnership_id)):
            return self.access.refuse(user_id, "history", exchange_id)
        return Outcome().add(await self.exchanges.history_text(unit, ex))


def _decided(approve: bool, line: str, profile: Profile) -> Outcome:
    """The staff member's answer to a decision on a profile: a toast, the card's buttons
    gone, and ``line`` (a message id with ``{organisation}`` and ``{decision}``)."""
    label = _("Approved") if approve else _("Rejected")
    out = Outcome(toast=label)
    out.replies.append(Reply(edit=True, markup_only=True))  # the card's buttons go
    out.add(
        ("✅ " if approve else "✖️ ")
        + _(line).format(organisation=esc(profile.organisation or ""), decision=label.lower())
    )
    return out


def _party(item: Profile | Exchange, user_id: int) -> bool:
    """Whether the user is a party to the item: their own registration, or an exchange in
    which they visit or host."""
    if isinstance(item, Profile):
        return item.user_id == user_id
    return user_id in (item.visitor_id, item.host_id)


def _refuse_own(user_id: int, action: str, item: Profile | Exchange) -> Outcome:
    """Refuse a decision on the staff member's own item, and log it."""
    if isinstance(item, Profile):
        log.warning("refused %r on their own registration by %s", action, who(user_id))
        text = _(
            "This is your own registration, so you cannot decide it. Another member of the "
            "partnership's team or a super-admin will."
        )
    else:
        log.warning(
            "refused %r on exchange %s, a party to it, by %s", action, item.id, who(user_id)
        )
        text = _(
            "You take part in this exchange, so you cannot decide on it. Another member of "
            "the partnership's team or a super-admin will."
        )
    return Outcome(toast=text, alert=True)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
