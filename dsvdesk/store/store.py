"""The `Store` facade: the record, lifecycle, user and audit operations over one SQLite connection
(see the package docstring). Imported on first use of ``dsvdesk.store.Store``: the sign-in window opens
the database through the lighter ``dsvdesk.store.gate``."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.store import audit, db, keys
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.base import Clock, utc_now
from dsvdesk.store.casework import CaseworkOps
from dsvdesk.store.errors import StorageBug
from dsvdesk.store.lifecycle import LifecycleOps
from dsvdesk.store.models import (
    Role,
    Session,
)
from dsvdesk.store.transfer import TransferOps
from dsvdesk.store.trust import TrustOps
from dsvdesk.store.users import UserOps

if TYPE_CHECKING:
    from dsvdesk.demo_accounts import DemoAccount


class Store(TransferOps, LifecycleOps, CaseworkOps, UserOps, TrustOps):
    """The store facade. Holds ONE sqlite3 connection, so a Store is used from one thread at a time;
    a worker thread opens its own ``Store.open(path)`` (SQLite's WAL lets them work side by side, and
    optimistic versions catch two writers editing one record)."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None, clock: Clock) -> None:
        self.path = path
        self._connection = conn
        self._clock = clock
        self._specs = {}

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        create: bool = False,
        busy_timeout_ms: int = db.DEFAULT_BUSY_TIMEOUT_MS,
        clock: Clock | None = None,
    ) -> Store:
        """Open (``create=True``: create if missing) and migrate the database at ``path``.

        Raises ``StorageUnavailable`` for environment problems (not a database, locked, read-only,
        disk full, missing folder, a folder in the file's place, corrupt, made by a newer DSVDesk —
        the last left untouched) and ``StorageBug`` for defects.

        The database is encrypted (``db``, ``keys``): unless its key is already known in this process,
        the store opens locked — ``is_initialised``, ``get_settings`` and ``login`` work, and ``login``
        unwraps the key and opens the file. A plaintext 0.1 database is converted first."""
        target = Path(path).expanduser().absolute()
        conn = db.open_station(target, create=create, busy_timeout_ms=busy_timeout_ms)
        log.storage.info(
            "opened database %s (schema %d%s)", target.name, db.CURRENT_VERSION, "" if conn else ", locked"
        )
        return cls(target, conn, clock or utc_now)

    def checkpoint_in_background(self) -> None:
        """Run WAL checkpoints on a thread of their own instead of inside the commit that fills the WAL
        (``checkpoints.py``): the app's store does, so an autosave never waits for one. Call after
        sign-in (the thread opens its own connection with the database key); ``close`` stops it."""
        if self._checkpointer is not None:
            return
        key = keys.key_for(self.path)
        conn = self._conn  # StorageUnavailable before sign-in
        if key is None:
            raise StorageBug(f"no database key in memory for the open database {self.path}")
        from dsvdesk.store.checkpoints import Checkpointer

        conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._checkpointer = Checkpointer(self.path, key)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._connection is None:
            return
        try:
            self._connection.close()
        except db.Errors as exc:  # closing never loses committed data; note it and carry on
            log.storage.warning("closing %s: %s", self.path.name, exc)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return db.user_version(conn)

    # ----------------------------------------------------------------------------------- audit
    def export_audit_csv(
        self,
        path: Path | str,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        *,
        session: Session | None = None,
    ) -> int:
        """Write the audit log (inclusive UTC dates) as CSV for the Information Commissioner; returns
        the number of events. With a session, the caller must be an admin or supervisor and the
        export itself is logged as a disclosure."""
        if session is not None:
            self._require(session, Role.ADMIN, Role.SUPERVISOR, action="export the audit log")
        with self._read() as conn:
            count = audit.export_csv(conn, Path(path), date_from, date_to)
        if session is not None:
            with self._tx():
                self._audit(
                    session,
                    audit.DISCLOSURE,
                    recipient="audit export file",
                    justification="audit log export (DPA 2018 s.62)",
                    detail={
                        "what": "audit_log",
                        "events": count,
                        "from": str(date_from or ""),
                        "to": str(date_to or ""),
                    },
                )
        return count

    # ----------------------------------------------------------------------------------- demo
    def record_demo_accounts(self, accounts: Sequence[DemoAccount]) -> None:
        """Mark this database as a demo database: the accounts its login screen lists in demo mode
        (``dsvdesk.demo_accounts``; only ``dsvdesk demo`` writes them, and ``--fresh`` deletes only a
        database that has them)."""
        from dsvdesk import demo_accounts

        with self.transaction() as conn:
            settings_mod.write_raw(
                conn, demo_accounts.DEMO_ACCOUNTS_SETTING, demo_accounts.accounts_json(accounts)
            )
        # the sign-in window lists them before the (encrypted) database can be read
        self._publish_demo_accounts(
            [{"username": a.username, "password": a.password, "role": a.role} for a in accounts]
        )

    # ----------------------------------------------------------------------------------- backup
    def backup(self, out: Path | str, *, session: Session | None = None) -> Path:
        """A consistent single-file copy made with SQLite's backup API (fine while others write)."""
        if session is not None:
            self._require(session, Role.ADMIN, Role.SUPERVISOR, action="make backups")
        from dsvdesk.store import backup as backup_mod  # imported on use: not needed to open the app

        written = backup_mod.copy_database(self._conn, self.path, Path(out))
        if session is not None:
            with self._tx():
                self._audit(session, audit.BACKUP, detail={"file": written.name})
                self._checkpoint(session, "backup")
        return written


def restore(
    backup_file: Path | str,
    target: Path | str,
    *,
    admin_username: str,
    admin_password: str | None,
    force: bool = False,
    recovery_key: str | None = None,
) -> None:
    """Replace the database at ``target`` (and its key file) with an encrypted backup; refused while
    DSVDesk has it open. The backup opens with ``admin_username``'s password in it, or with the
    station's ``recovery_key``. Refuses a target with newer activity than the backup unless ``force``;
    the restore is logged in the restored database."""
    from dsvdesk.store import backup as backup_mod  # imported on use: not needed to open the app

    backup_mod.restore_database(
        Path(backup_file),
        Path(target),
        force=force,
        admin_username=admin_username,
        admin_password=admin_password,
        recovery_key=recovery_key,
    )
    with Store.open(target) as store:
        user = store._user_by_name(admin_username) if recovery_key is None else None
        with store.transaction():
            store.audit_event(
                None,
                audit.RESTORED,
                user_id=user.id if user else None,
                username=user.username if user else None,
                detail={
                    "from": Path(backup_file).name,
                    "forced": force,
                    "with": "password" if user else "recovery key",
                },
            )
