"""The house's rules that a reader relies on, checked on the code as it stands.

docs/architecture.md states them; these tests keep them true: no module over 700 lines, no
function over 80 (the named exceptions below, each with why), SQL only in repositories and
migrations, and every module path the architecture names exists. The import layers and the
absence of cycles are `make lint`'s import contract (pyproject.toml, [tool.importlinter]).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80

# Functions allowed past MAX_FUNCTION_LINES, each named in docs/architecture.md with why.
LONG_FUNCTIONS: dict[str, str] = {}

# Statements that only SQL begins with; a repository's or a migration's text, nobody else's.
_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|WITH|REPLACE|BEGIN|COMMIT|"
    r"ROLLBACK|VACUUM|SAVEPOINT|RELEASE)\s",
)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _may_hold_sql(path: Path) -> bool:
    name = path.name
    return (
        name == "repository.py"
        or name.endswith("_repository.py")
        or path.parent.name == "repositories"
        or _relative(path).startswith("bot/db/")
    )


def test_no_module_is_over_700_lines() -> None:
    long = {
        _relative(path): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                assert child.end_lineno is not None
                found.append((name, child.end_lineno - child.lineno + 1))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")

    walk(tree, f"{_relative(path)}:")
    return found


def test_no_function_is_over_80_lines_but_the_named_ones() -> None:
    long = {
        name: lines
        for path in _modules()
        for name, lines in _functions(path)
        if lines > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS
    }
    assert long == {}


def test_every_named_long_function_is_still_long_and_explained() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    lengths = {name: lines for path in _modules() for name, lines in _functions(path)}
    for name in LONG_FUNCTIONS:
        assert lengths.get(name, 0) > MAX_FUNCTION_LINES, f"{name} is short now: unlist it"
        assert name.split(":")[1] in architecture, f"{name} is not explained"


def _sql_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value.strip().splitlines()[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and _SQL.match(node.value)
    ]


def test_sql_is_written_only_in_repositories_and_migrations() -> None:
    outside = {
        f"{_relative(path)}:{line}": text
        for path in _modules()
        if not _may_hold_sql(path)
        for line, text in _sql_strings(path)
    }
    assert outside == {}


def test_the_sql_finder_finds_sql() -> None:
    # The check above would pass on a finder that never matches; it must see a repository's.
    assert _sql_strings(PACKAGE / "tips" / "repository.py")


_PATH = re.compile(r"`(bot/[\w/.]+?\.py)`|`(bot/[\w/]+/)`")


def test_every_path_the_architecture_names_exists() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {file or folder for file, folder in _PATH.findall(architecture)}
    assert len(named) > 20, "docs/architecture.md should walk through the rooms by path"
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == []


@pytest.mark.parametrize(
    "private",
    [
        "._update_state",  # ConversationHandler's
        "._pending_futures",  # APScheduler's
        "._update_processor",  # Application's
        "._user_id",  # CallbackContext's
        "._application",  # CallbackContext's
    ],
)
def test_no_private_attribute_of_a_library_is_used(private: str) -> None:
    users = [_relative(path) for path in _modules() if private in path.read_text(encoding="utf-8")]
    assert users == []


# ------------------------------------------------------------ repositories have owners

# Modules that may hold or build a repository besides the services that own one: the database
# layer itself, the container that builds the services, and `python -m bot check`'s body, which
# reads every table of a database with no application running.
_REPOSITORY_PLACES = ("bot/db/", "bot/container.py", "bot/maintenance/health.py")


def _annotation(node: ast.expr | None) -> str:
    return "" if node is None else ast.unparse(node)


def _repository_attributes(tree: ast.Module) -> dict[str, set[str]]:
    """Return, per class, the attributes holding a repository (built, given or declared)."""
    held: dict[str, set[str]] = {}
    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        names: set[str] = set()
        typed: dict[str, str] = {}
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and _annotation(node.annotation).endswith("Repository")
            ):
                names.add(node.target.id)
            if isinstance(node, ast.arg):
                typed[node.arg] = _annotation(node.annotation)
        for node in ast.walk(cls):
            if not isinstance(node, ast.Assign):
                continue
            value = node.value
            built = isinstance(value, ast.Call) and _annotation(value.func).endswith("Repository")
            given = isinstance(value, ast.Name) and typed.get(value.id, "").endswith("Repository")
            for target in node.targets:
                if isinstance(target, ast.Attribute) and (built or given):
                    names.add(target.attr)
        if names:
            held[cls.name] = names
    return held


def _services() -> dict[str, str]:
    """Return the container's attributes and the class each one is built from."""
    tree = ast.parse((PACKAGE / "container.py").read_text(encoding="utf-8"))
    return {
        target.attr: _annotation(node.value.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        for target in node.targets
        if isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    }


def _chain(node: ast.Attribute) -> list[str]:
    names = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        names.append(value.attr)
        value = value.value
    if isinstance(value, ast.Name):
        names.append(value.id)
    return names[::-1]


def _repository_reaches(
    text: str, held: dict[str, set[str]], services: dict[str, str], package: str = ""
) -> set[str]:
    """Return where a module's text reaches a repository: by importing another package's, by a
    `*Needs` property's type, or through a service's repository attribute (`services.tips.tips`,
    `triage.repo`). A package's own modules may import its repository (`package`, dotted)."""
    tree = ast.parse(text)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if package and (node.module or "").startswith(package + "."):
                continue
            found |= {
                f"imports {alias.name}" for alias in node.names if alias.name.endswith("Repository")
            }
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Needs"):
            found |= {
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and "Repository" in _annotation(item.returns)
            }
        elif isinstance(node, ast.Attribute):
            names = _chain(node)
            for owner, attribute in itertools.pairwise(names):
                service = services.get(owner, "")
                if (
                    attribute in {"repo", "repository"}
                    or attribute in held.get(service, set())
                    or services.get(attribute, "").endswith("Repository")
                ):
                    found.add(".".join(names))
    return found


def _package(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parent.parts)


def _owns_a_repository(path: Path) -> bool:
    relative = _relative(path)
    return (
        _may_hold_sql(path)
        or path.name == "cli.py"
        or relative.startswith(_REPOSITORY_PLACES)
        or bool(_repository_attributes(ast.parse(path.read_text(encoding="utf-8"))))
    )


def _holders() -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for path in _modules():
        held |= _repository_attributes(ast.parse(path.read_text(encoding="utf-8")))
    return held


def test_no_handler_or_job_reaches_a_repository() -> None:
    # Handlers, jobs, deliveries and renders go through a service (TipService, UnitDirectory,
    # OutboxQueue …); only the services that hold a repository, the database layer, the
    # container and the command-line tools touch one.
    held, services = _holders(), _services()
    reaches = {
        f"{_relative(path)}: {reach}"
        for path in _modules()
        if not _owns_a_repository(path)
        for reach in _repository_reaches(
            path.read_text(encoding="utf-8"), held, services, _package(path)
        )
    }
    assert reaches == set()


def test_the_repository_finder_finds_reaches() -> None:
    # The check above would pass on a finder that never matches: it must see each kind of reach.
    probe = (
        "from bot.units import UnitsRepository\n"
        "from bot.tips.repository import TipsRepository\n"
        "class ProbeNeeds:\n"
        "    def units(self) -> UnitsRepository: ...\n"
        "async def probe(services, triage):\n"
        "    await services.tips.tips.by_id(1)\n"
        "    await triage.repo.message(1)\n"
        "    await services._prefs.language('x')\n"
        "    await services.tips.tip(1)\n"
    )
    assert _repository_reaches(probe, _holders(), _services(), "bot.tips") == {
        "imports UnitsRepository",
        "ProbeNeeds.units",
        "services.tips.tips.by_id",
        "services.tips.tips",
        "triage.repo.message",
        "triage.repo",
        "services._prefs.language",
        "services._prefs",
    }
