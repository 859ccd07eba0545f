"""`dsvdesk ca`: the force certificate authority, for force ICT on an offline machine.

    dsvdesk ca init --dir CA_DIR --force "Dyfed-Powys Police"   # the force root, key under a passphrase
    dsvdesk ca publish --dir CA_DIR --out force_root.pem         # the root and its fingerprint, to send out
    dsvdesk ca issue station_request.csr --dir CA_DIR --station "Aberystwyth" --out station_ca.pem
    dsvdesk ca revoke CERT.pem --dir CA_DIR                      # -> CA_DIR/force_revocations.crl
    dsvdesk ca escrow-init --dir ESCROW_DIR                      # the force escrow key pair (issue 15)

CA_DIR holds force_root.pem, force_root.key (PKCS#8, encrypted under the passphrase from
$DSVDESK_CA_PASSPHRASE or a prompt), issued/ (a copy of every station certificate) and ca_state.json
(the revocation list's number and what it revokes). No database is involved: a station imports what
this writes with `dsvdesk trust ...`. The crypto is in dsvdesk.store.forceca.

`ca escrow-init` makes the force's escrow key pair for sealed records in an empty folder:
escrow_public.pem (X25519, SubjectPublicKeyInfo; give it to each station's `dsvdesk init
--escrow-public`) and escrow_private.pem (PKCS#8 encrypted under the passphrase; it never leaves the
offline machine: with it, force ICT can open any record key wrapped for escrow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from dsvdesk.errors import BadInput, Conflict, EnvironmentProblem, NotFound, UsageError

PASSPHRASE_ENV = "DSVDESK_CA_PASSPHRASE"  # noqa: S105 - the variable's name, not a passphrase
ROOT_FILE = "force_root.pem"
KEY_FILE = "force_root.key"
STATE_FILE = "ca_state.json"
CRL_FILE = "force_revocations.crl"
ESCROW_PUBLIC_FILE = "escrow_public.pem"
ESCROW_PRIVATE_FILE = "escrow_private.pem"
ISSUED_DIR = "issued"
MIN_PASSPHRASE = 12


def register(subparsers: Any) -> None:
    ca = subparsers.add_parser(
        "ca",
        help="the force certificate authority (force ICT, on an offline machine)",
        description="Create the force root, issue station CA certificates from station requests, publish "
        f"the root and revoke certificates. The root key's passphrase comes from ${PASSPHRASE_ENV} or a prompt.",
    )
    sub = ca.add_subparsers(dest="ca_command", metavar="ACTION", required=True)

    init = sub.add_parser("init", help="create the force root CA in an empty folder")
    init.add_argument("--dir", required=True, type=Path, metavar="CA_DIR", help="folder for the CA (created)")
    init.add_argument(
        "--force", required=True, metavar="NAME", help="the force's name, e.g. 'Dyfed-Powys Police'"
    )
    init.set_defaults(handler=run_init)

    publish = sub.add_parser("publish", help="write the force root certificate and print its fingerprint")
    publish.add_argument("--dir", required=True, type=Path, metavar="CA_DIR")
    publish.add_argument(
        "--out", type=Path, metavar="FILE", help="where to write it (default: print the path)"
    )
    publish.set_defaults(handler=run_publish)

    issue = sub.add_parser("issue", help="issue a station CA certificate from a station's request file")
    issue.add_argument(
        "request", type=Path, metavar="REQUEST", help="the station_request.csr from `dsvdesk init`"
    )
    issue.add_argument("--dir", required=True, type=Path, metavar="CA_DIR")
    issue.add_argument(
        "--station", metavar="NAME", help="the station you expect the request to come from (checked)"
    )
    issue.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="the station certificate to send"
    )
    issue.set_defaults(handler=run_issue)

    revoke = sub.add_parser(
        "revoke", help="revoke a certificate (a station's, or a user's) and write the revocation list"
    )
    revoke.add_argument(
        "certificate", type=Path, metavar="CERT", help="the certificate to revoke (PEM or DER)"
    )
    revoke.add_argument("--dir", required=True, type=Path, metavar="CA_DIR")
    revoke.set_defaults(handler=run_revoke)

    escrow = sub.add_parser(
        "escrow-init",
        help="make the force escrow key pair for sealed records (public part to stations, private kept here)",
    )
    escrow.add_argument(
        "--dir", required=True, type=Path, metavar="ESCROW_DIR", help="an empty folder for the pair (created)"
    )
    escrow.set_defaults(handler=run_escrow_init)

    crl = sub.add_parser("crl", help="write the revocation list again (renew it before it runs out)")
    crl.add_argument("--dir", required=True, type=Path, metavar="CA_DIR")
    crl.set_defaults(handler=run_crl)


# ------------------------------------------------------------------------------------- files
def _passphrase(*, new: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        if not sys.stdin.isatty():
            raise UsageError(
                f"The force root's passphrase is needed: set ${PASSPHRASE_ENV} or run the command in a terminal."
            )
        value = getpass.getpass("Force root passphrase: ")
        if new and getpass.getpass("Force root passphrase again: ") != value:
            raise UsageError("The two passphrases are different; nothing was made. Try again.")
    if new and len(value) < MIN_PASSPHRASE:
        raise BadInput(f"The force root's passphrase needs at least {MIN_PASSPHRASE} characters.")
    return value


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no {what} at {path}.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; give the {what} file.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None


def _write_new(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write a file that must not exist yet (never overwrite a CA's files)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise Conflict(f"{path} already exists; nothing was overwritten. Choose another name.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"{path} cannot be written ({exc.strerror or exc}).") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _replace(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".part")
    try:
        temp.write_bytes(data)
        temp.replace(path)
    except OSError as exc:
        raise EnvironmentProblem(f"{path} cannot be written ({exc.strerror or exc}).") from None


def _check_dir(folder: Path) -> Path:
    if not (folder / ROOT_FILE).is_file() or not (folder / KEY_FILE).is_file():
        raise NotFound(
            f"{folder} is not a DSVDesk force CA folder (no {ROOT_FILE} and {KEY_FILE}). "
            "Give the folder made by `dsvdesk ca init`."
        )
    return folder


def _root(folder: Path) -> Any:
    from dsvdesk.store import pki

    return pki.load_cert(_read(_check_dir(folder) / ROOT_FILE, "force root certificate"))


def _root_key(folder: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from dsvdesk.store.errors import WrongPassword

    data = _read(_check_dir(folder) / KEY_FILE, "force root key")
    try:
        key = serialization.load_pem_private_key(data, password=_passphrase(new=False).encode("utf-8"))
    except (ValueError, TypeError):
        raise WrongPassword("The force root passphrase is not right; nothing was signed.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadInput(f"{folder / KEY_FILE} does not hold the force root's RSA key.")
    return key


def _state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    try:
        data = json.loads(_read(path, "CA state file").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BadInput(f"{path} is damaged; restore it from the CA's backup.") from None
    if not isinstance(data, dict) or not isinstance(data.get("revoked"), list):
        raise BadInput(f"{path} is damaged; restore it from the CA's backup.")
    return data


# ------------------------------------------------------------------------------------- handlers
def run_init(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization

    from dsvdesk.store import forceca, pki

    folder: Path = args.dir
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise Conflict(f"{folder} exists and is not an empty folder; nothing was made. Give a new folder.")
    passphrase = _passphrase(new=True)
    key, root = forceca.create_root(args.force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ISSUED_DIR).mkdir()
    except OSError as exc:
        raise EnvironmentProblem(f"The folder {folder} cannot be made ({exc.strerror or exc}).") from None
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    _write_new(folder / KEY_FILE, encrypted, mode=0o600)
    _write_new(folder / ROOT_FILE, pki.cert_pem(root))
    _write_new(folder / STATE_FILE, json.dumps({"crl_number": 0, "revoked": []}, indent=2).encode("utf-8"))
    print(f"Force root for {args.force!r} created in {folder}.")
    print(f"Fingerprint (SHA-256): {forceca.fingerprint(root)}")
    print("Keep this folder offline and backed up; the passphrase protects the key.")
    return 0


def run_escrow_init(args: argparse.Namespace) -> int:
    from dsvdesk.store import sealing

    folder: Path = args.dir
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise Conflict(f"{folder} exists and is not an empty folder; nothing was made. Give a new folder.")
    passphrase = _passphrase(new=True)
    pair = sealing.new_key_pair()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(f"The folder {folder} cannot be made ({exc.strerror or exc}).") from None
    _write_new(
        folder / ESCROW_PRIVATE_FILE,
        sealing.private_pem(pair.private, passphrase.encode("utf-8")),
        mode=0o600,
    )
    _write_new(folder / ESCROW_PUBLIC_FILE, sealing.public_pem(pair.public))
    print(f"Force escrow key pair made in {folder}.")
    print(f"Fingerprint: {sealing.fingerprint(pair.public)}")
    print(
        f"Give {ESCROW_PUBLIC_FILE} to each station (dsvdesk init --escrow-public FILE). Keep "
        f"{ESCROW_PRIVATE_FILE} on this offline machine only; the passphrase protects it."
    )
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from dsvdesk.store import forceca, pki

    root = _root(args.dir)
    if args.out is not None:
        _write_new(args.out, pki.cert_pem(root))
        print(f"Wrote {args.out}")
    else:
        print(f"The force root is {args.dir / ROOT_FILE}")
    print(f"Fingerprint (SHA-256): {forceca.fingerprint(root)}")
    print(
        "Send the certificate to stations and to those who check documents (Board, CPS); give the "
        "fingerprint separately (letter or phone) so they can confirm the file is the right one."
    )
    return 0


def run_issue(args: argparse.Namespace) -> int:
    from dsvdesk.commands.export import safe_name_part
    from dsvdesk.store import forceca, pki

    request = forceca.load_request(_read(args.request, "certificate request"))
    station = forceca.request_station(request)
    if args.station is not None and " ".join(args.station.split()).casefold() != station.casefold():
        raise BadInput(
            f"This request comes from the station {station!r}, not {args.station!r}: it is another station's "
            "request. Nothing was issued; ask the station for its own request file."
        )
    root = _root(args.dir)
    forceca.check_validity(root, "The force root")
    cert = forceca.issue_station(_root_key(args.dir), root, request)
    pem = pki.cert_pem(cert)
    _write_new(args.out, pem)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    _write_new(args.dir / ISSUED_DIR / f"{safe_name_part(station)}_{stamp}_{cert.serial_number:x}.pem", pem)
    print(f"Issued the station CA certificate for {station!r}: {args.out}")
    print(f"Serial: {cert.serial_number:x}   valid until {cert.not_valid_after_utc:%d/%m/%Y}")
    print(
        f"At the station an admin runs: dsvdesk trust install-station-cert {args.out.name} --root {ROOT_FILE}"
    )
    return 0


def _write_crl(folder: Path, state: dict[str, Any]) -> Path:
    from cryptography.hazmat.primitives import serialization

    from dsvdesk.store import forceca, pki

    root = _root(folder)
    key = _root_key(folder)
    revoked = [
        (pki.load_cert(str(entry["certificate"]).encode("ascii")), dt.datetime.fromisoformat(entry["at"]))
        for entry in state["revoked"]
    ]
    state["crl_number"] = int(state.get("crl_number", 0)) + 1
    crl = forceca.build_crl(key, root, revoked, number=state["crl_number"])
    _replace(folder / CRL_FILE, crl.public_bytes(serialization.Encoding.PEM))
    _replace(folder / STATE_FILE, json.dumps(state, indent=2).encode("utf-8"))
    return folder / CRL_FILE


def run_revoke(args: argparse.Namespace) -> int:
    from cryptography import x509

    from dsvdesk.store import pki

    data = _read(args.certificate, "certificate")
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        raise BadInput(f"{args.certificate} is not a certificate file (PEM or DER).") from None
    _check_dir(args.dir)
    state = _state(args.dir)
    pem = pki.cert_pem(cert).decode("ascii")
    if any(entry.get("certificate") == pem for entry in state["revoked"]):
        raise Conflict("This certificate is already revoked; nothing was changed.")
    state["revoked"].append({"certificate": pem, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    path = _write_crl(args.dir, state)
    print(f"Revoked {cert.subject.rfc4514_string()} (serial {cert.serial_number:x}).")
    print(
        f"Wrote {path} (number {state['crl_number']}). Stations import it with: dsvdesk trust import-crl {CRL_FILE}"
    )
    return 0


def run_crl(args: argparse.Namespace) -> int:
    _check_dir(args.dir)
    state = _state(args.dir)
    path = _write_crl(args.dir, state)
    print(f"Wrote {path} (number {state['crl_number']}, {len(state['revoked'])} revoked).")
    return 0
