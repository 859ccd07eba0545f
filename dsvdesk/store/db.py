"""The SQLite connection: encryption, pragmas in one place, numbered migrations, transactions, error mapping.

Every connection is an SQLCipher connection (``sqlcipher3``, DB-API like the stdlib ``sqlite3``) given
the station's raw 256-bit key first (see ``keys``): the main file, its WAL and rollback journals are
encrypted page by page, temporary tables and sorts stay in memory, freed pages are zeroed
(``secure_delete``), and the files are owner-only. The stdlib ``sqlite3`` module is used only for type
names (the two modules' connections have the same interface).

Every sqlite3 error that escapes the store goes through :func:`map_error`: problems of the environment
(not a database, locked, read-only, disk full, missing folder, corrupt file) become
``StorageUnavailable`` with a calm message naming the file; anything else is a ``StorageBug``.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import sqlite3


from dsvdesk import log
from dsvdesk.store import keys
from dsvdesk.store.errors import StorageBug, StorageUnavailable

# The SQLCipher binding (``driver``) and its errors (``Error``; ``Errors`` with the stdlib sqlite3 ones:
# catch these) are imported on first use — the first connection, or an error being caught — not with
# this module: the sign-in window opens no connection (the database is locked until the password
# unwraps its key), so a cold start does not pay for importing them (issue 22).
_loaded: dict[str, Any] = {}


def _driver() -> Any:
    if "driver" not in _loaded:
        from sqlcipher3 import dbapi2  # type: ignore[import-untyped]

        _loaded["driver"] = dbapi2
    return _loaded["driver"]


def _errors() -> tuple[type[Exception], ...]:
    if "errors" not in _loaded:
        import sqlite3

        _loaded["errors"] = (_driver().Error, sqlite3.Error)
    return cast(tuple[type[Exception], ...], _loaded["errors"])


def __getattr__(name: str) -> Any:
    """``db.driver``, ``db.Error`` and ``db.Errors``, imported on first use (above)."""
    if name == "driver":
        return _driver()
    if name == "Error":
        return _driver().Error
    if name == "Errors":
        return _errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


SQLITE_HEADER = b"SQLite format 3\x00"

# SQLite primary result codes (https://www.sqlite.org/rescode.html) that mean "the environment".
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_NOMEM = 7
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_PROTOCOL = 15
_SQLITE_NOTADB = 26

DEFAULT_BUSY_TIMEOUT_MS = 5000
APPLICATION_ID = 0x44535644  # 'DSVD' in the file header, set by migration 0003
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _explain(path: Path, code: int, message: str) -> tuple[str, str]:
    """(reason, message for the user) for an SQLite result code, or ("", "") if it is not environmental."""
    where = f"the database file {path}"
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return "locked", (
            f"{where.capitalize()} is busy: another DSVDesk window or program is saving to it. "
            "Wait a moment and try again; if it stays busy, close the other DSVDesk and try again."
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly" in message:
        return "readonly", (
            f"DSVDesk cannot write to {where}: the file or its folder is read-only. "
            "Ask IT to give your account write access to that folder, or choose another location with --db."
        )
    if code == _SQLITE_FULL:
        return "full", (
            f"The disk holding {where} is full, so the last change was not saved (earlier work is safe). "
            "Free some space on that disk, then try again."
        )
    if code == _SQLITE_NOTADB:
        return "not_a_database", (
            f"{path} cannot be read: it is not a DSVDesk database, or it is damaged, or it does not belong "
            "with its key file. Nothing in it was changed. Check the path given with --db or DSVDESK_DB, or "
            "restore the latest backup with `dsvdesk restore FILE`."
        )
    if code == _SQLITE_CORRUPT:
        return "corrupt", (
            f"{where.capitalize()} is damaged. Nothing more was written to it. "
            "Restore the latest backup with `dsvdesk restore FILE`, or ask IT for help."
        )
    if code == _SQLITE_CANTOPEN:
        return "cannot_open", (
            f"DSVDesk cannot open {where}. Check that the folder exists and that your account may "
            "read and write it, or choose another location with --db."
        )
    if code in (_SQLITE_IOERR, _SQLITE_PROTOCOL, _SQLITE_NOMEM):
        return "io", (
            f"The computer could not read or write {where} (a disk or network-drive problem). "
            "Nothing already saved was changed. Try again; if it keeps happening, ask IT to check the disk."
        )
    return "", ""


def map_error(exc: Exception, path: Path) -> StorageUnavailable | StorageBug:
    """Sort an sqlite3 error into an environment problem (``StorageUnavailable``) or a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    if code is None:  # some errors (raised by the sqlite3 module itself) carry no code: go by text
        code = {
            "database is locked": _SQLITE_BUSY,
            "file is not a database": _SQLITE_NOTADB,
            "unable to open database file": _SQLITE_CANTOPEN,
            "attempt to write a readonly database": _SQLITE_READONLY,
            "database or disk is full": _SQLITE_FULL,
            "database disk image is malformed": _SQLITE_CORRUPT,
            "disk i/o error": _SQLITE_IOERR,
        }.get(text, -1)
    reason, message = _explain(path, code & 0xFF if code >= 0 else code, text)
    if reason:
        log.storage.warning("storage unavailable (%s) for %s: %s", reason, path, exc)
        return StorageUnavailable(message, path=str(path), reason=reason)
    return StorageBug(f"SQLite error on {path}: {exc}")


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Re-raise sqlite3 errors as ``StorageUnavailable`` / ``StorageBug``."""
    try:
        yield
    except _errors() as exc:
        raise map_error(exc, path) from exc


# --------------------------------------------------------------------------------------- migrations
# Shipped beside this module; the PyInstaller bundle keeps them there too (build_spec collects
# dsvdesk/store/migrations/*.sql). A plain path, not importlib.resources: that import alone cost ~6 ms
# of every cold start.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migration_names() -> dict[int, str]:
    """Numbered migration scripts: {number: file name}, numbers 1..N without gaps."""
    names = {
        int(m.group(1)): entry.name
        for entry in MIGRATIONS_DIR.iterdir()
        if (m := _MIGRATION_NAME.match(entry.name))
    }
    numbers = sorted(names)
    if numbers != list(range(1, len(numbers) + 1)):
        raise StorageBug(f"migration numbers must run 1..N without gaps, found {numbers}")
    return names


def migration_files() -> dict[int, str]:
    """Numbered migration scripts: {number: sql text}, numbers 1..N without gaps."""
    return {
        number: (MIGRATIONS_DIR / name).read_text(encoding="utf-8")
        for number, name in migration_names().items()
    }


CURRENT_VERSION = max(migration_names(), default=0)


def _complete_statement(text: str) -> bool:
    import sqlite3

    return sqlite3.complete_statement(text)


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (triggers with BEGIN ... END stay whole).

    ``executescript`` would COMMIT the migration's transaction before running, so statements are run
    one by one instead."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if _complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise StorageBug(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:60]!r}")
    return statements


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, path: Path, *, target: int | None = None) -> int:
    """Bring the schema up to ``target`` (default: the newest), one numbered step per transaction.

    Returns the version reached. Each step runs inside BEGIN EXCLUSIVE with its ``user_version`` set
    in the same transaction, so a crash leaves the database at the previous complete version."""
    goal = CURRENT_VERSION if target is None else target
    version = user_version(conn)
    if version >= goal:
        return version
    scripts = migration_files()
    _give_migration_functions(conn)
    for number in range(version + 1, goal + 1):
        conn.execute("BEGIN EXCLUSIVE")
        try:
            for statement in split_statements(scripts[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.storage.info("database %s migrated to schema version %d", path.name, number)
        version = number
    return version


def _give_migration_functions(conn: sqlite3.Connection) -> None:
    """The Python functions migration scripts may call, by their SQL names: a step that fills a new
    column the store writes from Python gives old rows the very values a save would (0005's
    ``victim_key``; 0022's tokens from their old text)."""
    from dsvdesk.store.sealing import token_from_text
    from dsvdesk.store.search import person_key

    conn.create_function("dsvdesk_person_key", 2, person_key, deterministic=True)
    conn.create_function("dsvdesk_token", 1, token_from_text, deterministic=True)


# --------------------------------------------------------------------------------------- connecting
def _uri(path: Path, *, create: bool) -> str:
    # as_uri() percent-encodes '?', '#', '%' and spaces, so hostile file names cannot inject URI options.
    return f"{path.as_uri()}?mode={'rwc' if create else 'rw'}"


def _check_location(path: Path, *, create: bool) -> None:
    if path.is_dir():
        raise StorageUnavailable(
            f"{path} is a folder, not a database file. Give the path of a file inside it, "
            f"for example {path / 'dsvdesk.sqlite3'}.",
            path=str(path),
            reason="is_directory",
        )
    if not path.parent.is_dir():
        raise StorageUnavailable(
            f"The folder {path.parent} does not exist, so the database {path.name} cannot be "
            f"{'created' if create else 'opened'} there. Create the folder or choose another location with --db.",
            path=str(path),
            reason="missing_directory",
        )
    if not create and not path.exists():
        raise StorageUnavailable(
            f"There is no DSVDesk database at {path}. Run `dsvdesk init --station NAME --admin USERNAME` "
            "to create one, or check the path given with --db or DSVDESK_DB.",
            path=str(path),
            reason="missing",
        )


def is_dsvdesk_database(conn: sqlite3.Connection) -> bool:
    """True for a DSVDesk file: marked with our application id, or made before the mark (migrations 1-2)."""
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id == APPLICATION_ID:
        return True
    return (
        app_id == 0
        and user_version(conn) >= 1
        and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'"
        ).fetchone()
        is not None
    )


