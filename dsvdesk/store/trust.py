"""The station's place in the force certificate hierarchy, and what its own checks trust.

- The force root's fingerprint is pinned when the station is set up (``init --force-root-fingerprint``)
  or later by an admin; the root itself arrives with the station CA certificate the force issued
  (``trust install-station-cert``) and must match the pin.
- The station's certificate request (``station_request``) carries the station CA's subject and key.
- The force's revocation list is imported from a file (``trust import-crl``); revoked users cannot sign.
- ``trust_anchors`` is what a check made on this PC trusts: the force root once installed, else the
  station's own CA (and every result says the station CA is not certified by a force).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.store import anchor, audit, forceca, pki
from dsvdesk.store.base import StoreBase
from dsvdesk.store.errors import InvalidInput
from dsvdesk.store.models import AuditVerification, Role, Session

if TYPE_CHECKING:
    from cryptography import x509

NOT_CERTIFIED = "station CA not certified by a force"


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """What verification on this station trusts (never anything taken from the file under check)."""

    roots: tuple[Any, ...]  # cryptography certificates
    intermediates: tuple[Any, ...] = ()
    revocations: tuple[forceca.Revocation, ...] = ()
    force_certified: bool = False
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


class TrustOps(StoreBase):
    # ------------------------------------------------------------------------------- reading
    def force_pin(self) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT pinned_fingerprint FROM force_trust WHERE id = 1").fetchone()
        return str(row[0]) if row and row[0] else None

    def force_root_pem(self) -> bytes | None:
        with self._read() as conn:
            row = conn.execute("SELECT root_pem FROM force_trust WHERE id = 1").fetchone()
        return bytes(row[0]) if row and row[0] else None

    def revocation_entries(self) -> list[forceca.Revocation]:
        with self._read() as conn:
            row = conn.execute("SELECT crl_der FROM revocation_list WHERE id = 1").fetchone()
        return forceca.revocations(forceca.load_crl(bytes(row[0]))) if row else []

    def trust_anchors(self) -> TrustAnchors:
        """The force root once installed (the station CA as the intermediate), else the station CA."""
        ca_pem = self._station_ca()
        root_pem = self.force_root_pem()
        station = (pki.load_cert(ca_pem),) if ca_pem else ()
        revoked = tuple(self.revocation_entries())
        if root_pem:
            root = pki.load_cert(root_pem)
            return TrustAnchors(
                roots=(root,),
                intermediates=station,
                revocations=revoked,
                force_certified=True,
                description=f"the force root pinned at this station ({forceca.fingerprint(root)[:23]}…)",
            )
        return TrustAnchors(
            roots=station,
            revocations=revoked,
            force_certified=False,
            description="this station's own CA",
            notes=(f"Note: {NOT_CERTIFIED}; only this station can vouch for its documents.",),
        )

    def _station_ca(self) -> bytes | None:
        with self._read() as conn:
            row = conn.execute("SELECT certificate_pem FROM station_ca WHERE id = 1").fetchone()
        return bytes(row[0]) if row else None

    # ------------------------------------------------------------------------------- changing
    def pin_force_root(self, session: Session | None, fingerprint: str, *, user_id: int | None = None) -> str:
        """Record the force root's SHA-256 fingerprint (admin; or at set-up with ``session=None``)."""
        if session is not None:
            self._require(session, Role.ADMIN, action="pin the force root")
        pin = forceca.normalise_fingerprint(fingerprint)
        installed = self.force_root_pem()
        if installed and forceca.fingerprint(pki.load_cert(installed)) != pin:
            raise InvalidInput(
                "This station already trusts a different force root; its pin cannot be changed here."
            )
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO force_trust (id, pinned_fingerprint) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET pinned_fingerprint = excluded.pinned_fingerprint",
                (pin,),
            )
            who = {} if session is not None else {"user_id": user_id}  # at set-up: the new admin
            self._audit(session, audit.TRUST_CHANGED, **who, detail={"pinned": pin})
        return pin

    def station_request(self, session: Session, password: str) -> bytes:
        """The station CA's certificate request (PEM) for force ICT (admin; the password unlocks the CA key)."""
        from cryptography.hazmat.primitives import serialization

        acting = self._require(session, Role.ADMIN, action="make the station's certificate request")
        ca_key, ca_cert = self._unlock_ca_key(acting.id, password)
        return forceca.station_request(ca_key, ca_cert).public_bytes(serialization.Encoding.PEM)

    def install_station_certificate(self, session: Session, cert_data: bytes, root_data: bytes) -> str:
        """Install the station CA certificate the force issued, with the force root it chains to.

        Refused with one sentence when: the root does not match the pinned fingerprint; the certificate
        was issued for another station's request (a different key); it is expired or not yet valid; it
        was not issued by that root. Returns the root's fingerprint."""
        self._require(session, Role.ADMIN, action="install the station certificate")
        cert = _one_cert(cert_data, "The station certificate file")
        root = _one_cert(root_data, "The force root file")
        pin = self.force_pin()
        got = forceca.fingerprint(root)
        if pin is None:
            raise InvalidInput(
                "This station has no pinned force root yet. Pin the fingerprint from force ICT's letter first: "
                "`dsvdesk trust pin FINGERPRINT`."
            )
        if got != pin:
            raise InvalidInput(
                f"The force root given is not the one pinned at this station (its fingerprint is {got}, "
                f"the pin is {pin}). Nothing was installed; ask force ICT for the right file."
            )
        if not forceca.issued_by(root, root):
            raise InvalidInput("The force root file does not hold a self-signed root certificate.")
        ca_pem = self._station_ca()
        if ca_pem is None:
            raise InvalidInput("This database has no station CA; run `dsvdesk init` first.")
        station_ca = pki.load_cert(ca_pem)
        if cert.public_key().public_numbers() != station_ca.public_key().public_numbers():  # type: ignore[union-attr]
            raise InvalidInput(
                "This station certificate was issued for another station's request (its key is not this "
                "station's). Nothing was installed; send force ICT this station's request again."
            )
        if cert.subject != station_ca.subject:
            raise InvalidInput("This station certificate names a different station; nothing was installed.")
        if not forceca.issued_by(cert, root):
            raise InvalidInput(
                "This station certificate was not issued by the pinned force root; nothing was installed."
            )
        forceca.check_validity(root, "The force root")
        forceca.check_validity(cert, "The station certificate")
        with self._tx() as conn:
            conn.execute("UPDATE station_ca SET certificate_pem = ? WHERE id = 1", (pki.cert_pem(cert),))
            conn.execute(
                "UPDATE force_trust SET root_pem = ?, installed_at = ? WHERE id = 1",
                (pki.cert_pem(root), self._stamp()),
            )
            self._audit(session, audit.TRUST_CHANGED, detail={"installed_station_certificate": got})
        return got

    def import_revocation_list(self, session: Session, data: bytes) -> int:
        """Import the force's revocation list (admin). Returns how many certificates it revokes."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        self._require(session, Role.ADMIN, action="import a revocation list")
        root_pem = self.force_root_pem()
        if root_pem is None:
            raise InvalidInput(
                "This station has no force root installed yet, so a revocation list cannot be checked. "
                "Install the station certificate first."
            )
        crl = forceca.load_crl(data)
        forceca.check_crl(crl, pki.load_cert(root_pem))
        number = int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        with self._read() as conn:
            row = conn.execute("SELECT number FROM revocation_list WHERE id = 1").fetchone()
        if row is not None and int(row[0]) > number:
            raise InvalidInput(
                f"This revocation list (number {number}) is older than the one already imported "
                f"(number {int(row[0])}); nothing was changed."
            )
        entries = forceca.revocations(crl)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO revocation_list (id, crl_der, number, imported_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET crl_der = excluded.crl_der, number = excluded.number, "
                "imported_at = excluded.imported_at",
                (crl.public_bytes(serialization.Encoding.DER), number, self._stamp()),
            )
            self._audit(
                session, audit.TRUST_CHANGED, detail={"revocation_list": number, "entries": len(entries)}
            )
        return len(entries)

    def user_certificate_pem(self, session: Session, username: str) -> bytes:
        """A user's current signing certificate (admin), e.g. for force ICT to revoke."""
        from dsvdesk.store.errors import NotFound

        self._require(session, Role.ADMIN, action="export users' certificates")
        with self._read() as conn:
            row = conn.execute(
                "SELECT certificate_pem FROM users WHERE username = ?", (str(username),)
            ).fetchone()
        if row is None:
            raise NotFound(f"There is no user called {username!r}. `dsvdesk users list` shows who there is.")
        return bytes(row[0])

    # ------------------------------------------------------------------------------- audit
    def verify_audit(
        self,
        *,
        exported: tuple[anchor.AuditHead, ...] = (),
        force_roots: Sequence[x509.Certificate] = (),
    ) -> AuditVerification:
        """The hash chain, every signed checkpoint and every head a stored signed PDF (or a file given as
        ``exported``) carries; names the first event that breaks one.

        A checkpoint's certificate must lead to the force root pinned at this station (user -> station
        CA -> force root), or at a station no force has certified yet to the station's own CA (and the
        result's ``notes`` say what that is worth). With ``force_roots`` (the root an outside checker
        holds: never taken from the database) every checkpoint must also lead to one of them, else the
        log is intact but not trusted (``trusted`` False)."""
        local = self._checkpoint_trust()
        if local.broken:
            return AuditVerification(False, 0, None, local.broken, checked_against=local.description)
        with self._read() as conn:
            result = anchor.verify(conn, local.problem, exported=exported)
            signers = anchor.checkpoint_signers(conn) if force_roots and result.ok else []
        result = replace(result, checked_against=local.description, notes=local.notes)
        if force_roots and result.ok:
            return self._against_roots(result, signers, force_roots)
        return result

    def _chain_certs(self) -> list[x509.Certificate]:
        """The station CA and every imported user's further certificates (path builders, never roots
        an outside checker trusts)."""
        ca_pem = self._station_ca()
        with self._read() as conn:
            imported = [
                c
                for (chain,) in conn.execute("SELECT chain_pem FROM users WHERE length(chain_pem) > 0")
                for c in pki.load_certs(bytes(chain))
            ]
        return [*([pki.load_cert(ca_pem)] if ca_pem else []), *imported]

    def _checkpoint_trust(self) -> _CheckpointTrust:
        certs = self._chain_certs()
        revoked = tuple(self.revocation_entries())
        with self._read() as conn:
            row = conn.execute("SELECT imported_at FROM revocation_list WHERE id = 1").fetchone()
        revocations_from = _when(str(row[0])) if row else None
        root_pem = self.force_root_pem()
        if root_pem is None:
            return _CheckpointTrust(
                roots=tuple(certs),
                revocations=revoked,
                revocations_from=revocations_from,
                description="this station's own CA",
                not_chained="it is signed with a certificate this station's CA did not issue",
                notes=(
                    f"Note: {NOT_CERTIFIED}: the checkpoints were checked against this station's own CA, "
                    "which is kept in the same database, so only a force root can make this log checkable "
                    "from outside (dsvdesk trust pin / request / install-station-cert).",
                ),
            )
        root = pki.load_cert(root_pem)
        got, pin = forceca.fingerprint(root), self.force_pin()
        trust = _CheckpointTrust(
            roots=(root,),
            intermediates=tuple(certs),
            revocations=revoked,
            revocations_from=revocations_from,
            description=f"the force root pinned at this station ({got[:23]}…)",
            not_chained="it is signed with a certificate that does not lead to the force root pinned at this "
            "station (user, station CA, force root)",
        )
        if pin != got:
            trust.broken = (
                f"the force root stored at this station ({got}) is not the pinned one ({pin}): the station's "
                "trust settings were changed outside DSVDesk"
            )
        return trust

    def _against_roots(
        self,
        result: AuditVerification,
        signers: list[tuple[int, str, x509.Certificate]],
        force_roots: Sequence[x509.Certificate],
    ) -> AuditVerification:
        given = [forceca.fingerprint(root) for root in force_roots]
        checked = replace(result, checked_against=f"the force root you gave ({given[0][:23]}…)", notes=())
        pin = self.force_pin()
        if pin is not None and pin not in given:
            return replace(
                checked,
                trusted=False,
                reason=f"this station pins the force root {pin}, not the one you gave ({given[0]})",
            )
        if not signers:
            return replace(
                checked,
                trusted=False,
                reason="the log holds no signed checkpoint yet, so nothing in it leads to the force root you gave",
            )
        intermediates = self._chain_certs()
        for event_id, username, cert in signers:
            if forceca.path_to_root(cert, force_roots, intermediates) is None:
                return replace(
                    checked,
                    trusted=False,
                    first_bad_event_id=event_id,
                    reason=f"checkpoint event {event_id} (signed by {username or 'unknown'}) is signed with a "
                    f"certificate that does not lead to the force root you gave"
                    + ("" if self.force_root_pem() else f" ({NOT_CERTIFIED})"),
                )
        return checked

    def backup_head(
        self,
        backup_file: Path,
        *,
        username: str = "",
        password: str | None = None,
        recovery_key: str | None = None,
    ) -> anchor.AuditHead:
        """The audit head an encrypted backup of this station was made at (see backup.read_head: the
        station's key held by this process opens it, else ``username``'s password or the recovery key)."""
        from dsvdesk.store import backup

        seq, digest = backup.read_head(
            Path(backup_file), self.path, username=username, password=password, recovery_key=recovery_key
        )
        return anchor.AuditHead(seq, digest)

    def audit_holds(self, head: anchor.AuditHead) -> str:
        """ "" when the local audit chain still holds ``head``, else why not."""
        with self._read() as conn:
            return anchor.contains(conn, head)

    def audit_head(self) -> anchor.AuditHead:
        with self._read() as conn:
            return anchor.current_head(conn)

    # ------------------------------------------------------------------------------- helpers
    def _unlock_ca_key(self, user_id: int, password: str) -> tuple[Any, Any]:
        from dsvdesk.store.errors import PermissionDenied, WrongPassword

        with self._read() as conn:
            row = conn.execute(
                "SELECT key_salt, private_key_pem FROM ca_key_copies WHERE user_id = ?", (user_id,)
            ).fetchone()
        ca_pem = self._station_ca()
        if row is None or ca_pem is None:
            raise PermissionDenied(
                "Your account holds no copy of the station signing key. Ask the administrator who set up "
                "the station."
            )
        try:
            key = pki.decrypt_key(pki.EncryptedKey(bytes(row[0]), bytes(row[1])), str(password))
        except WrongPassword:
            raise WrongPassword("Your password is not right; nothing was made.") from None
        return key, pki.load_cert(ca_pem)


