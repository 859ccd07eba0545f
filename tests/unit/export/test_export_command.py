"""`dsvdesk export` and `dsvdesk verify` as a user runs them: files, refusals, exit codes, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dsvdesk.cli import main
from dsvdesk.commands.export import export_file_name, safe_name_part
from dsvdesk.errors import ExitCode
from dsvdesk.workflow import approve_record, submit_record
from tests.helpers.encrypted import raw_connect
from tests.unit.export.station import GOOD_ANSWERS, OFFICER, PASSWORD, SUPERVISOR, Station


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)


def approved(station: Station) -> tuple[str, str]:
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    result = approve_record(
        station.store, station[SUPERVISOR], ref.id, PASSWORD, grade="high", rationale="Agreed"
    )
    return ref.id, result.urn


def export(station: Station, record_id: str, out: Path, *extra: str) -> int:
    return main(
        [
            "export",
            record_id,
            "--out",
            str(out),
            "--user",
            SUPERVISOR,
            "--db",
            str(station.path),
            "--recipient",
            "CPS Direct",
            "--justification",
            "Charging file",
            *extra,
        ]
    )


def test_export_writes_the_pdf_alone_and_logs_a_disclosure(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_id, urn = approved(station)
    out = tmp_path / "out"
    out.mkdir()
    assert export(station, record_id, out) == 0
    pdf = out / f"{urn}_review-test_r1.pdf"
    assert sorted(p.name for p in out.iterdir()) == [pdf.name]  # no trust anchor travels with it
    assert pdf.read_bytes() == station.store.signed_pdf(station[SUPERVISOR], record_id, 1)
    printed = capsys.readouterr().out
    assert f"Wrote {pdf}" in printed
    assert "--trust" not in printed and "station_ca" not in printed  # no self-trust hint
    with raw_connect(station.path) as conn:
        rows = conn.execute(
            "SELECT recipient, justification FROM audit_events WHERE event = 'disclosure' AND record_id = ?",
            (record_id,),
        ).fetchall()
    assert rows == [("CPS Direct", "Charging file")]

    # the exported file verifies against the anchors of the station that holds it
    assert main(["verify", str(pdf), "--db", str(station.path)]) == 0
    printed = capsys.readouterr().out
    assert "All 2 signature(s) are intact and trusted." in printed
    assert "Signer:   Łukasz Żółć (collar 1234)" in printed and "Reason:   Quality assured" in printed


def test_export_never_silently_overwrites(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_id, urn = approved(station)
    assert export(station, record_id, tmp_path) == 0
    pdf = tmp_path / f"{urn}_review-test_r1.pdf"
    pdf.write_bytes(b"%PDF-1.7 someone else's file")
    capsys.readouterr()
    assert export(station, record_id, tmp_path) == ExitCode.CONFLICT
    assert "already exists, so nothing was written" in capsys.readouterr().err
    assert pdf.read_bytes() == b"%PDF-1.7 someone else's file"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dsvdesk-")]  # no temp files left
    assert export(station, record_id, tmp_path, "--overwrite") == 0
    assert pdf.read_bytes().startswith(b"%PDF-") and len(pdf.read_bytes()) > 1000


def test_export_refusals_are_clear(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    base = ["export", draft.id, "--user", OFFICER, "--db", str(station.path)]
    assert main([*base, "--out", str(tmp_path), "--justification", "x"]) == ExitCode.NOT_READY
    assert "has not been submitted yet" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path)]) == ExitCode.USAGE
    assert "Say why the record is being disclosed" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "nope"), "--justification", "x"]) == ExitCode.NOT_FOUND
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.pdf"))


def test_verify_uses_the_configured_station_ca_and_reports_alteration(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_id, _urn = approved(station)
    data = station.store.signed_pdf(station[SUPERVISOR], record_id, 1)
    assert data is not None
    good = tmp_path / "good.pdf"
    good.write_bytes(data)
    assert main(["verify", str(good), "--db", str(station.path)]) == 0
    capsys.readouterr()
    # no trust at all: intact, listed, but untrusted (its own exit code), never 0
    assert main(["verify", str(good), "--db", str(tmp_path / "no-such.sqlite3")]) == ExitCode.UNTRUSTED_SIGNER
    printed = capsys.readouterr().out
    assert "NOT TRUSTED" in printed and "Anyone could have made" in printed
    tampered = bytearray(data)
    position = tampered.index(b"stream", tampered.index(b"/Type /Page")) + 40
    tampered[position] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(tampered))
    assert main(["verify", str(bad), "--db", str(station.path)]) == ExitCode.VERIFICATION_FAILED
    out = capsys.readouterr().out
    assert "ALTERED" in out and "has been altered since it was signed" in out


def test_verify_clear_messages_for_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("just text", encoding="utf-8")
    assert main(["verify", str(text)]) == ExitCode.BAD_INPUT
    assert "is not a PDF file" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "missing.pdf")]) == ExitCode.NOT_FOUND
    assert "There is no file" in capsys.readouterr().err
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate", encoding="utf-8")
    assert main(["verify", str(text), "--trust", str(bad_ca)]) == ExitCode.BAD_INPUT
    assert "is not a certificate file" in capsys.readouterr().err
    assert main(["verify", str(text), "--crl", str(bad_ca)]) == ExitCode.USAGE
    assert "--crl needs --trust" in capsys.readouterr().err


def test_file_names_use_safe_characters_only() -> None:
    assert safe_name_part("../../etc/passwd") == "etc-passwd"
    assert safe_name_part("01/2026/000123") == "01-2026-000123"
    assert safe_name_part("王小明") == "record"
    assert safe_name_part("CON\x00:*?") == "CON"
    assert (
        export_file_name(urn=None, record_id="5f0c6a0e-1111", form_id="124d", revision=2)
        == "5f0c6a0e-1111_124d_r2.pdf"
    )
    assert (
        export_file_name(urn="AB-2026-00001", record_id="x", form_id="dash_s", revision=1)
        == "AB-2026-00001_dash-s_r1.pdf"
    )


def test_packs_are_dispatched_to_the_pack_verifier_without_trust_from_the_pack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dsvdesk.export import board_pack as pack_module
    from dsvdesk.export.verify import Outcome

    calls: list[tuple[Path, tuple[Any, ...]]] = []

    class Result:
        outcome = Outcome.UNTRUSTED

        def describe(self) -> list[str]:
            return ["pack checked"]

    def verify_pack(path: Path, trust_roots: tuple[Any, ...], **_anchors: Any) -> Result:
        calls.append((path, tuple(trust_roots)))
        return Result()

    monkeypatch.setattr(pack_module, "verify_pack", verify_pack)
    pack = tmp_path / "board.zip"
    pack.write_bytes(b"PK")
    assert main(["verify", str(pack), "--db", str(tmp_path / "none.sqlite3")]) == ExitCode.UNTRUSTED_SIGNER
    assert calls == [(pack, ())]  # nothing configured: no roots at all, never the pack's own
    printed = capsys.readouterr().out
    assert "pack checked" in printed and "Checked against: nothing" in printed
    assert (
        main(["verify", str(tmp_path), "--db", str(tmp_path / "none.sqlite3")]) == ExitCode.UNTRUSTED_SIGNER
    )
    assert calls[-1][0] == tmp_path
