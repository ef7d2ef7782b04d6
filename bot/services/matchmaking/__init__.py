"""Proposals in the chat: one card at a time, mutual consent, introductions, nudges, expiry."""
