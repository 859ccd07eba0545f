"""Signing and verification: both signatures valid and trusted in pyHanko AND, independently, in
poppler's pdfsig; one flipped byte breaks both; clear errors for bad input."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

from dsvdesk.errors import UserFacingError
from dsvdesk.export.pdf import render_record_pdf
from dsvdesk.export.signing import (
    APPROVE_REASON,
    OFFICER_FIELD,
    SUBMIT_REASON,
    SUPERVISOR_FIELD,
    SigningFailed,
    _stamp_text,
    countersign_pdf,
    prepare_signature_fields,
    sign_pdf,
)
from dsvdesk.export.verify import VerificationError, verify_pdf
from dsvdesk.store import pki
from tests.unit.export.conftest import (
    HISTORY,
    StationPki,
    every_type_spec,
    full_answers,
    make_meta,
    run,
    tool,
)

SavePages = Callable[..., Path]


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_record_pdf(every_type_spec(), full_answers(), make_meta(), HISTORY)


@pytest.fixture(scope="module")
def officer_signed(unsigned: bytes, station_pki: StationPki) -> bytes:
    return sign_pdf(
        prepare_signature_fields(unsigned),
        station_pki.officer,
        field=OFFICER_FIELD,
        reason=SUBMIT_REASON,
        location="Aberystwyth",
        stamp_lines=["Łukasz Żółć", "Collar number: 1234", SUBMIT_REASON, "Aberystwyth 100%"],
    )


@pytest.fixture(scope="module")
def both_signed(officer_signed: bytes, station_pki: StationPki) -> bytes:
    return countersign_pdf(
        officer_signed,
        station_pki.supervisor,
        location="Aberystwyth",
        stamp_lines=[
            "王小明",
            "Collar number: 4411",
            APPROVE_REASON,
            "URN: 01/2026/000123",
            "Grade: High risk",
            "Rationale: " + "Risk is escalating and children are present. " * 4,
        ],
    )


def nss_db(tmp_path: Path, ca: x509.Certificate) -> Path:
    folder = tmp_path / "nssdb"
    folder.mkdir()
    certutil = tool("certutil")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(pki.cert_pem(ca))
    for argv in (
        [certutil, "-N", "-d", f"sql:{folder}", "--empty-password"],
        [certutil, "-A", "-d", f"sql:{folder}", "-n", "Station CA", "-t", "CT,C,C", "-i", str(ca_file)],
    ):
        result = run(argv)
        assert result.returncode == 0, result.stderr
    return folder


def pdfsig(pdf: Path, nssdir: Path) -> list[dict[str, str]]:
    """pdfsig's report per signature. Its exit code is 0 even for a bad signature: read the text."""
    result = run([tool("pdfsig"), "-nssdir", str(nssdir), str(pdf)])
    blocks = re.split(r"^Signature #\d+:\s*$", result.stdout, flags=re.MULTILINE)[1:]
    parsed = []
    for block in blocks:
        fields = dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, flags=re.MULTILINE))
        parsed.append(fields)
    assert parsed, result.stdout + result.stderr
    return parsed


def test_signing_is_an_incremental_update_each_time(
    unsigned: bytes, officer_signed: bytes, both_signed: bytes
) -> None:
    prepared = prepare_signature_fields(unsigned)
    assert prepared.startswith(unsigned)
    assert both_signed.startswith(officer_signed)
    assert officer_signed.count(b"%%EOF") == 3 and both_signed.count(b"%%EOF") == 4


def test_pyhanko_reports_both_signatures_intact_valid_trusted(
    both_signed: bytes, station_pki: StationPki
) -> None:
    result = verify_pdf(both_signed, [station_pki.ca])
    assert result.all_good
    officer, supervisor = result.signatures
    assert (officer.field, supervisor.field) == (OFFICER_FIELD, SUPERVISOR_FIELD)
    assert officer.signer == "Łukasz Żółć" and officer.collar == "1234"
    assert supervisor.signer == "王小明" and supervisor.collar == "4411"
    assert officer.reason == SUBMIT_REASON and supervisor.reason == APPROVE_REASON
    assert officer.location == "Aberystwyth"
    assert officer.signing_time is not None
    # the countersignature was added after the officer signed, as form filling only
    assert officer.changed_after_signing and not officer.altered_after_signing
    assert officer.modification_level == "FORM_FILLING"
    assert not supervisor.changed_after_signing
    assert "GOOD" in officer.verdict() and supervisor.verdict() == "GOOD"


def test_pdfsig_independently_reports_both_valid_and_trusted(
    both_signed: bytes, station_pki: StationPki, tmp_path: Path
) -> None:
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(both_signed)
    report = pdfsig(pdf, nss_db(tmp_path, station_pki.ca))
    assert [r["Signature Field Name"] for r in report] == [OFFICER_FIELD, SUPERVISOR_FIELD]
    for sig in report:
        assert sig["Signature Validation"] == "Signature is Valid."
        assert sig["Certificate Validation"] == "Certificate is Trusted."
        assert sig["Signature Type"] == "ETSI.CAdES.detached"


