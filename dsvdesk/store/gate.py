"""The station database opened just far enough for the sign-in window.

The sign-in window needs three things from the database: that it opens (and is migrated), whether the
station is set up, and the station's settings (name, marking). ``StationGate`` does those with ``db``
and ``settings`` alone; the record store (``dsvdesk.store.Store`` with its record, lifecycle, user
and audit modules) is imported when someone signs in, on the same connection. So the sign-in window is
on screen before the rest of the store is imported (cold start, issue 9).

The database is encrypted and cannot be read at all before someone signs in: until then the gate
answers from the key file beside it (``keys``: whether any account exists, and the copy of the station
name and marking kept there), and ``login`` unwraps the database key with the password and opens it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk.store import db, keys

if TYPE_CHECKING:
    import sqlite3

    from dsvdesk.store.models import Session
    from dsvdesk.store.settings import Settings
    from dsvdesk.store.store import Store


def station_is_set_up(conn: sqlite3.Connection) -> bool:
    """True once the first admin and the station CA exist (``Store.init_station``)."""
    has_ca = conn.execute("SELECT 1 FROM station_ca WHERE id = 1").fetchone() is not None
    has_admin = conn.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone() is not None
    return has_ca and has_admin


class StationGate:
    """An open, migrated station database before anyone has signed in; `store()` is the full store."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None) -> None:
        self.path = path
        self._conn = conn
        self._store: Store | None = None

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> StationGate:
        """As ``Store.open``: the same checks, errors and migrations (locked until sign-in)."""
        target = Path(path).expanduser().absolute()
        return cls(target, db.open_station(target, create=create))

    def is_initialised(self) -> bool:
        if self._store is not None:
            return self._store.is_initialised()
        if self._conn is None:
            keyfile = keys.KeyFile.load(self.path)
            return keyfile is not None and bool(keyfile.users)
        with db.translate_errors(self.path):
            return station_is_set_up(self._conn)

    def station_name(self) -> str:
        """The station's name, as ``get_settings()`` has it: what the sign-in window shows. From the key
        file while the database is locked, without the settings module (cold start)."""
        if self._store is not None or self._conn is not None:
            return self.get_settings().station_name
        keyfile = keys.KeyFile.load(self.path)
        name: str = (keyfile.settings if keyfile else {}).get("station_name", "")
        return name

    def get_settings(self) -> Settings:
        """Readable without signing in: the sign-in window shows the station and its marking."""
        from dataclasses import replace

        from dsvdesk.store import settings as settings_mod

        if self._store is not None:
            return self._store.get_settings()
        if self._conn is None:
            keyfile = keys.KeyFile.load(self.path)
            public = {
                k: v
                for k, v in (keyfile.settings if keyfile else {}).items()
                if k in settings_mod.SETTING_NAMES
            }
            try:
                return replace(settings_mod.Settings(), **public)
            except TypeError:
                return settings_mod.Settings()
        with db.translate_errors(self.path):
            return settings_mod.load(self._conn)

    def store(self) -> Store:
        """The full store on this gate's connection (imported and made on first call)."""
        if self._store is None:
            from dsvdesk.store.base import utc_now
            from dsvdesk.store.store import Store

            self._store = Store(self.path, self._conn, utc_now)
        return self._store

    def login(self, username: str, password: str) -> Session:
        """``Store.login`` (what the sign-in window calls)."""
        return self.store().login(username, password)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        elif self._conn is not None:
            self._conn.close()
