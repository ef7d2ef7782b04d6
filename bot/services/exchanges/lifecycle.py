"""Which exchange action is allowed in which phase, for whom, and when: one table.

The buttons an exchange offers (``/exchange``, reminders, messages) are built from this table
(``offered``) and every press and typed answer is checked against it (``check``) when it
arrives, so what is offered and what is accepted cannot drift apart. Phases:
``storage.models.Phase``; goals and agenda have their own status (``Quality``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from storage.models import Evidence, Exchange, Phase, Quality


class Act(StrEnum):
    """What a participant can do on an exchange (the codes are the buttons' actions)."""

    CHOOSE_TRAVEL = "tv"
    AGREE_TRAVEL = "ta"
    PROPOSE_DATES = "d"
    CONFIRM_DATES = "ok"
    CALENDAR = "ics"
    WRITE_GOALS = "g"
    AGREE_GOALS = "ga"
    SUGGEST_CHANGES = "gc"
    HAPPENED = "h"
    NOT_HAPPENED_REASON = "hr"
    WRITE_REPORT = "rep"
    SKIP_DOCUMENT = "rs"
    RATE_HOST = "fb"
    ADD_EVIDENCE = "ev"
    FINISH_EVIDENCE = "evd"
    OUTCOME = "o"


VISITOR, HOST, EITHER = "visitor", "host", "either"
Guard = Callable[[Exchange, int, date], bool]


def _always(_ex: Exchange, _user: int, _today: date) -> bool:
    return True


def _never(_ex: Exchange, _user: int, _today: date) -> bool:
    return False


@dataclass(frozen=True)
class Rule:
    """An action is open in ``phases``, to ``who``, when ``when`` holds; ``done`` says it
    was taken already (a second press is "already noted", not an error)."""

    phases: frozenset[str]
    who: str
    when: Guard = _always
    done: Guard = _never


def _own_outcome(ex: Exchange, user: int) -> str | None:
    return ex.outcome_visitor if user == ex.visitor_id else ex.outcome_host


RULES: dict[Act, Rule] = {
    # Both sides visitor and host: either proposes who travels (again, to change it) and the
    # other agrees; then the exchange goes on as any other.
    Act.CHOOSE_TRAVEL: Rule(frozenset({Phase.DIRECTION}), EITHER),
    Act.AGREE_TRAVEL: Rule(
        frozenset({Phase.DIRECTION}),
        EITHER,
        when=lambda ex, user, _t: ex.direction_by not in (None, user),
        done=lambda ex, _u, _t: ex.phase != Phase.DIRECTION and ex.direction_by is not None,
    ),
    Act.PROPOSE_DATES: Rule(frozenset({Phase.PLANNING}), EITHER),
    Act.CONFIRM_DATES: Rule(
        frozenset({Phase.PLANNING}),
        EITHER,
        when=lambda ex, user, _t: ex.start_date is not None and ex.dates_by not in (None, user),
        done=lambda ex, _u, _t: ex.dates_agreed_at is not None,
    ),
    Act.CALENDAR: Rule(frozenset({Phase.VISITING}), EITHER),
    Act.WRITE_GOALS: Rule(
        frozenset({Phase.VISITING}),
        VISITOR,
        when=lambda ex, _u, _t: ex.cq_status in (Quality.NONE, Quality.CHANGES, Quality.HOST),
        done=lambda ex, _u, _t: ex.cq_status in (Quality.STAFF, Quality.VALIDATED),
    ),
    Act.AGREE_GOALS: Rule(
        frozenset({Phase.VISITING}),
        HOST,
        when=lambda ex, _u, _t: ex.cq_status == Quality.HOST,
        done=lambda ex, _u, _t: ex.cq_status in (Quality.STAFF, Quality.VALIDATED),
    ),
    Act.SUGGEST_CHANGES: Rule(
        frozenset({Phase.VISITING}),
        HOST,
        when=lambda ex, _u, _t: ex.cq_status == Quality.HOST,
        done=lambda ex, _u, _t: ex.cq_status == Quality.CHANGES,
    ),
    # "Did the visit take place?" is answered from the visit's last day on.
    Act.HAPPENED: Rule(
        frozenset({Phase.VISITING}),
        VISITOR,
        when=lambda ex, _u, today: ex.end_date is not None and today >= ex.end_date,
        done=lambda ex, _u, _t: ex.happened is not None,
    ),
    Act.NOT_HAPPENED_REASON: Rule(
        frozenset({Phase.PLANNING, Phase.CANCELLED}),
        VISITOR,
        when=lambda ex, _u, _t: ex.happened in ("postponed", "cancelled"),
        done=lambda ex, _u, _t: ex.happened_reason is not None,
    ),
    Act.WRITE_REPORT: Rule(frozenset({Phase.RETURNING}), VISITOR),
    Act.SKIP_DOCUMENT: Rule(
        frozenset({Phase.RETURNING}),
        VISITOR,
        done=lambda ex, _u, _t: ex.phase != Phase.RETURNING,
    ),
    # Evidence of the stay (boarding passes, invoices) for the visitor's partnership, which
    # validates it apart from the report; more may be added after a rejection.
    Act.ADD_EVIDENCE: Rule(
        frozenset({Phase.RETURNING, Phase.REPORT_REVIEW}),
        VISITOR,
        when=lambda ex, _u, _t: ex.visitor_partnership_id is not None,
        done=lambda ex, _u, _t: ex.evidence_status in (Evidence.STAFF, Evidence.APPROVED),
    ),
    Act.FINISH_EVIDENCE: Rule(
        frozenset({Phase.RETURNING, Phase.REPORT_REVIEW}),
        VISITOR,
        when=lambda ex, _u, _t: ex.visitor_partnership_id is not None,
        done=lambda ex, _u, _t: ex.evidence_status in (Evidence.STAFF, Evidence.APPROVED),
    ),
    # The host rates a visit that took place.
    Act.RATE_HOST: Rule(
        frozenset({Phase.RETURNING, Phase.REPORT_REVIEW, Phase.CLOSED}),
        HOST,
        when=lambda ex, _u, _t: ex.happened == "yes" and ex.host_rating is None,
        done=lambda ex, _u, _t: ex.host_rating is not None,
    ),
    Act.OUTCOME: Rule(
        frozenset({Phase.CLOSED}),
        EITHER,
        when=lambda ex, user, _t: _own_outcome(ex, user) is None,
        done=lambda ex, user, _t: _own_outcome(ex, user) is not None,
    ),
}

# Why an action is refused.
NOT_A_SIDE = "side"  # the user is not (the right) side of this exchange
DONE = "done"  # taken already (a double tap, or the other side was faster)
EARLY = "early"  # not yet: its time comes (the visit has not ended)
CLOSED = "closed"  # not in this phase
OWN = "own"  # the dates this user proposed: the other side confirms them


def check(act: Act, ex: Exchange, user_id: int, today: date) -> str | None:
    """None when ``user_id`` may do ``act`` on ``ex`` now, else why not."""
    rule = RULES[act]
    if rule.who == VISITOR and user_id != ex.visitor_id:
        return NOT_A_SIDE
    if rule.who == HOST and user_id != ex.host_id:
        return NOT_A_SIDE
    if rule.who == EITHER and user_id not in (ex.visitor_id, ex.host_id):
        return NOT_A_SIDE
    if rule.done(ex, user_id, today):
        return DONE
    if ex.phase not in rule.phases:
        return CLOSED
    if not rule.when(ex, user_id, today):
        if act == Act.HAPPENED and ex.end_date is not None and today < ex.end_date:
            return EARLY
        if act == Act.CONFIRM_DATES and ex.dates_by == user_id:
            return OWN
        return CLOSED
    return None


def allowed(act: Act, ex: Exchange, user_id: int, today: date) -> bool:
    """Whether ``user_id`` may do ``act`` on ``ex`` now."""
    return check(act, ex, user_id, today) is None


# The order in which open actions are offered as buttons.
OFFER_ORDER = (
    Act.AGREE_TRAVEL,
    Act.CHOOSE_TRAVEL,
    Act.CONFIRM_DATES,
    Act.PROPOSE_DATES,
    Act.CALENDAR,
    Act.WRITE_GOALS,
    Act.AGREE_GOALS,
    Act.SUGGEST_CHANGES,
    Act.HAPPENED,
    Act.WRITE_REPORT,
    Act.ADD_EVIDENCE,
    Act.RATE_HOST,
    Act.OUTCOME,
)


def offered(ex: Exchange, user_id: int, today: date) -> list[Act]:
    """The actions open to ``user_id`` now, in the order their buttons appear."""
    return [act for act in OFFER_ORDER if allowed(act, ex, user_id, today)]
