"""Anchoring the audit chain with signatures, so rewriting it unseen needs a user's signing key.

The hash chain alone (audit.py) proves nothing to someone who can write the database file: edit an
event, recompute every later hash, move ``audit_head`` and the chain is whole again. So at every
signature event (submit, approve, export, board pack, backup) and at sign-out the acting user's key
signs the chain head in a **checkpoint** event, and the checkpoint also lists a short prefix of the
hash of every event since the previous checkpoint. Rewriting an event then breaks the next checkpoint,
which names that event; forging a new checkpoint needs a signing key issued by the station CA.

Every signed PDF and board pack also carries the head it was made at (``AuditHead``), so cutting the
log back below that head is detected from the stored PDFs, and ``audit verify --against FILE`` proves
the local chain still holds the head a document left the station with.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.store import audit
from dsvdesk.store.models import AuditVerification

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

CHECKPOINT = audit.CHECKPOINT
PAYLOAD_FORMAT = "dsvdesk-audit-checkpoint/1"
PREFIX_CHARS = 16  # 64 bits of each event hash: finding an edit that keeps it is out of reach
MAX_LISTED = 5000  # events listed per checkpoint; earlier ones are covered by the signed head alone
# The keys in a signature's build properties (/Prop_Build /App) that carry the head (export/signing.py).
_HEAD_IN_PDF = re.compile(rb"/DSVDeskAuditSeq\s+(\d{1,12})\s*/DSVDeskAuditHash\s*\(([0-9a-f]{64})\)")


@dataclass(frozen=True, slots=True, order=True)
class AuditHead:
    """The audit chain's newest event id and hash at a moment."""

    seq: int
    hash: str

    def pair(self) -> tuple[int, str]:
        return (self.seq, self.hash)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}

    @classmethod
    def from_mapping(cls, data: Any) -> AuditHead | None:
        if not isinstance(data, Mapping):
            return None
        seq, digest = data.get("seq"), data.get("hash")
        if isinstance(seq, int) and isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest):
            return cls(seq, digest)
        return None


def current_head(conn: sqlite3.Connection) -> AuditHead:
    row = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
    return AuditHead(int(row[0]), str(row[1]))


def heads_in_pdf(pdf: bytes) -> list[AuditHead]:
    """The heads a DSVDesk-signed PDF carries (one per signature; none in a PDF from elsewhere)."""
    return [AuditHead(int(m.group(1)), m.group(2).decode("ascii")) for m in _HEAD_IN_PDF.finditer(pdf)]


# ------------------------------------------------------------------------------------- writing
def _payload(fields: Mapping[str, Any]) -> bytes:
    body = {
        "format": PAYLOAD_FORMAT,
        "at": fields["at"],
        "user": fields["user"],
        "reason": fields["reason"],
        "seq": fields["seq"],
        "hash": fields["hash"],
        "from": fields["from"],
        "hashes": fields["hashes"],
    }
    return audit.canonical_json(body).encode("utf-8")


def append_checkpoint(
    conn: sqlite3.Connection,
    *,
    at: str,
    user_id: int,
    username: str,
    reason: str,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
) -> int:
    """Sign the chain head with ``key`` and append it as a checkpoint event. Call inside the write
    transaction that wrote the event it follows."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    head = current_head(conn)
    previous = conn.execute(
        "SELECT id FROM audit_events WHERE event = ? ORDER BY id DESC LIMIT 1", (CHECKPOINT,)
    ).fetchone()
    start = max(int(previous[0]) + 1 if previous else 1, head.seq - MAX_LISTED + 1, 1)
    listed = [
        str(row[0])[:PREFIX_CHARS]
        for row in conn.execute(
            "SELECT hash FROM audit_events WHERE id BETWEEN ? AND ? ORDER BY id", (start, head.seq)
        )
    ]
    fields: dict[str, Any] = {
        "at": at,
        "user": username,
        "reason": reason,
        "seq": head.seq,
        "hash": head.hash,
        "from": start,
        "hashes": listed,
    }
    signature = key.sign(_payload(fields), padding.PKCS1v15(), hashes.SHA256())
    der = certificate.public_bytes(serialization.Encoding.DER)
    detail = {
        **{k: v for k, v in fields.items() if k not in ("at", "user")},
        "certificate": base64.b64encode(der).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return audit.append(conn, at=at, event=CHECKPOINT, user_id=user_id, username=username, detail=detail)


# ------------------------------------------------------------------------------------- checking
# (the checkpoint's certificate, its time as stored) -> "" when the certificate is one the checker
# trusts for that time, else why not ("it is signed with a certificate ..."). store/trust.py makes it.
IssuerCheck = Callable[["x509.Certificate", str], str]


def _signature_ok(fields: Mapping[str, Any], detail: Mapping[str, Any], issuer_problem: IssuerCheck) -> str:
    """ "" when the checkpoint's signature is good and ``issuer_problem`` accepts its certificate."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(str(detail["certificate"])))
        signature = base64.b64decode(str(detail["signature"]))
        payload = _payload(
            {
                "at": fields["at"],
                "user": fields["username"],
                "reason": detail["reason"],
                "seq": detail["seq"],
                "hash": detail["hash"],
                "from": detail["from"],
                "hashes": detail["hashes"],
            }
        )
    except (KeyError, ValueError, TypeError):
        return "its signature or certificate is missing or unreadable"
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return "it is signed with a key DSVDesk does not issue"
    try:
        public_key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "its signature does not match (it was forged or altered)"
    return issuer_problem(cert, str(fields["at"]))


def _rows(conn: sqlite3.Connection) -> Iterable[dict[str, Any]]:
    columns = ", ".join(audit.COLUMNS)
    for row in conn.execute(f"SELECT {columns} FROM audit_events ORDER BY id"):  # noqa: S608
        yield dict(zip(audit.COLUMNS, row, strict=True))


