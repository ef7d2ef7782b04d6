"""The house rules of the code, checked on its source with the standard library's ``ast``
(DECISIONS §18): no import cycle; every layer imports only downward; a feature reaches
another feature only through its small ``access``, ``callbacks`` and ``view`` modules; only a
feature's ``callbacks.py`` takes callback data apart or spells it out; no module over 800
lines. Each checker is also run on a small tree with one deliberate violation, which it must
report: a rule that cannot fail is no rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 800
# The top layer: Telegram plumbing, the handlers, the application and its entry points.
TOP = (
    "bot.handlers",
    "bot.transport",
    "bot.context",
    "bot.updates",
    "bot.app",
    "bot.cli",
    "bot.demo",
    "bot.shell",
)
CORE = {"bot.clock", "bot.config", "bot.domain", "bot.geo", "bot.i18n", "bot.scheme"}
# What a feature may use of another feature.
PUBLIC = {"access", "callbacks", "view"}
# Prefixes of callback data; only the features' callbacks.py may spell them out.
CALLBACK_PREFIXES = {
    "m",
    "sq",
    "ss",
    "x",
    "r",
    "q",
    "en",
    "ev",
    "es",
    "sv",
    "pn",
    "lang",
    "del",
    "prof",
}


@dataclass(frozen=True)
class Module:
    """A module of the tree: its dotted name, file and parsed source."""

    name: str
    path: Path
    tree: ast.Module
    lines: int


def modules(root: Path) -> dict[str, Module]:
    """Every module of ``bot`` and ``storage`` under ``root`` (migrations excluded)."""
    found = {}
    for top in ("bot", "storage"):
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            text = path.read_text(encoding="utf-8")
            name = ".".join(parts)
            found[name] = Module(name, path, ast.parse(text), text.count("\n") + 1)
    return found


def imports(module: Module, known: set[str]) -> set[str]:
    """The modules of the tree that ``module`` imports (anywhere in it, ``TYPE_CHECKING``
    blocks and function bodies included)."""
    out: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in known else node.module for n in names]
        else:
            continue
        out.update(n for n in names if n in known and n != module.name)
    return out


def graph(mods: dict[str, Module]) -> dict[str, set[str]]:
    """Who imports whom."""
    known = set(mods)
    return {name: imports(module, known) for name, module in mods.items()}


# ----------------------------------------------------------------- the checkers


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def feature_of(name: str) -> str | None:
    """``bot.services.<feature>.<module>`` → the feature (packages only)."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[:2] == ["bot", "services"]:
        return parts[2]
    return None


def layer_violations(mods: dict[str, Module]) -> list[str]:
    """Imports against the direction of the layers."""
    edges = graph(mods)
    features = {feature_of(name) for name in mods if feature_of(name) and name.count(".") >= 3}
    problems = []
    for name, targets in sorted(edges.items()):
        mine = feature_of(name) if feature_of(name) in features else None
        for target in sorted(targets):
            theirs = feature_of(target) if feature_of(target) in features else None
            why = _forbidden(name, target, mine, theirs)
            if why:
                problems.append(f"{name} imports {target}: {why}")
        for node in ast.walk(mods[name].tree):
            module = _external(node)
            if module and _external_forbidden(name, module):
                problems.append(f"{name} imports {module}: {_external_forbidden(name, module)}")
    return problems


def _forbidden(name: str, target: str, mine: str | None, theirs: str | None) -> str | None:
    top = target.split(".")[0]
    if name.startswith("storage"):
        return "storage depends on nothing of the bot" if top == "bot" else None
    if name.startswith("bot.matching"):
        if top == "storage" or not (target.startswith("bot.matching") or target in CORE):
            return "the matching engine is pure"
        return None
    if not name.startswith("bot.services"):
        return None  # handlers, the application and its entry points: the top
    if target.startswith(TOP):
        return "services never import handlers, the application or Telegram plumbing"
    if name == "bot.services.workflows":
        return None  # the one place that combines features
    if target == "bot.services.workflows":
        return "only handlers use the workflows"
    if mine is None and theirs is not None:
        return "a shared module must not depend on a feature"
    if theirs is not None and theirs != mine and target.split(".")[3] not in PUBLIC:
        return f"a feature reaches {theirs} only through its {', '.join(sorted(PUBLIC))}"
    return None


