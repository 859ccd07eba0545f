"""Who holds which key (issue 15): users' encryption key pairs, the force escrow key, sealed keys and
their wraps (migration 0010), and the keys a signed-in session holds in memory.

- ``enc_keys``: one current X25519 key pair per officer and supervisor (admins have none: nothing is
  ever wrapped for an admin), its private part sealed under the user's password secret
  (``sealing.seal_private``); the escrow key (public only, ``user_id`` NULL).
- ``sealed_keys`` + ``key_wraps``: every record content key and index key, stored only wrapped, once per
  recipient key. Who a key is wrapped for (``recipients``): a record key — its owner, the officer its
  case is allocated to (casework, migration 0021), every supervisor and the escrow key; a user's index
  key — that user, every supervisor and escrow; the station index key — every supervisor and escrow.
- Sign-in unseals the user's private key (``hold``); the session's keys are kept process-wide by
  (database, user, sign-in time), like ``session_keys``, so a worker thread's Store reads for the same
  session; sign-out forgets them.
- A wrap someone should have and does not (a supervisor added later, an owner after a password reset,
  a record sealed before its readers had keys) is made at the next sign-in of anyone who can open the
  key (``complete_wraps``), and logged.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsvdesk import log
from dsvdesk.store import audit, db, keys, sealing
from dsvdesk.store.base import StoreBase
from dsvdesk.store.errors import StorageBug
from dsvdesk.store.models import RecordRow, Role, Session
from dsvdesk.store.name_order import NameOrder

KIND_RECORD = "record"
CIPHERS_KEPT = 4_096  # a session's ciphers kept at once (see HeldKeys.ciphers)
KIND_USER_INDEX = "user_index"
KIND_STATION_INDEX = "station_index"


@dataclass(frozen=True, slots=True)
class Recipient:
    key_id: int  # enc_keys.id
    public: bytes


@dataclass(slots=True)
class HeldKeys:
    """What one signed-in session holds: its private key(s) and the keys opened with them."""

    user_id: int
    session: Session
    unwrappers: dict[int, sealing.Unwrapper] = field(default_factory=dict)  # enc_keys.id -> opener
    opened: dict[int, bytes] = field(default_factory=dict)  # sealed_keys.id -> raw key
    # sealed_keys.id -> its cipher, the most recently used only (CIPHERS_KEPT): an AES-GCM object holds
    # ~2.5 KB, so one per record for a supervisor scrolling 100,000 records was 250 MB; a raw key
    # (``opened``) is 32 bytes and makes its cipher again in microseconds
    ciphers: OrderedDict[int, sealing.Cipher] = field(default_factory=OrderedDict)
    # (record id, revision, sealed blob) -> its opened values: a list page shown again (a refresh, the
    # next count) opens nothing twice; bounded (LRU), forgotten with the session's keys
    opened_values: OrderedDict[tuple[str, int, bytes], dict[str, Any]] = field(default_factory=OrderedDict)
    # a list row as read (every column and the ciphertext) -> the RecordRow built from it: a page shown
    # again builds nothing twice; bounded (LRU, sealed.LIST_ROWS_KEPT), forgotten with the session's keys
    list_rows: OrderedDict[tuple[Any, ...], RecordRow] = field(default_factory=OrderedDict)
    # name column -> the session's order of that sealed name (store/name_order.py: memory only), opened
    # once per record for the session and again only for a record changed since
    name_orders: dict[str, NameOrder] = field(default_factory=dict)
    # whether the database changed since the name orders were last found current (db.ChangeWatcher: a
    # connection of its own, opened on the first sort by a name, closed at sign-out)
    watcher: db.ChangeWatcher | None = None

    def name_order(self, column: str) -> NameOrder:
        with _LOCK:
            found = self.name_orders.get(column)
            if found is None:
                found = self.name_orders[column] = NameOrder(column)
            return found

    def change_watcher(self, path: Path) -> db.ChangeWatcher | None:
        """The session's ``db.ChangeWatcher`` on ``path`` (opened on first use); None when it cannot be
        opened (no database key in memory): the name orders are then checked the long way."""
        with _LOCK:
            if self.watcher is None:
                key = keys.key_for(path)
                if key is None:
                    return None
                try:
                    self.watcher = db.ChangeWatcher(path, key)
                except db.Errors as exc:
                    log.storage.info("no change watcher on %s: %s", Path(path).name, type(exc).__name__)
                    return None
            return self.watcher


_HELD: dict[tuple[str, int, str], HeldKeys] = {}
_LOCK = threading.Lock()


def _slot(path: Path, session: Session) -> tuple[str, int, str]:
    return (str(path), session.user.id, session.started_at)


def hold(path: Path, session: Session, key_id: int, private: bytes) -> None:
    with _LOCK:
        held = _HELD.setdefault(_slot(path, session), HeldKeys(session.user.id, session))
        held.unwrappers[key_id] = sealing.Unwrapper(private)


def held_keys(path: Path, session: Session | None) -> HeldKeys | None:
    if session is None:
        return None
    with _LOCK:
        return _HELD.get(_slot(path, session))


def session_for_user(path: Path, user_id: int) -> Session | None:
    """The newest session of ``user_id`` on this database whose keys this process holds, or None. The
    newest: an older one may hold a key pair retired since (a password reset by an admin), whose
    keys open nothing made after the reset (the officer's own new records would not be found)."""
    with _LOCK:
        found = [
            held.session
            for (held_path, held_user, _started), held in _HELD.items()
            if held_path == str(path) and held_user == user_id
        ]
    return max(found, key=lambda session: session.started_at, default=None)


def any_held(path: Path) -> list[Session]:
    """Every session holding keys for this database in this process (bulk loads use them)."""
    with _LOCK:
        return [held.session for (held_path, _u, _s), held in _HELD.items() if held_path == str(path)]


def forget(path: Path, session: Session) -> None:
    with _LOCK:
        held = _HELD.pop(_slot(path, session), None)
    if held is not None and held.watcher is not None:
        held.watcher.close()


class KeyringOps(StoreBase):
    """The Store's key material: key pairs, escrow, sealed keys and wraps, held session keys."""

    _wrapper: sealing.Wrapper
    _ephemeral_ids: dict[bytes, int]
    _escrow_private_to_show: bytes | None = None

    def _batch_wrapper(self) -> sealing.Wrapper:
        wrapper: sealing.Wrapper | None = self.__dict__.get("_wrapper")
        if wrapper is None:
            wrapper = self._wrapper = sealing.Wrapper()
            self._ephemeral_ids = {}
        return wrapper

    # ----------------------------------------------------------------------------------- escrow
    def _install_escrow(self, conn: sqlite3.Connection, public: bytes | None) -> None:
        """The force escrow public key (``None``: a demo/test station makes a pair and hands the private
        part out once through ``take_escrow_private``; it never goes into the database)."""
        if public is None:
            pair = sealing.new_key_pair()
            public = pair.public
            self._escrow_private_to_show = pair.private
        conn.execute(
            "INSERT INTO enc_keys (user_id, public_key, private_sealed, created_at) VALUES (NULL, ?, NULL, ?)",
            (public, self._stamp()),
        )

    def take_escrow_private(self) -> bytes | None:
        """The escrow private key made by ``init_station`` without an escrow public key (demo and test
        stations only), once; None afterwards or when the force's key was installed."""
        private, self._escrow_private_to_show = self._escrow_private_to_show, None
        return private

    def escrow_public(self) -> bytes | None:
        """The force escrow public key (raw X25519) this station wraps every record key for."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT public_key FROM enc_keys WHERE user_id IS NULL AND retired_at IS NULL"
            ).fetchone()
        return bytes(row[0]) if row else None

    # ----------------------------------------------------------------------------------- key pairs
    def _make_key_pair(
        self, conn: sqlite3.Connection, user_id: int, password_secret: bytes
    ) -> tuple[int, bytes]:
        """A new current key pair for ``user_id`` (the old one, if any, is retired first)."""
        self._retire_key_pair(conn, user_id)
        pair = sealing.new_key_pair()
        cursor = conn.execute(
            "INSERT INTO enc_keys (user_id, public_key, private_sealed, created_at) VALUES (?, ?, ?, ?)",
            (
                user_id,
                pair.public,
                sealing.seal_private(pair.private, password_secret, user_id),
                self._stamp(),
            ),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid), pair.private

    def _retire_key_pair(self, conn: sqlite3.Connection, user_id: int) -> None:
        """The user's current pair can open nothing any more: its private part and its wraps go."""
        rows = conn.execute(
            "SELECT id FROM enc_keys WHERE user_id = ? AND retired_at IS NULL", (user_id,)
        ).fetchall()
        for (key_id,) in rows:
            conn.execute("DELETE FROM key_wraps WHERE recipient = ?", (key_id,))
            conn.execute("DELETE FROM wrap_watermarks WHERE recipient = ?", (key_id,))
            conn.execute(
                "UPDATE enc_keys SET private_sealed = NULL, retired_at = ? WHERE id = ?",
                (self._stamp(), key_id),
            )

    def _reseal_private(
        self, conn: sqlite3.Connection, user_id: int, old_secret: bytes, new_secret: bytes
    ) -> None:
        """A password change: the same key pair, its private part sealed under the new password."""
        row = conn.execute(
            "SELECT id, private_sealed FROM enc_keys WHERE user_id = ? AND retired_at IS NULL", (user_id,)
        ).fetchone()
        if row is None or row[1] is None:
            return
        try:
            private = sealing.open_private(bytes(row[1]), old_secret, user_id)
        except sealing.SealBroken:
            log.storage.warning("user id %d: encryption key does not open with the old password", user_id)
            return
        conn.execute(
            "UPDATE enc_keys SET private_sealed = ? WHERE id = ?",
            (sealing.seal_private(private, new_secret, user_id), int(row[0])),
        )

    def _unseal_own_key(
        self, conn: sqlite3.Connection, user_id: int, password_secret: bytes
    ) -> tuple[int, bytes] | None:
        row = conn.execute(
            "SELECT id, private_sealed FROM enc_keys WHERE user_id = ? AND retired_at IS NULL", (user_id,)
        ).fetchone()
        if row is None or row[1] is None:
            return None
        try:
            return int(row[0]), sealing.open_private(bytes(row[1]), password_secret, user_id)
        except sealing.SealBroken:
            log.storage.warning("user id %d: encryption key does not open with this password", user_id)
            return None

    # ----------------------------------------------------------------------------------- recipients
    def _supervisor_recipients(self, conn: sqlite3.Connection) -> list[Recipient]:
        rows = conn.execute(
            "SELECT k.id, k.public_key FROM enc_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.retired_at IS NULL AND u.role = 'supervisor' ORDER BY k.id"
        ).fetchall()
        return [Recipient(int(r[0]), bytes(r[1])) for r in rows]

    def _user_recipient(self, conn: sqlite3.Connection, user_id: int) -> Recipient | None:
        row = conn.execute(
            "SELECT k.id, k.public_key FROM enc_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.retired_at IS NULL AND k.user_id = ? AND u.role <> 'admin'",
            (user_id,),
        ).fetchone()
        return Recipient(int(row[0]), bytes(row[1])) if row else None

    def _escrow_recipient(self, conn: sqlite3.Connection) -> Recipient | None:
        row = conn.execute(
            "SELECT id, public_key FROM enc_keys WHERE user_id IS NULL AND retired_at IS NULL"
        ).fetchone()
        return Recipient(int(row[0]), bytes(row[1])) if row else None

    def _recipients(
        self, conn: sqlite3.Connection, kind: str, user_id: int | None, record_id: str | None = None
    ) -> list[Recipient]:
        """Who a key of this kind must be wrapped for (see the module's docstring)."""
        found: dict[int, Recipient] = {}
        owners = [user_id] if kind != KIND_STATION_INDEX and user_id is not None else []
        if kind == KIND_RECORD and record_id is not None:  # the case's investigating officer (casework)
            io = conn.execute("SELECT io_id FROM cases WHERE record_id = ?", (record_id,)).fetchone()
            if io is not None and io[0] is not None:
                owners.append(int(io[0]))
        for owner in owners:
            own = self._user_recipient(conn, owner)
            if own is not None:
                found[own.key_id] = own
        for recipient in self._supervisor_recipients(conn):
            found[recipient.key_id] = recipient
        escrow = self._escrow_recipient(conn)
        if escrow is not None:
            found[escrow.key_id] = escrow
        return list(found.values())

    # ----------------------------------------------------------------------------------- sealed keys
    def _new_sealed_key(
        self,
        conn: sqlite3.Connection,
        kind: str,
        *,
        record_id: str | None = None,
        user_id: int | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, bytes]:
        """A new random key (or ``raw``) stored only as wraps for its recipients: (id, key)."""
        raw = raw or sealing.random_key()
        cursor = conn.execute(
            "INSERT INTO sealed_keys (kind, record_id, user_id, created_at) VALUES (?, ?, ?, ?)",
            (kind, record_id, user_id, self._stamp()),
        )
        assert cursor.lastrowid is not None
        key_id = int(cursor.lastrowid)
        self._wrap(conn, key_id, raw, self._recipients(conn, kind, user_id, record_id))
        return key_id, raw

    def _ephemeral_id(self, conn: sqlite3.Connection, epk: bytes) -> int:
        self._batch_wrapper()
        cached = self._ephemeral_ids.get(epk)
        if cached is not None:
            return cached
        conn.execute("INSERT INTO wrap_ephemerals (public_key) VALUES (?) ON CONFLICT DO NOTHING", (epk,))
        row = conn.execute("SELECT id FROM wrap_ephemerals WHERE public_key = ?", (epk,)).fetchone()
        self._ephemeral_ids[epk] = int(row[0])
        return int(row[0])

    def _wrap(
        self, conn: sqlite3.Connection, key_id: int, raw: bytes, recipients: Iterable[Recipient]
    ) -> int:
        wrapper = self._batch_wrapper()
        subject = sealing.key_subject(key_id)
        rows = []
        for recipient in recipients:
            epk, wrapped = wrapper.wrap(raw, recipient.public, subject)
            rows.append((key_id, recipient.key_id, self._ephemeral_id(conn, epk), wrapped))
        conn.executemany(
            "INSERT INTO key_wraps (key_id, recipient, ephemeral, wrapped) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key_id, recipient) DO NOTHING",
            rows,
        )
        return len(rows)

    def _open_key(self, conn: sqlite3.Connection, session: Session | None, key_id: int) -> bytes | None:
        """The raw key of ``key_id`` if one of the session's keys has a wrap of it, else None."""
        held = keyring_of(self.path, session)
        if held is None:
            return None
        raw = held.opened.get(key_id)
        if raw is not None:
            return raw
        if not held.unwrappers:
            return None
        marks = ", ".join("?" for _ in held.unwrappers)
        row = conn.execute(
            f"SELECT w.recipient, e.public_key, w.wrapped FROM key_wraps w "  # noqa: S608 - only ? markers are formatted in; values are bound
            f"JOIN wrap_ephemerals e ON e.id = w.ephemeral WHERE w.key_id = ? AND w.recipient IN ({marks}) "
            "LIMIT 1",
            (key_id, *held.unwrappers),
        ).fetchone()
        if row is None:
            return None
        try:
            raw = held.unwrappers[int(row[0])].unwrap(
                bytes(row[1]), bytes(row[2]), sealing.key_subject(key_id)
            )
        except sealing.SealBroken:
            log.storage.warning("sealed key %d: a wrap does not open (damaged or moved)", key_id)
            return None
        held.opened[key_id] = raw
        return raw

    def _cipher(
        self, conn: sqlite3.Connection, session: Session | None, key_id: int
    ) -> sealing.Cipher | None:
        held = keyring_of(self.path, session)
        if held is None:
            return None
        ciphers = held.ciphers
        cipher = ciphers.get(key_id)
        if cipher is None:
            raw = self._open_key(conn, session, key_id)
            if raw is None:
                return None
            cipher = ciphers[key_id] = sealing.Cipher(raw)
            if len(ciphers) > CIPHERS_KEPT:
                ciphers.popitem(last=False)
        else:
            with contextlib.suppress(KeyError):  # another thread's Store (same session) dropped it meanwhile
                ciphers.move_to_end(key_id)
        return cipher

    # ----------------------------------------------------------------------------------- index keys
    def _user_index_key(
        self, conn: sqlite3.Connection, session: Session | None, user_id: int
    ) -> tuple[int, bytes] | None:
        """The user's current (newest) index key if the session can open it, else None. Only the newest:
        a session still holding a key pair retired since (the password was reset by an admin) opens
        the user's older index key only, and tokens made under it would be missing from the user's
        searches after the reset; the record is left pending instead, indexed at the next sign-in of
        someone holding the current key (the user, or a supervisor)."""
        row = conn.execute(
            "SELECT id FROM sealed_keys WHERE kind = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
            (KIND_USER_INDEX, user_id),
        ).fetchone()
        if row is None:
            return None
        raw = self._open_key(conn, session, int(row[0]))
        return (int(row[0]), raw) if raw is not None else None

    def _index_keys_of(
        self, conn: sqlite3.Connection, session: Session | None, user_ids: Sequence[int] | None
    ) -> list[tuple[int, bytes]]:
        """Every index key the session can open: of ``user_ids``, or of everyone (None)."""
        if user_ids is None:
            rows = conn.execute("SELECT id FROM sealed_keys WHERE kind = ?", (KIND_USER_INDEX,)).fetchall()
        else:
            marks = ", ".join("?" for _ in user_ids) or "NULL"
            rows = conn.execute(
                f"SELECT id FROM sealed_keys WHERE kind = ? AND user_id IN ({marks})",  # noqa: S608
                (KIND_USER_INDEX, *user_ids),
            ).fetchall()
        found = []
        for (key_id,) in rows:
            raw = self._open_key(conn, session, int(key_id))
            if raw is not None:
                found.append((int(key_id), raw))
        return found

    def _station_index_key(
        self, conn: sqlite3.Connection, session: Session | None
    ) -> tuple[int, bytes] | None:
        row = conn.execute(
            "SELECT id FROM sealed_keys WHERE kind = ? ORDER BY id LIMIT 1", (KIND_STATION_INDEX,)
        ).fetchone()
        if row is None:
            return None
        raw = self._open_key(conn, session, int(row[0]))
        return (int(row[0]), raw) if raw is not None else None

    def _provision_user(
        self, conn: sqlite3.Connection, user_id: int, role: Role, password_secret: bytes
    ) -> tuple[int, bytes] | None:
        """A new officer's or supervisor's key pair and index key (and the station index key with the
        first supervisor), made when the password is set; returns (key id, private key)."""
        if role is Role.ADMIN:
            return None
        made = self._make_key_pair(conn, user_id, password_secret)
        self._new_sealed_key(conn, KIND_USER_INDEX, user_id=user_id)
        if (
            role is Role.SUPERVISOR
            and conn.execute("SELECT 1 FROM sealed_keys WHERE kind = ?", (KIND_STATION_INDEX,)).fetchone()
            is None
        ):
            self._new_sealed_key(conn, KIND_STATION_INDEX)
        return made

    # ----------------------------------------------------------------------------------- sign-in
    def _after_sign_in(self, session: Session) -> None:
        """What the record store does once a sign-in holds its keys (``sealed.SealingStepOps``)."""

    def _hold_keys_at_sign_in(self, session: Session, password_secret: bytes) -> None:
        """Unseal the user's private key (making a pair for an officer or supervisor who has none yet:
        accounts from before sealed records), hold it for the session, make the user's index key and
        (for a supervisor) the station index key if missing, and complete the wraps others lack."""
        user = session.user
        if user.role is Role.ADMIN:
            return
        with self._tx() as conn:
            opened = self._unseal_own_key(conn, user.id, password_secret)
            created = opened is None
            if opened is None:
                opened = self._make_key_pair(conn, user.id, password_secret)
            hold(self.path, session, opened[0], opened[1])
            if created:  # the first sign-in since issue 15, or after a reset (that one is audited)
                log.storage.info("encryption key pair made for user id %d", user.id)
            if self._user_index_key(conn, session, user.id) is None:
                self._new_sealed_key(conn, KIND_USER_INDEX, user_id=user.id)
            if (
                user.role is Role.SUPERVISOR
                and conn.execute("SELECT 1 FROM sealed_keys WHERE kind = ?", (KIND_STATION_INDEX,)).fetchone()
                is None
            ):
                self._new_sealed_key(conn, KIND_STATION_INDEX)
        self._complete_wraps(session)

    def _complete_wraps(self, session: Session) -> int:
        """Wrap, for every recipient who should have a wrap and has none, each key this session can
        open (one transaction, one ``keys_rewrapped`` event with the counts, no content). Cheap when
        nothing is missing: per recipient key, one count of the keys made since its last complete
        check (index range scans) finds who lacks wraps."""
        held = keyring_of(self.path, session)
        if held is None or not held.unwrappers:
            return 0
        made = 0
        with self._tx() as conn:
            lacking = self._recipients_lacking_wraps(conn)
            if not lacking:
                return 0
            params: dict[str, object] = {f"m{i}": m for i, m in enumerate(held.unwrappers)}
            marks = ", ".join(f":{name}" for name in params)
            for recipient, owner in lacking:
                # keys this session holds a wrap of, that the recipient should have and lacks
                condition = (
                    "1"
                    if owner is None
                    else (
                        "(k.kind = 'record' AND (r.owner_id = :owner OR EXISTS (SELECT 1 FROM cases c "
                        "WHERE c.record_id = k.record_id AND c.io_id = :owner))) "
                        "OR (k.kind = 'user_index' AND k.user_id = :owner)"
                    )
                )
                sql = (
                    "SELECT k.id FROM key_wraps w JOIN sealed_keys k ON k.id = w.key_id "  # noqa: S608
                    f"LEFT JOIN records r ON r.id = k.record_id WHERE w.recipient IN ({marks}) AND ({condition}) "
                    "AND NOT EXISTS (SELECT 1 FROM key_wraps x WHERE x.key_id = k.id AND x.recipient = :rcpt)"
                )
                keys = conn.execute(sql, {**params, "owner": owner, "rcpt": recipient.key_id}).fetchall()
                for (key_id,) in keys:
                    raw = self._open_key(conn, session, int(key_id))
                    if raw is not None:
                        made += self._wrap(conn, int(key_id), raw, [recipient])
            if made:
                self._audit(
                    session,
                    audit.KEYS_REWRAPPED,
                    detail={"wraps": made, "recipient_keys": sorted(r.key_id for r, _o in lacking)},
                )
        if made:
            log.storage.info("%d key wraps completed at sign-in of user id %d", made, session.user.id)
        return made

    def _recipients_lacking_wraps(self, conn: sqlite3.Connection) -> list[tuple[Recipient, int | None]]:
        """(recipient key, owner user id or None) for every current key with fewer wraps than it should
        have: supervisors and escrow get every key; an officer their records' keys, the keys of
        records whose case they investigate and their index keys.

        Only keys made since a recipient's last complete check are counted (``wrap_watermarks``,
        migration 0016); a recipient found complete has its mark moved to the newest key."""
        top = int(conn.execute("SELECT coalesce(max(id), 0) FROM sealed_keys").fetchone()[0])
        marks = {int(r[0]): (int(r[1]), int(r[2])) for r in conn.execute("SELECT * FROM wrap_watermarks")}
        lacking: list[tuple[Recipient, int | None]] = []
        everyone = [*self._supervisor_recipients(conn)]
        escrow = self._escrow_recipient(conn)
        if escrow is not None:
            everyone.append(escrow)
        for recipient in everyone:
            since = _mark_since(marks, recipient.key_id, 0)
            expected = conn.execute("SELECT count(*) FROM sealed_keys WHERE id > ?", (since,)).fetchone()
            if _wraps_since(conn, recipient.key_id, since) < int(expected[0]):
                lacking.append((recipient, None))
            else:
                _set_mark(conn, marks, recipient.key_id, 0, top)
        officers = conn.execute(
            "SELECT k.id, k.public_key, k.user_id FROM enc_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.retired_at IS NULL AND u.role = 'officer'"
        ).fetchall()
        for key_id, public, user_id in officers:
            since = _mark_since(marks, int(key_id), int(user_id))
            expected = conn.execute(
                "SELECT (SELECT count(*) FROM sealed_keys k CROSS JOIN records r ON r.id = k.record_id "
                "WHERE k.id > ?2 AND r.owner_id = ?1) + (SELECT count(*) FROM sealed_keys "
                "WHERE kind = 'user_index' AND user_id = ?1 AND id > ?2) + (SELECT count(*) FROM cases c "
                "CROSS JOIN records r ON r.id = c.record_id CROSS JOIN sealed_keys k ON k.record_id = c.record_id "
                "WHERE c.io_id = ?1 AND r.owner_id <> ?1 AND k.kind = 'record' AND k.id > ?2)",
                (user_id, since),
            ).fetchone()
            if _wraps_since(conn, int(key_id), since) < int(expected[0]):
                lacking.append((Recipient(int(key_id), bytes(public)), int(user_id)))
            else:
                _set_mark(conn, marks, int(key_id), int(user_id), top)
        return lacking


def _mark_since(marks: dict[int, tuple[int, int]], recipient: int, scope: int) -> int:
    """The id after which keys must be counted for ``recipient`` (0: all, when it has no mark or its
    mark was for another scope, i.e. the user's role changed)."""
    mark = marks.get(recipient)
    return mark[1] if mark is not None and mark[0] == scope else 0


def _wraps_since(conn: sqlite3.Connection, recipient: int, since: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM key_wraps WHERE recipient = ? AND key_id > ?", (recipient, since)
    ).fetchone()
    return int(row[0])


def _set_mark(
    conn: sqlite3.Connection, marks: dict[int, tuple[int, int]], recipient: int, scope: int, top: int
) -> None:
    if marks.get(recipient) != (scope, top):
        conn.execute(
            "INSERT OR REPLACE INTO wrap_watermarks (recipient, scope, complete_to) VALUES (?, ?, ?)",
            (recipient, scope, top),
        )


def keyring_of(path: Path, session: Session | None) -> HeldKeys | None:
    held = held_keys(path, session)
    if held is not None and session is not None and held.user_id != session.user.id:
        raise StorageBug("a session's held keys belong to another user")
    return held