@dataclass(slots=True)
class _CheckpointTrust:
    """What a checkpoint's certificate must lead to at this station; remembers each certificate's path."""

    roots: tuple[Any, ...]
    description: str
    not_chained: str
    intermediates: tuple[Any, ...] = ()
    revocations: tuple[forceca.Revocation, ...] = ()
    revocations_from: dt.datetime | None = None  # when this station imported the revocation list
    notes: tuple[str, ...] = ()
    broken: str = ""
    _paths: dict[bytes, list[Any] | None] = field(default_factory=dict)

    def problem(self, cert: x509.Certificate, at: str) -> str:
        from cryptography.hazmat.primitives import serialization

        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in self._paths:
            self._paths[der] = forceca.path_to_root(cert, self.roots, self.intermediates)
        path = self._paths[der]
        if path is None:
            return self.not_chained
        when = _when(at)
        # A checkpoint signed before this station imported the revocation list was made in good faith;
        # after it, the station no longer signs with a revoked certificate (session_keys.checkpoint).
        if when is None or self.revocations_from is None or when < self.revocations_from:
            return ""
        revoked = forceca.revoked_in_path(path, self.revocations, at=when)
        if revoked is not None:
            holder, entry = revoked
            return (
                f"it is signed with the certificate of {forceca.common_name(holder)}, which the force revoked "
                f"on {entry.revoked_at:%d/%m/%Y}; this station knew it was revoked before the checkpoint "
                "was made, so it was not made by DSVDesk"
            )
        return ""


def _when(at: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _one_cert(data: bytes, what: str) -> x509.Certificate:
    return forceca.load_one_certificate(data, what)
