"""Submission and approval end to end on a real store: sign, countersign, verify; refusals change nothing."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.errors import UserFacingError
from dsvdesk.export.signing import attached_submission
from dsvdesk.export.verify import verify_pdf
from dsvdesk.store import Status, WrongPassword, pki
from dsvdesk.workflow import (
    IncompleteRecord,
    ReviewQuestionMissing,
    approve_record,
    review_changes,
    submit_record,
)
from tests.unit.export.conftest import run, tool
from tests.unit.export.station import (
    GOOD_ANSWERS,
    OFFICER,
    PASSWORD,
    SUPERVISOR,
    UNTAGGED_FORM,
    Station,
)


def ca_of(station: Station) -> list[object]:
    pem = station.store.station_ca_pem()
    assert pem is not None
    return list(pki.load_certs(pem))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_submit_signs_and_stores_the_pdf(station: Station, tmp_path: Path) -> None:
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    result = submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    assert result.ref.status is Status.SUBMITTED
    stored = station.store.signed_pdf(station[OFFICER], ref.id, 1)
    assert stored == result.signed_pdf
    check = verify_pdf(stored, ca_of(station))
    assert check.all_good
    (officer,) = check.signatures
    assert (
        officer.field == "OfficerSignature" and officer.signer == "Łukasz Żółć" and officer.collar == "1234"
    )
    assert officer.reason == "Submitted as true and complete" and officer.location == "Aberystwyth"
    text = pdf_text(stored, tmp_path)
    assert "Łucja Wiśniewska <b>" in text
    assert "Submitted" in text and "Created" in text  # the history block
    assert "Supervisor review" not in text  # reviewer sections are not in the officer's PDF


def test_incomplete_record_is_refused_before_signing(station: Station) -> None:
    ref = station.store.create_record(station[OFFICER], station.spec, {"statement": "only this"})
    with pytest.raises(IncompleteRecord) as caught:
        submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    assert [f.question_id for f in caught.value.findings] == ["victim_name"]
    assert "1 problem" in caught.value.message
    record = station.store.open_record(station[OFFICER], ref.id)
    assert record.status is Status.DRAFT and record.version == ref.version
    assert station.store.signed_pdf(station[OFFICER], ref.id, 1) is None


def test_wrong_password_refuses_to_sign_and_changes_nothing(station: Station) -> None:
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    with pytest.raises(WrongPassword):
        submit_record(station.store, station[OFFICER], ref.id, "not the password")
    record = station.store.open_record(station[OFFICER], ref.id)
    assert record.status is Status.DRAFT and record.version == ref.version
    assert station.store.signed_pdf(station[OFFICER], ref.id, 1) is None


def submitted(station: Station) -> str:
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    return ref.id


def test_approval_makes_a_true_approved_document_keeping_the_officer_signature(
    station: Station, tmp_path: Path
) -> None:
    record_id = submitted(station)
    officer_pdf = station.store.signed_pdf(station[OFFICER], record_id, 1)
    assert officer_pdf is not None
    record = station.store.open_record(station[SUPERVISOR], record_id, justification="test")
    station.store.save_answers(
        station[SUPERVISOR],
        record_id,
        {"qa_dash_complete": "yes", "marac_decision": "referred", "supervisor_comments": "Well recorded."},
        record.version,
    )
    result = approve_record(
        station.store,
        station[SUPERVISOR],
        record_id,
        PASSWORD,
        grade="High",
        rationale="Escalating; 100% agree.",
    )
    assert re.fullmatch(r"ABERYSTWYTH-\d{4}-\d{5}", result.urn)
    # the officer's signed bytes are inside the approved document, unchanged
    assert attached_submission(result.approved_pdf) == officer_pdf
    assert attached_submission(officer_pdf) is None
    record = station.store.open_record(station[SUPERVISOR], record_id, justification="test")
    assert record.status is Status.APPROVED and record.urn == result.urn
    assert record.answers["supervisor_grade"] == "high"  # saved into the question tagged review: grade
    assert record.answers["supervisor_rationale"] == "Escalating; 100% agree."
    assert station.store.signed_pdf(station[SUPERVISOR], record_id, 1) == result.approved_pdf
    check = verify_pdf(result.approved_pdf, ca_of(station))
    assert check.all_good
    officer, supervisor = check.signatures
    assert officer.field == "OfficerSignature" and officer.attachment == "officer-signed-submission.pdf"
    assert officer.signer == "Łukasz Żółć" and not officer.changed_after_signing
    assert supervisor.field == "SupervisorSignature" and not supervisor.attachment
    assert supervisor.signer == "Ann Jones" and supervisor.reason == "Quality assured"
    assert supervisor.coverage == "ENTIRE_FILE"
    assert any("in the attached signed submission" in line for line in check.describe())
    text = re.sub(r"\s+", " ", pdf_text(result.approved_pdf, tmp_path))
    # the body is true: URN, status, grade, rationale, QA checklist, MARAC decision, comments, history
    for expected in (
        f"URN {result.urn}",
        "Status Approved",
        "Supervisor's grade High",
        "Reason for the grade Escalating; 100% agree.",
        "All DASH questions asked Yes",
        "MARAC decision Referral made (confirmed)",
        "Well recorded.",
        "Approved Ann Jones",
        "(completed by the supervisor)",
    ):
        assert expected in text, expected
    assert "Not yet allocated" not in text and "SUBMITTED" not in text
    assert f"URN: {result.urn}" in text and "Grade: High" in text  # the supervisor's stamp
    officer_text = pdf_text(officer_pdf, tmp_path)
    assert "Not yet allocated" in officer_text  # what the officer signed is unchanged


def test_signed_documents_carry_title_and_xmp_metadata(station: Station, tmp_path: Path) -> None:
    record_id = submitted(station)
    officer_pdf = station.store.signed_pdf(station[OFFICER], record_id, 1)
    result = approve_record(station.store, station[SUPERVISOR], record_id, PASSWORD, grade="high")
    for data, title, status in (
        (officer_pdf, record_id, "Submitted"),
        (result.approved_pdf, result.urn, "Approved"),
    ):
        assert data is not None
        path = tmp_path / "doc.pdf"
        path.write_bytes(data)
        info = subprocess.run([tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(rf"^Title:\s+{re.escape(title)}$", info, re.M), info
        assert re.search(r"^Author:\s+Łukasz Żółć", info, re.M), info
        xmp = subprocess.run(
            [tool("pdfinfo"), "-meta", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert f">{title}<" in xmp and "Łukasz Żółć" in xmp
        assert "dsvdesk:ProtectiveMarking" in xmp and "OFFICIAL-SENSITIVE" in xmp
        assert f"Status: {status}" in xmp
        check = subprocess.run(
            [tool("qpdf"), "--check", str(path)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_approve_with_wrong_password_saves_nothing(station: Station) -> None:
    record_id = submitted(station)
    before = station.store.open_record(station[SUPERVISOR], record_id, justification="test")
    with pytest.raises(WrongPassword):
        approve_record(station.store, station[SUPERVISOR], record_id, "wrong", grade="standard")
    after = station.store.open_record(station[SUPERVISOR], record_id, justification="test")
    assert after.status is Status.SUBMITTED and after.version == before.version
    assert "supervisor_grade" not in after.answers


def test_approve_rejects_an_unknown_grade_clearly(station: Station) -> None:
    record_id = submitted(station)
    with pytest.raises(
        UserFacingError, match=r"'extreme' is not a grade this form knows\. Choose one of: standard, high"
    ):
        approve_record(station.store, station[SUPERVISOR], record_id, PASSWORD, grade="extreme")


def test_approve_without_grade_needs_the_reviewer_answers(station: Station) -> None:
    record_id = submitted(station)
    with pytest.raises(UserFacingError, match="cannot be approved yet"):
        approve_record(station.store, station[SUPERVISOR], record_id, PASSWORD)
    assert (
        station.store.open_record(station[SUPERVISOR], record_id, justification="t").status
        is Status.SUBMITTED
    )


def test_review_questions_are_found_by_tag_not_id() -> None:
    spec = load_form_text(UNTAGGED_FORM, "untagged.yaml")
    assert review_changes(spec, None, None) == {}
    with pytest.raises(ReviewQuestionMissing, match="review: grade"):
        review_changes(spec, "high", None)
    with pytest.raises(ReviewQuestionMissing, match="review: rationale"):
        review_changes(spec, None, "because")


def test_pdfsig_finds_both_signatures_valid_and_trusted(
    station: Station, tmp_path: Path, save_pages: Callable[..., Path]
) -> None:
    """An independent verifier: the supervisor's signature on the approved document, and the officer's
    on the submission attached to it (pdfdetach), both valid and trusted against the station CA."""
    from tests.unit.export.test_signing import nss_db, pdfsig

    record_id = submitted(station)
    result = approve_record(
        station.store, station[SUPERVISOR], record_id, PASSWORD, grade="high", rationale="Agreed."
    )
    approved = save_pages(result.approved_pdf, "approved_document")
    listing = run([tool("pdfdetach"), "-list", str(approved)])
    assert "officer-signed-submission.pdf" in listing.stdout, listing.stdout
    attached = tmp_path / "attached.pdf"
    saved = run([tool("pdfdetach"), "-save", "1", "-o", str(attached), str(approved)])
    assert saved.returncode == 0, saved.stderr
    nss = nss_db(tmp_path, ca_of(station)[0])  # type: ignore[arg-type]
    reports = {"approved": pdfsig(approved, nss), "attached": pdfsig(attached, nss)}
    assert [r["Signature Field Name"] for r in reports["approved"]] == ["SupervisorSignature"]
    assert [r["Signature Field Name"] for r in reports["attached"]] == ["OfficerSignature"]
    for report in reports.values():
        for sig in report:
            assert sig["Signature Validation"] == "Signature is Valid.", sig
            assert sig["Certificate Validation"] == "Certificate is Trusted.", sig
            assert sig["Signature Type"] == "ETSI.CAdES.detached", sig