def _refuse_foreign(path: Path, conn: sqlite3.Connection, version: int) -> None:
    """Another program's SQLite file is left alone: it is never 'migrated' into a DSVDesk database."""
    has_tables = conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    if (version == 0 and not has_tables) or is_dsvdesk_database(conn):
        return
    raise StorageUnavailable(
        f"{path} is a database of another program, not a DSVDesk database. Nothing in it was changed. "
        "Check the path given with --db or DSVDESK_DB.",
        path=str(path),
        reason="not_a_database",
    )


def _refuse_too_new(path: Path, version: int) -> None:
    if version > CURRENT_VERSION:
        raise StorageUnavailable(
            f"The database {path} was made by a newer version of DSVDesk (schema {version}; this "
            f"version understands up to {CURRENT_VERSION}). It was not changed. Use the newer "
            "DSVDesk, or ask IT to update this PC.",
            path=str(path),
            reason="too_new",
        )


def apply_pragmas(conn: sqlite3.Connection, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
    """The one place connection settings are made.

    WAL lets readers continue while one writer commits; synchronous=FULL makes each commit durable
    before it returns (an acknowledged autosave survives power loss); foreign keys are enforced.
    Temporary tables, indexes and sorts stay in memory (nothing decrypted goes to a temp file), and
    deleted content is overwritten with zeros (``secure_delete``: erasure leaves no text in free pages)."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA secure_delete = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        log.storage.warning("journal_mode WAL not available (got %s); continuing with %s", mode, mode)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA trusted_schema = OFF")


def file_kind(path: Path) -> str:
    """What is at ``path``: "missing", "empty", "plaintext" (an unencrypted SQLite file, e.g. a DSVDesk
    0.1 database) or "encrypted" (anything else: SQLCipher's first page is indistinguishable from noise)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "encrypted"  # _check_location names it
    except OSError:
        return "encrypted"  # unreadable: opening it names the problem
    if not head:
        return "empty"
    return "plaintext" if head == SQLITE_HEADER else "encrypted"


def owner_only(path: Path) -> None:
    """Owner read/write only (0600) for a database file and its -wal/-shm/-journal companions (POSIX).
    On Windows the data folder's ACL does this (``restrict_folder``)."""
    if sys.platform == "win32":
        return
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal", str(keys.keyfile_path(path))):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not ours to change (another account's file): reading it still works
            log.storage.warning("cannot make %s owner-only: %s", Path(name).name, exc)


def restrict_folder(folder: Path) -> None:
    """Limit a data folder to its owner: 0700 on POSIX; on Windows, an ACL with inheritance removed and
    full control for the current user only (``icacls``, part of Windows; nothing goes over a network)."""
    if sys.platform == "win32":
        import subprocess

        user = os.environ.get("USERNAME", "")
        if not user:
            return
        subprocess.run(
            ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{user}:(OI)(CI)F"],
            check=False,
            capture_output=True,
        )
        return
    try:
        if os.stat(folder).st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError as exc:
        log.storage.warning("cannot make the folder %s owner-only: %s", folder, exc)


# ----------------------------------------------------------------------------- "in use" lock
# Every connection ``connect`` makes holds a shared lock on ``<database>.lock`` while it is open, so
# ``restore`` can tell — by a lock the operating system keeps, not by a guess — whether any DSVDesk
# process has the database open. A separate file: locking the database file itself would mix with
# SQLite's own POSIX locks (closing any descriptor of it drops them all).
LOCK_SUFFIX = ".lock"
_WINDOWS_SLOTS = 1024  # Windows has no shared locks: each holder locks one byte of its own


def _lock_path(path: Path) -> Path:
    return Path(f"{path}{LOCK_SUFFIX}")


def _hold_shared(path: Path) -> int | None:
    """Open ``<database>.lock`` and take a shared lock; returns the descriptor (closing it releases)."""
    try:
        fd = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        log.storage.warning("cannot open the lock file beside %s: %s", path.name, exc)
        return None
    try:
        if sys.platform == "win32":
            import msvcrt
            import random

            for slot in random.sample(range(1, _WINDOWS_SLOTS), 32):
                os.lseek(fd, slot, os.SEEK_SET)
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                    break
                except OSError:
                    continue
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError as exc:
        log.storage.warning("cannot lock the lock file beside %s: %s", path.name, exc)
    return fd


def in_use(path: Path) -> bool:
    """True while any process has the database open through DSVDesk (see ``_hold_shared``)."""
    lock = _lock_path(Path(path).expanduser().absolute())
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot even look: do not assume it is free
    try:
        if sys.platform == "win32":
            import msvcrt

            for slot in range(1, _WINDOWS_SLOTS):
                os.lseek(fd, slot, os.SEEK_SET)
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                except OSError:
                    return True
                os.lseek(fd, slot, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
            return False
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _held_connection_class() -> Any:
    """The connection class that holds the "in use" lock (made once, on the binding's first use)."""
    if "held" in _loaded:
        return _loaded["held"]
    base = _driver().Connection

    class _HeldConnection(base):  # type: ignore[misc, valid-type]
        """An SQLCipher connection that holds the database's "in use" lock and knows which file it opened
        (``identity``: device and inode), so a write can notice the file was replaced under it."""

        lock_fd: int | None = None
        identity: tuple[int, int] | None = None

        def close(self) -> None:
            try:
                super().close()
            finally:
                fd, self.lock_fd = self.lock_fd, None
                if fd is not None:
                    os.close(fd)

    _loaded["held"] = _HeldConnection
    return _HeldConnection


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def check_not_replaced(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to write when the database file was replaced (restored, copied over) after it was opened:
    the write would go to a file that is no longer the station's database."""
    expected = getattr(conn, "identity", None)
    if expected is not None and _identity(path) != expected:
        raise StorageUnavailable(
            f"The database file {path} was replaced while DSVDesk had it open (restored from a backup?), so "
            "nothing more is saved here. What you typed since is kept on screen: copy it somewhere safe, "
            "then close DSVDesk and open it again.",
            path=str(path),
            reason="replaced",
        )


def raw_connect(
    path: Path | str, key: bytes, *, uri: str | None = None, held: bool = False
) -> sqlite3.Connection:
    """An SQLCipher connection to ``path`` keyed with ``key`` (no pragmas, no checks): the one place a
    connection is made. ``uri`` (a file: URI) replaces the plain path when given; ``held``: the
    connection holds the "in use" lock and notices a replaced file (what ``connect`` makes)."""
    driver = _driver()
    conn = driver.connect(
        uri if uri is not None else str(path),
        uri=uri is not None,
        isolation_level=None,
        check_same_thread=False,
        factory=_held_connection_class() if held else driver.Connection,
    )
    if held:
        conn.lock_fd = _hold_shared(Path(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher would print decrypt failures to stderr
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    except BaseException:
        conn.close()
        raise
    return cast("sqlite3.Connection", conn)


class ChangeWatcher:
    """Whether the database may have changed since an earlier look, asked in microseconds: a connection
    of its own that never writes and only reads ``PRAGMA data_version`` (SQLite changes that number for
    a connection whenever any other connection, of this process or another, commits), with the file's
    identity (device, inode: a file copied over it is another file). It holds the "in use" lock as every
    Store's connection does, so no restore replaces the file while it is open. For what several Stores
    share in memory (the session's name order, ``sealed``); safe to call from any thread.

    ``version()`` is None when it cannot tell (the file replaced or gone, a read refused): the caller
    then checks the long way. A version read *before* a reader's own reads vouches for what it read only
    while ``version()`` still returns the same value."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._identity = _identity(self.path)
        self._conn: sqlite3.Connection | None = raw_connect(self.path, key, held=True)
        try:
            self._conn.execute("PRAGMA busy_timeout = 100")  # a WAL reader waits only during recovery
        except BaseException:
            self.close()
            raise

    def version(self) -> tuple[int, tuple[int, int]] | None:
        with self._lock:
            conn = self._conn
            if conn is None or self._identity is None or _identity(self.path) != self._identity:
                return None
            try:
                return (int(conn.execute("PRAGMA data_version").fetchone()[0]), self._identity)
            except _errors():
                return None

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def memory_uri(name: str) -> str:
    """The URI of an in-memory database shared by this process's connections under ``name``."""
    return f"file:{name}?mode=memory&cache=shared"


def memory_connect(name: str) -> sqlite3.Connection:
    """A connection to the in-memory database ``memory_uri(name)``: unencrypted, but only ever in RAM
    (it is gone when its last connection closes; temp_store in memory, so its sorts stay there too).
    For rows that hold nothing readable (a bulk load's keyed search tokens) built beside the real
    database and copied into it; another connection attaches it with ``KEY ''``."""
    conn = _driver().connect(memory_uri(name), uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA temp_store = MEMORY")
    return cast("sqlite3.Connection", conn)


def _wrong_key(path: Path) -> StorageUnavailable:
    return StorageUnavailable(
        f"The database {path} cannot be decrypted with its key file: the two do not belong together, "
        "or the file is damaged. Nothing was changed. Restore the latest backup with `dsvdesk restore FILE`.",
        path=str(path),
        reason="wrong_key",
    )


def _create_private(path: Path) -> None:
    """Make the new database file owner-only before SQLite writes a byte (its -wal/-shm files take the
    main file's mode)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # SQLite's own open names the problem
    os.close(fd)


def connect(
    path: Path,
    *,
    create: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate_to: int | None = None,
    key: bytes | None = None,
) -> sqlite3.Connection:
    """Open (or create) the encrypted database, refuse one from a newer DSVDesk untouched, set pragmas,
    migrate.

    ``key`` defaults to the key unwrapped for this path at sign-in (``keys.key_for``); without one the
    database cannot be read at all (``StorageUnavailable`` reason ``signed_out``). A plaintext file (a
    DSVDesk 0.1 database) is refused here: ``convert.encrypt_plaintext`` converts it. The connection is in
    autocommit mode (``isolation_level=None``): the store opens explicit transactions with
    :func:`transaction`."""
    path = Path(path).expanduser().absolute()
    _check_location(path, create=create)
    key = key if key is not None else keys.key_for(path)
    if key is None:
        raise StorageUnavailable(
            f"The database {path} is encrypted; sign in with a DSVDesk account to open it.",
            path=str(path),
            reason="signed_out",
        )
    kind = file_kind(path)
    if kind == "plaintext":
        raise StorageUnavailable(
            f"{path} is an unencrypted database where an encrypted DSVDesk database was expected. Nothing "
            "in it was changed. Open it with DSVDesk to convert it, or check the path given with --db.",
            path=str(path),
            reason="plaintext",
        )
    if create and kind == "missing":
        _create_private(path)
    conn: sqlite3.Connection | None = None
    try:
        with translate_errors(path):
            # check_same_thread=False: a Store may be handed to a worker thread and back (SQLite is built
            # serialized), but it is used by one thread at a time — the Store's documented contract.
            conn = raw_connect(path, key, uri=_uri(path, create=create), held=True)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            # Read the version before any pragma that writes (journal_mode=WAL changes the file header).
            try:
                version = user_version(conn)
            except _errors() as exc:
                if kind == "encrypted" and "not a database" in str(exc).lower():
                    raise _wrong_key(path) from exc
                raise
            _refuse_foreign(path, conn, version)
            _refuse_too_new(path, version)
            apply_pragmas(conn, busy_timeout_ms=busy_timeout_ms)
            owner_only(path)
            cast(Any, conn).identity = _identity(path)
            migrate(conn, path, target=migrate_to)
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return conn


def open_station(
    path: Path, *, create: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> sqlite3.Connection | None:
    """The connection ``Store.open`` and the sign-in gate use, or None while the database is locked.

    - the key for ``path`` is known in this process (someone signed in, or it was just created): open;
    - no database yet (``create``) or an empty file: make a new random key and create it encrypted
      (``init_station`` then wraps the key in the key file);
    - a plaintext DSVDesk 0.1 database: convert it first (``convert.encrypt_plaintext``);
    - an encrypted database with its key file: None — it opens at sign-in (``keywraps``)."""
    path = Path(path).expanduser().absolute()
    _check_location(path, create=create)
    kind = file_kind(path)
    if kind == "plaintext":
        from dsvdesk.store import convert

        return connect(path, key=convert.encrypt_plaintext(path), busy_timeout_ms=busy_timeout_ms)
    known = keys.key_for(path)
    if known is not None:
        return connect(path, create=create, key=known, busy_timeout_ms=busy_timeout_ms)
    if kind in ("missing", "empty"):
        from dsvdesk import paths

        if path.parent == paths.user_data_dir().absolute():
            restrict_folder(path.parent)  # DSVDesk's own data folder: its owner only (ACL on Windows)
        fresh = keys.new_key()
        conn = connect(path, create=True, key=fresh, busy_timeout_ms=busy_timeout_ms)
        keys.remember(path, fresh)
        return conn
    if keys.keyfile_path(path).is_file():
        return None
    raise StorageUnavailable(
        f"{path} is not a DSVDesk database (or it is an encrypted one whose key file "
        f"{keys.keyfile_path(path).name} is missing). Nothing in it was changed. Check the path given with "
        "--db or DSVDESK_DB, or put the key file back beside it.",
        path=str(path),
        reason="not_a_database",
    )


@contextmanager
def transaction(
    conn: sqlite3.Connection, path: Path, *, mode: str = "IMMEDIATE"
) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE (take the write lock now, so a stale read cannot be
    followed by a write), COMMIT on success — returning only after the commit is durable — and
    ROLLBACK on any exception. sqlite3 errors are translated."""
    if mode not in ("IMMEDIATE", "EXCLUSIVE", "DEFERRED"):
        raise StorageBug(f"unknown transaction mode {mode}")
    check_not_replaced(conn, path)
    with translate_errors(path):
        conn.execute(f"BEGIN {mode}")
    try:
        yield conn
    except _errors() as exc:
        _rollback(conn, path)
        raise map_error(exc, path) from exc
    except BaseException:
        _rollback(conn, path)
        raise
    with translate_errors(path):
        conn.execute("COMMIT")


def _rollback(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("ROLLBACK")
    except _errors() as rollback_error:  # the original error matters more; keep it
        log.storage.warning("rollback failed on %s: %s", path.name, rollback_error)
