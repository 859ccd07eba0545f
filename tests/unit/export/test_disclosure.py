"""dsvdesk.export.disclosure: exporting one record's signed PDF as a logged disclosure (the core under
both `dsvdesk export` and the app's Export…). Real store, real signatures, real files."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.errors import PermissionDenied, UserFacingError
from dsvdesk.export import disclosure
from dsvdesk.export.disclosure import (
    ExportFileExists,
    NothingSigned,
    export_file_name,
    export_record,
    find_signed,
    signed_pdf_for_preview,
)
from dsvdesk.export.verify import verify_pdf
from dsvdesk.store import JustificationRequired, pki
from dsvdesk.workflow import approve_record, submit_record
from tests.helpers.encrypted import raw_connect
from tests.unit.export.station import ADMIN, GOOD_ANSWERS, OFFICER, PASSWORD, SUPERVISOR, Station

SAFE_NAME = re.compile(r"^[A-Za-z0-9-]+_[A-Za-z0-9-]+_r\d+\.pdf$")


def submitted(station: Station) -> str:
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    return ref.id


def approved(station: Station) -> tuple[str, str]:
    record_id = submitted(station)
    result = approve_record(
        station.store, station[SUPERVISOR], record_id, PASSWORD, grade="high", rationale="Agreed"
    )
    return record_id, result.urn


def disclosures(station: Station, record_id: str) -> list[tuple[Any, ...]]:
    with raw_connect(station.path) as conn:
        return conn.execute(
            "SELECT username, recipient, justification, revision FROM audit_events "
            "WHERE event = 'disclosure' AND record_id = ? ORDER BY id",
            (record_id,),
        ).fetchall()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def export(station: Station, user: str, record_id: str, out: Path, **kwargs: Any) -> disclosure.ExportResult:
    kwargs.setdefault("recipient", "CPS")
    kwargs.setdefault("justification", "Charging file")
    return export_record(station.store, station[user], record_id, out, **kwargs)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export folder (the station database lives beside it in tmp_path)."""
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------------------------------ success
def test_supervisor_exports_the_countersigned_pdf_with_the_ca_and_a_disclosure(
    station: Station, out: Path
) -> None:
    record_id, urn = approved(station)
    result = export(
        station,
        SUPERVISOR,
        record_id,
        out,
        recipient="  Children's  Social Care ",
        justification="Strategy\nmeeting  referral",
    )
    name = f"{urn}_review-test_r1.pdf"
    assert result.file_name == name and result.pdf_path == out / name
    assert result.revision == 1 and result.urn == urn
    assert listing(out) == [name]  # nothing beside it: a document never carries its own trust anchor
    data = result.pdf_path.read_bytes()
    assert data == station.store.signed_pdf(station[SUPERVISOR], record_id, 1)
    # whitespace is tidied, never lost: the audit log keeps what was typed, on one line
    assert disclosures(station, record_id) == [
        (SUPERVISOR, "Children's Social Care", "Strategy meeting referral", 1)
    ]
    # the file verifies against the anchors the station holds, and is untrusted without them
    check = verify_pdf(result.pdf_path, list(pki.load_certs(station.store.station_ca_pem() or b"")))
    assert check.all_good and len(check.signatures) == 2
    assert not verify_pdf(result.pdf_path, []).all_good


def test_officer_exports_own_submitted_record_twice(station: Station, out: Path) -> None:
    record_id = submitted(station)
    first = export(station, OFFICER, record_id, out)
    assert first.urn is None and first.file_name == f"{record_id}_review-test_r1.pdf"
    other = out / "copy"
    other.mkdir()
    second = export(station, OFFICER, record_id, other, recipient="Court", justification="Bail hearing")
    assert listing(other) == [second.file_name]
    assert [row[1] for row in disclosures(station, record_id)] == ["CPS", "Court"]
    check = verify_pdf(second.pdf_path, list(pki.load_certs(station.store.station_ca_pem() or b"")))
    assert check.all_good and len(check.signatures) == 1


def test_preview_bytes_are_what_export_writes(station: Station, out: Path) -> None:
    record_id, _urn = approved(station)
    with pytest.raises(JustificationRequired):  # another officer's record: reading it needs a reason
        signed_pdf_for_preview(station.store, station[SUPERVISOR], record_id)
    preview = signed_pdf_for_preview(
        station.store, station[SUPERVISOR], record_id, justification="Export preview"
    )
    result = export(station, SUPERVISOR, record_id, out)
    assert preview == result.pdf_path.read_bytes()
    assert disclosures(station, record_id)[0][1] == "CPS"  # only the export is a disclosure


