"""Search: participants look for partners themselves (``/search``), with the engine's rules."""
