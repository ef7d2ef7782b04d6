"""Registration as a state machine kept in the database: consent, the profile, editing."""
