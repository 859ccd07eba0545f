"""Station <-> CSU transfer bundles (issue 17): the unit key, the peers, export and import-merge.

**Units.** Every database is a unit with a random ``uid`` (migration 0012, ``stations`` row 1). Its
*unit key pair* receives bundles: the certificate (issued by the station CA, so it chains to the force
root where one is installed) is published as a file; the private key is encrypted under a random key
that is wrapped (RSA-OAEP) to each of the unit's supervisors' key pairs, so only they can open bundles.
A peer is registered from its published file (``add_transfer_peer``): checked against the force root
installed here, or against a fingerprint read out by a second route.

**Merging.** Each record has a version vector {unit uid: changes made there} (``record_sync``); a
unit's own changes are counted lazily, whenever its (revision, version) mark moved since it last
looked. Importing a record: a vector the local one already covers changes nothing (idempotent, so
bundles may arrive in any order and twice); one that covers the local vector replaces the local
state (never a newer one); two vectors that each have changes the other lacks are a conflict: the
local state stays, the other side's is kept in ``transfer_conflicts`` and the record is flagged for a
supervisor with both shown. One import is one write transaction and one audit event (a combination,
DPA 2018 s.62).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import __version__, log
from dsvdesk.store import anchor, audit, bundlefile, forceca, pki, sealing, stationaudit
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.errors import InvalidInput, NotFound, PermissionDenied
from dsvdesk.store.lifecycle import LifecycleOps
from dsvdesk.store.models import AuditVerification, Role, Session
from dsvdesk.store.trust import TrustOps
from dsvdesk.store.users import UserOps

if TYPE_CHECKING:
    from cryptography import x509

Progress = Callable[[int, int], None]  # (done, total)
PAYLOAD_FORMAT = "dsvdesk-transfer/1"
_EVENTS_PER_FRAME = 5000  # audit events per bundle frame (a bundle may carry a station's whole log)
_UNIT_KEY_AAD = b"dsvdesk transfer unit key"  # binds the unit key's seal and its wraps
KINDS = ("station", "csu", "hq")
FLAG = "transfer_conflict"  # the flag a record changed on both sides shows in lists and the queue
_LIFECYCLE = (
    "form_id, definition_hash, owner_id, editor_id, status, revision, version, supersedes, amend_reason, "
    "created_at, updated_at, submitted_at, approved_at, approved_by, ever_submitted, return_rounds, urn, "
    "completeness, answers_json, station_id, id"
)
_REVISION_COLUMNS = (
    "revision, definition_hash, status, editor_id, supersedes, amend_reason, created_at, updated_at, "
    "submitted_at, approved_at, approved_by, return_rounds, urn, completeness, answers_json, archived_at"
)


@dataclass(frozen=True, slots=True)
class Peer:
    id: int
    uid: str
    name: str
    code: str
    kind: str
    fingerprint: str
    revoked: bool
    last_in_seq: int
    last_in_at: str | None
    sent_seq: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a report on this database covers: one line per station whose records it holds."""

    name: str
    code: str
    local: bool
    records: int
    last_bundle: int  # the newest bundle imported from it (0 for this PC's own records)
    last_bundle_at: str | None

    def describe(self) -> str:
        if self.local:
            return f"{self.name} (this PC, {self.records} records)"
        when = f", {self.last_bundle_at[:10]}" if self.last_bundle_at else ""
        return f"{self.name} (up to bundle {self.last_bundle}{when}, {self.records} records)"


