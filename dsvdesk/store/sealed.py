"""Sealed records (issue 15): what a record write seals and how a read opens it again.

A record's answers, its identifying derived columns (``SEALED_COLUMNS`` and any form column whose name
says it identifies someone), its signed PDFs and its review comments are stored only encrypted under
the record's content key (``sealing.Cipher``, associated data = record id | revision | part). The
search index holds blind tokens under the owner's index key; ``victim_key`` is a digest under the
station supervisors' index key. Records saved before issue 15 are sealed at the next sign-in
(``_seal_legacy_records``); tokens and victim keys a writer could not make (no key for them) are made
at the next sign-in of someone who holds the keys (``_complete_pending_index``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dsvdesk import log
from dsvdesk.store import sealing
from dsvdesk.store.errors import PermissionDenied
from dsvdesk.store.keyring import KIND_RECORD, KIND_USER_INDEX, HeldKeys, keyring_of
from dsvdesk.store.models import RecordRow, Role, Session, record_row_from_columns
from dsvdesk.store.name_order import STAMP_SQL, NameOrder, stamp_of
from dsvdesk.store.sealed_rows import SEALED_ELSEWHERE, RowSealOps
from dsvdesk.store.search import iso_day, person_key

# The derived columns that identify someone: kept only sealed; their plain columns stay NULL.
SEALED_COLUMNS = ("victim_name", "suspect_name", "cad_ref", "cris_ref", "victim_dob")
NAME_COLUMNS = ("victim_name", "suspect_name")
# A form column outside the records table is sealed too when its name says it may identify someone.
_IDENTIFYING = re.compile(
    r"(^victim_|^suspect_|^perpetrator_|_name$|_ref$|_dob$|address|phone|email|postcode)"
)
PART_ANSWERS = "answers"
# A record saved before issue 15, sealed: its plain identifying columns are emptied.
_LEGACY_SEAL_SQL = (
    "UPDATE records SET key_id = ?, sealed_answers = ?, answers_json = '{}', sealed_columns = ?, "  # noqa: S608
    "columns_json = ?, victim_key = ?, victim_age = ?, index_pending = ?, "
    f"{', '.join(f'{c} = NULL' for c in SEALED_COLUMNS)} WHERE seq = ?"
)
PART_COLUMNS = "columns"
# Opened sealed values a session keeps (keyring.HeldKeys.opened_values): a few screens of list rows
# and the review queue; each a few hundred bytes.
OPENED_VALUES_KEPT = 2_000
# List rows built from them a session keeps (keyring.HeldKeys.list_rows): a page shown again (a refresh,
# another header click, the queue's next count) builds no row twice; ~2 KB each.
LIST_ROWS_KEPT = 1_000


def pdf_part(kind: str) -> str:
    """The sealed part name of a signed PDF of a revision (``submitted`` or ``approved``)."""
    return f"pdf-{kind}"


def comment_part(round_number: int, question_id: str) -> str:
    """The sealed part name of a review comment (its associated data with the record and revision)."""
    return f"comment-{round_number}-{question_id}"


def is_sealed_column(name: str, table_columns: Sequence[str]) -> bool:
    if isinstance(table_columns, tuple):
        return _is_sealed_column(name, table_columns)
    return name in SEALED_COLUMNS or (name not in table_columns and bool(_IDENTIFYING.search(name)))


@functools.lru_cache(maxsize=4096)  # a form's few dozen column names, asked on every save
def _is_sealed_column(name: str, table_columns: tuple[str, ...]) -> bool:
    return name in SEALED_COLUMNS or (name not in table_columns and bool(_IDENTIFYING.search(name)))


def split_columns(
    columns: Mapping[str, Any], table_columns: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, sealed) parts of a record's derived columns."""
    plain: dict[str, Any] = {}
    sealed: dict[str, Any] = {}
    for name, value in columns.items():
        (sealed if is_sealed_column(name, table_columns) else plain)[name] = value
    return plain, sealed


def victim_age(columns: Mapping[str, Any]) -> int | None:
    """The victim's age in whole years on the incident date (Part A's age bands), or None."""
    dob_text, incident_text = columns.get("victim_dob"), columns.get("incident_date")
    if not isinstance(dob_text, str) or not isinstance(incident_text, str):
        return None
    dob, day = iso_day(dob_text[:10]), iso_day(incident_text[:10])
    if dob is None or day is None or dob > day:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def search_texts(columns: Mapping[str, Any], urn: str | None) -> tuple[list[str], list[str]]:
    names = [str(columns[n]) for n in NAME_COLUMNS if columns.get(n)]
    refs = [*(str(v) for k, v in columns.items() if k.endswith("_ref") and v), *([urn] if urn else [])]
    return names, refs


# json.dumps(sealed, ensure_ascii=False, default=str, sort_keys=True), its encoder made once
_SEALED_JSON = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True)


def sealed_text(sealed: Mapping[str, Any]) -> str:
    """The JSON text of a record's sealed columns, as ``RecordSeal.seal_columns`` seals it."""
    return _SEALED_JSON.encode(sealed)


