"""What other features may ask of exchanges: the conversation states of exchange input, and
the staff's side of an exchange (``ExchangeReview``, used by the review feature)."""

from __future__ import annotations

from typing import Protocol

from bot.services.partnerships.access import Scope
from bot.services.ui import Outcome, Reply
from bot.services.unit import Unit
from storage.models import Exchange

# Typed input of participants (User.state); state_data holds the exchange id ("x").
DATES, GOALS, AGENDA, CHANGES = "ex_dates", "ex_goals", "ex_agenda", "ex_changes"
REPORT_DONE, REPORT_RESULTS, REPORT_NEXT, REPORT_DOC = (
    "ex_rep_done",
    "ex_rep_results",
    "ex_rep_next",
    "ex_rep_doc",
)
EVIDENCE = "ex_evidence"  # the visitor sends evidence files until Done
STATES = frozenset(
    {DATES, GOALS, AGENDA, CHANGES, REPORT_DONE, REPORT_RESULTS, REPORT_NEXT, REPORT_DOC, EVIDENCE}
)


class ExchangeReview(Protocol):
    """The staff's side of an exchange, as the review feature needs it."""

    async def card(self, unit: Unit, ex: Exchange) -> Reply:
        """The card of an exchange waiting for validation."""

    async def decide(
        self,
        unit: Unit,
        kind: str,
        exchange_id: int,
        staff_id: int,
        approve: bool,
        note: str | None,
        scope: Scope,
    ) -> Outcome:
        """A staff decision (already authorised) on a match, goals and agenda or report."""

    async def history_text(self, unit: Unit, ex: Exchange) -> str:
        """The audit trail as staff read it."""

    async def evidence_files(self, unit: Unit, exchange_id: int) -> Outcome:
        """The visitor's evidence files, sent to the staff member (authorised already)."""

    async def approve_payment(self, unit: Unit, exchange_id: int, staff_id: int) -> Outcome:
        """Record the final lump sum as approved for payment (authorised already)."""

    async def payable(self, unit: Unit, exchange_id: int) -> str | None:
        """Why the lump sum cannot be marked paid now (localized), or None when it can."""

    async def mark_paid(
        self, unit: Unit, exchange_id: int, staff_id: int, reference: str
    ) -> Outcome:
        """Record the payment with its reference (authorised already)."""
