"""Bulk loading: many records in every lifecycle state written in ONE transaction, fast (the benchmark
data of ``dsvdesk demo --records N``).

The rows are the store's own: the derived columns come from :meth:`Store.derive` and
``records.column_value``/``finish_columns``, the flags, search row, victim key and JSON documents from
``records``, the URNs from ``settings.format_urn`` and the station's year counters, and the audit rows
from ``audit.chain_rows`` (the one implementation of the chain's hash). A migration or a change of the
audit format is therefore made once, in the store, and bulk rows follow it.

How to load::

    load = BulkLoad.open(path, spec, variable=keys)   # keys: answers that differ from record to record
    shape = load.shape(answers, comments)             # a record shape, derived and checked once
    result = load.write(records, changes)             # BulkRecord per record; changes(record) -> answers

A shape is a complete set of answers, derived the slow way (the full evaluation a save does); each
record is a shape with some ``variable`` answers changed (its people, dates, references). Only the
columns that read a changed answer are worked out again, so 100,000 records cost seconds, not the
minutes 100,000 evaluations would. Each record gets a collection event and one event per lifecycle step
(submitted, returned with its comments, approved with its URN); bulk records carry no signed PDFs and
no per-answer alteration events.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import os
import queue
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.errors import Conflict
from dsvdesk.store import audit, db, records, sealing
from dsvdesk.store import sealed as sealed_mod
from dsvdesk.store.base import iso, utc_now
from dsvdesk.store.casework import OPEN_LOADED_CASES_SQL
from dsvdesk.store.models import Status
from dsvdesk.store.settings import Settings, format_urn

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.store import Store


class BulkLoadRefused(Conflict):
    """Another program wrote to the database while the bulk records were made; nothing was written."""

    title = "Bulk records not added"


@dataclass(frozen=True, slots=True)
class Account:
    """A user records can be given to (officers) or reviewed by (supervisors)."""

    id: int
    username: str
    full_name: str
    collar: str


@dataclass(frozen=True, slots=True)
class Shape:
    """A complete (or draft) set of answers, derived once, that many bulk records are made from."""

    answers: Mapping[str, Any]
    derived: records.Derived
    comments: Mapping[str, str]  # a supervisor's return comments, {question id: text} (returned records)
    # The answers document as (fixed JSON text, id of a variable answer after it or None, that id's
    # '"id": ' prefix), in UTF-8, so a record's document is joined from bytes rather than encoded whole
    # (and its ~7 KB not encoded again to be sealed).
    parts: tuple[tuple[bytes, str | None, bytes], ...]


@dataclass(frozen=True, slots=True)
class BulkRecord:
    """One record to load: its shape, people and moments. ``source`` is the caller's own (handed back to
    ``changes``)."""

    record_id: str
    shape: Shape
    status: Status
    owner: Account
    reviewer: Account
    created_at: dt.datetime
    updated_at: dt.datetime  # a draft's last save; later statuses take their last step's moment
    submitted_at: dt.datetime | None = None
    reviewed_at: dt.datetime | None = None  # returned or approved
    source: Any = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    records: int
    audit_events: int


# Records per hand-over to the writer thread, audit events per hand-over, and parameters per multi-row
# INSERT (SQLite's default limit is 32,766). The sqlite3 module releases the GIL while SQLite runs a
# statement, and taking it back waits for the maker thread to yield it (up to the 5 ms switch interval):
# one statement per row made the writer wait far longer than it wrote, and even 100 rows per statement
# left the audit and search rows (2 ms of work per 100) mostly waiting. Speed only: tests/unit/store
# checks that other sizes write the same database.
BATCH = 2_000
AUDIT_BATCH = 20_000
PARAMETERS_PER_STATEMENT = 30_000
WORDS_KEPT = 500_000  # folded words whose tokens a load keeps per index key before it starts again

_RECORD_FIELDS = (
    "seq",
    "id",
    "form_id",
    "definition_hash",
    "owner_id",
    "editor_id",
    "status",
    "version",
    "created_at",
    "updated_at",
    "submitted_at",
    "approved_at",
    "approved_by",
    "ever_submitted",
    "return_rounds",
    "completeness",
    *records.TABLE_COLUMNS,
    "victim_key",
    "flags",
    "columns_json",
    "answers_json",
    "urn",
    "victim_age",
    "key_id",
    "sealed_answers",
    "sealed_columns",
    "index_pending",
)
_COMMENT_FIELDS = (
    "record_id",
    "revision",
    "round",
    "question_id",
    "comment",
    "author_id",
    "created_at",
    "key_id",
    "sealed_comment",
)
_KEY_FIELDS = ("id", "kind", "record_id", "user_id", "created_at")
_WRAP_FIELDS = ("key_id", "recipient", "ephemeral", "wrapped")
_ROUND_ONE: Mapping[str, Any] = {"round": 1}
# One item for the writer thread: ("audit" | "records" | "keys" | "wraps" | "comments" | "ephemerals",
# rows) or ("search", [(a batch's search rows as one JSON array,)]), an exception (the maker failed: roll
# everything back), or None (all rows handed over: finish and commit).
_WriterItem = tuple[str, list[tuple[Any, ...]]] | BaseException | None


class BulkLoad:
    """One bulk load into the database at ``path`` for the form ``spec``; ``variable`` names the
    answers (question ids) that differ from record to record."""

    def __init__(self, store: Store, spec: FormSpec, variable: frozenset[str]) -> None:
        self._store = store
        self.spec = spec
        self.variable = variable
        self._columns = _ColumnDeriver(spec, variable)
        with store.read() as conn:
            self.officers = _accounts(conn, "officer")
            self.supervisors = _accounts(conn, "supervisor")
        self.settings: Settings = store.get_settings()
        self._keys = _BulkKeys(store)
        self._sealed_names: dict[str, bool] = {}  # column name -> kept only sealed (sealed.is_sealed_column)

    @classmethod
    def open(cls, path: Path | str, spec: FormSpec, *, variable: frozenset[str] = frozenset()) -> BulkLoad:
        from dsvdesk.store.store import Store

        store = Store.open(path)
        try:
            return cls(store, spec, frozenset(variable))
        except BaseException:
            store.close()
            raise

    @property
    def path(self) -> Path:
        return self._store.path

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> BulkLoad:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def shape(self, answers: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> Shape:
        """Derive ``answers`` as a save would (the full evaluation) for records to be made from them."""
        answers = dict(answers)
        fragments = {key: f"{_encode(key)}: {_encode(value)}" for key, value in answers.items()}
        parts: list[tuple[bytes, str | None, bytes]] = []
        fixed: list[str] = []
        for key, fragment in fragments.items():
            if key in self.variable:
                parts.append((", ".join(fixed).encode("utf-8"), key, f"{_encode(key)}: ".encode()))
                fixed = []
            else:
                fixed.append(fragment)
        parts.append((", ".join(fixed).encode("utf-8"), None, b""))
        return Shape(
            answers=answers,
            derived=self._store.derive(self.spec, answers),
            comments=dict(comments or {}),
            parts=tuple(parts),
        )

    def write(
        self,
        bulk: Sequence[BulkRecord],
        changes: Callable[[BulkRecord], Mapping[str, Any]],
        *,
        progress: Callable[[str], None] | None = None,
    ) -> BulkResult:
        """Write ``bulk`` in ONE transaction, with their search rows, review comments, URNs (approval
        order, continuing each year's counter) and audit events (time order, continuing the chain).
        ``changes(record)`` gives the record's ``variable`` answers that differ from its shape's.

        Closes this load's own connection first: with no other connection open, the rows go through a
        rollback journal rather than the WAL (see :func:`_use_rollback_journal`). Anything failing rolls
        everything back; another program writing meanwhile leaves the database untouched
        (``BulkLoadRefused``)."""
        with self._store.read() as conn:
            base_seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0])
            head = audit.read_head(conn)
            counters = {int(y): int(n) for y, n in conn.execute("SELECT year, last FROM urn_counters")}
            taken = {str(r[0]) for r in conn.execute("SELECT urn FROM records WHERE urn IS NOT NULL")}
        events, approvals = self._lifecycle(bulk)
        keys = self._keys
        with self._store.read() as conn:
            keys.start(conn)
        urns = self._allocate_urns(approvals, counters, taken)
        for fields in events:
            if fields["event"] == audit.APPROVED:
                fields["detail"] = {"urn": urns[fields["record_id"]]}
        spec = self.spec
        definition = (
            spec.content_hash,
            spec.id,
            spec.version,
            spec.source_path or f"{spec.id}.yaml",
            spec.source_text,
            iso(utc_now()),
        )
        self._store.close()
        if progress is not None:
            progress(f"{len(bulk):,} records planned; making and writing them")
        # The audit rows and then the record rows are made on this thread and written on a writer thread
        # as they come (SQLite releases the GIL while it works, so the two overlap on a two-core PC).
        items: queue.Queue[_WriterItem] = queue.Queue(maxsize=4)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer") as writer:
            written = writer.submit(
                _write,
                self.path,
                head,
                definition=definition,
                items=items,
                counters=counters,
            )
            try:
                _hand_over(items, ("ephemerals", keys.ephemeral_rows()), written)
                for rows in audit.chain_rows(events, head[0], head[1], batch=AUDIT_BATCH):
                    if written.done():  # the writer gave up (e.g. another program wrote): stop early
                        break
                    _hand_over(items, ("audit", rows), written)
                for first in range(0, len(bulk), BATCH):
                    if written.done():
                        break
                    made = [
                        self._row(record, base_seq + number + 1, urns.get(record.record_id), changes(record))
                        for number, record in enumerate(bulk[first : first + BATCH], start=first)
                    ]
                    _hand_over(items, ("keys", [m.key for m in made]), written)
                    _hand_over(items, ("wraps", [w for m in made for w in m.wraps]), written)
                    _hand_over(items, ("records", [m.row for m in made]), written)
                    entries = ",".join(m.search for m in made if m.search)
                    _hand_over(items, ("search", [("[" + entries + "]",)]), written)
                    _hand_over(items, ("comments", [c for m in made for c in m.comments]), written)
                _hand_over(items, None, written)
            except BaseException as exc:
                _hand_over(items, exc, written)
                raise
            return BulkResult(records=len(bulk), audit_events=written.result())

    # --------------------------------------------------------------------------------- pass 1: events
    def _lifecycle(self, bulk: Sequence[BulkRecord]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """The audit events of every record's steps in time order (a record's own steps in lifecycle
        order when at the same moment) and (approved at, record id) pairs."""
        form_detail = {"form_id": self.spec.id}
        timed: list[tuple[str, int, dict[str, Any]]] = []
        approvals: list[tuple[str, str]] = []
        for record in bulk:
            owner, reviewer, record_id = record.owner, record.reviewer, record.record_id
            timed.append(
                (
                    iso(record.created_at),
                    0,
                    {
                        "event": audit.COLLECTION,
                        "user_id": owner.id,
                        "username": owner.username,
                        "record_id": record_id,
                        "revision": 1,
                        "detail": form_detail,
                    },
                )
            )
            if record.submitted_at is not None and record.status is not Status.DRAFT:
                timed.append(
                    (
                        iso(record.submitted_at),
                        1,
                        {
                            "event": audit.SUBMITTED,
                            "user_id": owner.id,
                            "username": owner.username,
                            "record_id": record_id,
                            "revision": 1,
                            "detail": _ROUND_ONE,
                        },
                    )
                )
            if record.reviewed_at is None:
                continue
            reviewed = iso(record.reviewed_at)
            if record.status is Status.RETURNED:
                said = dict(record.shape.comments)
                timed.append(
                    (
                        reviewed,
                        2,
                        {
                            "event": audit.RETURNED,
                            "user_id": reviewer.id,
                            "username": reviewer.username,
                            "record_id": record_id,
                            "revision": 1,
                            "value_sha256": self._store._value_hash(said),
                            "detail": {"round": 1, "questions": sorted(said)},
                        },
                    )
                )
            elif record.status is Status.APPROVED:
                approvals.append((reviewed, record_id))
                timed.append(
                    (
                        reviewed,
                        3,
                        {
                            "event": audit.APPROVED,
                            "user_id": reviewer.id,
                            "username": reviewer.username,
                            "record_id": record_id,
                            "revision": 1,
                            "detail": {},
                        },
                    )
                )
        timed.sort(key=lambda item: (item[0], item[1]))
        events = [{"at": at, **fields} for at, _order, fields in timed]
        return events, approvals

    def _allocate_urns(
        self, approvals: list[tuple[str, str]], counters: dict[int, int], taken: set[str]
    ) -> dict[str, str]:
        """URNs for the approved records in approval order, each year's counter carried on as an approval
        in the app does (``counters`` is updated to be stored): later approvals follow without a gap or
        a clash."""
        urns: dict[str, str] = {}
        for approved_at, record_id in sorted(approvals):
            year = int(approved_at[:4])
            while True:
                counters[year] = counters.get(year, 0) + 1
                urn = format_urn(self.settings, year, counters[year])
                if urn not in taken:
                    break
            taken.add(urn)
            urns[record_id] = urn
        return urns

    # --------------------------------------------------------------------------------- pass 2: rows
    def _split(self, columns: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``sealed.split_columns``, with each column name's side worked out once per load."""
        known = self._sealed_names
        plain: dict[str, Any] = {}
        hidden: dict[str, Any] = {}
        for name, value in columns.items():
            sealed = known.get(name)
            if sealed is None:
                sealed = known[name] = sealed_mod.is_sealed_column(name, records.TABLE_COLUMNS)
            (hidden if sealed else plain)[name] = value
        return plain, hidden

    def _row(self, record: BulkRecord, seq: int, urn: str | None, changed: Mapping[str, Any]) -> _Made:
        """The record row sealed under a new content key (the key's row and wraps, its search row and
        return comments beside it)."""
        shape = record.shape
        answers = shape.answers
        pieces: list[bytes] = []
        for fixed, key, prefix in shape.parts:
            if fixed:
                pieces.append(fixed)
            if key is not None:
                value = changed[key] if key in changed else answers[key]
                text = _encode_text(value) if type(value) is str else _encode(value)
                pieces.append(prefix + text.encode("utf-8"))
        columns = self._columns.apply(shape, changed)
        status = record.status
        approved = status is Status.APPROVED
        reviewed = iso(record.reviewed_at) if record.reviewed_at is not None else None
        submitted = iso(record.submitted_at) if record.submitted_at is not None else None
        keys = self._keys
        created = iso(record.created_at)
        key_row, wraps, seal = keys.record_key(record.record_id, record.owner.id, created)
        plain, hidden = self._split(columns)
        victim = seal.victim_key(columns) if approved else None  # as the approval makes it; drafts have none
        search = keys.search_entries(record.owner.id, columns, urn, seq)
        pending = search is None or (approved and victim is None and records.victim_key(columns) is not None)
        revision = 1
        comments = [
            (
                record.record_id,
                revision,
                1,
                question_id,
                "",
                record.reviewer.id,
                reviewed,
                seal.key_id,
                seal.seal_part(text.encode("utf-8"), sealed_mod.comment_part(1, question_id)),
            )
            for question_id, text in (shape.comments.items() if status is Status.RETURNED else ())
        ]
        row = (
            seq,
            record.record_id,
            self.spec.id,
            self.spec.content_hash,
            record.owner.id,
            record.owner.id,
            status.value,
            1 + (status is not Status.DRAFT) + (reviewed is not None),
            created,
            reviewed or submitted or iso(record.updated_at),
            submitted,
            reviewed if approved else None,
            record.reviewer.id if approved else None,
            int(status is not Status.DRAFT),
            int(status is Status.RETURNED),
            shape.derived.completeness,
            *[plain.get(name) for name in records.TABLE_COLUMNS],
            victim,
            records.flags_text(shape.derived.flags),
            records.COLUMNS_JSON.encode(plain),
            "{}",
            urn,
            sealed_mod.victim_age(columns),
            seal.key_id,
            seal.seal_part(b"{" + b", ".join(pieces) + b"}", sealed_mod.PART_ANSWERS),  # = seal_answers(text)
            seal.seal_columns(hidden),
            int(pending),
        )
        return _Made(
            row=row,
            search=search,
            key=key_row,
            wraps=wraps,
            comments=comments,
        )