def _flip_byte_in_first_signed_range(data: bytes) -> bytes:
    """Flip one byte inside a compressed page stream, which every signature's first range covers."""
    ranges = [
        tuple(map(int, m)) for m in re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    ]
    assert len(ranges) == 2
    first_range_end = min(r[1] for r in ranges)
    stream = data.index(b"stream", data.index(b"/Type /Page"))
    position = stream + 40
    assert position < first_range_end
    tampered = bytearray(data)
    tampered[position] ^= 0x01
    return bytes(tampered)


def test_one_flipped_byte_breaks_both_signatures(
    both_signed: bytes, station_pki: StationPki, tmp_path: Path
) -> None:
    tampered = _flip_byte_in_first_signed_range(both_signed)
    result = verify_pdf(tampered, [station_pki.ca])
    assert not result.all_good
    assert all(not s.intact and not s.ok for s in result.signatures)
    assert all(s.verdict().startswith("ALTERED") for s in result.signatures)
    pdf = tmp_path / "tampered.pdf"
    pdf.write_bytes(tampered)
    report = pdfsig(pdf, nss_db(tmp_path, station_pki.ca))
    assert len(report) == 2
    assert all(r["Signature Validation"] == "Digest Mismatch." for r in report)


def test_untrusted_without_the_station_ca(both_signed: bytes, other_ca: x509.Certificate) -> None:
    for roots in ([], [other_ca]):
        result = verify_pdf(both_signed, roots)
        assert not result.all_good
        assert all(s.intact and s.valid and not s.trusted for s in result.signatures)
        assert all(s.verdict().startswith("NOT TRUSTED") for s in result.signatures)


def test_no_personal_data_in_logs_when_verifying(
    both_signed: bytes, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    verify_pdf(both_signed, [])
    logged = caplog.text + capfd.readouterr().err
    assert "Żółć" not in logged and "王小明" not in logged


def test_officer_signature_alone_is_good(officer_signed: bytes, station_pki: StationPki) -> None:
    result = verify_pdf(officer_signed, [station_pki.ca])
    assert [s.field for s in result.signatures] == [OFFICER_FIELD]
    assert result.all_good and not result.signatures[0].changed_after_signing


def test_not_a_pdf_and_unsigned_pdf_give_clear_errors(unsigned: bytes, tmp_path: Path) -> None:
    with pytest.raises(VerificationError, match="not a PDF"):
        verify_pdf(b"PK\x03\x04 a zip file", [])
    with pytest.raises(VerificationError, match="no digital signature"):
        verify_pdf(unsigned, [])
    with pytest.raises(VerificationError, match="no digital signature"):
        verify_pdf(prepare_signature_fields(unsigned), [])
    with pytest.raises(VerificationError, match="There is no file"):
        verify_pdf(tmp_path / "missing.pdf", [])
    with pytest.raises(VerificationError, match="damaged"):
        verify_pdf(b"%PDF-1.4\n garbage without structure", [])


def test_signing_refuses_unprepared_signed_or_broken_input(
    unsigned: bytes, officer_signed: bytes, station_pki: StationPki
) -> None:
    def sign(data: bytes, field: str = OFFICER_FIELD) -> bytes:
        return sign_pdf(data, station_pki.officer, field=field, reason="r", location="l", stamp_lines=["x"])

    with pytest.raises(SigningFailed, match="no 'OfficerSignature' signature box"):
        sign(unsigned)
    with pytest.raises(SigningFailed, match="already signed"):
        sign(officer_signed)
    with pytest.raises(UserFacingError, match="not a readable PDF"):
        sign(b"not a pdf at all")
    with pytest.raises(UserFacingError, match="not a readable PDF"):
        prepare_signature_fields(b"not a pdf at all")


def test_stamp_text_is_wrapped_limited_and_escaped() -> None:
    text = _stamp_text(["100% sure", "word " * 200, "line\nbreak"])
    lines = text.split("\n")
    assert lines[0] == "100%% sure"  # pyHanko %-formats the template
    assert len(lines) <= 9 and lines[-1].endswith("…")
    assert all(len(line.replace("%%", "%")) <= 52 for line in lines)


def test_signed_pages_rendered_for_review(both_signed: bytes, save_pages: SavePages) -> None:
    pdf = save_pages(both_signed, "signed_both")
    result = subprocess.run([tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True)
    # the visible stamps carry the names, the URN and the grade
    assert "Łukasz Żółć" in result.stdout
    assert "URN: 01/2026/000123" in result.stdout and "Grade: High risk" in result.stdout
