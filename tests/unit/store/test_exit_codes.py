"""Every exit code of `dsvdesk`, produced through the CLI as a script sees it, and the one table that
documents them (dsvdesk.errors.ExitCode) matches the README and the `--help` epilog.

"Verification failed" and "untrusted signer" need signed files or a tampered audit chain: they are proven
in tests/unit/export/test_export_command.py (altered / untrusted PDFs) and tests/unit/store/test_cli.py
(a broken audit chain)."""

from __future__ import annotations

import argparse
import errno
from pathlib import Path

import pytest

from dsvdesk import cli
from dsvdesk.errors import ExitCode, UserFacingError, exit_code_for
from tests.unit.store.test_cli import (  # the CLI station fixtures, shared rather than copied
    cli_env,  # noqa: F401 - a fixture used by station_db
    cli_template,  # noqa: F401 - a fixture used by station_db
    run,
    station_db,  # noqa: F401 - a fixture
)

ROOT = Path(__file__).resolve().parents[3]


def test_codes_are_distinct_and_each_has_a_meaning() -> None:
    values = [int(code) for code in ExitCode]
    assert len(values) == len(set(values))
    assert all(code.meaning for code in ExitCode)


def test_readme_table_is_the_enum() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} | {code.meaning} |" in readme, f"README lacks the row for {code.name}"


def test_help_epilog_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code in ExitCode:
        assert f"{int(code):>3}  {code.meaning}" in out


@pytest.mark.usefixtures("station_db")
def test_usage_errors_from_argparse_and_from_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["records", "no-such-subcommand"])
    assert exc.value.code == ExitCode.USAGE
    capsys.readouterr()
    code, _out, err = run(capsys, "records", "review", "x", "--return", "--grade", "high", "--user", "sgt1")
    assert code == ExitCode.USAGE and "--grade and --rationale go with --approve" in err


@pytest.mark.usefixtures("station_db")
def test_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "records", "show", "00000000-0000-0000-0000-000000000000", "--user", "pc1")
    assert code == ExitCode.NOT_FOUND and "Traceback" not in err


@pytest.mark.usefixtures("station_db")
def test_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "a.json"
    broken.write_text("{not json", encoding="utf-8")
    code, _out, err = run(
        capsys, "records", "new", "--form", "mini", "--answers", str(broken), "--user", "pc1"
    )
    assert code == ExitCode.BAD_INPUT and "not valid JSON" in err


@pytest.mark.usefixtures("station_db")
def test_wrong_password_and_locked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", "not the password")
    outcomes = [run(capsys, "records", "list", "--user", "pc1") for _ in range(6)]
    assert {code for code, _out, _err in outcomes} == {ExitCode.AUTH}
    assert any("locked" in err for _code, _out, err in outcomes)


@pytest.mark.usefixtures("station_db")
def test_permission_denied(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "audit", "verify", "--user", "pc1")
    assert code == ExitCode.PERMISSION_DENIED and "Only an admin or a supervisor" in err


@pytest.mark.usefixtures("station_db")
def test_not_ready(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "records", "new", "--form", "mini", "--user", "pc1")
    record_id = out.strip()
    code, _out, err = run(capsys, "records", "submit", record_id, "--user", "pc1")
    assert code == ExitCode.NOT_READY and "Traceback" not in err


@pytest.mark.usefixtures("cli_env")
def test_environment(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("hello " * 1000, encoding="utf-8")
    code, _out, err = run(capsys, "users", "list", "--user", "boss", "--db", str(not_a_db))
    assert code == ExitCode.ENVIRONMENT and "not a DSVDesk database" in err


@pytest.mark.usefixtures("station_db")
def test_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "init", "--station", "Other", "--admin", "x")
    assert code == ExitCode.CONFLICT and "already set up" in err


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("raised", "expected", "said"),
    [
        (RuntimeError("a bug"), ExitCode.INTERNAL, "something unexpected went wrong"),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, "interrupted"),
        (OSError(errno.ENOSPC, "No space left on device", "/mnt/out"), ExitCode.ENVIRONMENT, "No space left"),
    ],
)
def test_internal_interrupted_and_environment_errors_from_any_command(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    raised: BaseException,
    expected: ExitCode,
    said: str,
) -> None:
    def failing(_args: argparse.Namespace) -> int:
        raise raised

    from dsvdesk.commands import forms

    monkeypatch.setattr(forms, "run_forms_list", failing)
    code, _out, err = run(capsys, "forms", "list")
    assert code == expected and said in err and "Traceback" not in err


def test_exception_classes_map_through_their_class() -> None:
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.export.verify import VerificationError
    from dsvdesk.store import errors as store_errors
    from dsvdesk.workflow import IncompleteRecord

    assert exit_code_for(UserFacingError("x")) == ExitCode.FAILED
    assert exit_code_for(FormDefinitionErrors([])) == ExitCode.BAD_INPUT
    assert exit_code_for(VerificationError("x")) == ExitCode.BAD_INPUT
    assert exit_code_for(IncompleteRecord([])) == ExitCode.NOT_READY
    assert exit_code_for(store_errors.AccountLocked("x", until="")) == ExitCode.AUTH
    assert exit_code_for(store_errors.SaveConflict("x", current_version=1)) == ExitCode.CONFLICT
    assert exit_code_for(store_errors.StorageUnavailable("x", reason="full")) == ExitCode.ENVIRONMENT
    assert exit_code_for(store_errors.StorageUnavailable("x", reason="missing")) == ExitCode.NOT_FOUND
