"""The headless admin and records commands, driven through dsvdesk.cli.main as a script would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from tests.helpers.encrypted import copy_station, raw_connect
from tests.unit.store.conftest import PASSWORD
from tests.unit.store.forms import MINI_FORM


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "mini.yaml").write_text(MINI_FORM, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(forms))
    monkeypatch.setenv("DSVDESK_DB", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    monkeypatch.setenv("DSVDESK_NEW_PASSWORD", PASSWORD)
    return tmp_path


@pytest.fixture(scope="session")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station set up through the CLI itself (init + users add), copied for each test."""
    folder = tmp_path_factory.mktemp("cli")
    db = folder / "cli.sqlite3"
    mp = pytest.MonkeyPatch()
    mp.setenv("DSVDESK_PASSWORD", PASSWORD)
    mp.setenv("DSVDESK_NEW_PASSWORD", PASSWORD)
    try:
        assert (
            main(
                ["init", "--station", "Trial", "--admin", "boss", "--full-name", "Ada Admin", "--db", str(db)]
            )
            == 0
        )
        for username, role, name in (
            ("pc1", "officer", "Pat Constable"),
            ("sgt1", "supervisor", "Sue Sergeant"),
            ("sgt2", "supervisor", "Sid Sergeant"),
        ):
            argv = [
                "users",
                "add",
                username,
                "--role",
                role,
                "--name",
                name,
                "--collar",
                "12",
                "--user",
                "boss",
            ]
            assert main([*argv, "--db", str(db)]) == 0
    finally:
        mp.undo()
    return db


@pytest.fixture
def station_db(cli_env: Path, cli_template: Path) -> Path:
    db = cli_env / "cli.sqlite3"
    copy_station(cli_template, db)
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_init_refuses_a_second_time(station_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "init", "--station", "Other", "--admin", "x")
    assert code != 0 and "already set up" in err and "Traceback" not in err


def test_users_list_and_admin_actions(station_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "users", "list", "--user", "boss", "--json")
    assert code == 0
    assert [u["username"] for u in json.loads(out)] == ["boss", "pc1", "sgt1", "sgt2"]
    code, out, _ = run(capsys, "users", "list", "--user", "sgt1")
    assert code == 0 and "Pat Constable (12)" in out
    code, _out, err = run(
        capsys, "users", "add", "pc2", "--role", "officer", "--name", "P Two", "--user", "pc1"
    )
    assert code == ExitCode.PERMISSION_DENIED and "Only an admin" in err
    code, out, _ = run(capsys, "users", "set-role", "pc1", "--role", "supervisor", "--user", "boss")
    assert code == 0 and "now supervisor" in out
    code, out, _ = run(capsys, "users", "unlock", "pc1", "--user", "boss")
    assert code == 0
    code, out, _ = run(capsys, "users", "reset-password", "sgt2", "--user", "boss")
    assert code == 0 and "reset" in out