_ADD_ROW_SQL = "INSERT OR IGNORE INTO search_tokens (token, seq) VALUES (?, ?)"
_DROP_ROW_SQL = "DELETE FROM search_tokens WHERE token = ? AND seq = ?"


def write_tokens(
    conn: sqlite3.Connection,
    seq: int,
    tokens: frozenset[bytes],
    previous: frozenset[bytes] | None = None,
) -> None:
    """Make the record's rows of ``search_tokens`` (migration 0022) exactly ``tokens``. With
    ``previous`` (what this writer last wrote for the row) only the difference is written: an autosave
    of a surname changes a few prefixes, not every token of the record."""
    if previous is None:
        conn.execute("DELETE FROM search_tokens WHERE seq = ?", (seq,))
        gone: Iterable[bytes] = ()
        added: Iterable[bytes] = tokens
    else:
        gone, added = previous - tokens, tokens - previous
    if gone:
        conn.executemany(_DROP_ROW_SQL, [(t, seq) for t in gone])
    if added:
        conn.executemany(_ADD_ROW_SQL, [(t, seq) for t in added])


def token_match(groups: Sequence[Sequence[bytes]]) -> tuple[str, list[Any]]:
    """A condition over ``records r``: the record holds, for every group (a query word), one of its
    tokens (the word under each index key the reader holds)."""
    parts = []
    params: list[Any] = []
    for group in groups:
        marks = ", ".join("?" for _ in group)
        parts.append(f"SELECT seq FROM search_tokens WHERE token IN ({marks})")  # noqa: S608 - only ? markers are formatted in; values are bound
        params.extend(group)
    return f"r.seq IN ({' INTERSECT '.join(parts)})", params


@dataclass(frozen=True, slots=True)
class RecordSeal:
    """What a write needs to seal one record revision: its cipher and the index keys the writer holds
    (None: the tokens or the victim key are left for someone who holds that key)."""

    record_id: str
    revision: int
    key_id: int
    cipher: sealing.Cipher
    index_key: bytes | None
    station_key: bytes | sealing.Keyed | None  # a Keyed for many records (a bulk load)

    def seal_answers(self, text: str) -> bytes:
        return self.cipher.seal(
            text.encode("utf-8"), sealing.content_aad(self.record_id, self.revision, PART_ANSWERS)
        )

    def seal_columns(self, sealed: Mapping[str, Any]) -> bytes:
        text = sealed_text(sealed)
        return self.cipher.seal(
            text.encode("utf-8"), sealing.content_aad(self.record_id, self.revision, PART_COLUMNS)
        )

    def seal_part(self, data: bytes, part: str) -> bytes:
        return self.cipher.seal(data, sealing.content_aad(self.record_id, self.revision, part))

    def search(
        self, columns: Mapping[str, Any], urn: str | None, memo: dict[str, bytes] | None = None
    ) -> frozenset[bytes] | None:
        """The blind index tokens of the names and references, or None when the writer holds no index
        key for them (``memo``: tokens already made under this index key, see sealing.index_tokens)."""
        if self.index_key is None:
            return None
        names, refs = search_texts(columns, urn)
        return sealing.index_tokens(self.index_key, [*names, *refs], memo)

    def victim_key(self, columns: Mapping[str, Any]) -> str | None:
        if self.station_key is None:
            return None
        return sealing.victim_key(
            self.station_key, person_key(columns.get("victim_name"), columns.get("victim_dob"))
        )