def _external(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        return node.names[0].name
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return node.module
    return None


def _external_forbidden(name: str, module: str) -> str | None:
    top = module.split(".")[0]
    if top == "telegram" and name.startswith(("bot.services", "bot.matching", "storage")):
        return "Telegram stays in the handlers"
    if top in ("sqlalchemy", "sqlmodel", "alembic") and name.startswith("bot."):
        allowed = name in ("bot.services.unit", "bot.services.languages")
        if not (allowed and module == "sqlalchemy.ext.asyncio"):
            return "storage owns every query"
    return None


def callback_violations(mods: dict[str, Module]) -> list[str]:
    """Callback data taken apart or spelled out outside a feature's callbacks.py."""
    problems = []
    for name, module in sorted(mods.items()):
        if module.path.name == "callbacks.py" or not name.startswith("bot."):
            continue
        inside = {
            id(part)
            for node in ast.walk(module.tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(module.tree):
            if id(node) in inside:
                continue
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("split", "rsplit", "partition", "rpartition")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == ":"
            ):
                problems.append(f"{name}:{node.lineno} splits at ':' (parse in callbacks.py)")
            for text in _leading_text(node):
                prefix = text.split(":", 1)[0]
                if ":" in text and prefix in CALLBACK_PREFIXES and not text.startswith("tg:"):
                    problems.append(f"{name}:{node.lineno} spells out callback data {text!r}")
    return problems


def _leading_text(node: ast.AST) -> Iterator[str]:
    """The literal start of a string constant or f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value


def size_violations(mods: dict[str, Module]) -> list[str]:
    """Modules over ``MAX_LINES`` lines."""
    return [
        f"{name}: {module.lines} lines (at most {MAX_LINES})"
        for name, module in sorted(mods.items())
        if module.lines > MAX_LINES
    ]


# ----------------------------------------------------------------- the rules, on the code


@pytest.fixture(scope="module")
def code() -> dict[str, Module]:
    return modules(ROOT)


def test_the_import_graph_has_no_cycle(code: dict[str, Module]) -> None:
    assert cycles(graph(code)) == []


def test_layers_import_only_downward(code: dict[str, Module]) -> None:
    assert layer_violations(code) == []


def test_only_callbacks_modules_read_or_write_callback_data(code: dict[str, Module]) -> None:
    assert callback_violations(code) == []


def test_no_module_is_too_long(code: dict[str, Module]) -> None:
    assert size_violations(code) == []


def test_every_codec_prefix_is_known_to_the_rule() -> None:
    from bot.services.account import callbacks as account
    from bot.services.events import callbacks as events
    from bot.services.exchanges import callbacks as exchanges
    from bot.services.matchmaking import callbacks as matchmaking
    from bot.services.onboarding import callbacks as onboarding
    from bot.services.partnerships import callbacks as partnerships
    from bot.services.review import callbacks as review
    from bot.services.search import callbacks as search

    prefixes = {
        account.LANGUAGE,
        account.DELETE,
        events.SIGNUP,
        events.CREATE,
        events.ATTENDEE,
        events.STAFF,
        exchanges.PREFIX,
        matchmaking.PREFIX,
        onboarding.PREFIX,
        onboarding.PROFILE,
        partnerships.PREFIX,
        review.PREFIX,
        search.PREFIX,
        search.STAFF_PREFIX,
    }
    assert prefixes == CALLBACK_PREFIXES


# ----------------------------------------------------------------- the rules can fail


def _tree(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in ("bot", "storage", "bot/services", "bot/services/a", "bot/services/b"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    return modules(root)


def test_a_deliberate_cycle_is_reported(tmp_path: Path) -> None:
    mods = _tree(
        tmp_path,
        {"storage/one.py": "import storage.two\n", "storage/two.py": "import storage.one\n"},
    )
    assert cycles(graph(mods)) == [["storage.one", "storage.two"]]


@pytest.mark.parametrize(
    ("relative", "source", "why"),
    [
        ("bot/services/a/service.py", "from bot.services.b.service import B\n", "only through"),
        ("bot/services/a/service.py", "from bot.services.b import service\n", "only through"),
        ("bot/services/a/service.py", "import bot.handlers.unit\n", "never import handlers"),
        ("bot/services/a/service.py", "from bot.app import x\n", "never import handlers"),
        ("bot/services/a/service.py", "from telegram import Bot\n", "Telegram stays"),
        ("bot/services/a/service.py", "from sqlalchemy import select\n", "owns every query"),
        ("bot/services/shared.py", "from bot.services.a.access import X\n", "shared module"),
        ("bot/matching/engine.py", "from storage import repo\n", "engine is pure"),
        ("storage/repo.py", "from bot.i18n import _\n", "depends on nothing"),
    ],
)
def test_a_deliberate_upward_import_is_reported(
    tmp_path: Path, relative: str, source: str, why: str
) -> None:
    files = {
        "bot/services/b/service.py": "",
        "bot/services/b/access.py": "",
        "bot/services/a/access.py": "",
        "bot/handlers/unit.py": "",
        "bot/app.py": "",
        "bot/i18n.py": "",
        "storage/repo.py": "",
        relative: source,
    }
    problems = layer_violations(_tree(tmp_path, files))
    assert len(problems) == 1 and why in problems[0], problems


def test_access_modules_of_other_features_are_allowed(tmp_path: Path) -> None:
    files = {
        "bot/services/b/access.py": "",
        "bot/services/b/view.py": "",
        "bot/services/a/service.py": "from bot.services.b import access, view\n",
    }
    assert layer_violations(_tree(tmp_path, files)) == []


def test_deliberate_callback_parsing_and_a_long_module_are_reported(tmp_path: Path) -> None:
    mods = _tree(
        tmp_path,
        {
            "bot/services/a/service.py": (
                'def f(data):\n    return data.split(":"), f"m:i:{data}", "x:d:1"\n'
            ),
            "bot/services/a/callbacks.py": 'def g(d):\n    return d.split(":"), "m:i:1"\n',
            "bot/services/a/long.py": "x = 1\n" * (MAX_LINES + 1),
        },
    )
    problems = callback_violations(mods)
    assert len(problems) == 3 and all("bot.services.a.service" in p for p in problems), problems
    assert size_violations(mods) == [f"bot.services.a.long: {MAX_LINES + 2} lines (at most 800)"]


def test_the_bot_starts_without_the_heavy_libraries() -> None:
    """Charts, posters, QR codes and holidays are imported where they are used (in worker
    threads), not when the bot starts (issue 13: start to first update)."""
    import subprocess
    import sys

    heavy = ("matplotlib", "fpdf", "fontTools", "segno", "holidays", "icalendar")
    code = (
        f"import sys, bot.app, bot.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
