"""The profile interchange format (SCHEME §2): CSV with a header row, or JSON Lines.

``read_profiles`` reads every record as staff actually write them: ecosystems, roles,
organisation types, countries and languages by name in English or German (typos too), dates
as ``2027-03-01`` or ``1.3.2027``, CSV separated by commas, semicolons (German spreadsheets)
or tabs. Where the scheme or the format leaves no doubt what was meant, the record is kept and
a warning says what was changed (more than three ecosystems: the first three; a large company,
public authority or training provider marked visitor: host, as the scheme allows them only
that). A record is refused only when it cannot be understood; every refusal and every warning
names its line. Valid rows are never dropped because of a bad one.
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
from rapidfuzz import fuzz

from bot.domain import (
    HOST_ONLY_ORG_TYPES,
    MAX_ECOSYSTEMS,
    ORG_TYPE_LABELS,
    ROLE_SHORT,
    OrgType,
    Role,
)
from bot.geo import resolve_country
from bot.i18n import _, use_language
from bot.matching.ecosystems import key, resolve_ecosystems
from bot.matching.engine import Participant

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
    """A record that could not be used, or (in ``warnings``) what was changed in one."""

    line: int
    reason: str


@dataclass
class ReadResult:
    """Valid records, the problems found (refused records) and the warnings (kept records
    that were changed)."""

    records: list[ProfileRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# Forms staff write for roles and organisation types, besides the code and the labels the
# bot shows (in both languages). Compared folded (``ecosystems.key``) and fuzzily.
ROLE_FORMS: dict[str, tuple[str, ...]] = {
    Role.VISITOR: ("visiting", "visiting organisation", "Besucher", "besuchend",
                   "besuchende Organisation", "Besuch"),
    Role.HOST: ("hosting", "host organisation", "Gastgeber", "gastgebend",
                "gastgebende Organisation"),
    Role.BOTH: ("visitor and host", "host and visitor", "beides", "beide",
                "Besucher und Gastgeber", "Gastgeber und Besucher"),
}  # fmt: skip
ORG_TYPE_FORMS: dict[str, tuple[str, ...]] = {
    OrgType.CLUSTER: ("cluster organisation", "cluster organization", "Clusterorganisation",
                      "Clustermanagement", "business network", "Netzwerk", "Cluster-Initiative"),
    OrgType.SME: ("SME", "KMU", "start-up", "startup", "small business",
                  "kleines oder mittleres Unternehmen"),
    OrgType.SUPPORT: ("support organisation", "technology centre", "technology center",
                      "research institute", "digital innovation hub", "DIH", "fab lab",
                      "incubator", "accelerator", "Technologiezentrum", "Forschungsinstitut",
                      "Forschungseinrichtung", "Inkubator", "Akzelerator"),
    OrgType.LARGE: ("large company", "large enterprise", "corporation", "Großunternehmen",
                    "großes Unternehmen", "Konzern"),
    OrgType.PUBLIC: ("public authority", "public body", "authority", "Behörde",
                     "öffentliche Einrichtung", "öffentliche Stelle", "Kommune"),
    OrgType.TRAINING: ("training provider", "training", "education provider", "Bildungsträger",
                       "Bildungsanbieter", "Bildungseinrichtung", "Weiterbildung"),
}  # fmt: skip
UI_LANGUAGES = {"en": ("English", "Englisch", "EN-GB"), "de": ("German", "Deutsch", "DE-DE")}
_FUZZY_CUTOFF = 88.0
_FUZZY_MARGIN = 5.0


def _forms(codes: dict[str, tuple[str, ...]], labels: dict[str, str]) -> dict[str, str]:
    """Folded form → code: the code, the extra forms, the label in English and German."""
    forms: dict[str, str] = {}
    for code, extra in codes.items():
        names = [code, *extra]
        if code in labels:
            names.append(labels[code])
            with use_language("de"):
                names.append(_(labels[code]))
        for name in names:
            if folded := key(name):
                forms.setdefault(folded, code)
    return forms


@cache
def _role_forms() -> dict[str, str]:
    return _forms(ROLE_FORMS, ROLE_SHORT)


@cache
def _org_type_forms() -> dict[str, str]:
    return _forms(ORG_TYPE_FORMS, ORG_TYPE_LABELS)


@cache
def _ui_forms() -> dict[str, str]:
    return _forms(UI_LANGUAGES, {})


def _pick(text: str, forms: dict[str, str]) -> str | None:
    """The code ``text`` names: exactly (folded), else the one clearly closest spelling."""
    query = key(text)
    if not query:
        return None
    if query in forms:
        return forms[query]
    best: dict[str, float] = {}
    for form, code in forms.items():
        score = max(fuzz.ratio(query, form), fuzz.token_sort_ratio(query, form))
        best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if ranked[0][1] < _FUZZY_CUTOFF:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _FUZZY_MARGIN:
        return None
    return ranked[0][0]


@cache
def _language_forms() -> dict[str, str]:
    """ISO 639-1 code and the language's English and German names (folded) → code."""
    forms: dict[str, str] = {}
    for locale in ("en", "de"):
        for code, name in Locale.parse(locale).languages.items():
            if len(code) == 2:
                forms.setdefault(code, code)
                forms.setdefault(key(name), code)
    return forms