def test_wrong_password_and_missing_database(
    station_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", "wrong wrong wrong")
    code, _out, err = run(capsys, "records", "list", "--user", "pc1")
    assert code == ExitCode.AUTH and "username or password is not right" in err
    code, _out, err = run(capsys, "records", "list", "--user", "pc1", "--db", str(tmp_path / "none.sqlite3"))
    assert code == ExitCode.NOT_FOUND and "dsvdesk init" in err
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello " * 1000)
    code, _out, err = run(capsys, "users", "list", "--user", "boss", "--db", str(text_file))
    assert code == ExitCode.ENVIRONMENT and "not a DSVDesk database" in err and "Traceback" not in err


def test_records_new_set_show_list_delete(
    station_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = write_json(tmp_path / "a.json", {"victim_name": "Ann Ångström", "cad_ref": "CAD1234"})
    code, out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(answers), "--user", "pc1"
    )
    assert code == 0, err
    record_id = out.strip()
    more = write_json(tmp_path / "b.json", {"dash_q1": "yes", "statement": "He shouted."})
    code, out, _ = run(capsys, "records", "set", record_id, "--answers", str(more), "--user", "pc1")
    assert code == 0 and "Saved 2 answers (version 2)" in out
    code, out, _ = run(capsys, "records", "show", record_id, "--json", "--user", "pc1")
    shown = json.loads(out)
    assert (
        shown["answers"]["statement"] == "He shouted."
        and shown["status"] == "draft"
        and shown["version"] == 2
    )
    code, out, _ = run(capsys, "records", "show", record_id, "--user", "pc1")
    assert code == 0 and "OFFICIAL-SENSITIVE" in out and "victim_name: Victim name: Ann Ångström" in out
    code, out, _ = run(capsys, "records", "list", "--json", "--user", "pc1")
    assert [r["id"] for r in json.loads(out)] == [record_id]
    code, out, _ = run(capsys, "records", "list", "--status", "approved", "--user", "pc1")
    assert code == 0 and "0 of 0 records" in out
    code, _out, err = run(capsys, "records", "show", record_id, "--user", "sgt1")
    assert code == ExitCode.PERMISSION_DENIED and "Say why" in err
    code, out, _ = run(capsys, "records", "show", record_id, "--reason", "QA", "--json", "--user", "sgt1")
    assert code == 0
    code, out, _ = run(capsys, "records", "delete", record_id, "--user", "pc1")
    assert code == 0 and "Deleted" in out


def test_bad_answer_files_get_clear_messages(
    station_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "victim_name": "Ann",\n  oops\n}', encoding="utf-8")
    code, _out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(broken), "--user", "pc1"
    )
    assert code == ExitCode.BAD_INPUT and f"{broken}:3: not valid JSON" in err
    code, _out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(tmp_path / "x.json"), "--user", "pc1"
    )
    assert "There is no answers file" in err
    listed = write_json(tmp_path / "list.json", ["victim_name"])
    code, _out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(listed), "--user", "pc1"
    )
    assert "one JSON object" in err
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    code, _out, err = run(capsys, "records", "new", "--form", "mini", "--answers", str(deep), "--user", "pc1")
    assert code == ExitCode.BAD_INPUT and "nested too deeply" in err
    unknown = write_json(tmp_path / "u.json", {"victm_name": "Ann"})
    code, _out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(unknown), "--user", "pc1"
    )
    assert code == ExitCode.BAD_INPUT and "no question 'victm_name'" in err
    code, _out, err = run(capsys, "records", "new", "--form", "nope", "--user", "pc1")
    assert "There is no form 'nope'. Forms available: mini." in err


def test_review_return_with_comments(
    station_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from dsvdesk.store import Store

    answers = write_json(tmp_path / "a.json", {"victim_name": "Ann", "cad_ref": "CAD1234"})
    _code, out, _ = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(answers), "--user", "pc1"
    )
    record_id = out.strip()
    with Store.open(
        station_db
    ) as store:  # submitted through the core: the CLI's submit signs (workflow tests)
        session = store.login("pc1", PASSWORD)
        store.submit(session, record_id, 1, b"%PDF-1.7 test")
    code, _out, err = run(
        capsys, "records", "review", record_id, "--return", "--comment", "no colon", "--user", "sgt1"
    )
    assert code == ExitCode.USAGE and "question_id: what to change" in err
    code, out, err = run(
        capsys,
        "records",
        "review",
        record_id,
        "--return",
        "--comment",
        "dash_q1: Ask about injuries",
        "--comment",
        "cad_ref: Check it",
        "--user",
        "sgt1",
    )
    assert code == 0, err
    assert "2 comments" in out
    code, out, _ = run(capsys, "records", "show", record_id, "--json", "--user", "pc1")
    shown = json.loads(out)
    assert shown["status"] == "returned"
    assert shown["review_comments"] == {"dash_q1": "Ask about injuries", "cad_ref": "Check it"}
    code, _out, err = run(capsys, "records", "review", record_id, "--approve", "--user", "pc1")
    assert code == ExitCode.PERMISSION_DENIED and "supervisor" in err