@dataclass(frozen=True, slots=True)
class _Made:
    row: tuple[Any, ...]
    search: str | None  # the record's search rows as JSON array items (see _BulkKeys.search_entries)
    key: tuple[Any, ...]
    wraps: list[tuple[Any, ...]]
    comments: list[tuple[Any, ...]]


class _BulkKeys:
    """The crypto of a bulk load, batched: one ephemeral key per recipient for the whole load, one new
    content key per record wrapped for its owner, every supervisor and escrow (public keys only), and
    the index keys that sessions signed in in this process can open (a demo signs its supervisors in
    first); without them the tokens and victim keys are left pending for the next sign-in that holds
    them."""

    def __init__(self, store: Store) -> None:
        from dsvdesk.store import keyring

        self._store = store
        self._random = _RandomBytes()
        self._wrapper = sealing.Wrapper(self._random.take)
        self._sessions = keyring.any_held(store.path)
        self._next_key = 0
        self._next_ephemeral = 0
        self._ephemeral_ids: dict[bytes, int] = {}
        self._recipients: dict[int, list[Any]] = {}
        self._index: dict[int, bytes | None] = {}
        self._station: sealing.Keyed | None = None
        self._search: dict[bytes, SearchRows] = {}  # by index key

    def start(self, conn: sqlite3.Connection) -> None:
        self._next_key = int(conn.execute("SELECT coalesce(max(id), 0) FROM sealed_keys").fetchone()[0])
        self._next_ephemeral = int(
            conn.execute("SELECT coalesce(max(id), 0) FROM wrap_ephemerals").fetchone()[0]
        )
        store = self._store
        for session in self._sessions:
            found = store._station_index_key(conn, session)
            if found is not None:
                self._station = sealing.Keyed(found[1])
                break
        owners = [int(r[0]) for r in conn.execute("SELECT id FROM users WHERE role <> 'admin'")]
        for owner in owners:
            self._recipients[owner] = store._recipients(conn, "record", owner)
            self._index[owner] = None
            for session in self._sessions:
                index = store._user_index_key(conn, session, owner)
                if index is not None:
                    self._index[owner] = index[1]
                    break
        # one ephemeral key per recipient for the whole load
        for recipient in {r.key_id: r for rs in self._recipients.values() for r in rs}.values():
            epk, _wrapped = self._wrapper.wrap(b"\0" * sealing.KEY_BYTES, recipient.public, b"warm-up")
            if epk not in self._ephemeral_ids:
                self._next_ephemeral += 1
                self._ephemeral_ids[epk] = self._next_ephemeral

    def search_entries(
        self, owner_id: int, columns: Mapping[str, Any], urn: str | None, seq: int
    ) -> str | None:
        """The record's ``search_tokens`` rows (see :class:`SearchRows`) for the tokens
        ``RecordSeal.search`` makes, or None when this load holds no index key for the owner (the
        record is left pending)."""
        index_key = self._index.get(owner_id)
        if index_key is None:
            return None
        rows = self._search.get(index_key)
        if rows is None:
            rows = self._search[index_key] = SearchRows(index_key)
        names, refs = sealed_mod.search_texts(columns, urn)
        return rows.entries(names, seq, once=refs)

    def ephemeral_rows(self) -> list[tuple[Any, ...]]:
        return [(number, epk) for epk, number in self._ephemeral_ids.items()]

    def record_key(
        self, record_id: str, owner_id: int, created_at: str
    ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], sealed_mod.RecordSeal]:
        self._next_key += 1
        key_id = self._next_key
        raw = self._random.take(sealing.KEY_BYTES)
        subject = sealing.key_subject(key_id)
        wraps = []
        for recipient in self._recipients.get(owner_id, ()):
            epk, wrapped = self._wrapper.wrap(raw, recipient.public, subject)
            wraps.append((key_id, recipient.key_id, self._ephemeral_ids[epk], wrapped))
        seal = sealed_mod.RecordSeal(
            record_id=record_id,
            revision=1,
            key_id=key_id,
            cipher=sealing.Cipher(raw, self._random.take),
            index_key=self._index.get(owner_id),
            station_key=self._station,
        )
        return (key_id, "record", record_id, owner_id, created_at), wraps, seal


