"""What every part of the ``Store`` shares: the connection, the clock, transactions, audit, role checks."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.store import audit, db
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.errors import PermissionDenied, StorageUnavailable
from dsvdesk.store.models import Role, Session, User

if TYPE_CHECKING:
    from dsvdesk.store.checkpoints import Checkpointer

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """Times are stored as UTC ISO 8601 with microseconds, so text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


USER_COLUMNS = "id, username, full_name, role, collar, station, locked_until"


def user_from_row(row: tuple[Any, ...]) -> User:
    return User(
        id=int(row[0]),
        username=str(row[1]),
        full_name=str(row[2]),
        role=Role(row[3]),
        collar=str(row[4]),
        station=str(row[5]),
        locked_until=row[6],
    )


class StoreBase:
    """State and helpers for the Store's parts. One connection; use a Store from one thread at a time.

    **The public surface other packages may use** (``dsvdesk/reporting`` builds its queries on it; a test
    in tests/unit/test_architecture.py fails if a module outside ``dsvdesk/store`` touches a Store name
    that starts with ``_``):

    - ``read()`` — a read on the store's connection, sqlite3 errors translated to the store's errors;
    - ``transaction()`` — one write transaction (commit on success, rollback on an exception);
    - ``audit_event(session, event, **fields)`` — append one event to the audit chain, inside a
      ``transaction()`` so the event and the change it records commit together;
    - ``current_user(session)`` — the session's user as the database knows them now;
    - ``require_role(session, *roles, action=...)`` — that user, or ``PermissionDenied`` naming the roles;
    - ``now()`` / ``timestamp()`` — the store's clock (injectable in tests) and its stored ISO form.

    The underscored spellings (``_tx``, ``_read``, ``_audit``, ...) are the same methods, kept for the
    store's own modules."""

    path: Path
    _connection: sqlite3.Connection | None  # None until someone signs in (the key is not known yet)
    _clock: Clock
    _checkpointer: Checkpointer | None = None  # checkpoints off this thread (``checkpoint_in_background``)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StorageUnavailable(
                f"The database {self.path} is encrypted; sign in with a DSVDesk account to open it.",
                path=str(self.path),
                reason="signed_out",
            )
        return self._connection

    def now(self) -> dt.datetime:
        """The store's clock (UTC)."""
        return self._clock()

    def timestamp(self) -> str:
        """``now()`` as stored: UTC ISO 8601 with microseconds."""
        return iso(self._clock())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the store's connection: committed when the block ends, rolled back
        if it raises; sqlite3 errors become ``StorageUnavailable`` / ``StorageBug``."""
        with db.transaction(self._conn, self.path) as conn:
            yield conn
        if self._checkpointer is not None:
            self._checkpointer.committed()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Reads outside a write transaction, with sqlite3 errors translated."""
        with db.translate_errors(self.path):
            yield self._conn

    def audit_event(self, session: Session | None, event: str, **fields: Any) -> int:
        """Append one audit event (call inside ``transaction()``); returns its id. ``fields`` are the
        columns of ``audit.append`` (``record_id``, ``revision``, ``recipient``, ``justification``,
        ``detail``...); without a session, ``user_id`` and ``username`` may be given."""
        user = session.user if session is not None else None
        return audit.append(
            self._conn,
            at=self.timestamp(),
            event=event,
            user_id=user.id if user else fields.pop("user_id", None),
            username=user.username if user else fields.pop("username", None),
            **fields,
        )

    def _value_hash(self, value: Any) -> str:
        """The audit digest of an answer (keyed with this database's secret, read once per Store)."""
        secret: bytes | None = getattr(self, "_audit_value_secret", None)
        if secret is None:
            with self._read() as conn:
                secret = audit.value_secret(conn)
            self._audit_value_secret = secret
        return audit.value_hash(value, secret)

    def _checkpoint(self, session: Session | None, reason: str) -> None:
        """Sign the audit chain's head as the session's user (store/anchor.py). Call inside the write
        transaction of the signature event it follows."""
        from dsvdesk.store import session_keys

        session_keys.checkpoint(self._conn, self.path, session, reason, at=self._stamp())

    def _settings(self) -> settings_mod.Settings:
        with self.read() as conn:
            return settings_mod.load(conn)

    def current_user(self, session: Session) -> User:
        """The session's user as the database knows them now (a role changed since sign-in counts)."""
        with self.read() as conn:
            sql = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"  # noqa: S608 - fixed column list
            row = conn.execute(sql, (session.user.id,)).fetchone()
        if row is None:
            raise PermissionDenied("Your account no longer exists on this PC. Sign in again.")
        user = user_from_row(row)
        if user.role != session.user.role or user.username != session.user.username:
            raise PermissionDenied("Your account was changed since you signed in. Sign in again.")
        return user

    def require_role(self, session: Session, *roles: Role, action: str) -> User:
        """``current_user(session)`` if their role is one of ``roles``; else ``PermissionDenied``
        ("Only a supervisor can <action>.")."""
        user = self.current_user(session)
        if user.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise PermissionDenied(f"Only a{'n' if allowed[0] in 'aeiou' else ''} {allowed} can {action}.")
        return user

    # The store's own modules' spellings of the public methods above.
    _now = now
    _stamp = timestamp
    _tx = transaction
    _read = read
    _audit = audit_event
    _current_user = current_user
    _require = require_role
