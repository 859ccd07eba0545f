"""`dsvdesk check-forms` is clean for the shipped forms, and each example answers file passes
`dsvdesk check-answers` with no finding and no unknown key (the CLI runs in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from tests.unit.forms.support import EXAMPLES_DIR, FORMS_DIR

SHIPPED = sorted(FORMS_DIR.glob("*.yaml"))


def test_check_forms_is_clean_for_the_forms_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-forms", str(FORMS_DIR)]) == 0
    out = capsys.readouterr().out
    assert f"{len(SHIPPED)} form(s) OK" in out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_check_forms_is_clean_for_each_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-forms", str(path)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@pytest.mark.parametrize("reviewer", [False, True], ids=["officer", "supervisor"])
def test_example_answers_pass_check_answers(
    path: Path, reviewer: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = EXAMPLES_DIR / f"{path.stem}.json"
    argv = [
        "check-answers",
        str(answers),
        "--form",
        str(path),
        "--json",
        *(["--reviewer"] if reviewer else []),
    ]
    code = main(argv)
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert report["unknown_keys"] == [], "every key of the example is a question (or comment) of the form"
    assert report["percent"] == 100
    assert code == 0


def test_check_answers_reports_a_broken_rule_in_plain_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = json.loads((EXAMPLES_DIR / "124d.json").read_text(encoding="utf-8"))
    answers["children"][0].pop("merlin_ref")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(answers), encoding="utf-8")
    assert main(["check-answers", str(broken), "--form", str(FORMS_DIR / "124d.yaml")]) == ExitCode.NOT_READY
    out = capsys.readouterr().out
    assert "Merlin PAC reference" in out
    assert "Traceback" not in out