class SearchRows:
    """A record's ``search_tokens`` rows under one index key, as JSON array items
    ``"<token in hex><seq>"`` joined with commas: the tokens of ``sealing.index_tokens`` (each once),
    made from each folded word's tokens, made once. Records share first names, surnames and the digits
    of references, so most words (and the prefixes of new ones) are met again and again."""

    def __init__(self, index_key: bytes) -> None:
        self._key = sealing.Keyed(index_key)
        self._texts: dict[str, frozenset[str]] = {}  # a whole name's tokens (names recur)
        self._words: dict[str, tuple[str, ...]] = {}
        self._prefixes: dict[str, str] = {}

    def entries(self, texts: Iterable[str], seq: int, once: Iterable[str] = ()) -> str:
        """The rows of ``texts`` (whole texts met again and again: names) and ``once`` (texts met once:
        a record's own references, whose words are kept but not the whole text, which would only
        fill the memory and make the load start again sooner)."""
        by_text = self._texts
        if len(by_text) + len(self._words) > WORDS_KEPT:
            by_text.clear()
            self._words.clear()
            self._prefixes.clear()
        found: set[str] = set()
        for text in texts:
            tokens = by_text.get(text)
            if tokens is None:
                tokens = by_text[text] = self._text(text)
            found.update(tokens)
        for text in once:
            found.update(self._text(text))
        if not found:
            return ""
        end = f'{seq:d}"'
        return '"' + f'{end},"'.join(found) + end

    def _text(self, text: str) -> frozenset[str]:
        by_word = self._words
        found: set[str] = set()
        for word in sealing.words(text):
            tokens = by_word.get(word)
            if tokens is None:
                tokens = by_word[word] = self._word(word)
            found.update(tokens)
        return frozenset(found)

    def _word(self, word: str) -> tuple[str, ...]:
        by_prefix = self._prefixes
        tokens = []
        for prefix in sealing.word_prefixes(word):
            made = by_prefix.get(prefix)
            if made is None:
                made = by_prefix[prefix] = sealing.token(self._key, prefix).hex()
            tokens.append(made)
        return tuple(tokens)


