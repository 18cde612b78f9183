"""The mutation check's own rules (tests/mutants/run.py), on small files: no test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants.run import BREAKS_FILE, Break, BreakError, check_applies, first_failure, load_breaks


def _break(old: str, new: str = "X = 2", tests: tuple[str, ...] = ("tests/test_a.py",)) -> Break:
    return Break("b", "", "pkg/mod.py", old, new, tests)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\nY = 1\nY = 1\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("", encoding="utf-8")
    return tmp_path


def test_a_break_applies_only_where_its_old_text_is_found_exactly_once(project: Path) -> None:
    check_applies(_break("X = 1"), project)
    with pytest.raises(BreakError, match="occurs 0 times"):
        check_applies(_break("Z = 1"), project)
    with pytest.raises(BreakError, match="occurs 2 times"):
        check_applies(_break("Y = 1"), project)
    with pytest.raises(BreakError, match="test_b.py does not exist"):
        check_applies(_break("X = 1", tests=("tests/test_b.py::test_x",)), project)
    with pytest.raises(BreakError, match="new text is the old text"):
        check_applies(_break("X = 1", new="X = 1"), project)


def test_the_breaks_file_names_the_22_survivors_and_breaks_of_our_own() -> None:
    breaks = load_breaks(BREAKS_FILE)
    assert len({b.name for b in breaks}) == len(breaks)
    assert sum(1 for b in breaks if b.survivor) == 22
    assert sum(1 for b in breaks if not b.survivor) >= 8


def test_the_failing_test_is_named_whole_even_with_spaces_in_its_parameters() -> None:
    output = ("..F\n=== short test summary info ===\n"
              "FAILED tests/test_x.py::test_lang[Quake hits Japan-und] - AssertionError: 'eu'\n"
              "FAILED tests/test_x.py::test_other\n")
    assert first_failure(output) == "tests/test_x.py::test_lang[Quake hits Japan-und]"
    assert first_failure("ERROR tests/test_y.py - ImportError: no module\n") == "tests/test_y.py"


def test_every_break_still_applies_to_the_code() -> None:
    # A change that moves a break's code must write the break again in the same change, or
    # `make mutants` stops on it later, when nobody remembers what it guarded.
    root = Path(__file__).resolve().parents[1]
    for item in load_breaks(BREAKS_FILE):
        check_applies(item, root)
