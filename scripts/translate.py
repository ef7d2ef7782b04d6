"""Apply German translations from JSON files to the catalog: ``{"msgid": "msgstr", …}``.

A plural entry is ``{"msgid": ["singular", "plural"]}`` keyed by the singular msgid. Run
``scripts/i18n update`` first so the catalog knows the new msgids. Prints what is still
untranslated and exits 1 when something is.

    python scripts/translate.py locales/pending/*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "locales" / "de" / "LC_MESSAGES" / "cxbot.po"


def main(paths: list[str]) -> int:
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    for path in paths:
        for msgid, msgstr in json.loads(Path(path).read_text(encoding="utf-8")).items():
            message = catalog.get(msgid)
            if message is None:
                print(f"{path}: not in the catalog (run scripts/i18n update): {msgid!r}")
                continue
            message.string = tuple(msgstr) if isinstance(msgstr, list) else msgstr
            message.flags.discard("fuzzy")
    catalog.obsolete.clear()
    with CATALOG.open("wb") as fh:
        write_po(fh, catalog, width=76, sort_by_file=True)
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