class _RandomBytes:
    """``os.urandom`` read 64 KiB at a time and handed out in pieces (content keys and nonces): the same
    CSPRNG's bytes, each used once, for one system call per ~2,000 records instead of one per key or
    nonce. Kept in memory only."""

    __slots__ = ("_at", "_buffer")

    SIZE = 65_536

    def __init__(self) -> None:
        self._buffer = b""
        self._at = 0

    def take(self, count: int) -> bytes:
        at = self._at
        end = at + count
        if end > len(self._buffer):
            self._buffer = os.urandom(max(self.SIZE, count))
            at, end = 0, count
        self._at = end
        return self._buffer[at:end]


_encode = records.ANSWERS_JSON.encode
_encode_text = json.encoder.encode_basestring  # the encoder's text for a str (C, no checks)


def _accounts(conn: sqlite3.Connection, role: str) -> tuple[Account, ...]:
    return tuple(
        Account(int(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in conn.execute(
            "SELECT id, username, full_name, collar FROM users WHERE role = ? ORDER BY id", (role,)
        )
    )


class _ColumnDeriver:
    """Works out again the derived columns that read variable answers (names, dates, references);
    columns that read tags (the yes-count) keep the shape's value, which variable answers cannot change.
    The values are those ``Store.derive`` gives: ``records.column_value`` of the answer or of the
    expression's value, then ``records.finish_columns``."""

    def __init__(self, spec: FormSpec, variable: frozenset[str]) -> None:
        from dsvdesk.engine.expressions import MappingEnvironment
        from dsvdesk.engine.spec import QuestionType

        def answerable(question: Any) -> bool:
            return question.type not in (QuestionType.COMPUTED, QuestionType.NOTE)

        by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
        self.constants = dict(spec.constants)
        self.environment = MappingEnvironment
        self.direct: list[tuple[str, str]] = []  # (column, answered question id)
        # (column, expression over answered questions only, the names it reads, its results by their values
        # or None if it reads the clock: the same first name and surname always make the same full name)
        self.computed: list[tuple[str, Any, tuple[str, ...], dict[tuple[Any, ...], Any] | None]] = []
        self.references: set[str] = set()  # every name the computed expressions read
        for column, source in spec.columns.items():
            question = by_id.get(source)
            if question is None:
                continue
            if answerable(question):
                if source in variable:
                    self.direct.append((column, source))
                continue
            expression = question.expression
            if (
                expression is not None
                and not expression.tags
                and all(
                    ref in self.constants or (ref in by_id and answerable(by_id[ref]))
                    for ref in expression.all_references()
                )
                and expression.all_references() & variable
            ):
                names = tuple(sorted(expression.all_references()))
                reads_clock = bool(expression.functions & {"today", "now"})
                self.computed.append((column, expression, names, None if reads_clock else {}))
                self.references.update(names)

    def apply(self, shape: Shape, changed: Mapping[str, Any]) -> dict[str, Any]:
        """The shape's columns with those that read ``changed`` answers worked out again."""
        columns = dict(shape.derived.columns)
        column_value = records.column_value
        answers = shape.answers
        for column, source in self.direct:
            columns[column] = column_value(changed[source] if source in changed else answers.get(source))
        if self.computed:
            # The constants, then the answers over them, as the store's environment has them; only the
            # names the expressions read are looked up.
            values = dict(self.constants)
            for name in self.references:
                if name in changed:
                    values[name] = changed[name]
                elif name in answers:
                    values[name] = answers[name]
            env: Any = None
            for column, expression, names, kept in self.computed:
                key = tuple(values.get(name, _MISSING) for name in names)
                # not kept if the expression reads the clock, or a list is among the values (the children)
                results = kept if kept is not None and _hashable(key) else None
                if results is not None and key in results:
                    columns[column] = results[key]
                    continue
                if env is None:
                    env = self.environment(values)
                columns[column] = column_value(expression.evaluate(env))
                if results is not None:
                    results[key] = columns[column]
        return records.finish_columns(columns)


_MISSING = object()


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# ------------------------------------------------------------------------------------- the writer
def _write(
    path: Path,
    head: tuple[int, str, int],
    *,
    definition: tuple[Any, ...],
    items: queue.Queue[_WriterItem],
    counters: Mapping[int, int],
) -> int:
    """Write everything in ONE transaction on this thread's own connection; returns the audit events added.

    ``items`` brings the audit rows (already chained from ``head``), then each batch's record rows and
    search rows as they are made, then None; an exception put there instead (the maker failed) rolls
    everything back.

    The audit chain was hashed from ``head``: if another program added an event since, nothing is
    written (the chain would break) and the user is asked to run the command again."""
    conn = db.connect(path)
    search: _SearchBuilder | None = None
    # One big transaction: a page cache that holds the growing indexes saves rewriting their pages
    # again and again (the store's own connections keep SQLite's default).
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB, this connection only
    rollback_journal = _use_rollback_journal(conn, path)
    try:
        with db.transaction(conn, path):
            if audit.read_head(conn) != tuple(head):
                raise BulkLoadRefused(
                    f"Another program wrote to {path} while the bulk records were being made, so nothing was "
                    "added. Close DSVDesk on that database and run the command again."
                )
            conn.execute(
                "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
                definition,
            )
            tables = {
                "audit": ("audit_events", audit.COLUMNS),
                "records": ("records", _RECORD_FIELDS),
                "keys": ("sealed_keys", _KEY_FIELDS),
                "wraps": ("key_wraps", _WRAP_FIELDS),
                "comments": ("review_comments", _COMMENT_FIELDS),
                "ephemerals": ("wrap_ephemerals", ("id", "public_key")),
            }
            audit_written = 0
            last_event: tuple[Any, ...] | None = None
            search = _SearchBuilder.for_load(conn)
            while (item := items.get()) is not None:
                if isinstance(item, BaseException):
                    raise BulkLoadRefused("The bulk records could not be made, so none were added.") from item
                kind, rows = item
                if kind == "search":
                    for (entries,) in rows:
                        if search is not None:
                            search.put(entries)
                        else:
                            conn.execute(_INSERT_TOKENS_SQL, (entries,))
                    continue
                table, fields = tables[kind]
                insert_rows(conn, table, fields, rows)
                if kind == "audit" and rows:
                    audit_written += len(rows)
                    last_event = rows[-1]
            if search is not None:
                search.copy_into(conn)
            conn.execute(OPEN_LOADED_CASES_SQL)  # each submitted record's case opens at its submission
            conn.executemany(
                "INSERT INTO urn_counters (year, last) VALUES (?, ?) "
                "ON CONFLICT (year) DO UPDATE SET last = excluded.last",
                sorted(counters.items()),
            )
            if last_event is not None:
                audit.move_head(conn, last_event, audit_written)
        return audit_written
    finally:
        if search is not None:
            search.close()
        if rollback_journal:
            _return_to_wal(conn, path)
        conn.close()


class _SearchBuilder:
    """The load's ``search_tokens`` rows built on a thread of their own, in a private in-memory
    database with the table's own schema, then copied into the database in one statement.

    Into an empty table that copy is SQLite's transfer optimisation (whole rows, in key order, for the
    table and its index alike): about an eighth of the work of inserting the same rows batch by batch,
    which the writer's connection then no longer does while it writes the records; SQLite builds the
    rows meanwhile on the other core (it releases the GIL). The in-memory database holds only keyed
    tokens and row numbers, never leaves RAM, and is gone when the load ends either way."""

    def __init__(self, schema: Sequence[str]) -> None:
        import threading
        import uuid

        self._name = f"dsvdesk-bulk-search-{uuid.uuid4().hex}"
        self._conn = db.memory_connect(self._name)
        for statement in schema:
            self._conn.execute(statement)
        self._texts: queue.Queue[str | None] = queue.Queue(maxsize=8)
        self._failed: BaseException | None = None
        self._attached: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._build, name="bulk-search", daemon=True)
        self._thread.start()

    @classmethod
    def for_load(cls, conn: sqlite3.Connection) -> _SearchBuilder | None:
        """A builder when the database's search table is empty (a new station: the transfer
        optimisation applies); None otherwise (the writer inserts the rows itself)."""
        if conn.execute("SELECT 1 FROM search_tokens LIMIT 1").fetchone() is not None:
            return None
        schema = [
            str(sql)
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'search_tokens' AND sql IS NOT NULL "
                "ORDER BY type = 'table' DESC, name"
            )
        ]
        return cls(schema)

    def _build(self) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN")
            while (entries := self._texts.get()) is not None:
                conn.execute(_INSERT_TOKENS_SQL, (entries,))
            conn.execute("COMMIT")
        except BaseException as exc:  # handed to the writer, which rolls the load back
            self._failed = exc
            while self._texts.get() is not None:  # let the writer finish handing over
                pass

    def put(self, entries: str) -> None:
        if self._failed is not None:
            raise self._failed
        self._texts.put(entries)

    def copy_into(self, conn: sqlite3.Connection) -> None:
        """Wait for the rows, then copy them into ``conn``'s (empty) search table."""
        self._texts.put(None)
        self._thread.join()
        if self._failed is not None:
            raise self._failed
        conn.execute("ATTACH DATABASE ? AS bulk_search KEY ''", (db.memory_uri(self._name),))
        self._attached = conn
        conn.execute("INSERT INTO main.search_tokens SELECT * FROM bulk_search.search_tokens")

    def close(self) -> None:
        """After the load's transaction (SQLite detaches a database only outside one): stop the thread
        if the load failed before the copy, detach, and free the in-memory rows."""
        if self._thread.is_alive():
            self._texts.put(None)
            self._thread.join()
        try:
            if self._attached is not None:
                self._attached.execute("DETACH DATABASE bulk_search")
        finally:
            self._conn.close()


