"""The form commands as a user runs them: check-forms, forms list/show, check-answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from tests.unit.engine.support import form_yaml

GOOD = form_yaml(
    """
    - {id: victim_name, type: text, label: Victim, required: true}
    - {id: dash_q1, type: yesno_dk, label: Injury?, tags: [dash], comment: true}
    - {id: dash_yes_count, type: computed, label: Yes answers, expression: "count_tagged('dash', 'yes')"}
    - id: children
      type: repeat
      label: Children
      fields:
        - {id: name, type: text, label: Name, required: true}
    """,
    rules="""
    - id: injury_warning
      when: dash_q1 == 'yes'
      severity: warning
      message: Photograph the injury.
      targets: [dash_q1]
    """,
)


@pytest.fixture
def forms_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "test_form.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    monkeypatch.setenv("DSVDESK_LOG_DIR", str(tmp_path / "logs"))
    return folder


def test_check_forms_default_folder_ok(forms_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-forms"]) == 0
    assert capsys.readouterr().out == "1 form(s) OK\n"


def test_check_forms_reports_problems_with_exit_1(
    forms_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = forms_dir / "broken.yaml"
    broken.write_text(
        GOOD.replace("label: Victim,", "lable: Victim,").replace("id: test_form", "id: broken"),
        encoding="utf-8",
    )
    assert main(["check-forms", str(broken), str(forms_dir / "test_form.yaml")]) == ExitCode.BAD_INPUT
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{broken}:11: question 'victim_name': unknown key 'lable'")
    assert out[0].endswith("-> fix: did you mean 'label'? [F201]")
    assert out[-1] == "1 problem(s) in 1 file(s); 1 form(s) OK."


def test_check_forms_missing_path(forms_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-forms", str(forms_dir / "nope.yaml")]) == ExitCode.BAD_INPUT
    assert "cannot read the file: there is no such file" in capsys.readouterr().out


def test_forms_list(forms_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("test_form\t1\tTest form\t4 questions\t")
    (forms_dir / "bad.yaml").write_text("id: [", encoding="utf-8")
    assert main(["forms", "list", "--forms-dir", str(forms_dir)]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert "test_form" in captured.out and "bad.yaml" in captured.err


def test_forms_show_json_is_the_compiled_definition(
    forms_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forms", "show", "test_form", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "test_form" and len(data["content_hash"]) == 64
    questions = data["sections"][0]["pages"][0]["questions"]
    assert [q["id"] for q in questions] == ["victim_name", "dash_q1", "dash_yes_count", "children"]
    assert questions[0] == {
        "id": "victim_name",
        "type": "text",
        "label": "Victim",
        "required": True,
        "line": 11,
    }
    assert questions[1]["comment_id"] == "dash_q1__comment" and questions[1]["tags"] == ["dash"]
    assert questions[2]["expression"] == "count_tagged('dash', 'yes')"
    assert questions[3]["fields"][0]["id"] == "name" and questions[3]["min_items"] == 0
    assert data["rules"][0] == {
        "id": "injury_warning",
        "when": "dash_q1 == 'yes'",
        "severity": "warning",
        "message": "Photograph the injury.",
        "targets": ["dash_q1"],
    }


def test_forms_show_text_and_by_path(forms_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "show", str(forms_dir / "test_form.yaml")]) == 0
    out = capsys.readouterr().out
    assert "test_form 1: Test form" in out
    assert "dash_yes_count (computed): Yes answers  [= count_tagged('dash', 'yes')]" in out
    assert "injury_warning [warning]: when dash_q1 == 'yes'" in out


def test_forms_show_unknown_id(forms_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "show", "124x"]) == ExitCode.NOT_FOUND
    err = capsys.readouterr().err
    assert "There is no form '124x'" in err and "test_form" in err
    assert "Traceback" not in err


def test_check_answers(forms_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"dash_q1": "yes", "children": [{}], "stray": 1}), encoding="utf-8")
    assert main(["check-answers", "--form", "test_form", str(answers)]) == ExitCode.NOT_READY
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "error: page_one/victim_name: Victim: an answer is needed.",
        "error: page_one/children[1]: Item 1, Name: an answer is needed.",
        "warning: page_one/dash_q1: Photograph the injury.",
        "note: 'stray' is not a question of form test_form; it is ignored.",
        "0% complete; 2 error(s), 1 warning(s).",
    ]
    answers.write_text(json.dumps({"victim_name": "A", "dash_q1": "yes"}), encoding="utf-8")
    assert main(["check-answers", "--form", "test_form", str(answers), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["can_submit"] is True and report["percent"] == 100
    assert report["values"] == {"dash_yes_count": 1}
    assert [f["rule_id"] for f in report["findings"]] == ["injury_warning"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON (line 1, column 2"),
        (b"[1, 2]", "must hold a JSON object keyed by question id, not a list"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_check_answers_bad_files(
    forms_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_bytes(content)
    assert main(["check-answers", "--form", "test_form", str(answers)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_check_answers_missing_file(
    forms_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-answers", "--form", "test_form", str(tmp_path / "absent.json")]) == ExitCode.NOT_FOUND
    assert "There is no file" in capsys.readouterr().err
    assert main(["check-answers", "--form", "test_form", str(tmp_path)]) == ExitCode.BAD_INPUT
    assert "is a folder" in capsys.readouterr().err