class SealOps(RowSealOps):
    """The record store's sealing: content keys per record, opening sealed parts, blind-index search."""

    # ----------------------------------------------------------------------------------- writing
    def _new_record_key(
        self, conn: sqlite3.Connection, session: Session, record_id: str, owner_id: int
    ) -> int:
        key_id, raw = self._new_sealed_key(conn, KIND_RECORD, record_id=record_id, user_id=owner_id)
        held = keyring_of(self.path, session)
        if held is not None:
            held.opened[key_id] = raw
        return key_id

    def _record_seal(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        *,
        record_id: str,
        revision: int,
        key_id: int,
        owner_id: int,
    ) -> RecordSeal:
        """The seal of a record the session can open (``PermissionDenied`` otherwise)."""
        cipher = self._cipher(conn, session, key_id)
        if cipher is None:
            raise PermissionDenied(SEALED_ELSEWHERE)
        index = self._user_index_key(conn, session, owner_id)
        station = self._station_index_key(conn, session)
        return RecordSeal(
            record_id=record_id,
            revision=revision,
            key_id=key_id,
            cipher=cipher,
            index_key=index[1] if index else None,
            station_key=station[1] if station else None,
        )

    def _require_keys(self, session: Session) -> None:
        if keyring_of(self.path, session) is None:
            raise PermissionDenied(
                "Your keys are not unlocked in this window: sign out and sign in again to work on records."
            )

    # ----------------------------------------------------------------------------------- reading
    def _open_part(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        *,
        key_id: int,
        record_id: str,
        revision: int,
        part: str,
        blob: bytes,
    ) -> bytes:
        cipher = self._cipher(conn, session, key_id)
        if cipher is None:
            raise PermissionDenied(SEALED_ELSEWHERE)
        try:
            return cipher.open(bytes(blob), sealing.content_aad(record_id, revision, part))
        except sealing.SealBroken:
            raise PermissionDenied(
                f"The sealed {part} of record {record_id} do not open: they were altered or moved on disk."
            ) from None

    def _sealed_columns_of(
        self,
        conn: sqlite3.Connection,
        session: Session | None,
        *,
        key_id: int | None,
        record_id: str,
        revision: int,
        blob: bytes | None,
    ) -> dict[str, Any] | None:
        """The sealed columns of a record, {} when it has none, None when the session cannot open it."""
        if key_id is None or blob is None:
            return {}
        cipher = self._cipher(conn, session, int(key_id))
        if cipher is None:
            return None
        try:
            data = cipher.open(bytes(blob), sealing.content_aad(record_id, revision, PART_COLUMNS))
        except sealing.SealBroken:
            log.storage.warning("record %s: its sealed columns do not open", record_id)
            return None
        value = json.loads(data)
        return value if isinstance(value, dict) else {}

    def open_list_rows(self, session: Session, raw: Sequence[Sequence[Any]]) -> list[RecordRow]:
        """RecordRows from rows read with ``records.SEALED_LIST_COLUMNS`` (the list columns, then key_id
        and sealed_columns), their sealed values opened with the session's keys; a row the session
        cannot open keeps them empty. For listings built on ``read()`` (the review queue). A page opens
        in bulk: the wraps of its keys in one query, then one AES-GCM for each wrap and one for each
        row's values (``sealing.BatchOpener``); no key or cipher is kept for list rows (a supervisor
        scrolling 100,000 records kept every raw key), only the opened values of recent rows (LRU), and
        the rows built from them (``LIST_ROWS_KEPT``): a row read again exactly as it was (every column,
        the same ciphertext) is the RecordRow built last time; anything changed reads as a new row."""
        held = keyring_of(self.path, session)
        if held is None:
            return [record_row_from_columns(r) for r in raw]
        built = held.list_rows
        rows: list[RecordRow | None] = []
        again: list[tuple[Any, ...]] = []
        missing: list[int] = []
        for at, r in enumerate(raw):
            whole = r if type(r) is tuple else tuple(r)
            row = built.get(whole)
            rows.append(row)
            if row is None:
                missing.append(at)
            else:
                again.append(whole)
        _mark_recent(built, again)
        if missing:
            fresh = self._build_list_rows(held, [raw[at] for at in missing])
            for at, (row, keep) in zip(missing, fresh, strict=True):
                rows[at] = row
                if keep:  # opened, or nothing sealed: a row left unopened may open later
                    r = raw[at]
                    built[r if type(r) is tuple else tuple(r)] = row
            with contextlib.suppress(KeyError):  # emptied meanwhile by another thread's Store
                while len(built) > LIST_ROWS_KEPT:
                    built.popitem(last=False)
        return [row for row in rows if row is not None]

    def _build_list_rows(self, held: HeldKeys, raw: Sequence[Sequence[Any]]) -> list[tuple[RecordRow, bool]]:
        """(the RecordRow, whether its sealed values were opened or it has none) of each of ``raw``."""
        cache = held.opened_values
        opened: dict[int, dict[str, Any]] = {}
        todo: list[tuple[int, tuple[str, int, bytes], int]] = []
        seen: list[tuple[str, int, bytes]] = []
        sealed: set[int] = set()
        for at, r in enumerate(raw):
            key_id, blob = r[-2], r[-1]
            if key_id is None or blob is None:
                continue
            sealed.add(at)
            slot = (str(r[0]), int(r[3]), bytes(blob))
            found = cache.get(slot)
            if found is None:
                todo.append((at, slot, int(key_id)))
                continue
            opened[at] = found
            seen.append(slot)
        _mark_recent(cache, seen)
        if todo:
            self._open_list_values(held, todo, opened)
        get = opened.get
        return [
            (record_row_from_columns(r, get(at)), at in opened or at not in sealed)
            for at, r in enumerate(raw)
        ]

    def _open_list_values(
        self,
        held: HeldKeys,
        todo: Sequence[tuple[int, tuple[str, int, bytes], int]],
        opened: dict[int, dict[str, Any]],
    ) -> None:
        keys = held.opened
        missing = list({key_id for _at, _slot, key_id in todo if key_id not in keys})
        wraps = self._wraps_of(self._conn, list(held.unwrappers), missing, {}) if missing else {}
        opener = sealing.BatchOpener(held.unwrappers)
        cache = held.opened_values
        for at, slot, key_id in todo:
            raw_key = keys.get(key_id)
            if raw_key is None and key_id in wraps:
                raw_key = opener.key(*wraps[key_id], key_id)
            if raw_key is None:
                continue
            data = opener.open(raw_key, slot[2], sealing.content_aad(slot[0], slot[1], PART_COLUMNS))
            value = _DECODE(data.decode("utf-8")) if data is not None else None
            if not isinstance(value, dict):
                log.storage.warning("record %s: its sealed columns do not open", slot[0])
                continue
            opened[at] = cache[slot] = value
        with contextlib.suppress(KeyError):  # emptied meanwhile by another thread's Store
            while len(cache) > OPENED_VALUES_KEPT:
                cache.popitem(last=False)

    def reveal_rows(self, session: Session, rows: Sequence[RecordRow]) -> list[RecordRow]:
        """The rows with their sealed values (names, references, date of birth ...) opened with the
        session's keys; a row the session cannot open keeps them empty. For listings built on
        ``read()`` (the review queue, the dashboard): ``list_records`` already returns opened rows."""
        if not rows:
            return []
        ids = [r.id for r in rows]
        marks = ", ".join("?" for _ in ids)
        with self._read() as conn:
            found = {
                str(r[0]): (r[1], int(r[2]), r[3])
                for r in conn.execute(
                    f"SELECT id, key_id, revision, sealed_columns FROM records WHERE id IN ({marks})",  # noqa: S608
                    ids,
                )
            }
            result = []
            for row in rows:
                key_id, revision, blob = found.get(row.id, (None, row.revision, None))
                sealed = self._sealed_columns_of(
                    conn, session, key_id=key_id, record_id=row.id, revision=revision, blob=blob
                )
                result.append(reveal_row(row, sealed or {}))
        return result

    def sealed_values(self, session: Session, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """{record id: its sealed column values} for the records the session can open (others are
        left out): what a listing needs to show a name without opening the record."""
        ids = list(dict.fromkeys(str(r) for r in record_ids))
        out: dict[str, dict[str, Any]] = {}
        if not ids:
            return out
        with self._read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                for record_id, key_id, revision, blob, plain in conn.execute(
                    f"SELECT id, key_id, revision, sealed_columns, columns_json FROM records WHERE id IN ({marks})",  # noqa: S608
                    chunk,
                ):
                    if key_id is None:  # not sealed yet (before the first sign-in since issue 15)
                        out[str(record_id)] = {
                            k: v for k, v in json.loads(plain or "{}").items() if is_sealed_column(k, ())
                        }
                        continue
                    sealed = self._sealed_columns_of(
                        conn,
                        session,
                        key_id=key_id,
                        record_id=str(record_id),
                        revision=int(revision),
                        blob=blob,
                    )
                    if sealed is not None:
                        out[str(record_id)] = sealed
        return out

    # ----------------------------------------------------------------------------------- name order
    def _seqs_by_name(
        self, session: Session, sort: str, clause: str, params: Sequence[Any], descending: bool
    ) -> list[int]:
        """Every seq the filter (``record_filter``'s clause over ``records r``) gives, in the order of
        the sealed name column ``sort`` as the session opens it (``name_order``: no name first, then the
        folded name, then seq). The session's ``NameOrder`` holds what was opened before (in memory
        only); records new or changed since are opened here in bulk. The result is kept for this
        Store's connection until the database changes (``PRAGMA data_version`` for other connections'
        commits, ``total_changes`` for this one's), so the next pages of the same sort cost a slice; and
        for the session's other Stores while no connection commits (``_name_sorted``)."""
        held = keyring_of(self.path, session)
        slot = (session.user.id, session.started_at, sort)
        wanted = (slot, clause, tuple(params), descending)
        with self._read() as conn:
            state = (int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes)
            last = self.__dict__.get("_last_name_sort")
            if last is not None and last[0] == wanted and last[1] == state:
                found: list[int] = last[2]
                return found
            if held is None:
                found = sorted(_seqs_of(conn, clause, params), reverse=descending)  # no keys: no name opens
            else:
                found = self._name_sorted(conn, held, sort, clause, params, state=state)
                if descending:  # the exact reverse (NameOrder.ordered)
                    found = found[::-1]
        self._last_name_sort = (wanted, state, found)
        return found

    def _name_sorted(
        self,
        conn: sqlite3.Connection,
        held: HeldKeys,
        sort: str,
        clause: str,
        params: Sequence[Any],
        *,
        state: tuple[int, int] | None,
    ) -> list[int]:
        """The filter's seqs in ascending name order (shared: never changed). A sort made by any of the
        session's Stores (the worker that made the order, ``_prepare_names``, included) is kept in the
        order with the database's change version read before it (``db.ChangeWatcher``): while no
        connection has committed since, another Store's first sort of the same filter reads neither the
        filter's seqs nor any stamp. Otherwise the order is brought up to date and sorted here."""
        order = held.name_order(sort)
        version = self._change_version(conn, held)
        wanted = (clause, tuple(params))
        found = order.sorted_for(wanted, version)
        if found is not None:
            return found
        matching = _seqs_of(conn, clause, params)
        _opened, generation = self._bring_up_to_date(conn, held, order, matching, state, version=version)
        found = order.ordered(matching)
        if generation is not None:
            order.keep_sorted(wanted, version, generation, found)
        return found

    def _change_version(self, conn: sqlite3.Connection, held: HeldKeys) -> object:
        """The database's change version (``db.ChangeWatcher``) before this connection reads, or None:
        not known, or this connection is inside a transaction (what it reads may not be committed)."""
        if conn.in_transaction:
            return None
        watcher = held.change_watcher(self.path)
        return watcher.version() if watcher is not None else None

    def _bring_up_to_date(
        self,
        conn: sqlite3.Connection,
        held: HeldKeys,
        order: NameOrder,
        seqs: Sequence[int],
        state: tuple[int, int] | None,
        *,
        version: object = None,
    ) -> tuple[int, int | None]:
        """Open the names of ``seqs`` the order does not hold yet and of every held record changed since
        the order was last found current; returns how many were opened, and the order's generation
        when it is then current (None: another Store put names meanwhile). Whether anything changed is
        asked only when this connection saw a change since its last look (``state``; None: ask), and
        then first of the database's change ``version`` (read before this connection's reads: no
        connection committed since the order was found current, nothing to compare), then as one digest
        of every record's stamp (``_DIGEST_SQL``, one pass over records_stamps in SQLite); only when
        that differs from the order's are the stamps compared one by one."""
        checks: dict[int, tuple[int, int] | None] = self.__dict__.setdefault("_name_checks", {})
        stale: list[int] = []
        digest: tuple[int, ...] | None = None
        if (state is None or checks.get(id(order)) != state) and not order.current_at(version):
            digest = tuple(conn.execute(_DIGEST_SQL).fetchone())
            if len(order) and digest != order.digest:
                stale, gone = order.changed(conn.execute(_STAMPS_SQL).fetchall())
                order.forget(gone)
        todo = order.unknown(seqs)
        todo.extend(stale)
        generation = order.generation
        puts = self._open_names(conn, held, order, todo) if todo else 0
        # current as of the digest (None: the one kept) and the version read before opening, unless
        # another Store put names meanwhile (a build still running): then the next look compares every
        # stamp again
        if digest is not None or version is not None:
            current = order.settle(digest, generation + puts, version)
        else:
            current = order.generation == generation + puts
        checks[id(order)] = state if current else None
        return len(todo), generation + puts if current else None

    def _prepare_names(
        self, session: Session, sort: str, clause: str, params: Sequence[Any], *, first_rows: int = 0
    ) -> int:
        """Open now, in bulk, the ``sort`` names of every record the filter gives that the session's
        order does not hold yet (and of held records changed since); returns how many were opened
        (``RecordOps.prepare_name_order``). The filter's order is kept for the session's Stores
        (``_name_sorted``), and the list rows of its first ``first_rows`` records each way are read and
        opened into the session's caches: the first sort by the name after this opens nothing."""
        held = keyring_of(self.path, session)
        if held is None:
            return 0
        order = held.name_order(sort)
        with self._read() as conn:
            version = self._change_version(conn, held)
            matching = _seqs_of(conn, clause, params)
            opened, generation = self._bring_up_to_date(conn, held, order, matching, None, version=version)
            if generation is not None and (version is not None or first_rows > 0):
                found = order.ordered(matching)
                if version is not None:
                    order.keep_sorted((clause, tuple(params)), version, generation, found)
                if first_rows > 0:
                    self._open_first_rows(conn, session, [*found[:first_rows], *found[-first_rows:]])
        log.storage.info("name order %s: %d records opened, %d held", sort, opened, len(order))
        return opened

    def _open_first_rows(self, conn: sqlite3.Connection, session: Session, seqs: Sequence[int]) -> None:
        """Read the list rows of ``seqs`` as a list reads them and open them (``open_list_rows``: the
        session's opened values and rows): a first page shown later reads its rows warm and opens
        nothing."""
        from dsvdesk.store.records import SEALED_LIST_COLUMNS

        wanted = sorted(set(seqs))
        if not wanted:
            return
        rows = conn.execute(
            f"SELECT {SEALED_LIST_COLUMNS} FROM records r JOIN users u ON u.id = r.owner_id "  # noqa: S608 - fixed parts
            f"WHERE r.seq IN ({', '.join('?' for _ in wanted)})",
            wanted,
        ).fetchall()
        self.open_list_rows(session, rows)

    def _open_names(self, conn: sqlite3.Connection, held: HeldKeys, order: NameOrder, seqs: list[int]) -> int:
        """Open the ``order.column`` name of each of ``seqs`` and put it in the order: each record's
        key, revision, version, id and sealed columns read from records_sealed_names (not the rows and
        their answers), its wrap for the session's keys, then one AES-GCM for the wrap and one for the
        columns (``sealing.BatchOpener``). Returns how many ``put`` calls were made."""
        opener = sealing.BatchOpener(held.unwrappers)
        ephemerals: dict[int, bytes] = {}
        recipients = list(held.unwrappers)
        column, opened_keys, aad = order.column, held.opened, sealing.content_aad
        entries: list[tuple[int, int, object]] = []
        puts = 0
        for rows in _name_rows(conn, sorted(seqs)):  # distinct seqs (a repeat would be put twice)
            wraps = self._wraps_of(conn, recipients, [r[1] for r in rows if r[1] is not None], ephemerals)
            plain: list[int] = []
            for seq, key_id, revision, version, record_id, blob in rows:
                if key_id is None:
                    plain.append(seq)
                    continue
                name: object = None
                raw = opened_keys.get(key_id)
                if raw is None and key_id in wraps:
                    raw = opener.key(*wraps[key_id], key_id)
                if raw is not None and blob is not None:
                    data = opener.open(raw, blob, aad(record_id, revision, PART_COLUMNS))
                    if data is None:
                        log.storage.warning("record %s: its sealed columns do not open", record_id)
                    else:
                        name = _json_value(data, column)
                entries.append((seq, stamp_of(key_id, revision, version), name))
            if plain:  # not sealed yet (before the first sign-in since issue 15): the plain document
                entries.extend(_plain_names(conn, plain, column))
            if len(entries) >= _NAME_PUT:  # placed in the order in large steps (one sort each)
                order.put(entries)
                puts += 1
                entries = []
        if entries:
            order.put(entries)
            puts += 1
        return puts

    @staticmethod
    def _wraps_of(
        conn: sqlite3.Connection, recipients: list[int], key_ids: list[int], ephemerals: dict[int, bytes]
    ) -> dict[int, tuple[int, bytes, bytes]]:
        """{key id: (recipient, ephemeral public key, wrap)} of ``key_ids`` for the session's keys."""
        if not recipients or not key_ids:
            return {}
        found: dict[int, tuple[int, bytes, bytes]] = {}
        unknown: set[int] = set()
        rows = conn.execute(
            f"SELECT key_id, recipient, ephemeral, wrapped FROM key_wraps WHERE key_id IN ({', '.join('?' for _ in key_ids)}) "  # noqa: S608 - only ? markers are formatted in; values are bound
            f"AND recipient IN ({', '.join('?' for _ in recipients)})",
            [*key_ids, *recipients],
        ).fetchall()
        unknown = {int(r[2]) for r in rows} - ephemerals.keys()
        if unknown:
            marks = ", ".join("?" for _ in unknown)
            for eid, public in conn.execute(
                f"SELECT id, public_key FROM wrap_ephemerals WHERE id IN ({marks})",  # noqa: S608 - only ? markers are formatted in; values are bound
                list(unknown),
            ):
                ephemerals[int(eid)] = bytes(public)
        for key_id, recipient, eid, wrapped in rows:
            if eid in ephemerals:
                found.setdefault(key_id, (recipient, ephemerals[eid], wrapped))
        return found

    # ----------------------------------------------------------------------------------- search
    def _search_clause(self, user_id: int, role: Role, search: str) -> tuple[str, list[Any]] | None:
        """The blind-index condition for ``search``: the query words as tokens under every index key
        the user holds (an officer: their own; a supervisor: every officer's). None: nothing to match."""
        held = self._held_for_user(user_id)
        with self._read() as conn:
            keys = self._index_keys_of(conn, held, None if role is Role.SUPERVISOR else [user_id])
        words = sealing.words(search)
        if not words or not keys:
            return None
        groups = [
            list(dict.fromkeys(sealing.token(raw, word[: sealing.PREFIX_CHARS]) for _id, raw in keys))
            for word in dict.fromkeys(words)
        ]
        return token_match(groups)

    def _held_for_user(self, user_id: int) -> Session | None:
        from dsvdesk.store import keyring

        return keyring.session_for_user(self.path, user_id)


def reveal_row(row: RecordRow, sealed: Mapping[str, Any]) -> RecordRow:
    if not sealed:
        return row
    return replace(
        row,
        victim_name=_text(sealed.get("victim_name"), row.victim_name),
        suspect_name=_text(sealed.get("suspect_name"), row.suspect_name),
        cad_ref=_text(sealed.get("cad_ref"), row.cad_ref),
        cris_ref=_text(sealed.get("cris_ref"), row.cris_ref),
        columns={**row.columns, **sealed},
    )


def _text(value: Any, fallback: str | None) -> str | None:
    if value is None:
        return fallback
    return value if isinstance(value, str) else str(value)


class SealingStepOps(SealOps):
    """The sign-in-time sealing of records saved before issue 15, and the index work left pending."""

    def _after_sign_in(self, session: Session) -> None:
        """Seal what is not sealed yet (anyone signing in can: only public keys are needed), then make
        the search tokens and victim keys this session holds the keys for."""
        sealed = self._seal_legacy_records(session)
        indexed = self._complete_pending_index(session)
        rows = self._seal_legacy_rows(session)
        if sealed or indexed or rows:
            log.storage.info(
                "sign-in sealed %d records and %d casework/conflict rows, and indexed %d",
                sealed,
                rows,
                indexed,
            )

    def _seal_legacy_records(self, session: Session) -> int:
        from dsvdesk.store import audit

        with self._tx() as conn:
            sealed = self._seal_unsealed(conn, session)
            if sealed:
                self.audit_event(session, audit.RECORDS_SEALED, detail={"records": sealed})
        return sealed

    def _seal_legacy_rows(self, session: Session) -> int:
        """Casework texts and conflict states stored before migration 0021 (or kept by an import whose
        supervisor could not open the record's key), sealed now if this session opens their records'
        keys (``sealed_rows``); one ``records_sealed`` event with the count."""
        from dsvdesk.store import audit

        with self._read() as conn:
            if not self._rows_pending(conn):
                return 0
        with self._tx() as conn:
            done = self._seal_pending_rows(conn, session)
            if done:
                self.audit_event(session, audit.RECORDS_SEALED, detail={"rows": done})
        return done

    def _seal_unsealed(self, conn: sqlite3.Connection, session: Session | None) -> int:
        """Seal, inside the caller's transaction, every record stored in the clear (saved before issue 15,
        or just merged from a transfer bundle); returns how many."""
        from dsvdesk.store.records import TABLE_COLUMNS

        rows = conn.execute(
            "SELECT seq, id, revision, owner_id, answers_json, columns_json, urn, status FROM records "
            "WHERE key_id IS NULL ORDER BY seq"
        ).fetchall()
        if not rows:
            return 0
        for seq, record_id, revision, owner_id, answers_json, columns_json, urn, status in rows:
            key_id, raw = self._new_sealed_key(conn, KIND_RECORD, record_id=record_id, user_id=int(owner_id))
            cipher = sealing.Cipher(raw)
            columns = json.loads(columns_json or "{}")
            plain, hidden = split_columns(columns, TABLE_COLUMNS)
            seal = RecordSeal(
                record_id=str(record_id),
                revision=int(revision),
                key_id=key_id,
                cipher=cipher,
                index_key=self._index_key_or_new(conn, session, int(owner_id)),
                station_key=self._station_key_for(conn, session),
            )
            search = seal.search(columns, urn)
            key = seal.victim_key(columns)
            pending = search is None or (status == "approved" and key is None)
            conn.execute(
                _LEGACY_SEAL_SQL,
                (
                    key_id,
                    seal.seal_answers(str(answers_json)),
                    seal.seal_columns(hidden),
                    json.dumps(plain, ensure_ascii=False, default=str),
                    key,
                    victim_age(columns),
                    1 if pending else 0,
                    seq,
                ),
            )
            if search is not None:
                write_tokens(conn, seq, search)
            else:
                conn.execute("DELETE FROM search_tokens WHERE seq = ?", (seq,))
            for rev, text in conn.execute(
                "SELECT revision, answers_json FROM record_revisions WHERE record_id = ? AND key_id IS NULL",
                (record_id,),
            ).fetchall():
                conn.execute(
                    "UPDATE record_revisions SET key_id = ?, answers_json = '{}', sealed_answers = ? "
                    "WHERE record_id = ? AND revision = ?",
                    (
                        key_id,
                        cipher.seal(str(text).encode(), sealing.content_aad(record_id, rev, PART_ANSWERS)),
                        record_id,
                        rev,
                    ),
                )
            self._seal_legacy_parts(conn, cipher, key_id, str(record_id))
        return len(rows)

    def _seal_legacy_parts(
        self, conn: sqlite3.Connection, cipher: sealing.Cipher, key_id: int, record_id: str
    ) -> None:
        from dsvdesk.store import anchor

        for pdf_id, rev, kind, pdf in conn.execute(
            "SELECT id, revision, kind, pdf FROM signed_pdfs WHERE record_id = ? AND key_id IS NULL",
            (record_id,),
        ).fetchall():
            heads = [[h.seq, h.hash] for h in anchor.heads_in_pdf(bytes(pdf))]
            conn.execute(
                "UPDATE signed_pdfs SET key_id = ?, pdf = ?, audit_heads = ? WHERE id = ?",
                (
                    key_id,
                    cipher.seal(bytes(pdf), sealing.content_aad(record_id, rev, pdf_part(kind))),
                    json.dumps(heads),
                    pdf_id,
                ),
            )
        for comment_id, rev, round_number, question_id, text in conn.execute(
            "SELECT id, revision, round, question_id, comment FROM review_comments WHERE record_id = ? AND key_id IS NULL",
            (record_id,),
        ).fetchall():
            part = comment_part(int(round_number), str(question_id))
            conn.execute(
                "UPDATE review_comments SET key_id = ?, comment = '', sealed_comment = ? WHERE id = ?",
                (
                    key_id,
                    cipher.seal(str(text).encode(), sealing.content_aad(record_id, rev, part)),
                    comment_id,
                ),
            )

    def _index_key_for(
        self, conn: sqlite3.Connection, session: Session | None, owner_id: int
    ) -> bytes | None:
        found = self._user_index_key(conn, session, owner_id)
        return found[1] if found else None

    def _index_key_or_new(
        self, conn: sqlite3.Connection, session: Session | None, owner_id: int
    ) -> bytes | None:
        """The owner's index key for a record being sealed; for a person who has none here (the
        officer of another station whose record a transfer bundle brought in) a supervisor's session
        makes one, wrapped as every index key is (that person has no key pair here: the station's
        supervisors and escrow), so the CSU's supervisors find the record by name."""
        found = self._index_key_for(conn, session, owner_id)
        if found is not None or session is None or session.user.role is not Role.SUPERVISOR:
            return found
        if conn.execute(
            "SELECT 1 FROM sealed_keys WHERE kind = ? AND user_id = ?", (KIND_USER_INDEX, owner_id)
        ).fetchone():
            return None  # a key exists that this session cannot open: left pending for its holders
        key_id, raw = self._new_sealed_key(conn, KIND_USER_INDEX, user_id=owner_id)
        held = keyring_of(self.path, session)
        if held is not None:
            held.opened[key_id] = raw
        return raw

    def _station_key_for(self, conn: sqlite3.Connection, session: Session | None) -> bytes | None:
        found = self._station_index_key(conn, session)
        return found[1] if found else None

    def _complete_pending_index(self, session: Session) -> int:
        """Search tokens and victim keys a writer could not make (it held no key for them), made now
        from the records this session can open."""
        done = 0
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT seq, id, revision, key_id, owner_id, columns_json, sealed_columns, urn, status FROM records "
                "WHERE index_pending <> 0 AND key_id IS NOT NULL"
            ).fetchall()
            station = self._station_key_for(conn, session)
            for seq, record_id, revision, key_id, owner_id, plain, blob, urn, status in rows:
                cipher = self._cipher(conn, session, int(key_id))
                index_key = self._index_key_for(conn, session, int(owner_id))
                if cipher is None or (index_key is None and station is None):
                    continue
                hidden = (
                    self._sealed_columns_of(
                        conn,
                        session,
                        key_id=int(key_id),
                        record_id=str(record_id),
                        revision=int(revision),
                        blob=blob,
                    )
                    or {}
                )
                columns = {**json.loads(plain or "{}"), **hidden}
                seal = RecordSeal(str(record_id), int(revision), int(key_id), cipher, index_key, station)
                search = seal.search(columns, urn)
                key = seal.victim_key(columns)
                if search is not None:
                    write_tokens(conn, seq, search)
                pending = search is None or (
                    status == "approved"
                    and key is None
                    and person_key(columns.get("victim_name"), columns.get("victim_dob")) is not None
                )
                conn.execute(
                    "UPDATE records SET victim_key = coalesce(?, victim_key), index_pending = ? WHERE seq = ?",
                    (key, 1 if pending else 0, seq),
                )
                done += 1
        return done


