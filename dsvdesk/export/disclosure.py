"""Disclosing one record: its signed PDF written to a folder, logged.

Shared by ``dsvdesk export`` (dsvdesk/commands/export.py) and the app's "Export…" (dsvdesk/ui/export/),
so the rules live in one place:

- the latest signed revision by default (the countersigned PDF once approved); a draft has none;
- the file name ``<URN or UUID>_<form>_r<revision>.pdf`` is built only from letters, digits and ``-``,
  never from raw text a user typed;
- files are written atomically (a temporary file in the same folder, then a rename) and an existing
  file is never replaced unless ``overwrite=True``;
- nothing is written beside the PDF to check it with: a certificate shipped with a document would
  let the document vouch for itself. The recipient checks it against the force root they hold
  (README: "How to check a DSVDesk document");
- the disclosure (recipient and justification, both required) is written to the audit log after the
  temporary files are safely on disk and before the PDF appears under its name: a folder that cannot
  be written logs nothing, and a file that exists has always been logged.

Qt-free; the store enforces who may export (the owner, or a supervisor; never an administrator).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import Conflict, NotReady, UserFacingError

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session

TEMP_PREFIX = ".dsvdesk-"
MAX_RECIPIENT_CHARS = 500
MAX_JUSTIFICATION_CHARS = 2_000
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


class ExportFileExists(Conflict):
    """The PDF is already in the folder; nothing was written."""

    title = "File already there"

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class NothingSigned(NotReady):
    """The record (or the asked-for revision) has no signed PDF yet."""

    title = "Nothing to export yet"


@dataclass(frozen=True, slots=True)
class SignedCopy:
    """The signed PDF of one revision, with what its export file is called."""

    record_id: str
    form_id: str
    revision: int
    urn: str | None
    pdf: bytes
    file_name: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    pdf_path: Path
    file_name: str
    revision: int
    urn: str | None


# ------------------------------------------------------------------------------------------ names
def safe_name_part(text: str) -> str:
    """Letters, digits and '-' only, at most 80 characters; never empty."""
    return _UNSAFE.sub("-", text).strip("-")[:80].strip("-") or "record"


def export_file_name(*, urn: str | None, record_id: str, form_id: str, revision: int) -> str:
    """``<URN or UUID>_<form>_r<revision>.pdf`` from safe characters only."""
    return (
        f"{safe_name_part(urn or record_id)}_{safe_name_part(form_id.replace('_', '-'))}_r{int(revision)}.pdf"
    )


# ------------------------------------------------------------------------------------------ reading
def find_signed(
    store: Store,
    session: Session,
    record_id: str,
    *,
    revision: int | None = None,
    justification: str | None = None,
) -> SignedCopy:
    """The signed PDF of ``revision``, or of the newest revision that has one (an amended record's new
    draft has none yet, so its last approved revision is the one to disclose). Opening the record and
    reading the PDF are both logged by the store; ``justification`` is the reason given for them
    (needed by a supervisor for another officer's record)."""
    if revision is not None and int(revision) < 1:
        raise UserFacingError(f"There is no revision {revision}; revisions are numbered from 1.")
    record = store.open_record(session, record_id, justification=justification)
    reason = justification.strip() if justification and justification.strip() else None
    if revision is not None:
        wanted = int(revision)
        if wanted > record.latest_revision:
            raise UserFacingError(
                f"This record has no revision {wanted}; the latest is revision {record.latest_revision}."
            )
        pdf = store.signed_pdf(session, record.id, wanted, justification=reason)
        if pdf is None:
            raise NothingSigned(f"Revision {wanted} of this record has no signed report.")
        found = wanted
    else:
        for candidate in range(record.latest_revision, 0, -1):
            pdf = store.signed_pdf(session, record.id, candidate, justification=reason)
            if pdf is not None:
                found = candidate
                break
        else:
            raise NothingSigned(
                "This record has not been submitted yet, so there is no signed report to export. "
                "It can be exported once it has been submitted (and signed)."
            )
    return SignedCopy(
        record_id=record.id,
        form_id=record.form_id,
        revision=found,
        urn=record.urn,
        pdf=pdf,
        file_name=export_file_name(
            urn=record.urn, record_id=record.id, form_id=record.form_id, revision=found
        ),
    )


def signed_pdf_for_preview(
    store: Store, session: Session, record_id: str, *, justification: str | None = None
) -> bytes:
    """The bytes that "Export…" would write (the latest signed revision), for an on-screen preview."""
    return find_signed(store, session, record_id, justification=justification).pdf


# ------------------------------------------------------------------------------------------ writing
def _required(value: str | None, empty_message: str, what: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise UserFacingError(empty_message)
    if len(text) > limit:
        raise UserFacingError(f"{what} is too long (at most {limit:,} characters); shorten it.")
    return text


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full. Free some space or choose another drive"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "you cannot write there. Choose a folder you can write to"
    return f"{exc.strerror or exc}. Check the folder and try again"


def check_folder(out_dir: Path) -> Path:
    """The folder to export into, which must exist and be a folder (never created: a typo would
    otherwise put a disclosed record somewhere nobody looks)."""
    folder = Path(out_dir).expanduser()
    if not folder.exists():
        raise UserFacingError(
            f"The folder {folder} does not exist. Create it first, or choose another folder."
        )
    if not folder.is_dir():
        raise UserFacingError(f"{folder} is a file, not a folder. Choose a folder to export into.")
    return folder


def _stage(folder: Path, data: bytes) -> Path:
    """Write ``data`` to a hidden temporary file in ``folder`` and flush it to disk."""
    try:
        handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=folder)
    except OSError as exc:
        raise UserFacingError(f"Cannot write in {folder}: {_os_reason(exc)}. Nothing was written.") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise UserFacingError(f"Cannot write in {folder}: {_os_reason(exc)}. Nothing was written.") from None
    return temp


def _commit(temp: Path, target: Path, *, overwrite: bool) -> None:
    """Give the staged file its name. Without ``overwrite`` a hard link is used, which fails if the
    name was taken meanwhile, so another file is never clobbered."""
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)
    except FileExistsError:
        raise ExportFileExists(f"{target} already exists, so nothing was written.", path=target) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # File systems without hard links (FAT USB sticks): the name was checked free just before.
        if target.exists():
            raise ExportFileExists(f"{target} already exists, so nothing was written.", path=target) from None
        os.replace(temp, target)
        return
    temp.unlink()


