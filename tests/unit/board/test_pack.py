"""The signed board pack: written, verified, and every kind of tampering caught and named."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.export.board_pack import (
    MANIFEST,
    PART_A_CSV,
    PART_A_PDF,
    PART_B,
    PackError,
    embedded_manifest,
    verify_pack,
)
from dsvdesk.export.report_pdf import (
    BoardReport,
    ReportHeader,
    ReportParagraph,
    ReportQuestion,
    ReportSection,
)
from dsvdesk.export.verify import Outcome
from dsvdesk.reporting.pack import (
    build_pack_files,
    write_pack,
)
from dsvdesk.reporting.parta import EnteredFigure, compute_part_a
from tests.unit.board.conftest import BoardPki
from tests.unit.board.fixtures import PERIOD, VOCABULARY, build_rows

EXPORTED = datetime(2010, 9, 20, 14, 30, tzinfo=UTC)


def _report(text: str = "124D completion this period: {{partA.completion_rate}}.") -> BoardReport:
    header = ReportHeader(
        report_id="6f1c2a7e-0000-4000-8000-000000000003",
        revision=1,
        report_number="3",
        borough="Islington / ../etc",
        period=PERIOD,
        authors=("DI Jane Smith, CSU",),
    )
    section = ReportSection(
        "b2",
        "B2",
        "Policy compliance and quality assurance",
        (ReportQuestion("q1", "How is the 124D used?", (ReportParagraph(text, "Risk assessment"),)),),
    )
    return BoardReport(header, (section,))


@pytest.fixture(scope="module")
def pack_files(test_pki: BoardPki) -> dict[str, bytes]:
    part_a = compute_part_a(
        build_rows(), PERIOD, [EnteredFigure("CAD calls", "4368", "CAD")], vocabulary=VOCABULARY
    )
    return build_pack_files(
        _report(),
        part_a,
        identity=test_pki.identity,
        exporter="di_smith (Jane Smith)",
        exported_at=EXPORTED,
        location="Islington",
        signer_lines=["DI Jane Smith (101)"],
        audit_head=(41, "ab" * 32),
    )


@pytest.fixture
def pack(pack_files: dict[str, bytes], tmp_path: Path) -> Any:
    return write_pack(pack_files, tmp_path, base_name="board_pack_report3_Islington", exported_at=EXPORTED)


def test_pack_holds_every_file_and_a_signed_manifest(pack: Any, test_pki: BoardPki) -> None:
    assert sorted(p.name for p in pack.folder.iterdir()) == sorted([PART_B, PART_A_PDF, PART_A_CSV, MANIFEST])
    with zipfile.ZipFile(pack.zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{pack.folder.name}/{n}" for n in (PART_B, PART_A_PDF, PART_A_CSV, MANIFEST)
        )
    manifest_bytes = (pack.folder / MANIFEST).read_bytes()
    assert embedded_manifest((pack.folder / PART_A_PDF).read_bytes()) == manifest_bytes
    manifest = json.loads(manifest_bytes)
    assert manifest["report"]["id"] == "6f1c2a7e-0000-4000-8000-000000000003"
    assert manifest["report"]["revision"] == 1
    assert manifest["period"] == {"from": "2010-04-01", "to": "2010-09-30"}
    assert manifest["exported_by"] == "di_smith (Jane Smith)"
    assert manifest["exported_at"] == "2010-09-20T14:30:00+00:00"
    assert manifest["dsvdesk_version"]
    assert manifest["audit_head"] == {"seq": 41, "hash": "ab" * 32}
    assert manifest["station_ca_certified_by_force"] is False
    assert manifest["trust_note"] == "Station CA not certified by a force"
    names = {f["name"] for f in manifest["files"]}
    assert names == {PART_B, PART_A_CSV, PART_A_PDF}
    import hashlib

    for entry in manifest["files"]:
        if entry["sha256"]:
            data = (pack.folder / entry["name"]).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)


@pytest.mark.parametrize("where", ["folder", "zip"])
def test_untouched_pack_verifies(pack: Any, test_pki: BoardPki, where: str) -> None:
    result = verify_pack(pack.folder if where == "folder" else pack.zip_path, [test_pki.ca])
    assert result.ok, result.lines()
    lines = result.lines()
    assert len(lines) == 5 and lines[-1].endswith("ALL FILES VERIFIED")
    assert result.outcome is Outcome.TRUSTED
    assert all(line.startswith("OK") for line in lines[:-1])
    assert any("Jane Smith" in line for line in lines)


def test_pack_signed_by_another_ca_is_not_trusted(pack: Any, other_ca: Any) -> None:
    result = verify_pack(pack.folder, [other_ca])
    assert not result.ok and result.outcome is Outcome.UNTRUSTED
    assert any("NOT TRUSTED" in line for line in result.lines())
    assert "Anyone could have made" in result.lines()[-1]


def test_without_trust_roots_nothing_in_the_pack_is_trusted(pack: Any, test_pki: BoardPki) -> None:
    """A pack never vouches for itself: with no roots given, intact files are still untrusted."""
    result = verify_pack(pack.folder)
    assert not result.ok and result.outcome is Outcome.UNTRUSTED
    assert "ALL FILES VERIFIED" not in "\n".join(result.lines())


def _failures(result: Any) -> dict[str, str]:
    return {f.name: f.message for f in result.files if not f.ok}


@pytest.mark.parametrize("name", [PART_B, PART_A_PDF, PART_A_CSV, MANIFEST])
def test_one_byte_changed_is_named(pack: Any, test_pki: BoardPki, name: str) -> None:
    path = pack.folder / name
    data = bytearray(path.read_bytes())
    index = len(data) // 2
    data[index] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify_pack(pack.folder, [test_pki.ca])
    assert not result.ok
    assert name in _failures(result), result.lines()
    assert result.lines()[-1].endswith("VERIFICATION FAILED")
    assert result.outcome is Outcome.FAILED


@pytest.mark.parametrize("name", [PART_B, PART_A_PDF, PART_A_CSV, MANIFEST])
def test_removed_file_is_named(pack: Any, test_pki: BoardPki, name: str) -> None:
    (pack.folder / name).unlink()
    result = verify_pack(pack.folder, [test_pki.ca])
    assert not result.ok
    assert "MISSING" in _failures(result)[name]


def test_added_file_is_named(pack: Any, test_pki: BoardPki) -> None:
    (pack.folder / "notes.txt").write_text("extra", encoding="utf-8")
    result = verify_pack(pack.folder, [test_pki.ca])
    assert not result.ok
    assert _failures(result) == {"notes.txt": "EXTRA: not listed in the signed manifest"}


@pytest.mark.parametrize("name", [PART_B, PART_A_CSV, PART_A_PDF])
def test_renamed_file_is_named(pack: Any, test_pki: BoardPki, name: str) -> None:
    (pack.folder / name).rename(pack.folder / f"renamed_{name}")
    result = verify_pack(pack.folder, [test_pki.ca])
    failures = _failures(result)
    assert "RENAMED" in failures[f"renamed_{name}"]
    assert "MISSING (found renamed as" in failures[name]


def test_tampered_zip_member_is_named(pack: Any, test_pki: BoardPki, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pack.zip_path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(PART_A_CSV):
                data = data.replace(b"records", b"recordz", 1)
            dst.writestr(info, data)
    result = verify_pack(tampered, [test_pki.ca])
    assert "ALTERED" in _failures(result)[PART_A_CSV]


def test_manifest_rewritten_to_match_a_forged_file_is_caught(pack: Any, test_pki: BoardPki) -> None:
    """A forger who edits the CSV and fixes up the loose manifest still fails: the signed copy differs."""
    import hashlib

    csv_path = pack.folder / PART_A_CSV
    forged = csv_path.read_bytes().replace(b"Approved 124D records", b"Approved 124D recordz")
    csv_path.write_bytes(forged)
    manifest = json.loads((pack.folder / MANIFEST).read_bytes())
    for entry in manifest["files"]:
        if entry["name"] == PART_A_CSV:
            entry["sha256"] = hashlib.sha256(forged).hexdigest()
    (pack.folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    failures = _failures(verify_pack(pack.folder, [test_pki.ca]))
    assert "ALTERED" in failures[MANIFEST] and "ALTERED" in failures[PART_A_CSV]


def test_not_a_pack_is_refused_calmly(tmp_path: Path, test_pki: BoardPki) -> None:
    bogus = tmp_path / "pack.zip"
    bogus.write_bytes(b"this is not a zip")
    with pytest.raises(PackError, match="not a readable zip"):
        verify_pack(bogus, [test_pki.ca])
    with pytest.raises(PackError, match="no board pack"):
        verify_pack(tmp_path / "missing.zip", [test_pki.ca])
    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify_pack(empty, [test_pki.ca])
    assert not result.ok and PART_A_PDF in _failures(result)


def test_second_export_never_overwrites(pack_files: dict[str, bytes], tmp_path: Path) -> None:
    first = write_pack(pack_files, tmp_path, base_name="pack", exported_at=EXPORTED)
    second = write_pack(pack_files, tmp_path, base_name="pack", exported_at=EXPORTED)
    assert first.folder != second.folder and second.folder.name == "pack-2"
    assert first.zip_path.exists() and second.zip_path.exists()


def test_hostile_base_name_stays_inside_the_folder(pack_files: dict[str, bytes], tmp_path: Path) -> None:
    result = write_pack(
        pack_files, tmp_path, base_name="../../etc/passwd\x00 Ißlington", exported_at=EXPORTED
    )
    assert result.folder.parent == tmp_path
    assert "/" not in result.folder.name and ".." not in result.folder.name


def test_missing_output_folder_is_a_clear_error(pack_files: dict[str, bytes], tmp_path: Path) -> None:
    with pytest.raises(PackError, match="does not exist"):
        write_pack(pack_files, tmp_path / "nope", base_name="pack", exported_at=EXPORTED)


def test_unknown_part_a_reference_refuses_export(test_pki: BoardPki) -> None:
    part_a = compute_part_a([], PERIOD, vocabulary=VOCABULARY)
    with pytest.raises(PackError, match=r"\{\{partA.no_such_figure\}\}"):
        build_pack_files(
            _report("Quoting {{partA.no_such_figure}} here."),
            part_a,
            identity=test_pki.identity,
            exporter="x",
            exported_at=EXPORTED,
        )


def test_pdfsig_agrees_that_both_pdfs_are_signed(pack: Any) -> None:
    import subprocess

    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    for name in (PART_B, PART_A_PDF):
        out = subprocess.run(
            ["pdfsig", str(pack.folder / name)], capture_output=True, text=True, check=False
        ).stdout
        assert "Signature is Valid" in out, out
