"""``python -m bot`` is the same as ``cxbot``."""

from bot.cli import main

raise SystemExit(main())
