"""From a mutual match to a validated, scheduled, reminded and reported exchange."""
