"""`python -m bot units import|export` and `officers list` as real processes."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

import pytest

from bot.cli import main
from bot.testing.harness import run_bot_cli

SAMPLE = Path(str(resources.files("bot") / "data" / "kien_giang_units.csv"))


def problems(stderr: str) -> list[str]:
    """Return stderr without the log lines (migrations applied on a new database)."""
    return [line for line in stderr.splitlines() if " INFO " not in line]


def count_units(cwd: Path) -> int:
    with sqlite3.connect(cwd / "data" / "tips.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM units").fetchone()[0])


def test_import_of_a_file_with_a_bad_row_lists_it_and_writes_nothing(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    district = next(index for index, line in enumerate(lines) if line.startswith("KG-HT,"))
    lines[district] = lines[district].replace(",district,", ",District Level,")
    rach_gia = next(index for index, line in enumerate(lines) if line.startswith("KG-RG,"))
    lines.append("KG-RG,KG,district,Thành phố Rạch Giá bis,,0,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_bot_cli("units", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert problems(result.stderr) == [
        f"{bad}:{district + 1}: level “district level” is not a label such as province, "
        "district or commune (lower-case letters, digits, “_” or “-”)",
        f"{bad}:{len(lines)}: code “KG-RG” is already used on line {rach_gia + 1}",
        f"Error: 2 problem(s) in {bad}; nothing was imported",
    ]
    assert count_units(tmp_path) == 0


def run_here(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process (fast); the test above runs it as a real process."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_checks_then_writes_and_export_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = len(SAMPLE.read_text(encoding="utf-8").splitlines()) - 1
    code, out, err = run_here(capsys, "units", "import", "--check", str(SAMPLE))
    assert code == 0, err
    assert out == f"would import {rows} units from {SAMPLE}: {rows} new, 0 updated\n"
    assert count_units(tmp_path) == 0
    code, out, err = run_here(capsys, "units", "import", str(SAMPLE))
    assert code == 0, err
    assert out == f"imported {rows} units from {SAMPLE}: {rows} new, 0 updated\n"
    assert count_units(tmp_path) == rows
    code, out, _ = run_here(capsys, "units", "import", str(SAMPLE))
    assert out == f"imported {rows} units from {SAMPLE}: 0 new, {rows} updated\n"

    code, exported, err = run_here(capsys, "units", "export")
    assert code == 0, err
    assert exported.splitlines()[1] == (
        "AG,,province,Tỉnh An Giang,An Giang Province,1,,10.0125,105.0809"
    )
    target = tmp_path / "out" / "units.csv"
    code, out, err = run_here(capsys, "units", "export", str(target))
    assert code == 0, err
    assert out == f"exported {rows} units to {target}\n"
    assert target.read_text(encoding="utf-8-sig") == exported
    code, _, err = run_here(capsys, "units", "export", str(target))
    assert code == 1
    assert "--force" in err

    monkeypatch.setenv("ADMIN_USER_IDS", "42,43")
    code, out, err = run_here(capsys, "officers", "list")
    assert code == 0, err
    assert out.splitlines() == ["42\tadmin\t*\tADMIN_USER_IDS\t", "43\tadmin\t*\tADMIN_USER_IDS\t"]


def test_import_of_a_missing_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_here(capsys, "units", "import", "nowhere.csv")
    assert code == 1
    assert problems(err) == ["Error: cannot read nowhere.csv: No such file or directory"]
