"""The transfer bundle file (issue 17): one file, encrypted to the receiving unit, signed by the exporter,
written and read as a stream (a 10,000-record bundle with its PDFs is hundreds of MB: never whole in
memory).

Layout::

    b"DSVDESK-BUNDLE\n" b"<format>\n"
    8-byte big-endian length + header JSON (UTF-8): format, bundle id, sender and receiver unit ids, the
        bundle key wrapped to the receiving unit's X25519 key (``sealing.Wrapper``: an ephemeral X25519
        key, HKDF-SHA256, AES-256-GCM bound to the bundle id) with the ephemeral public key, a 7-byte
        nonce prefix, the sender's audit head
    chunks: 4-byte big-endian length + AES-256-GCM ciphertext of up to CHUNK bytes, nonce = prefix (7) ||
        chunk number (4, big-endian) || 1 for the last chunk else 0; associated data: everything before
        the first chunk (magic, format, header)

This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over AES-GCM from
``cryptography``: a chunk moved, dropped or repeated does not open under its number; a file cut after
any chunk lacks the chunk marked last and is refused as cut short. The chunks' plaintext is a zlib
stream of frames, one JSON line each, ``[kind, value]``: ``meta`` (the bundle's envelope), one
``record`` per record, then ``people``, ``definitions``, ``stations``, ``audit_events``; then the
signature line: the exporting user's certificate and chain and an RSA PKCS#1 v1.5 / SHA-256 signature
over ``SIGNED_PREFIX || sha256(every frame line before it)``. A reader checks every chunk, the
signature and that nothing follows it before anything is merged (``BundleReader.envelope``), then
reads the records again one at a time (``BundleReader.records``), checking the digest once more.

The receiving unit's X25519 key is an encryption key only: its certificate (issued by the unit's station
CA) allows key agreement and nothing else, and its private part is wrapped to the unit's supervisors'
X25519 encryption keys and the force escrow key (``store/transfer.py``), never to a signing key.
Bundles of earlier formats (1: the bundle key RSA-OAEP-wrapped to an RSA unit key; 2: one AES-GCM block)
are refused with a sentence.

The header holds no personal data (unit ids are random; the sender's audit head is a sequence number
and a hash, so the exporting station can check `audit verify --against BUNDLE` without the key). Nothing
in a bundle vouches for itself: the importer checks the certificate against the sending station's CA it
registered.

No SQL here; ``store/transfer.py`` reads and writes the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, Conflict, UntrustedSigner, VerificationFailed
from dsvdesk.store import sealing

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

MAGIC = b"DSVDESK-BUNDLE\n"
FORMAT = 3
FIRST_STREAM_FORMAT = 3  # 1: RSA-wrapped bundle key; 2: the whole bundle in one AES-GCM block
MAX_HEADER = 64 * 1024
CHUNK = 1024 * 1024  # plaintext bytes per AES-GCM chunk
MAX_LINE = 256 * 1024 * 1024  # one frame line (a record with its PDFs) larger than this is refused
SIGNED_PREFIX = b"dsvdesk-transfer-stream-1|"
TAIL_FRAMES = ("people", "definitions", "stations", "audit_events")
_LEN = struct.Struct(">Q")
_CHUNK_LEN = struct.Struct(">I")
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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


@dataclass(slots=True)
class Envelope:
    """A checked bundle without its records: the meta frame and the tail frames as one payload mapping
    (``records`` left out), how many records it holds, and who signed it."""

    header: Header
    payload: dict[str, Any]
    records: int
    digest: bytes
    signature: bytes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = field(default_factory=tuple)


def key_subject(bundle_id: str) -> bytes:
    """What the bundle key's wrap is bound to: the bundle (a wrap moved onto another does not open)."""
    return f"dsvdesk transfer bundle {bundle_id}".encode()


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


