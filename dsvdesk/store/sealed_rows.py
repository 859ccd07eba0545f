"""Sealed rows beside a record (issue 15, migration 0021): casework texts and transfer conflict states.

The personal columns of the rows that belong to a record — a re-assessment's answers and signed PDF,
a risk review's next action, a contact's note, a referral's note, a retention decision's reason, and
the other side's state of a transfer conflict — are kept only sealed under the record's content key:
``nonce || AES-256-GCM(record key, value, aad = "<record id>|<table>.<column>|<row id>")`` in a BLOB
column beside the blanked plain one, with the key's id in the row (``key_id``: an amended record keeps
its older keys, so an older row still opens). A blob moved to another row, column or record does not
open. Whoever can open the record's key reads them: its officer, its investigating officer (the record
keys are wrapped for the officer a case is allocated to, ``share_with_io``), the station's supervisors
and the force's escrow key; an admin has no key and reads none.

Rows stored before migration 0021 (``key_id`` NULL) are sealed at the next sign-in of someone whose
keys open their record's key (``seal_pending_rows``); the migration cannot, having no key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from dsvdesk import log
from dsvdesk.store import sealing
from dsvdesk.store.errors import PermissionDenied
from dsvdesk.store.keyring import KIND_RECORD, KeyringOps, Recipient
from dsvdesk.store.models import Session

SEALED_ELSEWHERE = (
    "This record is sealed and your keys do not open it: it was not shared with your account "
    "(records open for their officer and the station's supervisors only)."
)


@dataclass(frozen=True, slots=True)
class SealedColumn:
    column: str  # the plain column, blanked once the row is sealed
    sealed: str  # the BLOB column holding the sealed value
    blank: str | bytes  # what the plain column holds once sealed


# Every table of rows beside a record whose personal columns are sealed (each has id, record_id, key_id).
SEALED_ROWS: dict[str, tuple[SealedColumn, ...]] = {
    "case_assessments": (
        SealedColumn("answers_json", "sealed_answers", "{}"),
        SealedColumn("pdf", "sealed_pdf", b""),
    ),
    "case_reviews": (SealedColumn("next_action", "sealed_next_action", ""),),
    "case_contacts": (SealedColumn("note", "sealed_note", ""),),
    "case_referrals": (SealedColumn("note", "sealed_note", ""),),
    "retention_reviews": (SealedColumn("reason", "sealed_reason", ""),),
    "transfer_conflicts": (SealedColumn("state", "sealed_state", ""),),
}


def row_aad(record_id: str, table: str, column: str, row_id: int) -> bytes:
    """What a sealed row value is bound to: its record, table, column and row."""
    return f"{record_id}|{table}.{column}|{int(row_id)}".encode()


def _plain_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else str(value).encode("utf-8")


@dataclass(frozen=True, slots=True)
class RowSeal:
    """Sealed values for one new row: ``key_id`` and {sealed column: blob}, ready to insert."""

    row_id: int
    key_id: int
    blobs: dict[str, bytes]

    def insert(self, conn: sqlite3.Connection, table: str, values: Mapping[str, object]) -> int:
        """INSERT the row with its id, key id, sealed columns and blanked plain ones; returns the id."""
        row: dict[str, object] = {"id": self.row_id, **values, "key_id": self.key_id}
        for spec in SEALED_ROWS[table]:
            row[spec.column] = spec.blank
            row[spec.sealed] = self.blobs[spec.sealed]
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))  # noqa: S608
        return self.row_id


class RowSealOps(KeyringOps):
    """Sealing and opening the personal columns of the rows beside a record (the module docstring)."""

    def _record_key_id(self, conn: sqlite3.Connection, record_id: str) -> int | None:
        row = conn.execute("SELECT key_id FROM records WHERE id = ?", (str(record_id),)).fetchone()
        return int(row[0]) if row is not None and row[0] is not None else None

    def _seal_row(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        table: str,
        record_id: str,
        values: Mapping[str, str | bytes],
    ) -> RowSeal:
        """The sealed values of a new row of ``table`` for ``record_id`` ({plain column: value}), under
        the record's current key; ``PermissionDenied`` when the session's keys do not open it. The row
        id is taken inside the caller's write transaction (it is part of the associated data)."""
        key_id = self._record_key_id(conn, record_id)
        cipher = self._cipher(conn, session, key_id) if key_id is not None else None
        if key_id is None or cipher is None:
            raise PermissionDenied(SEALED_ELSEWHERE)
        row_id = int(conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])  # noqa: S608
        blobs = {
            spec.sealed: cipher.seal(
                _plain_bytes(values[spec.column]), row_aad(record_id, table, spec.column, row_id)
            )
            for spec in SEALED_ROWS[table]
        }
        return RowSeal(row_id, key_id, blobs)

    def _open_row_value(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        table: str,
        column: str,
        *,
        record_id: str,
        row_id: int,
        key_id: int | None,
        sealed: bytes | None,
        plain: str | bytes | None,
    ) -> bytes:
        """A row's personal value: opened with the session's keys, or the plain column of a row not
        sealed yet (stored before migration 0021 and nobody who can seal it has signed in since)."""
        if key_id is None or sealed is None:
            return _plain_bytes(plain)
        cipher = self._cipher(conn, session, int(key_id))
        if cipher is None:
            raise PermissionDenied(SEALED_ELSEWHERE)
        try:
            return cipher.open(bytes(sealed), row_aad(record_id, table, column, row_id))
        except sealing.SealBroken:
            raise PermissionDenied(
                f"The sealed {table}.{column} of record {record_id} does not open: it was altered or moved on disk."
            ) from None

    def _open_row_text(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        table: str,
        column: str,
        row: tuple[int, str, int | None, bytes | None, str | None],
    ) -> str:
        """``_open_row_value`` of (row id, record id, key id, sealed blob, plain value) as text."""
        row_id, record_id, key_id, sealed, plain = row
        data = self._open_row_value(
            conn, session, table, column,
            record_id=str(record_id), row_id=int(row_id), key_id=key_id, sealed=sealed, plain=plain,
        )  # fmt: skip
        return data.decode("utf-8")

    # ----------------------------------------------------------------------------------- pending
    def _seal_pending_rows(self, conn: sqlite3.Connection, session: Session | None) -> int:
        """Seal, inside the caller's transaction, every row stored in the clear whose record key the
        session opens (rows from before migration 0021, a conflict kept by an import); returns how many."""
        done = 0
        for table, specs in SEALED_ROWS.items():
            plain = ", ".join(f"t.{s.column}" for s in specs)
            rows = conn.execute(
                f"SELECT t.id, t.record_id, r.key_id, {plain} FROM {table} t "  # noqa: S608 - fixed names
                "JOIN records r ON r.id = t.record_id WHERE t.key_id IS NULL AND r.key_id IS NOT NULL"
            ).fetchall()
            for row_id, record_id, key_id, *values in rows:
                cipher = self._cipher(conn, session, int(key_id))
                if cipher is None:
                    continue
                sets: list[str] = ["key_id = ?"]
                params: list[object] = [int(key_id)]
                for spec, value in zip(specs, values, strict=True):
                    blob = cipher.seal(
                        _plain_bytes(value), row_aad(str(record_id), table, spec.column, int(row_id))
                    )
                    sets += [f"{spec.sealed} = ?", f"{spec.column} = ?"]
                    params += [blob, spec.blank]
                conn.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?", (*params, int(row_id)))  # noqa: S608
                done += 1
        return done

    def _rows_pending(self, conn: sqlite3.Connection) -> bool:
        """Whether any row beside a record is still unsealed (one probe of each partial index)."""
        probes = " UNION ALL ".join(
            f"SELECT 1 FROM (SELECT 1 FROM {table} WHERE key_id IS NULL LIMIT 1)"  # noqa: S608 - fixed names
            for table in SEALED_ROWS
        )
        return bool(conn.execute(f"SELECT EXISTS ({probes})").fetchone()[0])

    # ----------------------------------------------------------------------------------- the IO
    def _share_with_io(
        self, conn: sqlite3.Connection, session: Session, record_id: str, io_id: int, previous_io: int | None
    ) -> int:
        """The case's investigating officer gets wraps of every key of the record (they read and write
        its casework); an earlier IO who is neither its officer nor a supervisor loses theirs. A key the
        allocating session cannot open is left for the next sign-in of someone who can (the allocation
        dropped the IO's wrap mark). Returns the wraps made."""
        keys = [
            int(r[0])
            for r in conn.execute(
                "SELECT id FROM sealed_keys WHERE kind = ? AND record_id = ?", (KIND_RECORD, str(record_id))
            )
        ]
        owner = conn.execute("SELECT owner_id FROM records WHERE id = ?", (str(record_id),)).fetchone()
        if previous_io is not None and previous_io != io_id and (owner is None or previous_io != owner[0]):
            old = self._officer_recipient(conn, previous_io)
            if old is not None and keys:
                marks = ", ".join("?" for _ in keys)
                conn.execute(
                    f"DELETE FROM key_wraps WHERE recipient = ? AND key_id IN ({marks})",  # noqa: S608
                    (old.key_id, *keys),
                )
        recipient = self._officer_recipient(conn, io_id)
        made = 0
        if recipient is None:
            return made
        for key_id in keys:
            raw = self._open_key(conn, session, key_id)
            if raw is not None:
                made += self._wrap(conn, key_id, raw, [recipient])
        if made:
            log.storage.info("record %s: %d key wraps made for its investigating officer", record_id, made)
        return made

    def _officer_recipient(self, conn: sqlite3.Connection, user_id: int) -> Recipient | None:
        """An officer's current key (supervisors hold every record key already; admins none)."""
        row = conn.execute(
            "SELECT k.id, k.public_key FROM enc_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.retired_at IS NULL AND k.user_id = ? AND u.role = 'officer'",
            (int(user_id),),
        ).fetchone()
        return Recipient(int(row[0]), bytes(row[1])) if row else None
