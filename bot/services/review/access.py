"""What other features may ask of staff validation: its conversation state (a typed
rejection reason)."""

from __future__ import annotations

REASON = "st_reason"
STATES = frozenset({REASON})
