"""What other features may ask of the registration: its steps and conversation states."""

from __future__ import annotations

# The registration steps, in order.
STEPS: tuple[str, ...] = (
    "role",
    "org_type",
    "name",
    "organisation",
    "country",
    "city",
    "ecosystems",
    "partnership",  # only where partnerships exist, and not when a link chose it
    "offers",
    "seeks",
    "languages",
    "available_from",
    "available_to",
    "motivation",
    "email",
)
IDLE, CONSENT, DECLINED, SUMMARY, EDIT_MENU = "idle", "consent", "declined", "summary", "edit_menu"
# Every state the registration owns (idle and declined: no question is open).
STATES = frozenset({*STEPS, IDLE, CONSENT, DECLINED, SUMMARY, EDIT_MENU})
