"""Someone with a DSVDesk password and a copy of the database, working outside the app: only
``sqlcipher3`` and ``cryptography`` and the formats docs/architecture.md states ("Sealed records").

``keys_of`` gathers every key the password can open (the user's private key, then every sealed key
wrapped for it); ``readable_parts`` tries each of them on every sealed blob of a record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def connect(path: Path, db_key: bytes) -> Any:
    """The database opened with its raw key (what any account's password gives, issue 14)."""
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
    return conn


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes | None:
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], aad)
    except (InvalidTag, ValueError):
        return None


@dataclass
class Loot:
    private_keys: dict[int, bytes]  # enc_keys.id -> raw X25519 private key
    sealed_keys: dict[int, bytes]  # sealed_keys.id -> raw key


def keys_of(conn: Any, username: str, password: str, *, escrow_private: bytes | None = None) -> Loot:
    """Every key ``password`` (or the escrow private key) opens in this database."""
    privates: dict[int, bytes] = {}
    row = conn.execute("SELECT id, key_salt FROM users WHERE username = ?", (username,)).fetchone()
    if row is not None:
        user_id, salt = int(row[0]), bytes(row[1])
        secret = hashlib.scrypt(
            password.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
        )
        wrapping = _hkdf(secret, b"dsvdesk-encryption-key-1")
        for key_id, sealed in conn.execute(
            "SELECT id, private_sealed FROM enc_keys WHERE user_id = ? AND private_sealed IS NOT NULL",
            (user_id,),
        ):
            private = _open(wrapping, bytes(sealed), f"dsvdesk user encryption key {user_id}".encode())
            if private is not None:
                privates[int(key_id)] = private
    if escrow_private is not None:
        (escrow_id,) = conn.execute("SELECT id FROM enc_keys WHERE user_id IS NULL").fetchone()
        privates[int(escrow_id)] = escrow_private
    opened: dict[int, bytes] = {}
    for recipient, private in privates.items():
        me = X25519PrivateKey.from_private_bytes(private)
        mine = me.public_key().public_bytes_raw()
        for key_id, epk, wrapped in conn.execute(
            "SELECT w.key_id, e.public_key, w.wrapped FROM key_wraps w JOIN wrap_ephemerals e ON e.id = w.ephemeral "
            "WHERE w.recipient = ?",
            (recipient,),
        ):
            shared = me.exchange(X25519PublicKey.from_public_bytes(bytes(epk)))
            kek = _hkdf(shared, b"dsvdesk-wrap-1" + bytes(epk) + mine)
            raw = _open(kek, bytes(wrapped), f"dsvdesk sealed key {int(key_id)}".encode())
            if raw is not None:
                opened[int(key_id)] = raw
    return Loot(privates, opened)


# The rows beside a record whose personal columns are sealed under its key (docs/architecture.md,
# "Sealed records": table -> (plain column, sealed column) pairs; aad "<record id>|<table>.<column>|<row id>").
SEALED_ROWS = {
    "case_assessments": (("answers_json", "sealed_answers"), ("pdf", "sealed_pdf")),
    "case_reviews": (("next_action", "sealed_next_action"),),
    "case_contacts": (("note", "sealed_note"),),
    "case_referrals": (("note", "sealed_note"),),
    "retention_reviews": (("reason", "sealed_reason"),),
    "transfer_conflicts": (("state", "sealed_state"),),
}


def row_parts(conn: Any, record_id: str) -> list[tuple[bytes, bytes]]:
    """(blob, associated data) of every sealed casework text and conflict state of a record."""
    parts: list[tuple[bytes, bytes]] = []
    for table, columns in SEALED_ROWS.items():
        for column, sealed in columns:
            for row_id, blob in conn.execute(
                f"SELECT id, {sealed} FROM {table} WHERE record_id = ? AND {sealed} IS NOT NULL", (record_id,)
            ):
                parts.append((bytes(blob), f"{record_id}|{table}.{column}|{int(row_id)}".encode()))
    return parts


