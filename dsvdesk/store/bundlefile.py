"""The transfer bundle file (issue 17): one file, encrypted to the receiving unit, signed by the exporter.

Layout::

    b"DSVDESK-BUNDLE\n" b"<format>\n"
    8-byte big-endian length + header JSON (UTF-8): format, bundle id, sender and receiver unit ids, the
        bundle key wrapped to the receiving unit's X25519 key (``sealing.Wrapper``: an ephemeral X25519
        key, HKDF-SHA256, AES-256-GCM bound to the bundle id) with the ephemeral public key, the nonce
    8-byte big-endian length + AES-256-GCM ciphertext (associated data: everything before it) of
        zlib( 8-byte length + payload JSON + signature JSON )

The receiving unit's X25519 key is an encryption key only: its certificate (issued by the unit's station
CA) allows key agreement and nothing else, and its private part is wrapped to the unit's supervisors'
X25519 encryption keys and the force escrow key (``store/transfer.py``), never to a signing key.
Format 1 bundles (the bundle key RSA-OAEP-wrapped to an RSA unit key) are refused with a sentence.

The header holds no personal data (unit ids are random; the sender's audit head is a sequence number
and a hash, so the exporting station can check `audit verify --against BUNDLE` without the key). The payload is signed (RSA PKCS#1 v1.5,
SHA-256) by the exporting user's key; the signature block carries their certificate. Nothing in a bundle
vouches for itself: the importer checks the certificate against the sending station's CA it registered.

No SQL here; ``store/transfer.py`` reads and writes the database.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, Conflict, UntrustedSigner, VerificationFailed
from dsvdesk.store import sealing

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

MAGIC = b"DSVDESK-BUNDLE\n"
FORMAT = 2
FIRST_X25519_FORMAT = 2  # format 1 wrapped the bundle key to an RSA unit key
MAX_HEADER = 64 * 1024
_LEN = struct.Struct(">Q")


class BundleDamaged(BadInput):
    """Not a bundle, or cut short."""

    title = "Not a usable bundle"


class BundleTooNew(BadInput):
    title = "Bundle from a newer DSVDesk"


class BundleTooOld(BadInput):
    title = "Bundle from an earlier DSVDesk"


class BundleWrongUnit(BadInput):
    title = "Bundle for another unit"


class BundleAltered(VerificationFailed):
    title = "Bundle altered"


class BundleUntrusted(UntrustedSigner):
    title = "Bundle from an unknown station"


class BundleReplayed(Conflict):
    title = "Bundle already imported"


@dataclass(frozen=True, slots=True)
class Header:
    format: int
    bundle_id: str
    from_uid: str
    to_uid: str
    wrapped_key: bytes
    ephemeral: bytes  # the wrap's ephemeral X25519 public key
    nonce: bytes
    audit_head: dict[str, Any]  # the sender's audit head {seq, hash}: `audit verify --against` reads it

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "format": self.format,
                "bundle_id": self.bundle_id,
                "from": self.from_uid,
                "to": self.to_uid,
                "key": base64.b64encode(self.wrapped_key).decode("ascii"),
                "epk": base64.b64encode(self.ephemeral).decode("ascii"),
                "nonce": base64.b64encode(self.nonce).decode("ascii"),
                "audit_head": self.audit_head,
            },
            sort_keys=True,
        ).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Opened:
    """A decrypted bundle: the payload, the exact bytes that were signed, and the signature block."""

    header: Header
    payload: dict[str, Any]
    signed: bytes
    signature: bytes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def key_subject(bundle_id: str) -> bytes:
    """What the bundle key's wrap is bound to: the bundle (a wrap moved onto another does not open)."""
    return f"dsvdesk transfer bundle {bundle_id}".encode()


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_bundle(
    path: Path,
    payload: dict[str, Any],
    *,
    bundle_id: str,
    from_uid: str,
    to_uid: str,
    to_key: bytes,
    signer_key: rsa.RSAPrivateKey,
    signer_cert: x509.Certificate,
    signer_chain: tuple[x509.Certificate, ...] = (),
) -> int:
    """Sign, compress, encrypt and write the bundle atomically (never over an existing file). Returns
    its size in bytes."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    signed = canonical(payload)
    signature = signer_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    block = json.dumps(
        {
            "certificate": base64.b64encode(signer_cert.public_bytes(serialization.Encoding.DER)).decode(),
            "signature": base64.b64encode(signature).decode(),
            # the certificates above the signer's (station CA, force root): for a receiver that trusts the
            # force root only (HQ); a station checks the signer against the sender's CA it registered
            "chain": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in signer_chain
            ],
        }
    ).encode("utf-8")
    inner = zlib.compress(_LEN.pack(len(signed)) + signed + block, 6)
    key = AESGCM.generate_key(bit_length=256)
    ephemeral, wrapped = sealing.Wrapper().wrap(key, to_key, key_subject(bundle_id))
    header = Header(
        FORMAT,
        bundle_id,
        from_uid,
        to_uid,
        wrapped,
        ephemeral,
        os.urandom(12),
        dict(payload["audit_head"]),
    )
    head = MAGIC + f"{FORMAT}\n".encode("ascii")
    header_bytes = header.as_json()
    prefix = head + _LEN.pack(len(header_bytes)) + header_bytes
    ciphertext = AESGCM(key).encrypt(header.nonce, inner, prefix)
    data = prefix + _LEN.pack(len(ciphertext)) + ciphertext
    path = Path(path)
    if path.exists():
        raise BadInput(f"{path} already exists; choose another file name (nothing was written).")
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return len(data)


def read_header(data: bytes, source: str) -> tuple[Header, bytes, bytes]:
    """The header, the bytes it is authenticated with, and the ciphertext; ``BundleDamaged`` /
    ``BundleTooNew`` for a file that is not a whole bundle this DSVDesk can read."""
    if not data.startswith(MAGIC):
        raise BundleDamaged(f"{source} is not a DSVDesk transfer bundle; nothing was imported.")
    rest = data[len(MAGIC) :]
    line, _, rest = rest.partition(b"\n")
    if not line.isdigit():
        raise BundleDamaged(f"{source} is damaged (its format line is unreadable); nothing was imported.")
    if int(line) < FIRST_X25519_FORMAT:
        raise BundleTooOld(
            f"{source} was made by an earlier DSVDesk (bundle format {int(line)}, encrypted to an RSA unit key "
            "this version no longer keeps). Ask the sending unit to update DSVDesk and export it again; "
            "nothing was imported."
        )
    if int(line) > FORMAT:
        raise BundleTooNew(
            f"{source} was made by a newer DSVDesk (bundle format {int(line)}; this one reads format {FORMAT}). "
            "Update DSVDesk on this PC, then import it again; nothing was imported."
        )
    cut = f"{source} is cut short (it was not copied completely); copy it again. Nothing was imported."
    if len(rest) < _LEN.size:
        raise BundleDamaged(cut)
    (size,) = _LEN.unpack_from(rest)
    if size > MAX_HEADER or len(rest) < _LEN.size + size + _LEN.size:
        raise BundleDamaged(cut)
    header_bytes = rest[_LEN.size : _LEN.size + size]
    (body_size,) = _LEN.unpack_from(rest, _LEN.size + size)
    body = rest[_LEN.size + size + _LEN.size :]
    if len(body) != body_size:
        raise BundleDamaged(cut)
    prefix = data[: len(data) - len(body) - _LEN.size]
    try:
        raw = json.loads(header_bytes)
        header = Header(
            int(raw["format"]),
            str(raw["bundle_id"]),
            str(raw["from"]),
            str(raw["to"]),
            base64.b64decode(raw["key"]),
            base64.b64decode(raw["epk"]),
            base64.b64decode(raw["nonce"]),
            dict(raw["audit_head"]),
        )
    except (ValueError, KeyError, TypeError):
        raise BundleAltered(
            f"{source} has been altered (its header is unreadable); nothing was imported."
        ) from None
    return header, prefix, body


def open_bundle(data: bytes, source: str, private_key: bytes) -> Opened:
    """Decrypt and parse a bundle with the receiving unit's private X25519 key (raw). Signature NOT yet
    checked against any trust anchor (``check_signature`` does that with the sender's CA)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, prefix, body = read_header(data, source)
    altered = (
        f"{source} has been altered since it was made (its encryption check fails); nothing was imported."
    )
    try:
        key = sealing.Unwrapper(private_key).unwrap(
            header.ephemeral, header.wrapped_key, key_subject(header.bundle_id)
        )
    except sealing.SealBroken:
        raise BundleAltered(altered) from None
    if len(key) != 32:
        raise BundleAltered(altered)
    try:
        inner = zlib.decompress(AESGCM(key).decrypt(header.nonce, body, prefix))
        (size,) = _LEN.unpack_from(inner)
        signed = inner[_LEN.size : _LEN.size + size]
        block = json.loads(inner[_LEN.size + size :])
        payload = json.loads(signed)
        certificate = x509.load_der_x509_certificate(base64.b64decode(block["certificate"]))
        signature = base64.b64decode(block["signature"])
        chain = tuple(x509.load_der_x509_certificate(base64.b64decode(c)) for c in block.get("chain") or ())
    except (InvalidTag, zlib.error, struct.error, ValueError, KeyError, TypeError):
        raise BundleAltered(altered) from None
    if not isinstance(payload, dict):
        raise BundleAltered(altered)
    return Opened(header, payload, signed, signature, certificate, chain)


def check_signature(opened: Opened, source: str) -> None:
    """The payload's signature against the certificate it carries (who that is, is checked apart)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    public_key = opened.certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BundleUntrusted(f"{source} is signed with a key DSVDesk does not issue; nothing was imported.")
    try:
        public_key.verify(opened.signature, opened.signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise BundleAltered(
            f"{source} has been altered: the exporter's signature does not match its content; nothing was imported."
        ) from None