# ------------------------------------------------------------------------------------- writing
class BundleWriter:
    """Writes a bundle frame by frame to ``.<name>.partial`` beside ``path``; ``finish`` signs it and
    moves it into place (never over an existing file); ``discard`` removes the partial file."""

    def __init__(
        self,
        path: Path,
        *,
        bundle_id: str,
        from_uid: str,
        to_uid: str,
        to_key: bytes,
        audit_head: dict[str, Any],
    ) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.path = Path(path)
        if self.path.exists():
            raise BadInput(f"{self.path} already exists; choose another file name (nothing was written).")
        key = AESGCM.generate_key(bit_length=256)
        ephemeral, wrapped = sealing.Wrapper().wrap(key, to_key, key_subject(bundle_id))
        self.header = Header(
            FORMAT, bundle_id, from_uid, to_uid, wrapped, ephemeral, os.urandom(7), audit_head
        )
        header_bytes = self.header.as_json()
        self._prefix = MAGIC + f"{FORMAT}\n".encode("ascii") + _LEN.pack(len(header_bytes)) + header_bytes
        self._aead = AESGCM(key)
        self._partial = self.path.with_name(f".{self.path.name}.partial")
        self._out: IO[bytes] = open(self._partial, "wb")
        self._out.write(self._prefix)
        self._zip = zlib.compressobj(6)
        self._digest = hashlib.sha256()
        self._pending = bytearray()
        self._number = 0
        self.size = len(self._prefix)

    def frame(self, kind: str, value: Any) -> None:
        line = _JSON.encode([kind, value]).encode("utf-8") + b"\n"
        self._digest.update(line)
        self._feed(self._zip.compress(line))

    def _feed(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) > CHUNK:
            self._chunk(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]

    def _chunk(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self.header.nonce, self._number, last), plain, self._prefix)
        self._out.write(_CHUNK_LEN.pack(len(sealed)) + sealed)
        self.size += _CHUNK_LEN.size + len(sealed)
        self._number += 1

    def finish(
        self,
        signer_key: rsa.RSAPrivateKey,
        signer_cert: x509.Certificate,
        signer_chain: tuple[x509.Certificate, ...] = (),
    ) -> int:
        """Sign the frames' digest, write the last chunk, fsync and move the file into place. Returns
        its size in bytes."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = signer_key.sign(
            SIGNED_PREFIX + self._digest.digest(), padding.PKCS1v15(), hashes.SHA256()
        )
        block = {
            "certificate": base64.b64encode(signer_cert.public_bytes(serialization.Encoding.DER)).decode(),
            "signature": base64.b64encode(signature).decode(),
            # the certificates above the signer's (station CA, force root): for a receiver that trusts the
            # force root only (HQ); a station checks the signer against the sender's CA it registered
            "chain": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in signer_chain
            ],
        }
        self._feed(self._zip.compress(_JSON.encode(["signature", block]).encode("utf-8") + b"\n"))
        self._feed(self._zip.flush())
        self._chunk(bytes(self._pending), last=True)
        self._pending.clear()
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        if self.path.exists():
            self._partial.unlink(missing_ok=True)
            raise BadInput(f"{self.path} already exists; choose another file name (nothing was written).")
        os.replace(self._partial, self.path)
        return self.size

    def discard(self) -> None:
        if not self._out.closed:
            self._out.close()
        self._partial.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------- reading
def _parse_header(header_bytes: bytes, source: str) -> Header:
    try:
        raw = json.loads(header_bytes)
        return Header(
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


def read_header(stream: IO[bytes], source: str) -> tuple[Header, bytes]:
    """The header and the bytes the chunks are authenticated with, read from the start of ``stream``
    (left at the first chunk); ``BundleDamaged`` / ``BundleTooOld`` / ``BundleTooNew`` for a file that
    is not a bundle this DSVDesk reads."""
    start = stream.read(len(MAGIC))
    if start != MAGIC:
        raise BundleDamaged(f"{source} is not a DSVDesk transfer bundle; nothing was imported.")
    line = stream.readline(16)
    if not line.endswith(b"\n") or not line[:-1].isdigit():
        raise BundleDamaged(f"{source} is damaged (its format line is unreadable); nothing was imported.")
    version = int(line[:-1])
    if version < FIRST_STREAM_FORMAT:
        raise BundleTooOld(
            f"{source} was made by an earlier DSVDesk (bundle format {version}; this one reads format {FORMAT}). "
            "Ask the sending unit to update DSVDesk and export it again; nothing was imported."
        )
    if version > FORMAT:
        raise BundleTooNew(
            f"{source} was made by a newer DSVDesk (bundle format {version}; this one reads format {FORMAT}). "
            "Update DSVDesk on this PC, then import it again; nothing was imported."
        )
    cut = f"{source} is cut short (it was not copied completely); copy it again. Nothing was imported."
    size_bytes = stream.read(_LEN.size)
    if len(size_bytes) < _LEN.size:
        raise BundleDamaged(cut)
    (size,) = _LEN.unpack(size_bytes)
    if size > MAX_HEADER:
        raise BundleDamaged(cut)
    header_bytes = stream.read(size)
    if len(header_bytes) != size:
        raise BundleDamaged(cut)
    return _parse_header(header_bytes, source), MAGIC + line + size_bytes + header_bytes


def read_header_file(path: Path, source: str) -> Header:
    with open(path, "rb") as stream:
        return read_header(stream, source)[0]


class BundleReader:
    """Reads a bundle addressed to the holder of ``private_key`` (raw X25519) as a stream. ``envelope()``
    checks the whole file (every chunk, the signature against the certificate it carries, nothing after
    it) keeping only the small frames; ``records()`` then yields the records one at a time. Who signed
    is checked apart (against the sender's CA)."""

    def __init__(self, path: Path, source: str, private_key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.path = Path(path)
        self.source = source
        with open(self.path, "rb") as stream:
            self.header, self._prefix = read_header(stream, source)
        try:
            key = sealing.Unwrapper(private_key).unwrap(
                self.header.ephemeral, self.header.wrapped_key, key_subject(self.header.bundle_id)
            )
        except sealing.SealBroken:
            raise BundleAltered(self._altered) from None
        if len(key) != 32:
            raise BundleAltered(self._altered)
        self._aead = AESGCM(key)
        self._envelope: Envelope | None = None

    @property
    def _altered(self) -> str:
        return f"{self.source} has been altered since it was made (its encryption check fails); nothing was imported."

    def _plain_chunks(self) -> Iterator[bytes]:
        from cryptography.exceptions import InvalidTag

        cut = (
            f"{self.source} is cut short (it was not copied completely); copy it again. Nothing was imported."
        )
        with open(self.path, "rb") as stream:
            stream.seek(len(self._prefix))
            number = 0
            while True:
                size_bytes = stream.read(_CHUNK_LEN.size)
                if len(size_bytes) < _CHUNK_LEN.size:
                    raise BundleDamaged(cut)
                (size,) = _CHUNK_LEN.unpack(size_bytes)
                if size > CHUNK + 16:
                    raise BundleAltered(self._altered)
                sealed = stream.read(size)
                if len(sealed) != size:
                    raise BundleDamaged(cut)
                last = not stream.peek(1)
                try:
                    plain = self._aead.decrypt(_nonce(self.header.nonce, number, last), sealed, self._prefix)
                except InvalidTag:
                    if last:  # the file ends here, but this chunk was not made as the last one
                        try:
                            self._aead.decrypt(_nonce(self.header.nonce, number, False), sealed, self._prefix)
                        except InvalidTag:
                            raise BundleAltered(self._altered) from None
                        raise BundleDamaged(cut) from None
                    raise BundleAltered(self._altered) from None
                yield plain
                number += 1
                if last:
                    return

    def _lines(self) -> Iterator[bytes]:
        unzip = zlib.decompressobj()
        pending = bytearray()
        try:
            for plain in self._plain_chunks():
                pending += unzip.decompress(plain)
                while True:
                    end = pending.find(b"\n")
                    if end < 0:
                        break
                    yield bytes(pending[: end + 1])
                    del pending[: end + 1]
                if len(pending) > MAX_LINE:
                    raise BundleAltered(self._altered)
            pending += unzip.flush()
        except zlib.error:
            raise BundleAltered(self._altered) from None
        if pending or not unzip.eof:
            raise BundleAltered(self._altered)

    def _frames(self) -> Iterator[tuple[str, Any, bytes]]:
        """(kind, value, digest so far) per frame; the signature frame comes last, nothing after it."""
        digest = hashlib.sha256()
        signed = False
        for line in self._lines():
            if signed:
                raise BundleAltered(self._altered)
            try:
                kind, value = json.loads(line)
            except (ValueError, TypeError):
                raise BundleAltered(self._altered) from None
            if kind == "signature":
                signed = True
            else:
                digest.update(line)
            yield str(kind), value, digest.digest()
        if not signed:
            raise BundleAltered(self._altered)

    def envelope(self) -> Envelope:
        """Check the whole bundle and return it without its records (kept, so a second call is free)."""
        if self._envelope is not None:
            return self._envelope
        from cryptography import x509

        payload: dict[str, Any] = {}
        records = 0
        for kind, value, digest in self._frames():
            if kind == "record":
                records += 1
            elif kind == "meta" and isinstance(value, dict) and not payload:
                payload.update(value)
            elif kind == "audit_events" and isinstance(value, list):
                payload.setdefault("audit_events", []).extend(value)
            elif kind in TAIL_FRAMES and kind not in payload:
                payload[kind] = value
            elif kind == "signature" and isinstance(value, dict):
                try:
                    certificate = x509.load_der_x509_certificate(base64.b64decode(value["certificate"]))
                    signature = base64.b64decode(value["signature"])
                    chain = tuple(
                        x509.load_der_x509_certificate(base64.b64decode(c)) for c in value.get("chain") or ()
                    )
                except (ValueError, KeyError, TypeError):
                    raise BundleAltered(self._altered) from None
                self._envelope = Envelope(
                    self.header, payload, records, digest, signature, certificate, chain
                )
            else:
                raise BundleAltered(self._altered)
        if self._envelope is None or not payload:
            raise BundleAltered(self._altered)
        return self._envelope

    def records(self) -> Iterator[Any]:
        """The records, one at a time, after ``envelope()``: the file is read again and must be the
        same (its digest is compared at the end)."""
        envelope = self.envelope()
        for kind, value, digest in self._frames():
            if kind == "record":
                yield value
            elif kind == "signature" and digest != envelope.digest:
                raise BundleAltered(
                    f"{self.source} changed while it was being imported; nothing was imported."
                )


def check_signature(envelope: Envelope, source: str) -> None:
    """The frames' signature against the certificate they carry (who that is, is checked apart)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    public_key = envelope.certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BundleUntrusted(f"{source} is signed with a key DSVDesk does not issue; nothing was imported.")
    try:
        public_key.verify(
            envelope.signature, SIGNED_PREFIX + envelope.digest, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise BundleAltered(
            f"{source} has been altered: the exporter's signature does not match its content; nothing was imported."
        ) from None