# A batch's search rows from one JSON array of "<token in hex (20)><seq>" items, put in key order by
# SQLite (the B-tree takes sorted rows several times faster than a batch in any order).
_INSERT_TOKENS_SQL = (
    "INSERT INTO search_tokens (token, seq) "  # noqa: S608 - a constant's digits only
    f"SELECT unhex(substr(value, 1, {2 * sealing.TOKEN_BYTES})), "
    f"CAST(substr(value, {2 * sealing.TOKEN_BYTES + 1}) AS INTEGER) FROM json_each(?) ORDER BY 1, 2"
)


def _use_rollback_journal(conn: sqlite3.Connection, path: Path) -> bool:
    """Load through a rollback journal instead of the WAL, if no other connection has the database open.

    In WAL mode every page of the load is written twice: to the WAL (about 1 GB at 100,000 records),
    then copied into the database by the checkpoint after the commit. A rollback journal only keeps the
    original content of pages that already existed, and the load mostly adds new pages at the end of
    the file, so it is written once. The guarantees stay SQLite's: synchronous=FULL, and a crash or
    error mid-load rolls the database back to what it was. Returns True if the mode was changed (the
    caller switches back to WAL afterwards); False, staying in WAL, if another connection is open."""
    conn.execute("PRAGMA busy_timeout = 0")  # someone else has it open: do not wait, keep the WAL
    try:
        mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
    except db.Errors as exc:
        log.storage.info("bulk load of %s stays in WAL mode (%s)", path.name, exc)
        mode = "wal"
    finally:
        conn.execute(f"PRAGMA busy_timeout = {db.DEFAULT_BUSY_TIMEOUT_MS:d}")
    return mode == "delete"


