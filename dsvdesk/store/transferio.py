"""What a transfer bundle carries, read from and merged into the records tables (store/transfer.py).

A record travels whole: its current state (answers, lifecycle columns, URN), its earlier revisions, its
signed PDFs and review comments, and its version vector. People (owners, editors, reviewers, PDF
signers, comment authors) travel as ``{home unit uid}/{username}`` with their names, so each side maps
them to its own accounts: this PC's users by username, everyone else as rows that cannot sign in.

Imported records are written by ``Merger.write_record``: the one place a record arrives from outside,
through the store's record helpers (``derive``, ``_write_derived``: columns, search row, Part A
columns), so whatever a save does to a record's content is done to an import too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk.store.bundlefile import BundleAltered
from dsvdesk.store.casework import OPEN_CASE_SQL, RESCHEDULE_SQL
from dsvdesk.store.records import ANSWERS_JSON, Derived, flags_text

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.transfer import TransferOps

Progress = Callable[[int, int], None]
CONFLICT_FLAG = "transfer_conflict"
_STATE_COLUMNS = (
    "id, station_id, form_id, definition_hash, owner_id, editor_id, status, revision, version, supersedes, "
    "amend_reason, created_at, updated_at, submitted_at, approved_at, approved_by, ever_submitted, "
    "return_rounds, urn, completeness, answers_json, columns_json, key_id, sealed_answers, sealed_columns, flags"
)
_ARCHIVED = (
    "revision, definition_hash, status, editor_id, supersedes, amend_reason, created_at, updated_at, "
    "submitted_at, approved_at, approved_by, return_rounds, urn, completeness, answers_json, archived_at"
)
# Opens one sealed part of a record (issue 15): (key id, record id, revision, part, blob) -> plaintext.
PartOpener = Callable[[int, str, int, str, bytes], bytes]
_VALUE_FIELDS = (
    "form_id",
    "definition_hash",
    "status",
    "revision",
    "supersedes",
    "amend_reason",
    "created_at",
    "updated_at",
    "submitted_at",
    "approved_at",
    "ever_submitted",
    "return_rounds",
    "urn",
    "completeness",
)
_STATUSES = ("draft", "submitted", "returned", "approved")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ------------------------------------------------------------------------------------- collecting
class _People:
    def __init__(self, conn: sqlite3.Connection, own_uid: str) -> None:
        self.conn = conn
        self.own_uid = own_uid
        self.found: dict[int, dict[str, Any]] = {}
        self.uids = {int(r[0]): str(r[1]) for r in conn.execute("SELECT id, uid FROM stations")}

    def key(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        person = self.found.get(int(user_id))
        if person is None:
            row = self.conn.execute(
                "SELECT username, full_name, collar, role, home_station_id, home_username FROM users WHERE id = ?",
                (int(user_id),),
            ).fetchone()
            home = self.own_uid if int(row[4]) == 1 else self.uids[int(row[4])]
            username = str(row[5] or row[0])
            person = {
                "key": f"{home}/{username}",
                "home": home,
                "username": username,
                "full_name": str(row[1]),
                "collar": str(row[2]),
                "role": str(row[3]),
            }
            self.found[int(user_id)] = person
        return str(person["key"])


class Collection:
    """What a bundle carries, read one record at a time: the records the peer should hold that changed
    here after clock ``since`` (a CSU or HQ gets every record this PC holds; a station only its own
    records back: returns, approvals, URNs, comments; drafts never submitted stay here), then the people,
    form definitions and origin stations those records named."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        own_uid: str,
        peer_id: int,
        peer_kind: str,
        since: int,
        open_part: PartOpener,
    ) -> None:
        self.conn = conn
        self.open_part = open_part
        scope = "" if peer_kind in ("csu", "hq") else "AND r.station_id = ? "
        params: list[Any] = [since] if not scope else [since, peer_id]
        self._ids = [
            int(r[0])
            for r in conn.execute(
                "SELECT r.seq FROM records r JOIN record_sync s ON s.record_id = r.id "  # noqa: S608
                f"WHERE s.clock > ? {scope}AND NOT (r.status = 'draft' AND r.ever_submitted = 0) ORDER BY r.seq",
                params,
            )
        ]
        self._people = _People(conn, own_uid)
        self._hashes: set[str] = set()
        self._stations: set[int] = set()

    def count(self) -> int:
        return len(self._ids)

    def records(self, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        columns = ", ".join("r." + c.strip() for c in _STATE_COLUMNS.split(","))
        sql = (
            f"SELECT {columns}, s.vector FROM records r JOIN record_sync s ON s.record_id = r.id "  # noqa: S608
            "WHERE r.seq = ?"
        )
        total = len(self._ids)
        for done, seq in enumerate(self._ids, 1):
            row = self.conn.execute(sql, (seq,)).fetchone()
            self._stations.add(int(row[1]))
            yield _record_entry(self.conn, row, self._people, self._hashes, self.open_part)
            if progress is not None and (done % 200 == 0 or done == total):
                progress(done, total)

    def people(self) -> list[dict[str, Any]]:
        return list(self._people.found.values())

    def definitions(self) -> list[dict[str, Any]]:
        return [
            {"hash": h, "form_id": f, "version": v, "source_name": n, "source_text": t}
            for h, f, v, n, t in (
                self.conn.execute(
                    "SELECT content_hash, form_id, form_version, source_name, source_text FROM definitions "
                    "WHERE content_hash = ?",
                    (h,),
                ).fetchone()
                for h in sorted(self._hashes)
            )
        ]

    def stations(self) -> list[dict[str, Any]]:
        origins = []
        name_row = self.conn.execute("SELECT value FROM settings WHERE key = 'station_name'").fetchone()
        for sid in sorted(self._stations):
            uid, name, code = self.conn.execute(
                "SELECT uid, name, code FROM stations WHERE id = ?", (sid,)
            ).fetchone()
            if sid == 1:
                name = json.loads(name_row[0]) if name_row else ""
            origins.append({"uid": str(uid), "name": str(name), "code": str(code)})
        return origins


def _record_entry(
    conn: sqlite3.Connection, row: Sequence[Any], people: _People, hashes: set[str], open_part: PartOpener
) -> dict[str, Any]:
    (rid, station_id, form_id, definition_hash, owner, editor, status, revision, _version, supersedes,
     amend_reason, created_at, updated_at, submitted_at, approved_at, approved_by, ever_submitted,
     return_rounds, urn, completeness, answers_json, columns_json, key_id, sealed_answers, sealed_columns,
     flags, vector) = row  # fmt: skip
    hashes.add(str(definition_hash))
    columns = json.loads(columns_json)
    if key_id is not None:  # sealed (issue 15): opened with the exporting supervisor's keys
        answers_json = open_part(int(key_id), rid, int(revision), "answers", bytes(sealed_answers))
        columns |= json.loads(open_part(int(key_id), rid, int(revision), "columns", bytes(sealed_columns)))
    revisions = []
    for arch in conn.execute(
        f"SELECT {_ARCHIVED}, key_id, sealed_answers FROM record_revisions WHERE record_id = ? ORDER BY revision",  # noqa: S608
        (rid,),
    ):
        hashes.add(str(arch[1]))
        revisions.append(
            {
                "revision": arch[0],
                "definition_hash": arch[1],
                "status": arch[2],
                "editor": people.key(arch[3]),
                "supersedes": arch[4],
                "amend_reason": arch[5],
                "created_at": arch[6],
                "updated_at": arch[7],
                "submitted_at": arch[8],
                "approved_at": arch[9],
                "approved_by": people.key(arch[10]),
                "return_rounds": arch[11],
                "urn": arch[12],
                "completeness": arch[13],
                "answers": json.loads(
                    arch[14]
                    if arch[16] is None
                    else open_part(int(arch[16]), rid, int(arch[0]), "answers", arch[17])
                ),
                "archived_at": arch[15],
            }
        )
    pdfs = [
        {
            "revision": p[0],
            "kind": p[1],
            "sha256": p[2],
            "created_at": p[3],
            "created_by": people.key(p[4]),
            "pdf": _b64(
                bytes(p[5]) if p[6] is None else open_part(int(p[6]), rid, int(p[0]), f"pdf-{p[1]}", p[5])
            ),
        }
        for p in conn.execute(
            "SELECT revision, kind, sha256, created_at, created_by, pdf, key_id FROM signed_pdfs WHERE record_id = ? "
            "ORDER BY id",
            (rid,),
        )
    ]
    comments = [
        {
            "revision": c[0],
            "round": c[1],
            "question_id": c[2],
            "comment": c[3]
            if c[6] is None
            else open_part(int(c[6]), rid, int(c[0]), f"comment-{c[1]}-{c[2]}", c[7]).decode("utf-8"),
            "author": people.key(c[4]),
            "created_at": c[5],
        }
        for c in conn.execute(
            "SELECT revision, round, question_id, comment, author_id, created_at, key_id, sealed_comment FROM review_comments "
            "WHERE record_id = ? ORDER BY id",
            (rid,),
        )
    ]
    uid = people.own_uid if int(station_id) == 1 else people.uids[int(station_id)]
    return {
        "id": rid,
        "origin": uid,
        "vector": json.loads(vector),
        "form_id": form_id,
        "definition_hash": definition_hash,
        "owner": people.key(owner),
        "editor": people.key(editor),
        "status": status,
        "revision": revision,
        "supersedes": supersedes,
        "amend_reason": amend_reason,
        "created_at": created_at,
        "updated_at": updated_at,
        "submitted_at": submitted_at,
        "approved_at": approved_at,
        "approved_by": people.key(approved_by),
        "ever_submitted": bool(ever_submitted),
        "return_rounds": return_rounds,
        "urn": urn,
        "completeness": completeness,
        "answers": json.loads(answers_json),
        "columns": columns,  # what reporting reads (HQ keeps only these, and sealed content)
        # what the form's rules flagged when this state was saved (with columns and completeness: the
        # derived state the importer takes instead of evaluating the form again)
        "flags": [f for f in str(flags or "").split() if f != CONFLICT_FLAG],
        "revisions": revisions,
        "pdfs": pdfs,
        "comments": comments,
    }


# ------------------------------------------------------------------------------------- merging
def carried_derived(spec: FormSpec, record: Mapping[str, Any]) -> Derived | None:
    """The derived state (columns, completeness %, rule flags) the sender saved with this state, when the
    record carries all of it for every column the form has: the sender computed it from these answers
    with this very definition (its hash is checked), so the importer writes it instead of evaluating
    the form again, which was most of an import's time. None: evaluate (a bundle without it)."""
    columns, completeness, flags = record.get("columns"), record.get("completeness"), record.get("flags")
    if not isinstance(columns, dict) or not isinstance(flags, list) or type(completeness) is not int:
        return None
    if not 0 <= completeness <= 100 or not set(spec.columns) <= columns.keys():
        return None
    if not all(isinstance(f, str) and f and not any(c.isspace() for c in f) for f in flags):
        return None
    return Derived(columns=dict(columns), completeness=completeness, flags=tuple(dict.fromkeys(flags)))


def _covers(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(int(a.get(k, 0)) >= int(v) for k, v in b.items())


def _joined(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, int]:
    return {k: max(int(a.get(k, 0)), int(b.get(k, 0))) for k in {*a, *b}}


def state_digest(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "pdfs"}
    body["pdfs"] = [p.get("sha256") for p in record.get("pdfs") or ()]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Merger:
    """Merges one bundle's payload inside the caller's write transaction."""

    def __init__(
        self, store: TransferOps, conn: sqlite3.Connection, *, own_uid: str, sender_id: int, bundle_id: str
    ) -> None:
        self.store = store
        self.conn = conn
        self.own_uid = own_uid
        self.sender_id = sender_id
        self.bundle_id = bundle_id
        self.people: dict[str, int] = {}
        self.person_info: dict[str, Mapping[str, Any]] = {}
        self.station_ids: dict[str, int] = {
            str(r[1]): int(r[0]) for r in conn.execute("SELECT id, uid FROM stations")
        }

    # ---------------------------------------------------------------- whole payload
    def merge(
        self,
        payload: Mapping[str, Any],
        records: Iterable[Mapping[str, Any]],
        total: int,
        *,
        progress: Progress | None = None,
    ) -> dict[str, int]:
        """Merge the bundle's ``records`` (an iterator: one at a time, ``total`` of them) with the people,
        definitions and stations its ``payload`` names."""
        try:
            return self._merge(payload, records, total, progress)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BundleAltered(
                f"The bundle's content is not what DSVDesk writes ({type(exc).__name__}); nothing was imported."
            ) from None

    def _merge(
        self,
        payload: Mapping[str, Any],
        records: Iterable[Mapping[str, Any]],
        total: int,
        progress: Progress | None,
    ) -> dict[str, int]:
        for origin in payload.get("stations") or ():
            self._station(str(origin["uid"]), str(origin.get("name") or ""), str(origin.get("code") or ""))
        for d in payload.get("definitions") or ():
            digest = hashlib.sha256(str(d["source_text"]).encode("utf-8")).hexdigest()
            if digest != d["hash"]:
                raise BundleAltered(
                    "A form definition in the bundle does not match its hash; nothing was imported."
                )
            self.conn.execute(
                "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
                (
                    d["hash"],
                    d["form_id"],
                    d["version"],
                    d["source_name"],
                    d["source_text"],
                    self.store.timestamp(),
                ),
            )
        self.person_info = {str(p["key"]): p for p in payload.get("people") or ()}
        counts = {"new": 0, "updated": 0, "unchanged": 0, "conflicts": 0, "disposed": 0}
        for done, record in enumerate(records, 1):
            counts[self.merge_record(record)] += 1
            if progress is not None and (done % 200 == 0 or done == total):
                progress(done, total)
        return counts

    def merge_record(self, record: Mapping[str, Any]) -> str:
        if record["status"] not in _STATUSES:
            raise ValueError("status")
        incoming = {str(k): int(v) for k, v in dict(record["vector"]).items()}
        row = self.conn.execute(
            "SELECT r.seq, s.vector, r.revision || ':' || r.version FROM records r "
            "LEFT JOIN record_sync s ON s.record_id = r.id WHERE r.id = ?",
            (str(record["id"]),),
        ).fetchone()
        if (
            row is None
            and self.conn.execute(
                "SELECT 1 FROM tombstones WHERE record_id = ?", (str(record["id"]),)
            ).fetchone()
        ):
            return "disposed"  # erased here under MoPI (casework): a bundle never brings it back
        if row is None:
            self.write_record(record, seq=None)
            self._sync(str(record["id"]), incoming)
            return "new"
        local = json.loads(row[1]) if row[1] else {}
        if _covers(local, incoming):
            return "unchanged"
        if _covers(incoming, local):
            self.write_record(record, seq=int(row[0]))
            self._sync(str(record["id"]), incoming)
            return "updated"
        self._conflict(record, int(row[0]))
        return "conflicts"

    # ---------------------------------------------------------------- one record
    def write_record(self, record: Mapping[str, Any], *, seq: int | None) -> None:
        """Put the incoming state in place (a new row, or over an older one) with its derived columns,
        search row, earlier revisions, signed PDFs and comments."""
        store = self.store
        answers = dict(record["answers"])
        station_id = self._station(str(record["origin"]), "", "")
        values = [record[f] for f in _VALUE_FIELDS]
        values[_VALUE_FIELDS.index("ever_submitted")] = 1 if record["ever_submitted"] else 0
        people = [
            self._person(record["owner"]),
            self._person(record["editor"]),
            self._person(record["approved_by"]),
        ]
        text = ANSWERS_JSON.encode(answers)
        if seq is None:
            cursor = self.conn.execute(
                f"INSERT INTO records (id, {', '.join(_VALUE_FIELDS)}, owner_id, editor_id, approved_by, "  # noqa: S608
                f"answers_json, station_id, version) VALUES (?, {', '.join('?' for _ in _VALUE_FIELDS)}, ?, ?, ?, ?, ?, 1)",
                [str(record["id"]), *values, *people, text, station_id],
            )
            assert cursor.lastrowid is not None
            seq = int(cursor.lastrowid)
        else:
            self.conn.execute(
                f"UPDATE records SET {', '.join(f + ' = ?' for f in _VALUE_FIELDS)}, owner_id = ?, editor_id = ?, "  # noqa: S608
                "approved_by = ?, answers_json = ?, station_id = ?, version = version + 1 WHERE seq = ?",
                [*values, *people, text, station_id, seq],
            )
        if record["ever_submitted"]:  # the CSU works the case from here (issue 19), as after a local submit
            opened = record.get("submitted_at") or record.get("approved_at") or record["created_at"]
            self.conn.execute(OPEN_CASE_SQL, (str(record["id"]), opened))
            self.conn.execute(RESCHEDULE_SQL, (str(record["id"]),))
        spec = store.spec_for_hash(str(record["definition_hash"]))
        # in the clear for a moment: the import seals every merged record before it commits (issue 15)
        store._write_clear_derived(
            self.conn, seq, carried_derived(spec, record) or store.derive(spec, answers)
        )
        for arch in record.get("revisions") or ():
            self.conn.execute(
                f"INSERT INTO record_revisions (record_id, {_ARCHIVED}) VALUES "  # noqa: S608
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, revision) DO NOTHING",
                (
                    str(record["id"]),
                    arch["revision"],
                    arch["definition_hash"],
                    arch["status"],
                    self._person(arch["editor"]),
                    arch["supersedes"],
                    arch["amend_reason"],
                    arch["created_at"],
                    arch["updated_at"],
                    arch["submitted_at"],
                    arch["approved_at"],
                    self._person(arch["approved_by"]),
                    arch["return_rounds"],
                    arch["urn"],
                    arch["completeness"],
                    json.dumps(arch["answers"], ensure_ascii=False),
                    arch["archived_at"],
                ),
            )
        for pdf in record.get("pdfs") or ():
            data = base64.b64decode(pdf["pdf"])
            digest = hashlib.sha256(data).hexdigest()
            if digest != pdf["sha256"] or not data.startswith(b"%PDF-"):
                raise BundleAltered(
                    "A signed PDF in the bundle does not match its hash; nothing was imported."
                )
            if self.conn.execute(
                "SELECT 1 FROM signed_pdfs WHERE record_id = ? AND sha256 = ?", (str(record["id"]), digest)
            ).fetchone():
                continue
            self.conn.execute(
                "INSERT INTO signed_pdfs (record_id, revision, kind, pdf, sha256, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(record["id"]),
                    pdf["revision"],
                    pdf["kind"],
                    data,
                    digest,
                    pdf["created_at"],
                    self._person(pdf["created_by"]),
                ),
            )
        for c in record.get("comments") or ():
            if self.conn.execute(
                "SELECT 1 FROM review_comments WHERE record_id = ? AND revision = ? AND round = ? AND question_id = ?",
                (str(record["id"]), c["revision"], c["round"], c["question_id"]),
            ).fetchone():
                continue
            self.conn.execute(
                "INSERT INTO review_comments (record_id, revision, round, question_id, comment, author_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(record["id"]),
                    c["revision"],
                    c["round"],
                    c["question_id"],
                    str(c["comment"]),
                    self._person(c["author"]),
                    c["created_at"],
                ),
            )

    def _sync(self, record_id: str, vector: Mapping[str, int]) -> None:
        """The record now holds ``vector``'s changes; it is not a change made here (mark = its row now),
        but it takes the next clock value so a bundle onwards (CSU -> HQ) carries it."""
        mark = self.conn.execute(
            "SELECT revision || ':' || version FROM records WHERE id = ?", (record_id,)
        ).fetchone()[0]
        clock = self.store._next_clock(self.conn)
        self.conn.execute(
            "INSERT INTO record_sync (record_id, vector, mark, clock) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (record_id) DO UPDATE SET vector = excluded.vector, mark = excluded.mark, clock = excluded.clock",
            (record_id, json.dumps(dict(vector), sort_keys=True), mark, clock),
        )

    def _conflict(self, record: Mapping[str, Any], seq: int) -> None:
        digest = state_digest(record)
        self.conn.execute(
            "INSERT INTO transfer_conflicts (record_id, station_id, bundle_id, state, state_sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, state_sha256) DO NOTHING",
            (
                str(record["id"]),
                self.sender_id,
                self.bundle_id,
                json.dumps(record, ensure_ascii=False),
                digest,
                self.store.timestamp(),
            ),
        )
        self._set_flag(seq, on=True)

    def _set_flag(self, seq: int, *, on: bool) -> None:
        flags = [
            f
            for f in str(
                self.conn.execute("SELECT flags FROM records WHERE seq = ?", (seq,)).fetchone()[0]
            ).split()
            if f != CONFLICT_FLAG
        ]
        if on:
            flags.append(CONFLICT_FLAG)
        self.conn.execute("UPDATE records SET flags = ? WHERE seq = ?", (flags_text(flags), seq))

    def resolve(self, record_id: str, theirs: Mapping[str, Any], *, take_theirs: bool) -> None:
        """Settle a conflict: the chosen state stays, and the record's vector covers both sides plus one
        change here, so the next bundle carries the decision to the other side."""
        row = self.conn.execute(
            "SELECT r.seq, s.vector FROM records r JOIN record_sync s ON s.record_id = r.id WHERE r.id = ?",
            (record_id,),
        ).fetchone()
        seq, local = int(row[0]), json.loads(row[1])
        self.person_info = {}
        if take_theirs:
            self.write_record(theirs, seq=seq)
        self._set_flag(seq, on=False)
        vector = _joined(local, {str(k): int(v) for k, v in dict(theirs["vector"]).items()})
        vector[self.own_uid] = vector.get(self.own_uid, 0) + 1
        self._sync(record_id, vector)

    # ---------------------------------------------------------------- stations and people
    def _station(self, uid: str, name: str, code: str) -> int:
        if uid == self.own_uid:
            return 1
        found = self.station_ids.get(uid)
        if found is not None:
            return found
        cursor = self.conn.execute(
            "INSERT INTO stations (uid, name, code, added_at) VALUES (?, ?, ?, ?)",
            (uid, name or uid[:8], code, self.store.timestamp()),
        )
        assert cursor.lastrowid is not None
        self.station_ids[uid] = int(cursor.lastrowid)
        return int(cursor.lastrowid)

    def _person(self, key: Any) -> int | None:
        if key is None:
            return None
        key = str(key)
        found = self.people.get(key)
        if found is not None:
            return found
        info = self.person_info.get(key) or {}
        home, _, username = key.partition("/")
        if home == self.own_uid:
            row = self.conn.execute(
                "SELECT id FROM users WHERE username = ? AND home_station_id = 1", (username,)
            ).fetchone()
            if row is None:
                raise BundleAltered(
                    f"The bundle names an account {username!r} of this PC that does not exist here; nothing was imported."
                )
            user_id = int(row[0])
        else:
            station_id = self._station(home, "", "")
            row = self.conn.execute(
                "SELECT id FROM users WHERE home_station_id = ? AND home_username = ?", (station_id, username)
            ).fetchone()
            if row is not None:
                user_id = int(row[0])
            else:
                code = self.conn.execute(
                    "SELECT code, uid FROM stations WHERE id = ?", (station_id,)
                ).fetchone()
                local_name = f"{username}@{code[0] or str(code[1])[:8]}"
                role = str(info.get("role") or "officer")
                cursor = self.conn.execute(
                    "INSERT INTO users (username, full_name, role, collar, station, password_hash, created_at, "
                    "key_salt, private_key_pem, certificate_pem, home_station_id, home_username) "
                    "VALUES (?, ?, ?, ?, ?, '!', ?, X'', X'', X'', ?, ?)",
                    (
                        local_name,
                        str(info.get("full_name") or username),
                        role if role in ("officer", "supervisor") else "officer",
                        str(info.get("collar") or ""),
                        str(code[0] or ""),
                        self.store.timestamp(),
                        station_id,
                        username,
                    ),
                )
                assert cursor.lastrowid is not None
                user_id = int(cursor.lastrowid)
        self.people[key] = user_id
        return user_id
