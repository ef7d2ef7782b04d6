"""What other features may ask of events: the conversation states it owns."""

from __future__ import annotations

CONSENT, DONE = "q_consent", "q_done"
# The quick sign-up: at most these four questions, only those not answered yet.
SIGNUP: tuple[str, ...] = ("q_name", "q_country", "q_offers", "q_seeks")
# /newevent, step by step; then a broadcast's text.
CREATE: tuple[str, ...] = (
    "evn_name",
    "evn_dates",
    "evn_city",
    "evn_desc",
    "evn_point",
    "evn_hours",
)
BROADCAST = "ev_bcast"
PICK = "evn_pick"  # /newevent for staff of several partnerships: which one
STATES = frozenset({CONSENT, DONE, PICK, *SIGNUP, *CREATE, BROADCAST})
# States in which a plain /start asks the open question again (DONE goes on to the full
# registration).
RESUMED = frozenset({CONSENT, *SIGNUP})
# States whose typed text is an answer (the others wait for buttons).
TYPED = frozenset({*SIGNUP, *CREATE, BROADCAST})