_LIST = re.compile(r"\s*(?:[;,|/\n]|\s&\s|\bund\b|\band\b)\s*", re.IGNORECASE)
_DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?"), (1, 2, 3)),  # ISO, maybe a time
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})"), (3, 2, 1)),  # 1.3.2027
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (3, 2, 1)),  # European day/month/year
)


def _parse_date(value: str, name: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern, (y, m, d) in _DATE_FORMS:
        found = pattern.fullmatch(value)
        if found:
            year = int(found.group(y))
            year += 2000 if year < 100 else 0
            try:
                return date(year, int(found.group(m)), int(found.group(d)))
            except ValueError:
                break
    raise ValueError(f"{name} is not a date (ISO date YYYY-MM-DD, or DD.MM.YYYY): {value!r}")


def _shorten(text: str, name: str, warn: list[str]) -> str:
    if len(text) <= TEXT_LIMIT:
        return text
    cut = text[: TEXT_LIMIT - 1]
    if " " in cut[-100:]:
        cut = cut.rsplit(" ", 1)[0]
    warn.append(f"{name} longer than {TEXT_LIMIT} characters: shortened")
    return cut + "…"


def validate(
    raw: dict[str, object], line: int, eligible: Sequence[str], warn: list[str] | None = None
) -> ProfileRecord:
    """One record, or ``ValueError`` with the reason; what was changed goes to ``warn``."""
    warn = [] if warn is None else warn
    row = {k: ("" if raw.get(k) is None else str(raw.get(k)).strip()) for k in FIELDS}
    missing = [k for k in REQUIRED if not row[k]]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    if len(row["id"]) > 64:
        raise ValueError("id longer than 64 characters")
    org_type = _pick(row["org_type"], _org_type_forms())
    if org_type is None:
        raise ValueError(
            f"unknown org_type {row['org_type']!r} ({', '.join(OrgType)}, or their names)"
        )
    role = _pick(row["role"], _role_forms())
    if role is None:
        raise ValueError(f"unknown role {row['role']!r} (visitor, host or both)")
    if org_type in HOST_ONLY_ORG_TYPES and role != Role.HOST:
        warn.append(f"org_type {org_type} can only take part as host: role {role} became host")
        role = Role.HOST
    country = resolve_country(row["country"], eligible)
    if country.code is None:
        raise ValueError(f"unknown country {row['country']!r}")
    if not country.eligible:
        raise ValueError(f"country {row['country']!r} is not eligible")
    ecosystems, unknown = resolve_ecosystems(row["ecosystems"])
    for name in unknown:
        warn.append(f"unknown ecosystem {name!r} left out")
    if len(ecosystems) > MAX_ECOSYSTEMS:
        dropped = ", ".join(ecosystems[MAX_ECOSYSTEMS:])
        warn.append(f"more than {MAX_ECOSYSTEMS} ecosystems: kept the first three, not {dropped}")
        ecosystems = ecosystems[:MAX_ECOSYSTEMS]
    offers = _shorten(row["offers"], "offers", warn)
    seeks = _shorten(row["seeks"], "seeks", warn)
    ui = _pick(row["language"], _ui_forms()) if row["language"] else "en"
    if ui is None:
        warn.append(f"language must be en or de, not {row['language']!r}: en is used")
        ui = "en"
    languages: list[str] = []
    unknown = []
    for name in filter(None, (p.strip() for p in _LIST.split(row["languages"]))):
        code = _language_forms().get(key(name))
        if code is None:
            unknown.append(name)
        elif code not in languages:
            languages.append(code)
    if unknown and not languages:
        raise ValueError("unknown language codes: " + ", ".join(unknown))
    if unknown:
        warn.append("unknown languages left out: " + ", ".join(unknown))
    if not languages:
        warn.append(f"no languages given: {ui} (the interface language) is assumed")
        languages = [ui]
    start = _parse_date(row["available_from"], "available_from")
    end = _parse_date(row["available_to"], "available_to")
    if start and end and end < start:
        raise ValueError("available_to is before available_from")
    return ProfileRecord(
        id=row["id"],
        name=row["name"],
        organisation=row["organisation"],
        org_type=org_type,
        country=country.code,
        city=row["city"],
        role=role,
        ecosystems=tuple(ecosystems),
        offers=offers,
        seeks=seeks,
        languages=tuple(languages),
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
            yield number, {str(k).strip().lower(): v for k, v in value.items()}, None
        return
    first = stripped.split("\n", 1)[0]
    # German spreadsheets export CSV with semicolons; some tools use tabs.
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(stripped), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        yield 1, None, "header lacks " + ", ".join(missing)
        return
    reader.fieldnames = header
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num  # a quoted text may span lines
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # an empty row (spreadsheets export them)
        yield start, dict(row), None


def read_profiles(text: str, eligible: Sequence[str]) -> ReadResult:
    """Parse and validate a whole file; duplicate ids keep the first and report the others."""
    result = ReadResult()
    seen: dict[str, int] = {}
    for line, row, error in _rows(text):
        if error is not None or row is None:
            result.problems.append(Problem(line, error or "unreadable"))
            continue
        warnings: list[str] = []
        try:
            record = validate(row, line, eligible, warnings)
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
        result.warnings.extend(Problem(line, warning) for warning in warnings)
    return result
