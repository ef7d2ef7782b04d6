#!/usr/bin/env python
"""Trim an installed set of packages to what the bot runs; the image's build stage runs it.

Usage (standard library only, any Python 3.11 or later)::

    python scripts/slim_image.py /deps [/app ...]

Each directory is a ``pip install --target`` tree. Removed from it:

- ``bin/``: pip writes console scripts there with the build stage's interpreter in their first
  line, which the runtime image does not have (the image runs ``python -m bot``); and
  ``include/`` and ``share/``, C headers and manual pages some packages install beside;
- every ``__pycache__``: the image ships sources and Python writes the bytecode of what it
  imports under ``PYTHONPYCACHEPREFIX`` at the first start (about 20 MB, against 58 MB for
  the bytecode of everything installed);
- test suites (directories named ``tests``), C and Cython sources and headers, and typing
  stubs (``.pyi``): nothing imports or reads them at run time;
- Babel's locale data but for the locales in ``BABEL_LOCALES``: English, German and the
  languages of the eligible countries, whose own names for themselves ("Polska", "Sverige")
  the registration understands. ``tests/unit/test_packaging.py`` formats dates, money, lists
  and names with only these and compares them with the full data.

It prints one line per directory: its size before and after. ``scripts/image_check.sh`` runs
the bot on the result in a root file system made of the runtime image's Debian packages.
"""

from __future__ import annotations

import fnmatch
import shutil
import sys
from pathlib import Path

BABEL_LOCALES = (
    "root", "en*", "de*", "be", "bg", "bs", "ca", "cs", "da", "el", "es", "et", "eu", "fi",
    "fr", "ga", "gl", "hr", "hu", "hy", "is", "it", "lb", "lt", "lv", "mk", "mt", "nb", "nl",
    "nn", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sr_Latn", "sv", "tr", "uk",
)  # fmt: skip
SOURCE_SUFFIXES = frozenset({".c", ".cc", ".cpp", ".h", ".hpp", ".pyx", ".pxd", ".pxi", ".pyi"})


def size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def kept_locale(stem: str) -> bool:
    return any(fnmatch.fnmatch(stem, pattern) for pattern in BABEL_LOCALES)


def slim(root: Path) -> None:
    for name in ("bin", "include", "share"):
        shutil.rmtree(root / name, ignore_errors=True)
    # Top-down, so a removed directory is not visited.
    for directory in sorted(
        (p for p in root.rglob("*") if p.is_dir() and p.name in {"__pycache__", "tests"}),
        key=lambda p: len(p.parts),
    ):
        shutil.rmtree(directory, ignore_errors=True)
    for path in list(root.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            path.unlink()
    for path in (root / "babel" / "locale-data").glob("*.dat"):
        if not kept_locale(path.stem):
            path.unlink()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    for name in argv:
        root = Path(name)
        if not root.is_dir():
            print(f"{name}: no such directory", file=sys.stderr)
            return 2
        before = size(root)
        slim(root)
        print(f"{name}: {before / 1e6:.1f} MB -> {size(root) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