_NAME_BATCH = 500
_NAME_PUT = 25_000  # names opened before they are placed in the order (one sort per put)
_DECODE = json.JSONDecoder().decode
_STAMPS_SQL = f"SELECT seq, {STAMP_SQL} FROM records"  # noqa: S608 - fixed parts; every record's stamp
# every record's stamp in one digest (records_stamps): a save moves sum(version), an amendment
# sum(revision) and sum(key_id), a new or deleted record count(*) (and a reused seq sum(key_id))
_DIGEST_SQL = "SELECT count(*), sum(version), sum(revision), sum(coalesce(key_id, 0)), max(seq) FROM records"
_NAME_ROWS_SQL = (
    "SELECT seq, key_id, revision, version, id, sealed_columns FROM records INDEXED BY records_sealed_names "
)


def _name_rows(conn: sqlite3.Connection, seqs: list[int]) -> Iterator[list[Any]]:
    """The records_sealed_names entries of ``seqs`` (sorted), a batch at a time: by ``seq IN (...)`` for a
    few, by one pass over their seq range when they are most of it (a name order's first build)."""
    if not seqs:
        return
    if len(seqs) > 4 * _NAME_BATCH and len(seqs) * 2 >= seqs[-1] - seqs[0] + 1:
        wanted = bytearray(seqs[-1] + 1)  # 1 byte per seq, not a set of 100,000 ints
        for seq in seqs:
            wanted[seq] = 1
        batch: list[Any] = []
        for row in conn.execute(_NAME_ROWS_SQL + "WHERE seq BETWEEN ? AND ?", (seqs[0], seqs[-1])):
            if wanted[row[0]]:
                batch.append(row)
                if len(batch) >= _NAME_BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch
        return
    for start in range(0, len(seqs), _NAME_BATCH):
        chunk = seqs[start : start + _NAME_BATCH]
        marks = ", ".join("?" for _ in chunk)
        yield conn.execute(_NAME_ROWS_SQL + f"WHERE seq IN ({marks})", chunk).fetchall()


