"""`dsvdesk export` (a record's signed PDF, as a logged disclosure) and `dsvdesk verify` (check the
signatures of a PDF, or of a board pack via dsvdesk.export.board_pack).

The export rules (safe file names `<URN or UUID>_<form>_r<revision>.pdf`, atomic writes, never
overwriting without `--overwrite`, the disclosure audit event) live in dsvdesk.export.disclosure, shared
with the app's Export…; this module only parses arguments and prints.

`verify` trusts only what the checker holds: `--trust FORCE_ROOT.pem` (with `--crl` for the force's
revocation list), else the trust anchors of the configured station database; never anything inside the
file or pack under check. Exit 0 intact and trusted, 9 intact but untrusted, 8 altered or invalid.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.commands._common import PASSWORD_ENV, add_common, add_user_option, open_existing_store, sign_in
from dsvdesk.errors import BadInput, Conflict, EnvironmentProblem, NotFound, UsageError, UserFacingError
from dsvdesk.export.disclosure import export_file_name, safe_name_part, write_atomic

if TYPE_CHECKING:
    from dsvdesk.store.trust import TrustAnchors

DEFAULT_RECIPIENT = "File export (recipient not named)"
# Re-exported: the naming and writing rules now live in dsvdesk.export.disclosure.
__all__ = [
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
        help="write a record's signed PDF to a folder (logged as a disclosure)",
        description="Write the signed PDF of a record (the countersigned one once approved). The export is "
        "recorded in the audit log as a disclosure, with the audit head signed. The recipient checks the "
        f"signatures against the force root they hold. The password is read from ${PASSWORD_ENV} or asked for.",
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
        help="check the signatures of a PDF (or a board pack): exit 0 trusted, 9 untrusted signer, 8 altered",
        description="List each signature with its signer, reason, time and whether it is intact and trusted. "
        "Trust comes only from what you hold: --trust FORCE_ROOT.pem, else the force root (or own CA) of the "
        "configured station database; never from the file. Exit 0: intact and trusted; 9: intact but the "
        "signer is vouched for by nobody you trust (anyone could have made it); 8: altered or invalid.",
    )
    verify.add_argument(
        "file", type=Path, metavar="FILE", help="a signed PDF, or a board pack (.zip or folder)"
    )
    verify.add_argument(
        "--trust",
        type=Path,
        metavar="FORCE_ROOT.pem",
        help="the force root certificate you hold (PEM or DER)",
    )
    verify.add_argument("--crl", type=Path, metavar="FILE", help="the force's revocation list (with --trust)")
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
                f"{path} is not a certificate file. Use the force root (force_root.pem) from force ICT."
            ) from None
    return list(certs)


def resolve_anchors(args: argparse.Namespace) -> TrustAnchors:
    """What this check trusts: --trust (and --crl), else the configured station's anchors, else nothing."""
    from dsvdesk.store import forceca
    from dsvdesk.store.trust import TrustAnchors

    crl_path: Path | None = getattr(args, "crl", None)
    if args.trust:
        roots = tuple(load_trust(args.trust))
        revoked: tuple[Any, ...] = ()
        if crl_path is not None:
            crl = forceca.load_crl(_read_file(crl_path, "revocation list"))
            for root in roots:
                try:
                    forceca.check_crl(crl, root)
                except UserFacingError:
                    continue
                revoked = tuple(forceca.revocations(crl))
                break
            else:
                raise BadInput(
                    f"The revocation list {crl_path} was not signed by the root given with --trust; not used."
                )
        return TrustAnchors(
            roots=roots, revocations=revoked, description=f"the certificate(s) in {args.trust}"
        )
    if crl_path is not None:
        raise UsageError("--crl needs --trust FORCE_ROOT.pem: a revocation list is checked against the root.")
    configured = _configured_anchors(args)
    if configured is not None:
        return configured
    return TrustAnchors(
        roots=(),
        description="nothing: no --trust FORCE_ROOT.pem was given and no station database is configured",
    )


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no {what} file at {path}.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"{path} could not be read ({exc.strerror}).") from None


def _configured_anchors(args: argparse.Namespace) -> TrustAnchors | None:
    """The configured station's anchors; None (not an error) when there is no usable database."""
    from dsvdesk.cli import db_path
    from dsvdesk.store import Store

    path = db_path(args)
    if not path.exists():
        return None
    try:
        store = Store.open(path)
    except UserFacingError:
        return None
    with store:
        if not store.is_initialised():
            return None
        return store.trust_anchors()


def run_verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.exists():
        raise NotFound(f"There is no file at {path}.")
    anchors = resolve_anchors(args)
    if path.is_dir() or path.suffix.lower() == ".zip":
        from dsvdesk.export.board_pack import verify_pack

        pack = verify_pack(
            path, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
        )
        lines, outcome = pack.describe(), pack.outcome  # the pack's lines end with its verdict
    else:
        from dsvdesk.export.verify import verify_pdf

        pdf = verify_pdf(
            path, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
        )
        lines, outcome = [*pdf.describe(), pdf.summary()], pdf.outcome
    for line in lines:
        print(line)
    print(f"Checked against: {anchors.description}.")
    for note in anchors.notes:
        print(note)
    return outcome.exit_code