def test_audit_verify_export_and_tampering(
    station_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "audit", "verify", "--user", "boss")
    assert code == 0 and "intact" in out
    code, _out, err = run(capsys, "audit", "verify", "--user", "pc1")
    assert code == ExitCode.PERMISSION_DENIED
    out_csv = tmp_path / "audit.csv"
    code, out, _ = run(
        capsys, "audit", "export", "--out", str(out_csv), "--from", "2000-01-01", "--user", "sgt1"
    )
    assert code == 0 and out_csv.read_text(encoding="utf-8").startswith("id,at,event")
    code, _out, err = run(
        capsys, "audit", "export", "--out", str(out_csv), "--from", "31/01/2026", "--user", "sgt1"
    )
    assert "--from needs a date like 2026-01-31" in err
    conn = raw_connect(station_db)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET username = 'someone' WHERE id = 3")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "audit", "verify", "--user", "boss")
    assert code == ExitCode.VERIFICATION_FAILED and "BROKEN at event 3" in out


def test_backup_and_restore(station_db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    code, out, _ = run(capsys, "backup", "--out", str(backup), "--user", "boss")
    assert code == 0 and backup.exists()
    _code, out, _ = run(capsys, "records", "new", "--form", "mini", "--user", "pc1")  # newer work
    code, _out, err = run(capsys, "restore", str(backup), "--user", "boss")
    assert code == ExitCode.BAD_INPUT and "--force" in err
    code, out, err = run(capsys, "restore", str(backup), "--force", "--user", "boss")
    assert code == 0, err
    code, out, _ = run(capsys, "records", "list", "--user", "pc1")
    assert "0 of 0 records" in out


def test_encrypted_station_from_the_command_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dsvdesk.store import keys

    db = tmp_path / "new.sqlite3"
    code, out, _ = run(capsys, "init", "--station", "Trial", "--admin", "boss", "--db", str(db))
    assert code == 0 and "recovery key" in out
    recovery = next(line.strip() for line in out.splitlines() if line.count("-") == 7)
    backup = tmp_path / "b.dsvbackup"
    keys.forget(db)  # each command is its own process: nothing known until a password unwraps the key
    assert run(capsys, "backup", "--out", str(backup), "--user", "boss", "--db", str(db))[0] == 0
    keys.forget(db)
    monkeypatch.setenv("DSVDESK_PASSWORD", "not the password")
    code, _, err = run(capsys, "audit", "verify", "--user", "boss", "--db", str(db))
    assert code == ExitCode.AUTH and "username or password is not right" in err and "Traceback" not in err
    monkeypatch.setenv("DSVDESK_RECOVERY_KEY", "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    code, _, err = run(capsys, "restore", str(backup), "--recovery-key", "--force", "--db", str(db))
    assert code == ExitCode.AUTH and "recovery key is not right" in err
    code, _, err = run(capsys, "restore", str(db), "--user", "boss", "--db", str(tmp_path / "x.sqlite3"))
    assert code == ExitCode.BAD_INPUT and "not a DSVDesk backup" in err and "Traceback" not in err
    monkeypatch.setenv("DSVDESK_RECOVERY_KEY", recovery)
    monkeypatch.setenv("DSVDESK_NEW_PASSWORD", "a fresh admin password")
    code, out, err = run(capsys, "recover", "boss", "--db", str(db))
    assert code == 0, err
    keys.forget(db)
    monkeypatch.setenv("DSVDESK_PASSWORD", "a fresh admin password")
    code, out, err = run(capsys, "audit", "verify", "--user", "boss", "--db", str(db))
    assert code == 0 and "intact" in out, err
    restored = tmp_path / "restored.sqlite3"
    code, _, err = run(capsys, "restore", str(backup), "--recovery-key", "--db", str(restored))
    assert code == 0, err
