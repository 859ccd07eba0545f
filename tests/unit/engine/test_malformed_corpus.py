"""The corpus of broken definitions in tests/data/malformed: each file has exactly one mistake, and the
loader names it with its catalogue code and line. `dsvdesk check-forms` prints one line per problem."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors
from dsvdesk.engine.loader import MAX_FILE_BYTES, load_form
from dsvdesk.errors import ExitCode

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "malformed"
E = ErrorCode

# file -> (the one error code, its line; None when the problem is the whole file)
EXPECTED: dict[str, tuple[ErrorCode, int | None]] = {
    "01_unknown_key.yaml": (E.UNKNOWN_KEY, 22),
    "02_duplicate_question_id.yaml": (E.DUPLICATE_ID, 20),
    "03_unknown_question_type.yaml": (E.UNKNOWN_QUESTION_TYPE, 21),
    "04_bad_pattern.yaml": (E.BAD_PATTERN, 23),
    "05_unknown_reference.yaml": (E.UNKNOWN_NAME, 23),
    "06_computed_cycle.yaml": (E.DEPENDENCY_CYCLE, 20),
    "07_yaml_syntax_error.yaml": (E.YAML_SYNTAX, 24),
    "08_wrong_indentation.yaml": (E.YAML_INDENTATION, 22),
    "09_over_indented.yaml": (E.YAML_INDENTATION, 22),
    "10_empty_file.yaml": (E.FILE_EMPTY, None),
    "11_comments_only.yaml": (E.FILE_EMPTY, None),
    "12_bad_expression_syntax.yaml": (E.EXPRESSION_SYNTAX, 23),
    "13_unknown_function.yaml": (E.UNKNOWN_FUNCTION, 23),
    "14_min_items_greater_than_max.yaml": (E.MIN_GREATER_THAN_MAX, 23),
    "15_choice_without_choices.yaml": (E.CHOICES_REQUIRED, 20),
    "16_bad_constant.yaml": (E.BAD_CONSTANT, 6),
    "17_column_unknown_id.yaml": (E.UNKNOWN_TARGET, 6),
    "18_bad_id.yaml": (E.BAD_ID, 20),
    "19_missing_label.yaml": (E.MISSING_LABEL, 20),
    "20_top_level_list.yaml": (E.TOP_NOT_MAPPING, 2),
    "21_tab_indentation.yaml": (E.YAML_TAB, 22),
    "22_duplicate_key.yaml": (E.YAML_DUPLICATE_KEY, 23),
    "23_key_not_for_type.yaml": (E.KEY_NOT_FOR_TYPE, 23),
    "24_bad_severity.yaml": (E.BAD_VALUE, 23),
    "25_unknown_tag.yaml": (E.UNKNOWN_TAG, 23),
    "26_reserved_id.yaml": (E.RESERVED_ID, 20),
    "27_wrong_value_type.yaml": (E.WRONG_TYPE, 23),
    "28_duplicate_choice.yaml": (E.DUPLICATE_CHOICE, 23),
    "29_constraint_not_for_type.yaml": (E.CONSTRAINT_NOT_FOR_TYPE, 24),
    "30_constraint_with_two_checks.yaml": (E.BAD_CONSTRAINT, 24),
    "31_repeat_without_fields.yaml": (E.MISSING_REPEAT_FIELDS, 20),
    "32_grid_without_columns.yaml": (E.GRID_NEEDS_ROWS_AND_COLUMNS, 20),
    "33_nested_repeat.yaml": (E.TYPE_NOT_IN_REPEAT, 28),
    "34_yaml_alias.yaml": (E.YAML_ALIAS, 20),
    "35_bad_range_date.yaml": (E.BAD_DATE, 24),
    "36_rule_unknown_target.yaml": (E.UNKNOWN_TARGET, 24),
    "37_missing_version.yaml": (E.MISSING_KEY, 2),
    "38_bad_arguments.yaml": (E.BAD_ARGUMENTS, 23),
    "39_not_a_repeat.yaml": (E.NOT_A_REPEAT, 23),
    "40_bad_tag.yaml": (E.BAD_TAG, 23),
    "41_empty_page.yaml": (E.EMPTY_LIST, 22),
    "42_unknown_sibling_field.yaml": (E.UNKNOWN_NAME, 28),
    "43_value_outside_each_tag.yaml": (E.UNKNOWN_NAME, 22),
    "44_duplicate_page_id.yaml": (E.DUPLICATE_ID, 20),
    "45_unquoted_colon.yaml": (E.YAML_SYNTAX, 22),
    "46_show_when_cycle.yaml": (E.DEPENDENCY_CYCLE, 20),
    "47_bad_constant_list.yaml": (E.BAD_CONSTANT, 6),
    "48_multiple_documents.yaml": (E.YAML_SYNTAX, 20),
    "49_form_rule_missing_when.yaml": (E.MISSING_KEY, 21),
    "50_binary_file.yaml": (E.FILE_NOT_TEXT, None),
    "51_not_utf8.yaml": (E.FILE_NOT_TEXT, 14),
}


def test_every_corpus_file_is_in_the_table() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_its_error_code_and_line(name: str) -> None:
    code, line = EXPECTED[name]
    with pytest.raises(FormDefinitionErrors) as info:
        load_form(CORPUS / name)
    problems = info.value.problems
    assert [(p.code, p.line) for p in problems] == [(code, line)], "\n".join(map(str, problems))
    problem = problems[0]
    assert problem.file == str(CORPUS / name)
    assert problem.message and problem.fix
    assert str(problem).startswith(f"{CORPUS / name}{'' if line is None else f':{line}'}: ")


def _ten_megabytes(folder: Path) -> Path:
    big = folder / "99_ten_megabytes.yaml"
    with big.open("w", encoding="utf-8") as handle:
        line = "# " + "padding " * 12 + "\n"
        for _ in range(10 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    return big


def test_ten_megabyte_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = _ten_megabytes(tmp_path)
    assert big.stat().st_size > 10 * 1024 * 1024 > MAX_FILE_BYTES
    real_open = Path.open

    def no_reading(self: Path, *args: object, **kwargs: object) -> object:
        if self == big:
            raise AssertionError("the loader must refuse by size, without reading the file")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(FormDefinitionErrors) as info:
        load_form(big)
    assert [(p.code, p.line) for p in info.value.problems] == [(E.FILE_TOO_LARGE, None)]
    assert "10.0 MB" in info.value.problems[0].message


def test_check_forms_on_the_corpus_prints_one_line_per_problem(tmp_path: Path) -> None:
    folder = tmp_path / "malformed"
    shutil.copytree(CORPUS, folder)
    _ten_megabytes(folder)
    env = dict(os.environ, DSVDESK_LOG_DIR=str(tmp_path / "logs"))
    result = subprocess.run(
        [sys.executable, "-m", "dsvdesk", "check-forms", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    problem_lines, summary = lines[:-1], lines[-1]
    assert len(problem_lines) == len(EXPECTED) + 1  # one per file, and the 10 MB one
    for name, (code, line) in EXPECTED.items():
        where = f"{folder / name}{'' if line is None else f':{line}'}: "
        matching = [text for text in problem_lines if text.startswith(where)]
        assert len(matching) == 1, name
        assert matching[0].endswith(f"[{code.code}]")
        assert " -> fix: " in matching[0]
    assert any("99_ten_megabytes.yaml: " in text and "[F102]" in text for text in problem_lines)
    assert summary == f"{len(EXPECTED) + 1} problem(s) in {len(EXPECTED) + 1} file(s); 0 form(s) OK."
