"""CSV files for staff: UTF-8 with a byte-order mark (spreadsheet programs then read umlauts
correctly), and cells a spreadsheet would take for a formula neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from storage.models import as_utc

# A spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell: empty for None, ISO for dates, a leading quote before formula characters."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file in UTF-8 with a byte-order mark, every cell guarded."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")
