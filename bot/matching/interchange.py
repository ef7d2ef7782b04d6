"""The profile interchange format (SCHEME §2): CSV with a header row, or JSON Lines.

``read_profiles`` validates every record and returns the valid ones with a list of problems
(line number and reason) for the others; valid rows are never dropped because of a bad one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from babel import Locale

from bot.domain import ECOSYSTEMS, HOST_ONLY_ORG_TYPES, MAX_ECOSYSTEMS, OrgType, Role
from bot.i18n import _, use_language
from bot.matching.engine import Participant
from bot.matching.normalise import normalise

FIELDS = (
    "id",
    "name",
    "organisation",
    "org_type",
    "country",
    "city",
    "role",
    "ecosystems",
    "offers",
    "seeks",
    "languages",
    "available_from",
    "available_to",
    "language",
)
REQUIRED = ("id", "name", "organisation", "org_type", "country", "role", "offers", "seeks")
TEXT_LIMIT = 1000


@dataclass(frozen=True)
class ProfileRecord:
    """One valid record of an interchange file."""

    id: str
    name: str
    organisation: str
    org_type: str
    country: str
    city: str
    role: str
    ecosystems: tuple[str, ...]
    offers: str
    seeks: str
    languages: tuple[str, ...]
    available_from: date | None
    available_to: date | None
    language: str
    line: int = 0

    def participant(self) -> Participant:
        """The record as the matching engine sees it."""
        return Participant(
            key=self.id,
            role=self.role,
            country=self.country,
            ecosystems=self.ecosystems,
            offers=self.offers,
            seeks=self.seeks,
            languages=self.languages,
            available_from=self.available_from,
            available_to=self.available_to,
        )


@dataclass(frozen=True)
class Problem:
    """A record that could not be used."""

    line: int
    reason: str


@dataclass
class ReadResult:
    """Valid records and the problems found."""

    records: list[ProfileRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@cache
def ecosystem_aliases() -> dict[str, str]:
    """Slug, English and German name (normalised) → slug."""
    aliases: dict[str, str] = {}
    for slug, label in ECOSYSTEMS.items():
        aliases[normalise(slug)] = slug
        aliases[normalise(label)] = slug
        with use_language("de"):
            aliases[normalise(_(label))] = slug
    return aliases


@cache
def _known_languages() -> frozenset[str]:
    return frozenset(code for code in Locale.parse("en").languages if len(code) == 2)


_SPLIT = re.compile(r"[;,|]")
_SPLIT_NAMES = re.compile(r"[;|]")  # ecosystem names contain commas


def _parse_date(value: str, name: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO date (YYYY-MM-DD): {value!r}") from None


def validate(raw: dict[str, object], line: int, eligible: Sequence[str]) -> ProfileRecord:
    """One record, or ``ValueError`` with the reason."""
    row = {k: ("" if raw.get(k) is None else str(raw.get(k)).strip()) for k in FIELDS}
    missing = [k for k in REQUIRED if not row[k]]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    if len(row["id"]) > 64:
        raise ValueError("id longer than 64 characters")
    org_type, role = row["org_type"].lower(), row["role"].lower()
    if org_type not in set(OrgType):
        raise ValueError(f"unknown org_type {row['org_type']!r}")
    if role not in set(Role):
        raise ValueError(f"unknown role {row['role']!r} (visitor, host or both)")
    if org_type in HOST_ONLY_ORG_TYPES and role != Role.HOST:
        raise ValueError(f"org_type {org_type} can only take part as host")
    country = row["country"].upper()
    if country not in eligible:
        raise ValueError(f"country {country!r} is not eligible")
    ecosystems: list[str] = []
    for name in filter(None, (p.strip() for p in _SPLIT_NAMES.split(row["ecosystems"]))):
        slug = ecosystem_aliases().get(normalise(name))
        if slug is None:
            raise ValueError(f"unknown ecosystem {name!r}")
        if slug not in ecosystems:
            ecosystems.append(slug)
    if len(ecosystems) > MAX_ECOSYSTEMS:
        raise ValueError(f"more than {MAX_ECOSYSTEMS} ecosystems")
    for key in ("offers", "seeks"):
        if len(row[key]) > TEXT_LIMIT:
            raise ValueError(f"{key} longer than {TEXT_LIMIT} characters")
    languages = tuple(
        dict.fromkeys(p.strip().lower() for p in _SPLIT.split(row["languages"]) if p.strip())
    )
    unknown = [code for code in languages if code not in _known_languages()]
    if unknown:
        raise ValueError("unknown language codes: " + ", ".join(unknown))
    if not languages:
        raise ValueError("missing languages")
    start = _parse_date(row["available_from"], "available_from")
    end = _parse_date(row["available_to"], "available_to")
    if start and end and end < start:
        raise ValueError("available_to is before available_from")
    ui = row["language"].lower() or "en"
    if ui not in ("en", "de"):
        raise ValueError(f"language must be en or de, not {row['language']!r}")
    return ProfileRecord(
        id=row["id"],
        name=row["name"],
        organisation=row["organisation"],
        org_type=org_type,
        country=country,
        city=row["city"],
        role=role,
        ecosystems=tuple(ecosystems),
        offers=row["offers"],
        seeks=row["seeks"],
        languages=languages,
        available_from=start,
        available_to=end,
        language=ui,
        line=line,
    )


def _rows(text: str) -> Iterator[tuple[int, dict[str, object] | None, str | None]]:
    """(line, row, error) for each record of a CSV or JSON Lines text."""
    stripped = text.lstrip("\ufeff")
    if stripped.lstrip().startswith("{"):
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"not valid JSON: {exc.msg}"
                continue
            if not isinstance(value, dict):
                yield number, None, "a JSON object is expected"
                continue
            yield number, value, None
        return
    reader = csv.DictReader(io.StringIO(stripped))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        yield 1, None, "header lacks " + ", ".join(missing)
        return
    reader.fieldnames = header
    for row in reader:
        yield reader.line_num, dict(row), None


def read_profiles(text: str, eligible: Sequence[str]) -> ReadResult:
    """Parse and validate a whole file; duplicate ids keep the first and report the others."""
    result = ReadResult()
    seen: dict[str, int] = {}
    for line, row, error in _rows(text):
        if error is not None or row is None:
            result.problems.append(Problem(line, error or "unreadable"))
            continue
        try:
            record = validate(row, line, eligible)
        except ValueError as exc:
            result.problems.append(Problem(line, str(exc)))
            continue
        if record.id in seen:
            result.problems.append(
                Problem(line, f"duplicate id {record.id!r} (first on line {seen[record.id]})")
            )
            continue
        seen[record.id] = line
        result.records.append(record)
    return result