def test_amended_record_exports_its_last_signed_revision(station: Station, out: Path) -> None:
    record_id, urn = approved(station)
    station.store.amend(station[SUPERVISOR], record_id, "Date of birth was wrong on the form")
    copy = find_signed(station.store, station[SUPERVISOR], record_id, justification="Court bundle")
    assert copy.revision == 1 and copy.file_name == f"{urn}_review-test_r1.pdf"
    with pytest.raises(NothingSigned, match="Revision 2 of this record has no signed report"):
        export(station, SUPERVISOR, record_id, out, revision=2)
    with pytest.raises(UserFacingError, match="no revision 7; the latest is revision 2"):
        export(station, SUPERVISOR, record_id, out, revision=7)
    with pytest.raises(UserFacingError, match="numbered from 1"):
        export(station, SUPERVISOR, record_id, out, revision=0)
    assert export(station, SUPERVISOR, record_id, out, revision=1).revision == 1
    assert listing(out) == [f"{urn}_review-test_r1.pdf"]


# ------------------------------------------------------------------------------------------ refusals
def test_a_draft_has_nothing_to_export(station: Station, out: Path) -> None:
    draft = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    with pytest.raises(NothingSigned, match="has not been submitted yet, so there is no signed report"):
        export(station, OFFICER, draft.id, out)
    with pytest.raises(NothingSigned):
        signed_pdf_for_preview(station.store, station[OFFICER], draft.id)
    assert listing(out) == [] and disclosures(station, draft.id) == []


@pytest.mark.parametrize(
    ("recipient", "justification", "message"),
    [
        ("", "Charging file", "Say who receives the record"),
        ("CPS", "   \n\t", "Say why the record is being disclosed"),
        ("CPS", "x" * 2_001, "too long"),
        ("C" * 501, "Charging file", "The recipient is too long"),
    ],
)
def test_recipient_and_justification_are_required(
    station: Station, out: Path, recipient: str, justification: str, message: str
) -> None:
    record_id = submitted(station)
    with pytest.raises(UserFacingError, match=message):
        export(station, OFFICER, record_id, out, recipient=recipient, justification=justification)
    assert listing(out) == [] and disclosures(station, record_id) == []


def test_who_may_export_is_what_the_store_allows(station: Station, out: Path) -> None:
    record_id = submitted(station)
    admin = station[ADMIN]
    station.store.add_user(admin, "pc5678", "officer", "Owen Other", "5678", PASSWORD, PASSWORD)
    with pytest.raises(PermissionDenied):
        export(station, "pc5678", record_id, out)  # another officer's record
    with pytest.raises(PermissionDenied):
        export(station, ADMIN, record_id, out)  # administrators never read record content
    with pytest.raises(PermissionDenied):
        signed_pdf_for_preview(station.store, admin, record_id)
    assert listing(out) == [] and disclosures(station, record_id) == []
    # a supervisor may disclose any officer's record; the justification is the reason for opening it
    result = export(station, SUPERVISOR, record_id, out, justification="MARAC referral pack")
    assert result.pdf_path.exists()
    with raw_connect(station.path) as conn:
        reasons = {
            row[0]
            for row in conn.execute(
                "SELECT justification FROM audit_events WHERE event = 'consultation' AND record_id = ? AND username = ?",
                (record_id, SUPERVISOR),
            )
        }
    assert reasons == {"MARAC referral pack"}


def test_a_supervisor_whose_role_was_changed_is_refused(station: Station, out: Path) -> None:
    record_id = submitted(station)
    session = station[SUPERVISOR]
    station.store.set_role(station[ADMIN], SUPERVISOR, "officer", PASSWORD)
    with pytest.raises(PermissionDenied):
        export_record(station.store, session, record_id, out, recipient="CPS", justification="Charging file")
    assert listing(out) == []


# ------------------------------------------------------------------------------------------ never overwrite
def test_an_existing_file_is_never_silently_overwritten(station: Station, out: Path) -> None:
    record_id, urn = approved(station)
    target = out / f"{urn}_review-test_r1.pdf"
    target.write_bytes(b"%PDF-1.7 someone else's file")
    with pytest.raises(ExportFileExists) as caught:
        export(station, SUPERVISOR, record_id, out)
    assert caught.value.path == target and str(target) in caught.value.message
    assert "nothing was written" in caught.value.message
    assert target.read_bytes() == b"%PDF-1.7 someone else's file"
    assert listing(out) == [target.name]  # no temporary file
    assert disclosures(station, record_id) == []
    result = export(station, SUPERVISOR, record_id, out, overwrite=True)
    assert result.pdf_path.read_bytes() == station.store.signed_pdf(station[SUPERVISOR], record_id, 1)
    assert len(disclosures(station, record_id)) == 1