def _seqs_of(conn: sqlite3.Connection, clause: str, params: Sequence[Any]) -> list[int]:
    """Every seq the filter gives, as one JSON array made by SQLite (100,000 seqs: a third of the time
    of fetching as many rows)."""
    text = conn.execute(f"SELECT json_group_array(r.seq) FROM records r{clause}", params).fetchone()[0]  # noqa: S608 - fixed parts
    found: list[int] = _DECODE(text) if text else []
    return found


def _json_value(data: bytes, name: str) -> object:
    """One value of a sealed columns document (a JSON object), None if it is not there."""
    value = _DECODE(data.decode("utf-8"))
    return value.get(name) if isinstance(value, dict) else None


def _plain_names(conn: sqlite3.Connection, seqs: list[int], column: str) -> list[tuple[int, int, object]]:
    marks = ", ".join("?" for _ in seqs)
    return [
        (int(seq), stamp_of(key_id, revision, version), _json_value(str(plain or "{}").encode(), column))
        for seq, key_id, revision, version, plain in conn.execute(
            f"SELECT seq, key_id, revision, version, columns_json FROM records WHERE seq IN ({marks})",  # noqa: S608 - only ? markers are formatted in; values are bound
            seqs,
        )
    ]


def _mark_recent(cache: OrderedDict[Any, Any], keys: Sequence[Any]) -> None:
    """The page's entries become the most recently used of a bounded (LRU) session cache."""
    for key in keys:
        try:
            cache.move_to_end(key)
        except KeyError:  # dropped meanwhile by another thread's Store
            pass
