"""`dsvdesk export` (a record's signed PDF + the station CA, as a logged disclosure) and
`dsvdesk verify` (check the signatures of a PDF, or of a board pack via dsvdesk.export.board_pack).

The export rules (safe file names `<URN or UUID>_<form>_r<revision>.pdf`, atomic writes, never
overwriting without `--overwrite`, station_ca.pem beside the PDF, the disclosure audit event) live in
dsvdesk.export.disclosure, shared with the app's Export…; this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from dsvdesk.commands._common import PASSWORD_ENV, add_common, add_user_option, open_existing_store, sign_in
from dsvdesk.errors import (
    BadInput,
    Conflict,
    EnvironmentProblem,
    ExitCode,
    NotFound,
    UsageError,
    UserFacingError,
)
from dsvdesk.export.disclosure import CA_FILE_NAME, export_file_name, safe_name_part, write_atomic

DEFAULT_RECIPIENT = "File export (recipient not named)"
# Re-exported: the naming and writing rules now live in dsvdesk.export.disclosure.
__all__ = [
    "CA_FILE_NAME",
    "export_file_name",
    "register",
    "run_export",
    "run_verify",
    "safe_name_part",
    "write_atomic",
]


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export",
        help="write a record's signed PDF and the station CA certificate to a folder (logged as a disclosure)",
        description="Write the signed PDF of a record (the countersigned one once approved) and the station "
        "CA certificate needed to check it. The export is recorded in the audit log as a disclosure. "
        f"The password is read from ${PASSWORD_ENV} or asked for.",
    )
    export.add_argument("record_id", metavar="UUID", help="the record's id")
    export.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="folder to write into (must exist)"
    )
    add_user_option(export, "who is exporting (signs in)")
    export.add_argument("--recipient", default=DEFAULT_RECIPIENT, help="who receives the record (audit log)")
    export.add_argument(
        "--justification", default="", help="why the record is disclosed (required; audit log)"
    )
    export.add_argument(
        "--revision", type=int, default=None, help="a revision other than the latest signed one"
    )
    export.add_argument("--overwrite", action="store_true", help="replace files of the same name in DIR")
    add_common(export)
    export.set_defaults(handler=run_export)

    verify = subparsers.add_parser(
        "verify",
        help="check the signatures of a PDF (or a board pack); exit 0 only when all are intact and trusted, "
        "8 when one is broken or altered, 9 when all are intact but a signer is not trusted",
        description="List each signature with its signer, reason, time and whether it is intact and trusted. "
        "Without --trust, the station CA of the configured database is trusted (if there is one).",
    )
    verify.add_argument(
        "file", type=Path, metavar="FILE", help="a signed PDF, or a board pack (.zip or folder)"
    )
    verify.add_argument("--trust", type=Path, metavar="CA.pem", help="certificate(s) to trust (PEM)")
    add_common(verify)
    verify.set_defaults(handler=run_verify)


# ------------------------------------------------------------------------------------------ export
def run_export(args: argparse.Namespace) -> int:
    """A thin wrapper over dsvdesk.export.disclosure.export_record (the app's Export… uses it too)."""
    from dsvdesk.export.disclosure import ExportFileExists, export_record

    justification = (args.justification or "").strip()
    if not justification:
        raise UsageError(
            "Say why the record is being disclosed, e.g. --justification 'CPS charging file'. "
            "The reason is kept in the audit log."
        )
    out_dir: Path = args.out
    if not out_dir.is_dir():
        raise NotFound(f"The folder {out_dir} does not exist. Create it first, or choose another with --out.")
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        try:
            result = export_record(
                store,
                session,
                args.record_id,
                out_dir,
                recipient=args.recipient,
                justification=justification,
                overwrite=args.overwrite,
                revision=args.revision,
            )
        except ExportFileExists as exc:
            raise Conflict(
                f"{exc.path} already exists, so nothing was written. Choose another folder, or add --overwrite "
                "to replace it."
            ) from None
    print(f"Wrote {result.pdf_path}")
    if result.ca_path is not None:
        print(
            f"Wrote {result.ca_path}"
            if result.ca_written
            else f"{result.ca_path} is already there (same certificate)"
        )
        print(f"Check it with: dsvdesk verify {result.pdf_path} --trust {result.ca_path}")
    return 0


# ------------------------------------------------------------------------------------------ verify
def load_trust(path: Path) -> list[Any]:
    from cryptography import x509

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no certificate file at {path}.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"{path} could not be read ({exc.strerror}).") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        try:
            certs = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise BadInput(
                f"{path} is not a certificate file. Use the station_ca.pem that came with the export."
            ) from None
    return list(certs)


def _configured_trust(args: argparse.Namespace) -> list[Any]:
    """The station CA of the configured database; none (not an error) when there is no usable database."""
    from dsvdesk.cli import db_path
    from dsvdesk.store import Store, pki

    path = db_path(args)
    if not path.exists():
        return []
    try:
        store = Store.open(path)
    except UserFacingError:
        return []
    with store:
        pem = store.station_ca_pem()
    return list(pki.load_certs(pem)) if pem else []


def run_verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.exists():
        raise NotFound(f"There is no file at {path}.")
    if path.is_dir() or path.suffix.lower() == ".zip":
        return _verify_pack(path, args)
    from dsvdesk.export.verify import verify_pdf

    trust = load_trust(args.trust) if args.trust else _configured_trust(args)
    result = verify_pdf(path, trust)
    for line in result.describe():
        print(line)
    if not trust:
        print(
            "No trusted certificate was given (--trust CA.pem) and no station database is configured, so no "
            "signer can be trusted."
        )
    if result.all_good:
        print(f"All {len(result.signatures)} signature(s) are intact and trusted.")
        return ExitCode.OK
    altered = any(not s.intact or s.altered_after_signing for s in result.signatures)
    if altered:
        print(
            "WARNING: this file has been altered since it was signed. Do not rely on it; ask for a fresh export."
        )
        return ExitCode.VERIFICATION_FAILED
    print("Not every signature could be confirmed; see above.")
    # Every signature intact and valid, and each one that fails fails only on trust: an untrusted signer.
    only_untrusted = all(s.valid and (s.ok or not s.trusted) for s in result.signatures)
    return ExitCode.UNTRUSTED_SIGNER if only_untrusted else ExitCode.VERIFICATION_FAILED


def _verify_pack(path: Path, args: argparse.Namespace) -> int:
    """Board packs are checked by `dsvdesk.export.board_pack.verify_pack(path, trust_roots)`, which returns an
    object with `describe() -> list[str]` and `all_good` like `PdfVerification` (docs/architecture.md)."""
    try:
        pack = importlib.import_module("dsvdesk.export.board_pack")
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
    return ExitCode.OK if result.all_good else ExitCode.VERIFICATION_FAILED
