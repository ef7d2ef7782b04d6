"""Use cases. No Telegram types here: services take plain values and return ``Outcome``s."""
