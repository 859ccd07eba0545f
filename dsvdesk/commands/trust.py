"""`dsvdesk trust`: the station's side of the force certificate hierarchy (admins).

    dsvdesk trust pin FINGERPRINT --user admin            # the force root's fingerprint, from force ICT
    dsvdesk trust request --out station_request.csr --user admin
    dsvdesk trust install-station-cert station_ca.pem --root force_root.pem --user admin
    dsvdesk trust import-crl force_revocations.crl --user admin
    dsvdesk trust user-cert pc1234 --out pc1234.pem --user admin   # for force ICT to revoke
    dsvdesk trust show

`dsvdesk init --force-root-fingerprint FP` pins the root and writes the request in one go.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dsvdesk.commands._common import PASSWORD_ENV, add_common, add_user_option, open_existing_store, sign_in
from dsvdesk.errors import BadInput, Conflict, EnvironmentProblem, NotFound, PermissionDenied


def register(subparsers: Any) -> None:
    trust = subparsers.add_parser(
        "trust",
        help="the station's force certificate: pin the root, make the request, install it, import revocations",
        description="Connect this station to the force's certificate hierarchy. Admins only; the password "
        f"(${PASSWORD_ENV} or a prompt) also unlocks the station key where one is needed.",
    )
    sub = trust.add_subparsers(dest="trust_command", metavar="ACTION", required=True)

    pin = sub.add_parser("pin", help="record the force root's fingerprint (from force ICT's letter)")
    pin.add_argument("fingerprint", metavar="FINGERPRINT", help="SHA-256, as `dsvdesk ca publish` prints it")
    add_user_option(pin, "the acting admin (signs in)")
    add_common(pin)
    pin.set_defaults(handler=run_pin)

    request = sub.add_parser("request", help="write the station's certificate request for force ICT")
    request.add_argument("--out", required=True, type=Path, metavar="FILE", help="e.g. station_request.csr")
    add_user_option(request, "the acting admin (signs in)")
    add_common(request)
    request.set_defaults(handler=run_request)

    install = sub.add_parser(
        "install-station-cert",
        help="install the station CA certificate force ICT issued, with the force root",
    )
    install.add_argument("certificate", type=Path, metavar="FILE", help="the station certificate (PEM)")
    install.add_argument("--root", required=True, type=Path, metavar="FORCE_ROOT.pem", help="the force root")
    add_user_option(install, "the acting admin (signs in)")
    add_common(install)
    install.set_defaults(handler=run_install)

    crl = sub.add_parser("import-crl", help="import the force's revocation list")
    crl.add_argument("file", type=Path, metavar="FILE", help="force_revocations.crl from `dsvdesk ca revoke`")
    add_user_option(crl, "the acting admin (signs in)")
    add_common(crl)
    crl.set_defaults(handler=run_import_crl)

    user_cert = sub.add_parser(
        "user-cert", help="write a user's signing certificate (e.g. for force ICT to revoke)"
    )
    user_cert.add_argument("username", metavar="USERNAME")
    user_cert.add_argument("--out", required=True, type=Path, metavar="FILE")
    add_user_option(user_cert, "the acting admin (signs in)")
    add_common(user_cert)
    user_cert.set_defaults(handler=run_user_cert)

    show = sub.add_parser("show", help="what this station's checks trust")
    add_common(show)
    show.set_defaults(handler=run_show)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no {what} at {path}.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; give the {what} file.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet."""
    try:
        with path.open("xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise Conflict(f"{path} already exists; nothing was overwritten. Choose another name.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"{path} cannot be written ({exc.strerror or exc}).") from None


def _admin(session: Any, what: str) -> None:
    if session.role.value != "admin":
        raise PermissionDenied(f"Only an admin can {what}.")


def run_pin(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        _admin(session, "pin the force root")
        pin = store.pin_force_root(session, args.fingerprint)
    print(f"Pinned the force root {pin}.")
    return 0


def run_request(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, password = sign_in(store, args.user)
        _admin(session, "make the station's certificate request")
        pem = store.station_request(session, password)
    write_new(args.out, pem)
    print(f"Wrote {args.out}. Send it to force ICT; they run: dsvdesk ca issue {args.out.name} ...")
    return 0


def run_install(args: argparse.Namespace) -> int:
    cert = _read(args.certificate, "station certificate")
    root = _read(args.root, "force root certificate")
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        _admin(session, "install the station certificate")
        fingerprint = store.install_station_certificate(session, cert, root)
    print(f"Installed: this station's CA is now certified by the force root {fingerprint}.")
    print("New signatures chain to the force root; anyone holding it can check this station's documents.")
    return 0


def run_import_crl(args: argparse.Namespace) -> int:
    data = _read(args.file, "revocation list")
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        _admin(session, "import a revocation list")
        count = store.import_revocation_list(session, data)
    print(f"Imported the force's revocation list: {count} certificate(s) revoked.")
    return 0


def run_user_cert(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        _admin(session, "export users' certificates")
        pem = store.user_certificate_pem(session, args.username)
    write_new(args.out, pem)
    print(f"Wrote {args.out}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from dsvdesk.store import forceca, pki

    with open_existing_store(args) as store:
        pin = store.force_pin()
        root = store.force_root_pem()
        anchors = store.trust_anchors()
        revoked = len(store.revocation_entries())
    if root:
        print(f"Station CA certified by the force root {forceca.fingerprint(pki.load_cert(root))}.")
    else:
        print("Station CA not certified by a force: only this station can vouch for its documents.")
        print(f"Pinned force root: {pin or 'none yet (dsvdesk trust pin FINGERPRINT)'}")
    print(f"Checks on this PC trust: {anchors.description}; {revoked} certificate(s) revoked by the force.")
    return 0
