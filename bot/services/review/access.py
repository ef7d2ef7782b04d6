"""What other features may ask of staff validation: its conversation states (a typed
rejection reason, a payment's reference)."""

from __future__ import annotations

REASON = "st_reason"
PAY_REFERENCE = "st_payref"
STATES = frozenset({REASON, PAY_REFERENCE})