def plain_row_values(conn: Any, record_id: str) -> list[bytes]:
    """The plain personal columns of those rows that are not empty (none, once they are sealed)."""
    found: list[bytes] = []
    for table, columns in SEALED_ROWS.items():
        for column, _sealed in columns:
            for (value,) in conn.execute(f"SELECT {column} FROM {table} WHERE record_id = ?", (record_id,)):
                data = bytes(value) if isinstance(value, bytes | memoryview) else str(value or "").encode()
                if data not in (b"", b"{}"):
                    found.append(data)
    return found


def sealed_parts(conn: Any, record_id: str) -> list[tuple[bytes, bytes]]:
    """(blob, associated data) of every sealed part of a record: answers and columns of the current
    revision, archived revisions, signed PDFs and review comments, then its casework texts and conflict
    states (``row_parts``)."""
    parts: list[tuple[bytes, bytes]] = []
    for revision, answers, columns in conn.execute(
        "SELECT revision, sealed_answers, sealed_columns FROM records WHERE id = ?", (record_id,)
    ):
        parts.append((bytes(answers), f"{record_id}|{revision}|answers".encode()))
        parts.append((bytes(columns), f"{record_id}|{revision}|columns".encode()))
    for revision, answers in conn.execute(
        "SELECT revision, sealed_answers FROM record_revisions WHERE record_id = ?", (record_id,)
    ):
        parts.append((bytes(answers), f"{record_id}|{revision}|answers".encode()))
    for revision, kind, pdf in conn.execute(
        "SELECT revision, kind, pdf FROM signed_pdfs WHERE record_id = ?", (record_id,)
    ):
        parts.append((bytes(pdf), f"{record_id}|{revision}|pdf-{kind}".encode()))
    for revision, round_number, question_id, sealed in conn.execute(
        "SELECT revision, round, question_id, sealed_comment FROM review_comments WHERE record_id = ?",
        (record_id,),
    ):
        parts.append((bytes(sealed), f"{record_id}|{revision}|comment-{round_number}-{question_id}".encode()))
    return parts + row_parts(conn, record_id)


def readable_parts(
    conn: Any, record_id: str, loot: Loot, *, parts: list[tuple[bytes, bytes]] | None = None
) -> list[bytes]:
    """Every sealed part of the record (or of ``parts``) that one of the looted keys opens (tried all
    against all)."""
    found = []
    for blob, aad in sealed_parts(conn, record_id) if parts is None else parts:
        for key in loot.sealed_keys.values():
            plain = _open(key, blob, aad)
            if plain is not None:
                found.append(plain)
                break
    return found


def answers_in(parts: list[bytes]) -> dict[str, Any]:
    """The current answers among the opened parts (``sealed_parts`` lists them first), or {}."""
    if not parts:
        return {}
    value = json.loads(parts[0])
    return value if isinstance(value, dict) else {}


def _token(key: bytes, prefix: str) -> bytes:
    """A search token as the documented format makes it: HMAC-SHA256(key, "t|" + prefix)[:10]."""
    import hmac

    return hmac.digest(key, b"t|" + prefix.encode("utf-8"), "sha256")[:10]


def guessed_words_found(conn: Any, record_id: str, loot: Loot, guesses: list[str]) -> list[str]:
    """The guessed (folded) words whose search token, under any looted key, is among the record's rows
    of ``search_tokens``: a dictionary attack on the blind index with every key the password opens."""
    (seq,) = conn.execute("SELECT seq FROM records WHERE id = ?", (record_id,)).fetchone()
    stored = {bytes(r[0]) for r in conn.execute("SELECT token FROM search_tokens WHERE seq = ?", (seq,))}
    return [
        guess
        for guess in guesses
        if any(_token(key, guess[:16]) in stored for key in loot.sealed_keys.values())
    ]