def test_a_file_that_appears_during_the_export_is_not_clobbered(
    station: Station, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = submitted(station)
    name = f"{record_id}_review-test_r1.pdf"
    real = station.store.record_disclosure

    def someone_else_writes_first(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        (out / name).write_bytes(b"theirs")

    monkeypatch.setattr(station.store, "record_disclosure", someone_else_writes_first)
    with pytest.raises(ExportFileExists):
        export(station, OFFICER, record_id, out)
    assert (out / name).read_bytes() == b"theirs"
    assert listing(out) == [name]  # the staged copy was taken back


# ------------------------------------------------------------------------------------------ folder problems
def test_missing_folder_or_a_file_in_its_place(station: Station, out: Path) -> None:
    record_id = submitted(station)
    with pytest.raises(UserFacingError, match="does not exist"):
        export(station, OFFICER, record_id, out / "no" / "such")
    a_file = out / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(UserFacingError, match="is a file, not a folder"):
        export(station, OFFICER, record_id, a_file)
    assert disclosures(station, record_id) == []


def test_read_only_folder_is_a_clear_message_and_logs_nothing(
    station: Station, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = submitted(station)

    def read_only(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(errno.EROFS, "Read-only file system")

    # tests run as root in CI, where chmod does not stop writes; the OS error is what a user would hit
    monkeypatch.setattr(disclosure.tempfile, "mkstemp", read_only)
    with pytest.raises(UserFacingError, match="you cannot write there"):
        export(station, OFFICER, record_id, out)
    assert listing(out) == [] and disclosures(station, record_id) == []


def test_full_disk_leaves_nothing_half_written(
    station: Station, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = submitted(station)
    calls: list[int] = []

    def fills_up(fd: int) -> None:
        calls.append(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(disclosure.os, "fsync", fills_up)
    with pytest.raises(UserFacingError, match="the disk is full"):
        export(station, OFFICER, record_id, out)
    assert listing(out) == []  # neither the PDF nor any temporary file
    assert disclosures(station, record_id) == []


def test_a_failure_after_logging_takes_the_new_pdf_back(
    station: Station, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = submitted(station)
    real_replace = os.replace

    def rename_fails(src: Any, dst: Any) -> None:
        if str(dst).endswith(".pdf"):
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    def no_links(src: Any, dst: Any) -> None:  # a FAT stick: no hard links, so the rename is used
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(disclosure.os, "replace", rename_fails)
    monkeypatch.setattr(disclosure.os, "link", no_links)
    with pytest.raises(UserFacingError, match="Input/output error"):
        export(station, OFFICER, record_id, out)
    assert listing(out) == []
    assert len(disclosures(station, record_id)) == 1  # attempted: logged, as the CLI always did


# ------------------------------------------------------------------------------------------ names
def test_hostile_reference_format_still_gives_a_safe_name(station: Station, out: Path) -> None:
    station.store.update_settings(station[ADMIN], urn_format="../..\\{station}/{yyyy}:*?<>|王{seq}")
    record_id, urn = approved(station)
    assert "/" in urn and ":" in urn
    result = export(station, SUPERVISOR, record_id, out)
    assert SAFE_NAME.match(result.file_name), result.file_name
    assert result.pdf_path.parent == out and result.pdf_path.exists()


@given(
    urn=st.one_of(st.none(), st.text()),
    record_id=st.text(),
    form_id=st.text(),
    revision=st.integers(1, 10**6),
)
def test_export_names_are_always_safe(urn: str | None, record_id: str, form_id: str, revision: int) -> None:
    name = export_file_name(urn=urn, record_id=record_id, form_id=form_id, revision=revision)
    assert SAFE_NAME.match(name), name
    assert len(name) <= 80 + 1 + 80 + 2 + 7 + 4
    assert name.endswith(f"_r{revision}.pdf")


def test_export_name_examples() -> None:
    assert (
        export_file_name(urn="TPS/2026/000123", record_id="x", form_id="124d", revision=1)
        == "TPS-2026-000123_124d_r1.pdf"
    )
    assert (
        export_file_name(urn=None, record_id="5f0c-11", form_id="dash_s", revision=3)
        == "5f0c-11_dash-s_r3.pdf"
    )
    assert export_file_name(urn="王小明", record_id="x", form_id="../etc", revision=1) == "record_etc_r1.pdf"