def verify(
    conn: sqlite3.Connection, issuer_problem: IssuerCheck, *, exported: Iterable[AuditHead] = ()
) -> AuditVerification:
    """The hash chain (audit.verify), then every checkpoint's signature and the events it vouches for,
    then every head carried by a signed PDF in the database (and ``exported`` ones): the first
    event that breaks one is named."""
    chain = audit.verify(conn)
    if not chain.ok:
        return chain
    heads = [*_stored_pdf_heads(conn), *((h, "an exported file") for h in exported)]
    return verify_checkpoints(_rows(conn), chain, issuer_problem, heads)


def verify_checkpoints(
    rows: Iterable[Mapping[str, Any]],
    chain: AuditVerification,
    issuer_problem: IssuerCheck,
    heads: Iterable[tuple[AuditHead, str]],
) -> AuditVerification:
    """Given a whole hash chain (``chain``, from ``audit.walk``/``audit.verify``), check every
    checkpoint in ``rows`` (signature, issuer, the events it vouches for) and that the chain still holds
    every (head, where it came from) in ``heads``. The local chain and the chains imported from other
    units are both checked here."""
    hashes: dict[int, str] = {}
    for fields in rows:
        event_id = int(fields["id"])
        hashes[event_id] = str(fields["hash"])
        if fields["event"] != CHECKPOINT:
            continue
        detail = audit.json_detail(fields["detail"])
        who = f"checkpoint event {event_id} (signed by {fields['username'] or 'unknown'} at {fields['at']})"
        problem = _signature_ok(fields, detail, issuer_problem)
        if problem:
            return AuditVerification(False, event_id - 1, event_id, f"{who} cannot be trusted: {problem}")
        start = int(detail["from"])
        for offset, prefix in enumerate(detail["hashes"]):
            listed_id = start + offset
            if hashes.get(listed_id, "")[:PREFIX_CHARS] != prefix:
                return AuditVerification(
                    False,
                    listed_id - 1,
                    listed_id,
                    f"event {listed_id} was changed after {who} vouched for it; the events after it "
                    "were re-chained to hide the change",
                )
        seq, digest = int(detail["seq"]), str(detail["hash"])
        if hashes.get(seq) != digest:
            return AuditVerification(
                False,
                max(start - 1, 0),
                seq,
                f"the events up to {seq} were rewritten after {who} signed the head",
            )
    last = max(hashes, default=0)
    for head, source in heads:
        problem = head_problem(head, hashes, last)
        if problem:
            return AuditVerification(False, min(head.seq, last + 1) - 1, head.seq, f"{source} {problem}")
    return chain


def checkpoint_signers(conn: sqlite3.Connection) -> list[tuple[int, str, x509.Certificate]]:
    """(event id, username, certificate) of the first checkpoint each distinct certificate signed:
    what an outside checker holding the force root checks (`verify` has already checked the signatures)."""
    from cryptography import x509

    seen: dict[str, tuple[int, str, x509.Certificate]] = {}
    for event_id, username, detail_text in conn.execute(
        "SELECT id, username, detail FROM audit_events WHERE event = ? ORDER BY id", (CHECKPOINT,)
    ):
        encoded = str(audit.json_detail(detail_text).get("certificate", ""))
        if encoded in seen:
            continue
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(encoded))
        except ValueError:
            continue  # `verify` names such a checkpoint
        seen[encoded] = (int(event_id), str(username or ""), cert)
    return list(seen.values())


def head_problem(head: AuditHead, hashes: Mapping[int, str], last: int) -> str:
    """ "" when the chain holds ``head``, else why not (cut short, or rewritten)."""
    if head.seq > last:
        return (
            f"was made when the audit log reached event {head.seq}, but the log now ends at event {last}: "
            "events were cut from its end"
        )
    if head.seq > 0 and hashes.get(head.seq) != head.hash:
        return (
            f"was made at audit event {head.seq}, but that event is no longer the same: the log was rewritten"
        )
    return ""


STORED_PDFS_CHECKED = 200  # the newest signed PDFs hold the newest heads; checkpoints cover the rest


def _stored_pdf_heads(conn: sqlite3.Connection) -> list[tuple[AuditHead, str]]:
    """The heads carried by the newest stored signed PDFs (a log cut below one of them is caught)."""
    found: list[tuple[AuditHead, str]] = []
    # only PDFs signed here: a PDF imported in a transfer bundle carries the other station's head
    for record_id, revision, kind, pdf, key_id, heads in conn.execute(
        "SELECT p.record_id, p.revision, p.kind, CASE WHEN p.key_id IS NULL THEN p.pdf END, p.key_id, p.audit_heads "
        "FROM signed_pdfs p JOIN users u ON u.id = p.created_by "
        "WHERE u.home_station_id = 1 ORDER BY p.rowid DESC LIMIT ?",
        (STORED_PDFS_CHECKED,),
    ):
        source = f"the {kind} PDF of record {record_id} revision {revision}"
        if key_id is None:
            found.extend((head, source) for head in heads_in_pdf(bytes(pdf)))
        else:  # a sealed PDF: the heads it carries were noted, readable, when it was stored
            found.extend(
                (AuditHead(int(seq), str(digest)), source) for seq, digest in json.loads(heads or "[]")
            )
    return found


def contains(conn: sqlite3.Connection, head: AuditHead) -> str:
    """ "" when the local chain still holds ``head``, else why not."""
    row = conn.execute("SELECT hash FROM audit_events WHERE id = ?", (head.seq,)).fetchone()
    last = current_head(conn).seq
    hashes = {head.seq: str(row[0])} if row else {}
    return head_problem(head, hashes, last)