# Whether any other station's records or bundles are here (one probe of records_station per station).
_IMPORTED_SQL = (
    "SELECT 1 FROM stations AS s WHERE s.id <> 1 AND (s.last_in_seq "
    "OR EXISTS (SELECT 1 FROM records AS r WHERE r.station_id = s.id)) LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    bundle_id: str
    seq: int
    records: int
    size: int
    to: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    bundle_id: str
    seq: int
    station: str
    new: int
    updated: int
    unchanged: int
    conflicts: int
    audit_head: anchor.AuditHead
    disposed: int = 0  # records erased here under MoPI that the bundle still carried: not brought back
    audit_events: int = 0  # the sender's audit events new to this PC (kept apart: station_audit_events)


def vector_covers(a: Mapping[str, int], b: Mapping[str, int]) -> bool:
    """True when vector ``a`` has seen every change ``b`` has (a >= b component-wise)."""
    return all(int(a.get(k, 0)) >= int(v) for k, v in b.items())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unit_fingerprint(cert: x509.Certificate) -> str:
    return forceca.fingerprint(cert)


def _unit_public_key(cert: x509.Certificate, name: str) -> bytes:
    """The raw X25519 key a unit certificate carries; a unit registered from an earlier DSVDesk's file
    (an RSA unit key) is named and refused."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    key = cert.public_key()
    if not isinstance(key, X25519PublicKey):
        raise InvalidInput(
            f"{name} was registered from an earlier DSVDesk's unit file (an RSA unit key); no bundle is made "
            "for it. Its administrator makes a new transfer key (`dsvdesk transfer unit-key --replace`) and an "
            "administrator here registers its new unit file (`dsvdesk transfer add-unit`)."
        )
    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


class TransferOps(LifecycleOps, UserOps, TrustOps):
    # ------------------------------------------------------------------------------- this unit
    def unit_uid(self) -> str:
        with self._read() as conn:
            return str(conn.execute("SELECT uid FROM stations WHERE id = 1").fetchone()[0])

    def create_transfer_unit(self, session: Session, password: str, *, replace: bool = False) -> bytes:
        """Make this unit's key pair (admin: the station CA key signs its certificate) and wrap the private
        key for every supervisor. Returns the file to publish (``transfer_unit_file``)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.x509.oid import NameOID

        acting = self._require(session, Role.ADMIN, action="make the transfer key")
        with self._read() as conn:
            exists = conn.execute("SELECT 1 FROM transfer_unit WHERE id = 1").fetchone()
        if exists and not replace:
            raise InvalidInput(
                "This PC already has a transfer key; bundles made for it would no longer open if it were "
                "replaced. Use --replace only if its key was lost or exposed."
            )
        ca_key, ca_cert = self._unlock_ca_key(acting.id, password)
        settings = self._settings()
        code = settings_mod.station_code(settings)
        pair = sealing.new_key_pair()
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

        now = self._now()
        import datetime as dt

        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COMMON_NAME, (settings.station_name or code)[:64]),
                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DSVDesk transfer unit"),
                        x509.NameAttribute(NameOID.PSEUDONYM, code[:64]),
                        x509.NameAttribute(NameOID.SERIAL_NUMBER, self.unit_uid()),
                    ]
                )
            )
            .issuer_name(ca_cert.subject)
            .public_key(X25519PublicKey.from_public_bytes(pair.public))
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(ca_cert.not_valid_after_utc)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        secret = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(secret).encrypt(nonce, pair.private, _UNIT_KEY_AAD)
        with self._tx() as conn:
            conn.execute("DELETE FROM transfer_unit_wraps")
            conn.execute(
                "INSERT INTO transfer_unit (id, certificate_pem, private_key, created_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET certificate_pem = excluded.certificate_pem, "
                "private_key = excluded.private_key, created_at = excluded.created_at",
                (pki.cert_pem(cert), sealed, self._stamp()),
            )
            wrapped = self._wrap_unit_secret(conn, secret)
            self._audit(
                session,
                audit.TRUST_CHANGED,
                detail={
                    "transfer_unit": _unit_fingerprint(cert),
                    "recipients": wrapped,
                    "replaced": bool(exists),
                },
            )
        return self.transfer_unit_file()

    def transfer_unit_file(self) -> bytes:
        """The unit certificate and the certificates above it (station CA, force root once installed),
        PEM: what another unit registers to send bundles here."""
        with self._read() as conn:
            row = conn.execute("SELECT certificate_pem FROM transfer_unit WHERE id = 1").fetchone()
        if row is None:
            raise NotFound(
                "This PC has no transfer key yet. An administrator makes it: `dsvdesk transfer unit-key`."
            )
        parts = [bytes(row[0]), self._station_ca() or b""]
        root = self.force_root_pem()
        if root:
            parts.append(root)
        return b"".join(parts)

    def transfer_unit_fingerprint(self) -> str:
        with self._read() as conn:
            row = conn.execute("SELECT certificate_pem FROM transfer_unit WHERE id = 1").fetchone()
        if row is None:
            raise NotFound("This PC has no transfer key yet (`dsvdesk transfer unit-key`).")
        return _unit_fingerprint(pki.load_cert(bytes(row[0])))

    def _wrap_unit_secret(
        self, conn: sqlite3.Connection, secret: bytes, *, only_missing: bool = False
    ) -> int:
        """Wrap the secret sealing the unit's private key for every supervisor's current X25519
        encryption key and the force escrow key (``sealing.Wrapper``); wraps for keys retired since go."""
        recipients = [*self._supervisor_recipients(conn)]
        escrow = self._escrow_recipient(conn)
        if escrow is not None:
            recipients.append(escrow)
        conn.execute(
            "DELETE FROM transfer_unit_wraps WHERE recipient IN (SELECT id FROM enc_keys WHERE retired_at IS NOT NULL)"
        )
        have = {int(r[0]) for r in conn.execute("SELECT recipient FROM transfer_unit_wraps")}
        wrapper = sealing.Wrapper()
        rows = []
        for recipient in recipients:
            if only_missing and recipient.key_id in have:
                continue
            epk, wrapped = wrapper.wrap(secret, recipient.public, _UNIT_KEY_AAD)
            rows.append((recipient.key_id, epk, wrapped))
        conn.executemany(
            "INSERT INTO transfer_unit_wraps (recipient, ephemeral, wrapped) VALUES (?, ?, ?) "
            "ON CONFLICT (recipient) DO UPDATE SET ephemeral = excluded.ephemeral, wrapped = excluded.wrapped",
            rows,
        )
        return len(rows)

    def _unit_private_key(self, session: Session) -> bytes:
        """The unit's private X25519 key (raw), opened with the signed-in supervisor's own encryption key
        (held since sign-in). Supervisors added or reset since are given their wrap on the way (logged)."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from dsvdesk.store.keyring import keyring_of

        self._require(session, Role.SUPERVISOR, action="open transfer bundles")
        held = keyring_of(self.path, session)
        unwrappers = dict(held.unwrappers) if held is not None else {}
        with self._read() as conn:
            unit = conn.execute("SELECT private_key FROM transfer_unit WHERE id = 1").fetchone()
            wraps = conn.execute(
                "SELECT w.recipient, w.ephemeral, w.wrapped FROM transfer_unit_wraps w"
            ).fetchall()
        if unit is None:
            raise NotFound(
                "This PC has no transfer key, so no bundle can be addressed to it. An administrator makes "
                "one: `dsvdesk transfer unit-key`."
            )
        secret = None
        for recipient, epk, wrapped in wraps:
            opener = unwrappers.get(int(recipient))
            if opener is None:
                continue
            try:
                secret = opener.unwrap(bytes(epk), bytes(wrapped), _UNIT_KEY_AAD)
                break
            except sealing.SealBroken:
                continue
        if secret is None:
            raise PermissionDenied(
                "Your account holds no copy of this PC's transfer key (you became a supervisor, or your "
                "password was reset, after it was made). Another supervisor's next import gives you one."
            )
        blob = bytes(unit[0])
        try:
            private = AESGCM(secret).decrypt(blob[:12], blob[12:], _UNIT_KEY_AAD)
        except InvalidTag:
            raise PermissionDenied("This PC's transfer key cannot be opened with your copy of it.") from None
        with self._tx() as conn:
            given = self._wrap_unit_secret(conn, secret, only_missing=True)
            if given:
                self._audit(session, audit.TRUST_CHANGED, detail={"transfer_unit_rewrapped": given})
        return private

    # ------------------------------------------------------------------------------- peers
    def add_transfer_peer(
        self, session: Session, data: bytes, *, kind: str = "station", fingerprint: str | None = None
    ) -> Peer:
        """Register another unit from its published file (admin). With a force root installed here the
        unit's station CA must be issued by it (and not revoked); without one, ``fingerprint`` (read
        out by the other unit's admin) must match the unit certificate."""
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        self._require(session, Role.ADMIN, action="register transfer units")
        if kind not in KINDS:
            raise InvalidInput(f"Unknown kind of unit {kind!r}: use {', '.join(KINDS)}.")
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            certs = []
        if len(certs) < 2:
            raise InvalidInput(
                "This is not a DSVDesk transfer unit file (it should hold the unit certificate and its "
                "station CA, as `dsvdesk transfer unit-key` writes it). Nothing was registered."
            )
        unit, issuer = certs[0], certs[1]
        if not forceca.issued_by(unit, issuer):
            raise InvalidInput(
                "The unit certificate in this file was not issued by the CA beside it; nothing was registered."
            )
        uid_attr = unit.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if not uid_attr:
            raise InvalidInput("This certificate is not a DSVDesk transfer unit's; nothing was registered.")
        uid = str(uid_attr[0].value)
        if uid == self.unit_uid():
            raise InvalidInput("This is this PC's own transfer unit; register the other unit's file.")
        forceca.check_validity(unit, "The unit certificate")
        try:
            _unit_public_key(unit, "This unit")
        except InvalidInput:
            raise InvalidInput(
                "This unit file was made by an earlier DSVDesk (an RSA unit key, which bundles are no longer "
                "encrypted to). Its administrator updates DSVDesk and makes a new transfer key "
                "(`dsvdesk transfer unit-key --replace`); register that file. Nothing was registered."
            ) from None
        root_pem = self.force_root_pem()
        printed = _unit_fingerprint(unit)
        if root_pem:
            root = pki.load_cert(root_pem)
            chained = forceca.issued_by(issuer, root) or (
                forceca.issued_by(unit, root) and issuer.subject == root.subject
            )
            if not chained:
                raise InvalidInput(
                    "This unit's station CA was not certified by the force root pinned here; nothing was registered."
                )
            revoked = forceca.revoked_entry(issuer, self.revocation_entries())
            if revoked is not None:
                raise InvalidInput("This unit's station CA was revoked by force ICT; nothing was registered.")
        elif fingerprint is None or forceca.normalise_fingerprint(fingerprint) != printed:
            raise InvalidInput(
                "This station has no force root installed, so the unit file is checked by its fingerprint: "
                f"give --fingerprint as the other unit's administrator read it out (this file's is {printed}). "
                "Nothing was registered."
            )
        name = str(unit.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        code_attr = unit.subject.get_attributes_for_oid(NameOID.PSEUDONYM)
        code = str(code_attr[0].value) if code_attr else name[:16]
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO stations (uid, name, code, kind, unit_cert_pem, ca_pem, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET name = excluded.name, "
                "code = excluded.code, kind = excluded.kind, unit_cert_pem = excluded.unit_cert_pem, "
                "ca_pem = excluded.ca_pem, added_at = excluded.added_at, revoked_at = NULL",
                (uid, name, code, kind, pki.cert_pem(unit), pki.cert_pem(issuer), self._stamp()),
            )
            self._audit(
                session,
                audit.TRUST_CHANGED,
                detail={"transfer_peer": uid, "kind": kind, "fingerprint": printed},
            )
        return self.transfer_peer(uid)

    def remove_transfer_peer(self, session: Session, which: str) -> Peer:
        """Stop trusting a unit (admin): its bundles are refused from now on; records already merged stay."""
        self._require(session, Role.ADMIN, action="remove transfer units")
        peer = self.transfer_peer(which)
        with self._tx() as conn:
            conn.execute("UPDATE stations SET revoked_at = ? WHERE id = ?", (self._stamp(), peer.id))
            self._audit(session, audit.TRUST_CHANGED, detail={"transfer_peer_removed": peer.uid})
        return self.transfer_peer(peer.uid)

    def transfer_peers(self) -> list[Peer]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, uid, name, code, kind, unit_cert_pem, revoked_at, last_in_seq, last_in_at, sent_seq "
                "FROM stations WHERE id <> 1 AND unit_cert_pem IS NOT NULL ORDER BY name, id"
            ).fetchall()
        return [_peer(r) for r in rows]

    def transfer_peer(self, which: str) -> Peer:
        """A registered unit by its code, name or uid (case ignored)."""
        wanted = str(which).strip().lower()
        for peer in self.transfer_peers():
            if wanted in (peer.uid.lower(), peer.code.lower(), peer.name.lower()):
                return peer
        raise NotFound(
            f"No transfer unit {which!r} is registered on this PC. `dsvdesk transfer units` lists them; "
            "an administrator registers one with `dsvdesk transfer add-unit FILE`."
        )

    def transfer_coverage(self, *, imported_only: bool = False) -> list[Coverage]:
        """Which stations' records this database holds, and up to which bundle (reports print it).
        With `imported_only`, nothing (and no record counted) unless it holds another station's records
        or bundles: what a report that names its stations only then needs."""
        name = self._settings().station_name
        with self._read() as conn:
            if imported_only and not conn.execute(_IMPORTED_SQL).fetchone():
                return []
            rows = conn.execute(
                "SELECT s.id, s.name, s.code, s.last_in_seq, s.last_in_at, "
                "(SELECT count(*) FROM records r WHERE r.station_id = s.id) FROM stations s ORDER BY s.id"
            ).fetchall()
        out: list[Coverage] = []
        for sid, sname, code, seq, at, count in rows:
            local = int(sid) == 1
            if not local and not count and not seq:
                continue
            out.append(
                Coverage(
                    name=name if local else str(sname),
                    code=str(code),
                    local=local,
                    records=int(count),
                    last_bundle=int(seq),
                    last_bundle_at=at,
                )
            )
        return out

    # ------------------------------------------------------------------------------- change counting
    def _count_local_changes(self, conn: sqlite3.Connection, own_uid: str) -> int:
        """Give every record changed here since it was last looked at (its revision:version mark moved)
        one more change in this unit's vector component and the next clock value."""
        rows = conn.execute(
            "SELECT r.id, r.revision || ':' || r.version, s.vector FROM records r "
            "LEFT JOIN record_sync s ON s.record_id = r.id "
            "WHERE s.record_id IS NULL OR s.mark <> r.revision || ':' || r.version"
        ).fetchall()
        if not rows:
            return 0
        clock = int(conn.execute("SELECT value FROM transfer_clock WHERE id = 1").fetchone()[0])
        updates = []
        for record_id, mark, vector_text in rows:
            vector = json.loads(vector_text) if vector_text else {}
            vector[own_uid] = int(vector.get(own_uid, 0)) + 1
            clock += 1
            updates.append((record_id, json.dumps(vector, sort_keys=True), mark, clock))
        conn.executemany(
            "INSERT INTO record_sync (record_id, vector, mark, clock) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (record_id) DO UPDATE SET vector = excluded.vector, mark = excluded.mark, "
            "clock = excluded.clock",
            updates,
        )
        conn.execute("UPDATE transfer_clock SET value = ? WHERE id = 1", (clock,))
        return len(updates)

    @staticmethod
    def _next_clock(conn: sqlite3.Connection) -> int:
        return int(
            conn.execute(
                "UPDATE transfer_clock SET value = value + 1 WHERE id = 1 RETURNING value"
            ).fetchone()[0]
        )

    # ------------------------------------------------------------------------------- export
    def export_bundle(
        self,
        session: Session,
        to: str,
        out: Path | str,
        password: str,
        *,
        progress: Progress | None = None,
    ) -> ExportResult:
        """Write a bundle for the unit ``to`` (supervisor): every record it should have that changed here
        since the last bundle it acknowledged, with earlier revisions, signed PDFs and review comments;
        encrypted to its unit key, signed with the supervisor's key, carrying this PC's audit head.
        Logged as a disclosure with a signed checkpoint, in the same transaction as the file is written."""
        from dsvdesk.store.transferio import Collection

        user = self._require(session, Role.SUPERVISOR, action="export transfer bundles")
        peer = self.transfer_peer(to)
        if peer.revoked:
            raise PermissionDenied(
                f"The unit {peer.name} was removed from this PC; no bundle is made for it."
            )
        identity = self.unlock_signing_identity(session, password)
        with self._read() as conn:
            cert_row = conn.execute("SELECT unit_cert_pem FROM stations WHERE id = ?", (peer.id,)).fetchone()
        unit_cert = pki.load_cert(bytes(cert_row[0]))
        forceca.check_validity(unit_cert, f"The transfer certificate of {peer.name}")
        public_key = _unit_public_key(unit_cert, peer.name)
        own_uid = self.unit_uid()
        settings = self._settings()
        bundle_id = str(uuid.uuid4())
        path = Path(out)
        with self._tx() as conn:
            self._count_local_changes(conn, own_uid)
            acked = int(
                conn.execute("SELECT acked_clock FROM stations WHERE id = ?", (peer.id,)).fetchone()[0]
            )
            clock = int(conn.execute("SELECT value FROM transfer_clock WHERE id = 1").fetchone()[0])
            collection = Collection(
                conn,
                own_uid=own_uid,
                peer_id=peer.id,
                peer_kind=peer.kind,
                since=acked,
                open_part=lambda key_id, record_id, revision, part, blob: self._open_part(
                    conn, session, key_id=key_id, record_id=record_id, revision=revision, part=part, blob=blob
                ),
            )
            seq = peer.sent_seq + 1
            conn.execute("UPDATE stations SET sent_seq = ? WHERE id = ?", (seq, peer.id))
            self._audit(
                session,
                audit.DISCLOSURE,
                recipient=f"{peer.name} ({peer.kind} transfer unit)",
                justification="transfer bundle",
                detail={
                    "what": "transfer_bundle",
                    "bundle_id": bundle_id,
                    "seq": seq,
                    "records": collection.count(),
                },
            )
            self._checkpoint(session, "transfer export")
            head = anchor.current_head(conn)
            last_in = conn.execute(
                "SELECT last_in_seq, last_in_clock, acked_audit FROM stations WHERE id = ?", (peer.id,)
            ).fetchone()
            events = stationaudit.collect(conn, int(last_in[2]), head.seq)
            meta: dict[str, Any] = {
                "format": PAYLOAD_FORMAT,
                "dsvdesk_version": __version__,
                "bundle_id": bundle_id,
                "seq": seq,
                "from": {
                    "uid": own_uid,
                    "name": settings.station_name,
                    "code": settings_mod.station_code(settings),
                },
                "to": peer.uid,
                "created_at": self._stamp(),
                "exported_by": user.username,
                "audit_head": head.as_dict(),
                "clock": clock,
                "acks": {
                    "seq": int(last_in[0]),
                    "clock": int(last_in[1]),
                    "audit": stationaudit.acknowledged(conn, peer.id),
                },
                "records": collection.count(),
            }
            conn.execute(
                "INSERT INTO transfer_bundles (bundle_id, station_id, direction, seq, at, records, audit_head) "
                "VALUES (?, ?, 'out', ?, ?, ?, ?)",
                (bundle_id, peer.id, seq, self._stamp(), collection.count(), json.dumps(head.as_dict())),
            )
            writer = bundlefile.BundleWriter(
                path,
                bundle_id=bundle_id,
                from_uid=own_uid,
                to_uid=peer.uid,
                to_key=public_key,
                audit_head=head.as_dict(),
            )
            try:
                writer.frame("meta", meta)
                for record in collection.records(progress):
                    writer.frame("record", record)
                writer.frame("people", collection.people())
                writer.frame("definitions", collection.definitions())
                writer.frame("stations", collection.stations())
                events = stationaudit.collect(conn, int(last_in[2]), head.seq)
                for start in range(0, len(events), _EVENTS_PER_FRAME):
                    writer.frame("audit_events", events[start : start + _EVENTS_PER_FRAME])
                size = writer.finish(identity.private_key, identity.certificate, tuple(identity.chain))
            except BaseException:
                writer.discard()
                raise
            if peer.kind == "hq":  # HQ sends nothing back: a bundle made for it counts as acknowledged
                conn.execute(
                    "UPDATE stations SET acked_clock = ?, acked_audit = ? WHERE id = ?",
                    (clock, head.seq, peer.id),
                )
        log.storage.info(
            "transfer bundle %s (%d records) written for unit %s", bundle_id, collection.count(), peer.uid
        )
        return ExportResult(
            path=path, bundle_id=bundle_id, seq=seq, records=collection.count(), size=size, to=peer.name
        )

    # ------------------------------------------------------------------------------- import
    def import_bundle(
        self, session: Session, path: Path | str, *, progress: Progress | None = None
    ) -> ImportResult:
        """Check and merge a bundle addressed to this unit (supervisor), in ONE transaction. Refused
        with one sentence, nothing merged: not a bundle or cut short, a newer format, addressed to
        another unit, altered, from an unknown or removed unit or signed by someone its CA did not
        certify (or the force revoked), or already imported."""
        from dsvdesk.store.transferio import Merger

        source = Path(path).name
        try:
            header = bundlefile.read_header_file(Path(path), source)
        except FileNotFoundError:
            raise NotFound(f"There is no file {path}.") from None
        except IsADirectoryError:
            raise InvalidInput(f"{path} is a folder; give the bundle file.") from None
        own_uid = self.unit_uid()
        if header.to_uid != own_uid:
            raise bundlefile.BundleWrongUnit(
                f"{source} was made for another unit, not this PC; nothing was imported. Give it to the unit "
                "it was made for."
            )
        sender = self._sender(header.from_uid, source)
        reader = bundlefile.BundleReader(Path(path), source, self._unit_private_key(session))
        envelope = reader.envelope()  # every chunk and the signature checked before anything is merged
        bundlefile.check_signature(envelope, source)
        payload = envelope.payload
        self._check_signer(envelope.certificate, sender, source)
        if (
            payload.get("format") != PAYLOAD_FORMAT
            or payload.get("bundle_id") != header.bundle_id
            or payload.get("to") != own_uid
            or (payload.get("from") or {}).get("uid") != header.from_uid
            or payload.get("records") != envelope.records
        ):
            raise bundlefile.BundleAltered(
                f"{source} does not match its own header (it was altered or put together from two bundles); "
                "nothing was imported."
            )
        head = anchor.AuditHead.from_mapping(payload.get("audit_head"))
        if head is None or head.as_dict() != header.audit_head:
            raise bundlefile.BundleAltered(
                f"{source} carries no audit head, or not the one its header names; nothing was imported."
            )
        with self._tx() as conn:
            if conn.execute(
                "SELECT 1 FROM transfer_bundles WHERE bundle_id = ?", (header.bundle_id,)
            ).fetchone():
                raise bundlefile.BundleReplayed(
                    f"{source} (bundle {payload.get('seq')} from {sender.name}) was already imported on this PC; "
                    "nothing was changed."
                )
            # the sender's audit events (none in a bundle made before they were carried)
            events_in = stationaudit.store(conn, sender.id, payload.get("audit_events", []), head, source)
            self._count_local_changes(conn, own_uid)
            merger = Merger(self, conn, own_uid=own_uid, sender_id=sender.id, bundle_id=header.bundle_id)
            counts = merger.merge(payload, reader.records(), envelope.records, progress=progress)
            self._seal_unsealed(conn, session)  # the merged records, sealed before the import commits
            self._seal_pending_rows(conn, session)  # and the other side's state of a conflict (0021)
            seq = int(payload.get("seq") or 0)
            conn.execute(
                "UPDATE stations SET last_in_seq = max(last_in_seq, ?), "
                "last_in_at = CASE WHEN ? >= last_in_seq THEN ? ELSE last_in_at END, "
                "last_in_head = CASE WHEN ? >= last_in_seq THEN ? ELSE last_in_head END, "
                "last_in_clock = max(last_in_clock, ?), acked_clock = max(acked_clock, ?), "
                "acked_audit = max(acked_audit, min(?, (SELECT last_id FROM audit_head WHERE id = 1))) "
                "WHERE id = ?",
                (
                    seq,
                    seq,
                    str(payload.get("created_at") or self._stamp()),
                    seq,
                    json.dumps(head.as_dict()),
                    int(payload.get("clock") or 0),
                    int((payload.get("acks") or {}).get("clock") or 0),
                    int((payload.get("acks") or {}).get("audit") or 0),
                    sender.id,
                ),
            )
            conn.execute(
                "INSERT INTO transfer_bundles (bundle_id, station_id, direction, seq, at, records, audit_head) "
                "VALUES (?, ?, 'in', ?, ?, ?, ?)",
                (
                    header.bundle_id,
                    sender.id,
                    seq,
                    self._stamp(),
                    envelope.records,
                    json.dumps(head.as_dict()),
                ),
            )
            self._audit(
                session,
                audit.COMBINATION,
                recipient=None,
                justification="transfer bundle import",
                detail={
                    "what": "transfer_import",
                    "bundle_id": header.bundle_id,
                    "seq": seq,
                    "from": sender.uid,
                    "their_audit_head": head.as_dict(),
                    "their_audit_events": events_in,
                    **counts,
                },
            )
        self._saved().clear()
        log.storage.info("transfer bundle %s from unit %s imported: %s", header.bundle_id, sender.uid, counts)
        return ImportResult(
            bundle_id=header.bundle_id,
            seq=seq,
            station=sender.name,
            new=counts["new"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            conflicts=counts["conflicts"],
            audit_head=head,
            disposed=counts["disposed"],
            audit_events=events_in,
        )

    def _sender(self, uid: str, source: str) -> Peer:
        for peer in self.transfer_peers():
            if peer.uid == uid:
                if peer.revoked:
                    raise bundlefile.BundleUntrusted(
                        f"{source} comes from {peer.name}, which was removed from this PC's transfer units; "
                        "nothing was imported."
                    )
                return peer
        raise bundlefile.BundleUntrusted(
            f"{source} comes from a unit this PC does not know; nothing was imported. An administrator "
            "registers the sending unit first (`dsvdesk transfer add-unit FILE`)."
        )

    def _check_signer(self, cert: x509.Certificate, sender: Peer, source: str) -> None:
        with self._read() as conn:
            row = conn.execute("SELECT ca_pem FROM stations WHERE id = ?", (sender.id,)).fetchone()
        ca = pki.load_cert(bytes(row[0]))
        if not forceca.issued_by(cert, ca):
            raise bundlefile.BundleUntrusted(
                f"{source} is signed by someone {sender.name}'s station CA did not certify; anyone could have "
                "made it. Nothing was imported."
            )
        entries = self.revocation_entries()
        for what, c in (("the exporter's certificate", cert), (f"{sender.name}'s station CA", ca)):
            if forceca.revoked_entry(c, entries) is not None:
                raise bundlefile.BundleUntrusted(
                    f"{source} cannot be trusted: {what} was revoked by force ICT. Nothing was imported."
                )

    def verify_station_audit(self, which: str) -> AuditVerification:
        """Re-check the audit chain another unit sent here in its bundles: the hashes from event 1,
        every signed checkpoint (its signer certified by that unit's station CA, not revoked) and the
        head each of its bundles carried. Names the first event that breaks one."""
        peer = self.transfer_peer(which)
        entries = self.revocation_entries()
        with self._read() as conn:
            row = conn.execute("SELECT ca_pem FROM stations WHERE id = ?", (peer.id,)).fetchone()
            ca = pki.load_cert(bytes(row[0]))

            def issuer_problem(cert: x509.Certificate, _at: str) -> str:
                if not forceca.issued_by(cert, ca):
                    return f"its certificate was not issued by {peer.name}'s station CA"
                if forceca.revoked_entry(cert, entries) is not None:
                    return "its certificate was revoked by force ICT"
                return ""

            result = stationaudit.verify(conn, peer.id, issuer_problem)
        return replace(result, checked_against=f"{peer.name}'s station CA")

    # ------------------------------------------------------------------------------- conflicts
    def transfer_conflicts(self, session: Session, *, record_id: str | None = None) -> list[dict[str, Any]]:
        """Open conflicts (supervisors): each with the other side's state beside the record's id (kept
        sealed under the record's key, opened with the supervisor's keys)."""
        self._require(session, Role.SUPERVISOR, action="see transfer conflicts")
        sql = (
            "SELECT c.id, c.record_id, s.name, c.bundle_id, c.key_id, c.sealed_state, c.state, c.created_at "
            "FROM transfer_conflicts c LEFT JOIN stations s ON s.id = c.station_id WHERE c.resolved_at IS NULL"
        )
        params: list[Any] = []
        if record_id is not None:
            sql += " AND c.record_id = ?"
            params.append(str(record_id))
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY c.id", params).fetchall()
            conflicts: list[dict[str, Any]] = []
            for r in rows:
                # one record not shared with this supervisor yet must not hide the others: it is listed
                # with the reason instead of its state ("theirs" None)
                try:
                    theirs, problem = self._conflict_state(conn, session, r[0], r[1], r[4:7]), None
                except PermissionDenied as exc:
                    theirs, problem = None, exc.message
                conflicts.append(
                    {
                        "id": r[0],
                        "record_id": r[1],
                        "from": r[2],
                        "bundle_id": r[3],
                        "theirs": theirs,
                        "problem": problem,
                        "at": r[7],
                    }
                )
            return conflicts

    def _conflict_state(
        self,
        conn: sqlite3.Connection,
        session: Session,
        conflict_id: int,
        record_id: str,
        sealed: Sequence[Any],
    ) -> Any:
        """The other side's state of a conflict: (key id, sealed state, plain state) opened."""
        key_id, blob, plain = sealed
        return json.loads(
            self._open_row_text(
                conn, session, "transfer_conflicts", "state", (conflict_id, record_id, key_id, blob, plain)
            )
        )

    def resolve_transfer_conflict(self, session: Session, conflict_id: int, *, keep: str) -> None:
        """A supervisor settles a conflict: ``keep="ours"`` keeps this PC's state, ``"theirs"`` takes the
        other side's; either way the record's next bundle carries the decision (it covers both)."""
        from dsvdesk.store.transferio import Merger

        self._require(session, Role.SUPERVISOR, action="settle transfer conflicts")
        if keep not in ("ours", "theirs"):
            raise InvalidInput("Say which state to keep: ours or theirs.")
        with self._tx() as conn:
            row = conn.execute(
                "SELECT record_id, key_id, sealed_state, state, station_id, bundle_id FROM transfer_conflicts "
                "WHERE id = ? AND resolved_at IS NULL",
                (int(conflict_id),),
            ).fetchone()
            if row is None:
                raise NotFound(f"There is no open transfer conflict {conflict_id}.")
            record_id, station_id, bundle_id = row[0], row[4], row[5]
            theirs = self._conflict_state(conn, session, int(conflict_id), str(record_id), row[1:4])
            own_uid = self.unit_uid()
            self._count_local_changes(conn, own_uid)
            merger = Merger(self, conn, own_uid=own_uid, sender_id=int(station_id), bundle_id=str(bundle_id))
            merger.resolve(str(record_id), theirs, take_theirs=keep == "theirs")
            self._seal_unsealed(conn, session)
            conn.execute(
                "UPDATE transfer_conflicts SET resolved_at = ?, resolved_by = ? WHERE id = ?",
                (self._stamp(), session.user.id, int(conflict_id)),
            )
            self._audit(
                session,
                audit.ALTERATION,
                record_id=str(record_id),
                detail={"transfer_conflict": int(conflict_id), "kept": keep},
            )
        self._saved().pop(str(record_id), None)


def _peer(row: Iterable[Any]) -> Peer:
    rid, uid, name, code, kind, cert_pem, revoked, seq, at, sent = row
    return Peer(
        id=int(rid),
        uid=str(uid),
        name=str(name),
        code=str(code),
        kind=str(kind),
        fingerprint=_unit_fingerprint(pki.load_cert(bytes(cert_pem))),
        revoked=revoked is not None,
        last_in_seq=int(seq),
        last_in_at=at,
        sent_seq=int(sent),
    )
