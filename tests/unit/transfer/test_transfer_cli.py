"""`dsvdesk transfer`: the commands, their sentences and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.engine.spec import FormSpec
from dsvdesk.errors import ExitCode
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_import_units_and_bad_files(
    units: dict[str, Unit],
    mini_spec: FormSpec,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    hol, csu = units["HOL"], units["CSU"]
    session = hol["pc1"]
    ref = hol.store.create_record(session, mini_spec, {"victim_name": "Jo Bloggs"})
    hol.store.submit(session, ref.id, ref.version, fake_pdf("x"))
    for unit in units.values():
        unit.store.close()  # the commands open the databases themselves
    bundle = tmp_path / "hol1.dsvbundle"

    code, out, err = run(
        capsys,
        "transfer",
        "export",
        "--to",
        "CSU",
        "--out",
        str(bundle),
        "--user",
        "ps1",
        "--db",
        str(hol.path),
    )
    assert code == 0, err
    assert "Bundle 1 for Borough CSU" in out and "1 record(s)" in out

    code, out, err = run(capsys, "transfer", "import", str(bundle), "--user", "csu1", "--db", str(csu.path))
    assert code == 0, err
    assert "Bundle 1 from Holloway imported: 1 new" in out

    # the exporting station proves its audit log still holds the head the bundle left with
    code, out, err = run(
        capsys, "audit", "verify", "--against", str(bundle), "--db", str(hol.path), "--user", "ps1"
    )
    assert code == 0, err

    code, _out, err = run(capsys, "transfer", "import", str(bundle), "--user", "csu1", "--db", str(csu.path))
    assert code == ExitCode.CONFLICT and "already imported" in err and "Traceback" not in err

    cut = tmp_path / "cut.dsvbundle"
    cut.write_bytes(bundle.read_bytes()[:300])
    code, _out, err = run(capsys, "transfer", "import", str(cut), "--user", "csu1", "--db", str(csu.path))
    assert code == ExitCode.BAD_INPUT and "cut short" in err

    code, _out, err = run(capsys, "transfer", "import", str(bundle), "--user", "pc1", "--db", str(hol.path))
    assert code == ExitCode.BAD_INPUT and "another unit" in err

    code, out, err = run(capsys, "transfer", "units", "--user", "csu1", "--db", str(csu.path))
    assert code == 0, err
    assert "HOL" in out and "Holloway (up to bundle 1" in out

    code, _out, err = run(
        capsys,
        "transfer",
        "export",
        "--to",
        "NOPE",
        "--out",
        str(tmp_path / "n"),
        "--user",
        "csu1",
        "--db",
        str(csu.path),
    )
    assert code == ExitCode.NOT_FOUND and "No transfer unit 'NOPE'" in err

    code, _out, err = run(
        capsys,
        "transfer",
        "export",
        "--to",
        "HOL",
        "--out",
        str(tmp_path / "o"),
        "--user",
        "admin",
        "--db",
        str(csu.path),
    )
    assert code == ExitCode.PERMISSION_DENIED
