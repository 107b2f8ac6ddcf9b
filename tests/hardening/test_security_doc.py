"""SECURITY.md stays true: every promise names a test, and every named test exists.

Also: every kind of button the application handles is described there, and every test marked
xfail in tests/hardening (a promise not kept yet) is listed among the known gaps.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from telegram.ext import CallbackQueryHandler

from bot.officers.access import application_handlers
from bot.testing.harness import BotHarness, settings_for_tests

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "SECURITY.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)+)`")
ADVERSARIES = (
    "A curious officer",
    "A stolen database or backup",
    "A spammer",
    "A forger of buttons",
    "A compromised officer account",
)


def section(text: str, title: str) -> str:
    """Return the text of a `## title` section."""
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def table_rows(text: str) -> list[list[str]]:
    """Return the data rows of the markdown tables in a text, as cells."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in ("Promise", "Gap", "Data"):
            continue  # a header
        rows.append(cells)
    return rows


def defined_tests(path: Path) -> set[str]:
    """Return "name" and "Class::name" for every test function a file defines."""
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return names


def test_every_test_named_in_security_md_exists() -> None:
    references = TEST_REF.findall(DOC.read_text("utf-8"))
    assert len(references) >= 40
    missing = []
    for file, names in references:
        path = ROOT / file
        name = names.removeprefix("::")
        if not path.is_file() or name not in defined_tests(path):
            missing.append(f"{file}::{name}")
    assert missing == [], f"SECURITY.md names tests that do not exist: {missing}"


def test_every_promise_and_gap_names_a_test() -> None:
    text = DOC.read_text("utf-8")
    promises = section(text, "The adversaries and the promises")
    for adversary in ADVERSARIES:
        assert adversary in promises, adversary
    rows = table_rows(promises) + table_rows(section(text, "Known gaps"))
    assert len(rows) >= 35
    unproven = [cells[0][:70] for cells in rows if not TEST_REF.search(cells[-1])]
    assert unproven == [], f"promises without a test: {unproven}"


def test_every_kind_of_button_is_described(tmp_path: Path) -> None:
    text = section(DOC.read_text("utf-8"), "Buttons: what each callback carries")
    application = BotHarness(settings_for_tests(tmp_path / "tips.sqlite3")).app
    undescribed = []
    for handler in application_handlers(application):
        if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
            continue
        pattern = handler.pattern
        source = pattern if isinstance(pattern, str) else getattr(pattern, "pattern", None)
        assert isinstance(source, str), f"a button handler without a regex: {handler}"
        prefix = re.split(r"[\[\](){}.*+?|\\$]", source.removeprefix("^"), maxsplit=1)[0]
        if f"`{prefix}" not in text:
            undescribed.append(prefix)
    assert undescribed == [], f"describe these buttons in SECURITY.md: {sorted(set(undescribed))}"


def xfailed_tests(source: str) -> set[str]:
    """Return the tests of a module's source that carry an xfail mark (test or parameter)."""
    tree = ast.parse(source)
    marks = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and "xfail" in ast.unparse(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        decorators = " ".join(ast.unparse(decorator) for decorator in node.decorator_list)
        if "xfail" in decorators or any(re.search(rf"\b{m}\b", decorators) for m in marks):
            found.add(node.name)
    return found


def test_every_promise_not_kept_yet_is_a_known_gap() -> None:
    gaps = section(DOC.read_text("utf-8"), "Known gaps")
    listed = {f"{file}{names}" for file, names in TEST_REF.findall(gaps)}
    marked = {
        f"{path.relative_to(ROOT)}::{name}"
        for path in sorted((ROOT / "tests" / "hardening").glob("test_*.py"))
        for name in xfailed_tests(path.read_text("utf-8"))
    }
    assert marked <= listed, f"list these in SECURITY.md's known gaps: {sorted(marked - listed)}"


def test_the_xfail_scan_finds_marks_on_tests_and_parameters() -> None:
    # The gap check above is only as good as this scan; prove it on a sample module.
    sample = (
        "import pytest\n"
        "GAP = pytest.mark.xfail(strict=True, reason='x')\n"
        "@pytest.mark.xfail(strict=True, reason='y')\n"
        "def test_direct(): ...\n"
        "@pytest.mark.parametrize('a', [pytest.param(1, marks=GAP)])\n"
        "async def test_param(a): ...\n"
        "def test_kept(): ...\n"
    )
    assert xfailed_tests(sample) == {"test_direct", "test_param"}
