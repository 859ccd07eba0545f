"""`dsvdesk export` (a record's signed PDF + the station CA, as a logged disclosure) and
`dsvdesk verify` (check the signatures of a PDF, or of a board pack via dsvdesk.export.pack).

Export file names are built only from safe characters: `<URN or UUID>_<form>_r<revision>.pdf`, with
anything but letters, digits and `-` in the URN replaced by `-`. Files are written atomically (a
temporary file in the same folder, then renamed), and an existing file is never replaced unless
`--overwrite` is given: without it the command stops with a message and writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import UserFacingError

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session

PASSWORD_ENV = "DSVDESK_PASSWORD"  # noqa: S105 - the name of the variable, not a password
CA_FILE_NAME = "station_ca.pem"
DEFAULT_RECIPIENT = "File export (recipient not named)"
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def register(subparsers: Any) -> None:
    from dsvdesk.cli import add_db_option

    export = subparsers.add_parser(
        "export",
        help="write a record's signed PDF and the station CA certificate to a folder (logged as a disclosure)",
        description="Write the signed PDF of a record (the countersigned one once approved) and the station "
        "CA certificate needed to check it. The export is recorded in the audit log as a disclosure. "
        f"The password is read from ${PASSWORD_ENV} or asked for.",
    )
    export.add_argument("record_id", metavar="UUID", help="the record's id")
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into (must exist)")
    export.add_argument("--user", required=True, metavar="USERNAME", help="who is exporting (signs in)")
    export.add_argument("--recipient", default=DEFAULT_RECIPIENT, help="who receives the record (audit log)")
    export.add_argument("--justification", default="", help="why the record is disclosed (required; audit log)")
    export.add_argument("--revision", type=int, default=None, help="a revision other than the latest signed one")
    export.add_argument("--overwrite", action="store_true", help="replace files of the same name in DIR")
    add_db_option(export)
    export.set_defaults(handler=run_export)

    verify = subparsers.add_parser(
        "verify",
        help="check the signatures of a PDF (or a board pack); exit 0 only when all are intact and trusted",
        description="List each signature with its signer, reason, time and whether it is intact and trusted. "
        "Without --trust, the station CA of the configured database is trusted (if there is one).",
    )
    verify.add_argument("file", type=Path, metavar="FILE", help="a signed PDF, or a board pack (.zip or folder)")
    verify.add_argument("--trust", type=Path, metavar="CA.pem", help="certificate(s) to trust (PEM)")
    add_db_option(verify)
    verify.set_defaults(handler=run_verify)


# ------------------------------------------------------------------------------------------ helpers
def safe_name_part(text: str) -> str:
    """Letters, digits and '-' only; never empty."""
    return _UNSAFE.sub("-", text).strip("-")[:80] or "record"


def export_file_name(*, urn: str | None, record_id: str, form_id: str, revision: int) -> str:
    return f"{safe_name_part(urn or record_id)}_{safe_name_part(form_id.replace('_', '-'))}_r{int(revision)}.pdf"


def read_password(username: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UserFacingError(
            f"A password is needed for {username}: set ${PASSWORD_ENV} or run the command in a terminal."
        )
    return getpass.getpass(f"Password for {username}: ")


def write_atomic(folder: Path, name: str, data: bytes, *, overwrite: bool) -> Path:
    """Write `data` as folder/name via a temporary file and a rename; refuse to replace a file
    unless `overwrite`. Nothing is left behind on failure."""
    target = folder / name
    if target.exists() and not overwrite:
        raise UserFacingError(
            f"{target} already exists, so nothing was written. Choose another folder, or add --overwrite "
            "to replace it."
        )
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".dsvdesk-", suffix=".part", dir=folder)
    except OSError as exc:
        raise UserFacingError(f"Cannot write in {folder} ({exc.strerror}). Choose a folder you can write to.") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if the name was taken meanwhile: never clobbers
            except FileExistsError:
                raise UserFacingError(f"{target} already exists, so nothing was written.") from None
            except OSError:  # file systems without hard links (FAT USB sticks): checked just above
                os.replace(temp, target)
    except OSError as exc:
        raise UserFacingError(
            f"Could not write {target} ({exc.strerror}); nothing was written. Check the free space and "
            "that the folder is writable."
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return target


def _open_store(args: argparse.Namespace, *, must_exist: bool = True) -> Store | None:
    from dsvdesk.cli import db_path
    from dsvdesk.store import Store

    path = db_path(args)
    if not path.exists():
        if must_exist:
            raise UserFacingError(f"There is no DSVDesk database at {path}. Give --db, or run `dsvdesk init` first.")
        return None
    return Store.open(path)


def _login(store: Store, username: str) -> Session:
    return store.login(username, read_password(username))


def _latest_signed(store: Store, session: Session, record_id: str, latest: int, justification: str) -> tuple[int, bytes]:
    """The newest revision that has a signed PDF (an amended record's new draft has none yet)."""
    for revision in range(latest, 0, -1):
        pdf = store.signed_pdf(session, record_id, revision, justification=justification)
        if pdf is not None:
            return revision, pdf
    raise UserFacingError("This record has not been submitted yet, so there is no signed report to export.")


# ------------------------------------------------------------------------------------------ export
def run_export(args: argparse.Namespace) -> int:
    from dsvdesk import log

    justification = (args.justification or "").strip()
    if not justification:
        raise UserFacingError(
            "Say why the record is being disclosed, e.g. --justification 'CPS charging file'. "
            "The reason is kept in the audit log."
        )
    out_dir: Path = args.out
    if not out_dir.is_dir():
        raise UserFacingError(f"The folder {out_dir} does not exist. Create it first, or choose another with --out.")
    store = _open_store(args)
    assert store is not None
    with store:
        session = _login(store, args.user)
        record = store.open_record(session, args.record_id, justification=justification)
        if args.revision is not None:
            pdf = store.signed_pdf(session, record.id, args.revision, justification=justification)
            if pdf is None:
                raise UserFacingError(f"Revision {args.revision} of this record has no signed report.")
            revision = args.revision
        else:
            revision, pdf = _latest_signed(store, session, record.id, record.latest_revision, justification)
        ca_pem = store.station_ca_pem()
        name = export_file_name(urn=record.urn, record_id=record.id, form_id=record.form_id, revision=revision)
        target = out_dir / name
        ca_target = out_dir / CA_FILE_NAME
        if target.exists() and not args.overwrite:
            raise UserFacingError(
                f"{target} already exists, so nothing was written. Choose another folder, or add --overwrite "
                "to replace it."
            )
        ca_needed = ca_pem is not None and not (ca_target.exists() and ca_target.read_bytes() == ca_pem)
        if ca_needed and ca_target.exists() and not args.overwrite:
            raise UserFacingError(
                f"{ca_target} already exists and holds a different certificate (another station's?), so "
                "nothing was written. Export into an empty folder, or add --overwrite."
            )
        # The disclosure is logged before the file exists: a failed write then shows as an attempted
        # disclosure, never the other way round.
        store.record_disclosure(session, record.id, args.recipient, justification, f"signed PDF revision {revision}")
        write_atomic(out_dir, name, pdf, overwrite=args.overwrite)
        if ca_needed and ca_pem is not None:
            write_atomic(out_dir, CA_FILE_NAME, ca_pem, overwrite=True)
    log.export.info("record %s revision %d exported", record.id, revision)
    print(f"Wrote {target}")
    if ca_pem is not None:
        print(f"Wrote {ca_target}" if ca_needed else f"{ca_target} is already there (same certificate)")
        print(f"Check it with: dsvdesk verify {target} --trust {ca_target}")
    return 0


# ------------------------------------------------------------------------------------------ verify
def load_trust(path: Path) -> list[Any]:
    from cryptography import x509

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserFacingError(f"There is no certificate file at {path}.") from None
    except OSError as exc:
        raise UserFacingError(f"{path} could not be read ({exc.strerror}).") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        try:
            certs = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise UserFacingError(
                f"{path} is not a certificate file. Use the station_ca.pem that came with the export."
            ) from None
    return list(certs)


def _configured_trust(args: argparse.Namespace) -> list[Any]:
    from dsvdesk.store import pki

    try:
        store = _open_store(args, must_exist=False)
    except UserFacingError:
        return []
    if store is None:
        return []
    with store:
        pem = store.station_ca_pem()
    return list(pki.load_certs(pem)) if pem else []


def run_verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.is_dir() or path.suffix.lower() == ".zip":
        return _verify_pack(path, args)
    from dsvdesk.export.verify import verify_pdf

    trust = load_trust(args.trust) if args.trust else _configured_trust(args)
    result = verify_pdf(path, trust)
    for line in result.describe():
        print(line)
    if not trust:
        print("No trusted certificate was given (--trust CA.pem) and no station database is configured, so no "
              "signer can be trusted.")
    if result.all_good:
        print(f"All {len(result.signatures)} signature(s) are intact and trusted.")
        return 0
    altered = any(not s.intact or s.altered_after_signing for s in result.signatures)
    if altered:
        print("WARNING: this file has been altered since it was signed. Do not rely on it; ask for a fresh export.")
    else:
        print("Not every signature could be confirmed; see above.")
    return 1


def _verify_pack(path: Path, args: argparse.Namespace) -> int:
    """Board packs are checked by `dsvdesk.export.pack.verify_pack(path, trust_roots)`, which returns an
    object with `describe() -> list[str]` and `all_good` like `PdfVerification` (docs/architecture.md)."""
    try:
        pack = importlib.import_module("dsvdesk.export.pack")
    except ImportError:
        pack = None
    verify_pack = getattr(pack, "verify_pack", None)
    if verify_pack is None:
        raise UserFacingError("Checking board packs is not available in this version of DSVDesk.")
    # None (nothing configured) lets the pack checker fall back to the pack's own CA and say so.
    trust = load_trust(args.trust) if args.trust else (_configured_trust(args) or None)
    result = verify_pack(path, trust)
    for line in result.describe():
        print(line)
    return 0 if result.all_good else 1