def _return_to_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Back to WAL mode after the load. Never raises: should it fail, every DSVDesk connection sets WAL
    mode again when it opens the database (``db.apply_pragmas``), so the worst case is a note in the log."""
    try:
        mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    except db.Errors as exc:
        mode = str(exc)
    if mode != "wal":
        log.storage.warning(
            "%s could not go back to WAL mode after the bulk load (%s); the next connection sets it",
            path.name,
            mode,
        )


def insert_rows(
    conn: sqlite3.Connection, table: str, fields: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` in order, as many per statement as :data:`PARAMETERS_PER_STATEMENT` (or SQLite's
    own limit, if lower) allows."""
    getlimit = getattr(conn, "getlimit", None)  # the SQLCipher binding has none: its limit is 32,766
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else PARAMETERS_PER_STATEMENT
    parameters = min(PARAMETERS_PER_STATEMENT, limit)
    per_statement = max(1, parameters // len(fields))
    for first in range(0, len(rows), per_statement):
        chunk = rows[first : first + per_statement]
        conn.execute(_insert_sql(table, fields, len(chunk)), list(itertools.chain.from_iterable(chunk)))


@functools.lru_cache(maxsize=32)
def _insert_sql(table: str, fields: tuple[str, ...], rows: int) -> str:
    one_row = f"({', '.join('?' for _ in fields)})"
    return f"INSERT INTO {table} ({', '.join(fields)}) VALUES {', '.join([one_row] * rows)}"  # noqa: S608 - fixed names


def _hand_over(items: queue.Queue[_WriterItem], item: _WriterItem, writer: Future[int]) -> None:
    """Queue ``item`` for the writer unless the writer has stopped (then nobody would take it)."""
    while not writer.done():
        try:
            items.put(item, timeout=0.2)
            return
        except queue.Full:
            continue