def write_atomic(folder: Path, name: str, data: bytes, *, overwrite: bool) -> Path:
    """Write ``data`` as folder/name via a temporary file and a rename; refuse to replace a file unless
    ``overwrite``. Nothing is left behind on failure."""
    target = folder / name
    if target.exists() and not overwrite:
        raise ExportFileExists(f"{target} already exists, so nothing was written.", path=target)
    temp = _stage(folder, data)
    try:
        _commit(temp, target, overwrite=overwrite)
    except OSError as exc:
        raise UserFacingError(f"Could not write {target}: {_os_reason(exc)}. Nothing was written.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return target


def export_record(
    store: Store,
    session: Session,
    record_id: str,
    out_dir: Path,
    *,
    recipient: str,
    justification: str,
    overwrite: bool = False,
    revision: int | None = None,
) -> ExportResult:
    """Write the record's signed PDF (latest signed revision unless ``revision``) into ``out_dir``, logged as a disclosure to ``recipient`` for ``justification``.

    Raises ``UserFacingError`` (nothing written, nothing logged) for a missing recipient or reason, a
    folder that is missing or cannot be written, a record with nothing signed, or a file of the same
    name already there (``ExportFileExists``, unless ``overwrite``); the store's ``PermissionDenied``
    when the user may not disclose this record."""
    recipient = _required(
        recipient,
        "Say who receives the record (for example CPS or Court). The recipient is kept in the audit log.",
        "The recipient",
        MAX_RECIPIENT_CHARS,
    )
    justification = _required(
        justification,
        "Say why the record is being disclosed (for example 'CPS charging file'). The reason is kept in "
        "the audit log.",
        "The reason for the disclosure",
        MAX_JUSTIFICATION_CHARS,
    )
    folder = check_folder(out_dir)
    copy = find_signed(store, session, record_id, revision=revision, justification=justification)
    target = folder / copy.file_name
    if target.exists() and not overwrite:
        raise ExportFileExists(
            f"{target} already exists, so nothing was written. Choose another folder, or choose to replace it.",
            path=target,
        )
    temp = _stage(folder, copy.pdf)
    try:
        # Logged once the file is safely on disk under a temporary name and before it has its real
        # name: an export that leaves a file has always been logged (with a signed audit checkpoint).
        store.record_disclosure(
            session, copy.record_id, recipient, justification, f"signed PDF revision {copy.revision}"
        )
        try:
            _commit(temp, target, overwrite=overwrite)
        except OSError as exc:
            raise UserFacingError(
                f"Could not write {target}: {_os_reason(exc)}. Nothing was written."
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    log.export.info("record %s revision %d exported (%s)", copy.record_id, copy.revision, copy.file_name)
    return ExportResult(pdf_path=target, file_name=copy.file_name, revision=copy.revision, urn=copy.urn)
