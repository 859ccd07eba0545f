"""HQ's keys and the units it accepts bundles from.

HQ is a transfer unit like a CSU: stations and CSUs register its unit file (``transfer add-unit
hq_unit.pem --kind hq``) and export bundles to it. Its certificate is issued by the force root when
``hq init`` is given the CA folder (then units that trust the force root accept it as it is), else it
is issued by a one-off self-signed certificate (an X25519 key cannot sign) and registered by fingerprint.
The unit key is an X25519 encryption key (bundles wrap their key to it, as to any unit's): its private
part is kept in the database encrypted under HQ's passphrase ($DSVDESK_HQ_PASSPHRASE); the data key that
seals record content and the key of the victim index are wrapped to it.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, Conflict, NotFound, PermissionDenied
from dsvdesk.store import forceca, pki, sealing

if TYPE_CHECKING:
    import psycopg
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER_KEY_BITS = 3072
VALID_DAYS = 10 * 365
KEY_FORMAT = 2  # 1 (refused): an RSA unit key
_KEY_SUBJECT = {"data": b"dsvdesk hq data key", "index": b"dsvdesk hq index key"}


@dataclass(frozen=True, slots=True)
class HqKeys:
    uid: str
    private_key: bytes  # HQ's unit key: raw X25519 (bundles are opened with it)
    data_key: bytes
    index_key: bytes
    root: x509.Certificate | None


def _wrap(public: bytes, key: bytes, kind: str) -> bytes:
    epk, wrapped = sealing.Wrapper().wrap(key, public, _KEY_SUBJECT[kind])
    return epk + wrapped


def _unwrap(private: bytes, blob: bytes, kind: str) -> bytes:
    return sealing.Unwrapper(private).unwrap(blob[:32], blob[32:], _KEY_SUBJECT[kind])


def init_unit(
    conn: psycopg.Connection[Any],
    passphrase: str,
    *,
    name: str = "Force HQ",
    root: tuple[rsa.RSAPrivateKey, x509.Certificate] | None = None,
) -> bytes:
    """Make HQ's unit key pair (X25519), data key and index key (once). Returns the unit file to publish."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.x509.oid import NameOID

    if len(passphrase) < 12:
        raise BadInput("HQ's passphrase needs at least 12 characters ($DSVDESK_HQ_PASSPHRASE).")
    if conn.execute("SELECT 1 FROM hq_unit WHERE id = 1").fetchone():
        raise Conflict("HQ's database already has its unit key; nothing was changed.")
    pair = sealing.new_key_pair()
    uid = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DSVDesk transfer unit"),
            x509.NameAttribute(NameOID.PSEUDONYM, "HQ"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, uid),
        ]
    )
    not_after = now + dt.timedelta(days=VALID_DAYS)
    if root:
        issuer_key, issuer_cert = root
        not_after = min(not_after, root[1].not_valid_after_utc)
    else:  # a one-off issuer: an X25519 key cannot sign its own certificate
        issuer_key = pki.new_key(ISSUER_KEY_BITS)
        issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name[:48]} unit issuer")])
        issuer_cert = (
            x509.CertificateBuilder()
            .subject_name(issuer_name)
            .issuer_name(issuer_name)
            .public_key(issuer_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(X25519PublicKey.from_public_bytes(pair.public))
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    data_key, index_key = os.urandom(32), os.urandom(32)
    with conn.transaction():
        conn.execute(
            "INSERT INTO hq_unit (id, uid, certificate_pem, private_key_pem, root_pem, issuer_pem, data_key, "
            "index_key, key_format, created_at) VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s, now())",
            (
                uid,
                pki.cert_pem(cert),
                sealing.private_pem(pair.private, passphrase.encode("utf-8")),
                pki.cert_pem(root[1]) if root else None,
                pki.cert_pem(issuer_cert),
                _wrap(pair.public, data_key, "data"),
                _wrap(pair.public, index_key, "index"),
                KEY_FORMAT,
            ),
        )
    return unit_file(conn)


def unit_file(conn: psycopg.Connection[Any]) -> bytes:
    row = conn.execute("SELECT certificate_pem, issuer_pem FROM hq_unit WHERE id = 1").fetchone()
    if row is None:
        raise NotFound("HQ has no unit key yet: run `dsvdesk hq init --pg URL` first.")
    return bytes(row[0]) + bytes(row[1] or b"")  # the unit certificate, then its issuer


def fingerprint(conn: psycopg.Connection[Any]) -> str:
    return forceca.fingerprint(pki.load_cert(unit_file(conn)))


def load_keys(conn: psycopg.Connection[Any], passphrase: str) -> HqKeys:
    row = conn.execute(
        "SELECT uid, private_key_pem, data_key, index_key, root_pem, key_format FROM hq_unit WHERE id = 1"
    ).fetchone()
    if row is None:
        raise NotFound("HQ has no unit key yet: run `dsvdesk hq init --pg URL` first.")
    if int(row[5]) < KEY_FORMAT:
        raise BadInput(
            "HQ's unit key was made by an earlier DSVDesk (an RSA key; bundles are now encrypted to X25519 "
            "keys). Make a new HQ database with `dsvdesk hq init` and register its unit file at the units."
        )
    try:
        key = sealing.load_private_pem(bytes(row[1]), passphrase.encode("utf-8"))
    except ValueError:
        raise PermissionDenied(
            "HQ's passphrase is not right ($DSVDESK_HQ_PASSPHRASE); nothing was read."
        ) from None
    try:
        data_key = _unwrap(key, bytes(row[2]), "data")
        index_key = _unwrap(key, bytes(row[3]), "index")
    except sealing.SealBroken:
        raise PermissionDenied("HQ's keys do not open with its unit key; the database was altered.") from None
    return HqKeys(str(row[0]), key, data_key, index_key, pki.load_cert(bytes(row[4])) if row[4] else None)


def add_unit(
    conn: psycopg.Connection[Any], data: bytes, *, borough: str, fingerprint: str | None = None
) -> tuple[str, str]:
    """Accept bundles from a unit (a borough's CSU or a station) given its published unit file: checked
    against the force root HQ holds, else against ``fingerprint``. Returns (name, code)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    borough = " ".join(str(borough).split())
    if not borough:
        raise BadInput("Say which borough the unit belongs to (--borough).")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if len(certs) < 2 or not forceca.issued_by(certs[0], certs[1]):
        raise BadInput("This is not a DSVDesk transfer unit file (unit certificate and its station CA).")
    unit, ca = certs[0], certs[1]
    root_row = conn.execute("SELECT root_pem FROM hq_unit WHERE id = 1").fetchone()
    if root_row is None:
        raise NotFound("HQ has no unit key yet: run `dsvdesk hq init --pg URL` first.")
    printed = forceca.fingerprint(unit)
    if root_row[0] is not None and forceca.issued_by(ca, pki.load_cert(bytes(root_row[0]))):
        pass  # certified by the force
    elif fingerprint is None or forceca.normalise_fingerprint(fingerprint) != printed:
        raise BadInput(
            "This unit's station CA is not certified by the force root HQ holds, so give --fingerprint as "
            f"its administrator read it out (this file's is {printed}). Nothing was registered."
        )
    uid = str(unit.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value)
    name = str(unit.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    code_attr = unit.subject.get_attributes_for_oid(NameOID.PSEUDONYM)
    code = str(code_attr[0].value) if code_attr else name[:16]
    with conn.transaction():
        conn.execute(
            "INSERT INTO hq_units (uid, name, code, borough, ca_pem, added_at) VALUES (%s, %s, %s, %s, %s, now()) "
            "ON CONFLICT (uid) DO UPDATE SET name = excluded.name, code = excluded.code, borough = excluded.borough, "
            "ca_pem = excluded.ca_pem, removed_at = NULL",
            (uid, name, code, borough, pki.cert_pem(ca)),
        )
    return name, code
