"""docs/POLICY_TESTS.md stays true: every test it names exists, and every POLICY section §1–§5 has a row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "docs" / "POLICY_TESTS.md"
SECTIONS = ("§1", "§2", "§3", "§4", "§5")
TEST_REF = re.compile(r"`([\w./-]+\.py)::(test_\w+)`")


def _rows_by_section(text: str) -> dict[str, list[str]]:
    """The table rows under each `## ` heading, keyed by the heading's text (header and rule lines left out)."""
    rows: dict[str, list[str]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            rows.setdefault(heading, [])
        elif heading and line.startswith("|") and not re.fullmatch(r"\|[\s|:-]+\|", line) and "| Rule |" not in line:
            rows[heading].append(line)
    return rows


def _tests_of(row: str) -> list[tuple[str, str]]:
    """The `path::test_name` references in a row's last cell (the Tests column)."""
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    return TEST_REF.findall(cells[-1])


def _references() -> list[tuple[str, str]]:
    rows = _rows_by_section(MATRIX.read_text(encoding="utf-8"))
    return sorted({ref for section in rows.values() for row in section for ref in _tests_of(row)})


def _defines(path: Path, name: str) -> bool:
    return re.search(rf"^\s*(async\s+)?def {re.escape(name)}\(", path.read_text(encoding="utf-8"), re.M) is not None


def test_every_policy_section_has_a_row_with_a_test() -> None:
    rows = _rows_by_section(MATRIX.read_text(encoding="utf-8"))
    for section in SECTIONS:
        headings = [heading for heading in rows if heading.startswith(section + " ")]
        assert headings, f"docs/POLICY_TESTS.md has no '## {section} …' section"
        tested = [row for heading in headings for row in rows[heading] if _tests_of(row)]
        assert tested, f"section {section} of docs/POLICY_TESTS.md has no row naming a test"


def test_every_row_names_at_least_one_test() -> None:
    rows = _rows_by_section(MATRIX.read_text(encoding="utf-8"))
    untested = [row[:80] for section in rows.values() for row in section if not _tests_of(row)]
    assert untested == []


@pytest.mark.parametrize(("path", "name"), _references(), ids=lambda value: str(value))
def test_every_referenced_test_exists(path: str, name: str) -> None:
    source = ROOT / path
    assert source.is_file(), f"docs/POLICY_TESTS.md names {path}, which does not exist"
    assert _defines(source, name), f"{path} defines no test {name}: renamed? update docs/POLICY_TESTS.md"


def test_the_matrix_names_tests_and_the_checker_catches_a_rename(tmp_path: Path) -> None:
    references = _references()
    assert len(references) > 50
    path, name = references[0]
    renamed = tmp_path / "renamed.py"
    renamed.write_text((ROOT / path).read_text(encoding="utf-8").replace(f"def {name}(", f"def {name}_renamed("))
    assert not _defines(renamed, name)
    assert _defines(renamed, f"{name}_renamed")
