"""The SQLite connection: pragmas in one place, numbered migrations, transactions, error mapping.

Every sqlite3 error that escapes the store goes through :func:`map_error`: problems of the environment
(not a database, locked, read-only, disk full, missing folder, corrupt file) become
``StorageUnavailable`` with a calm message naming the file; anything else is a ``StorageBug``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dsvdesk import log
from dsvdesk.store.errors import StorageBug, StorageUnavailable

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
            f"{path} is not a DSVDesk database (it is some other kind of file). Nothing in it was changed. "
            "Check the path given with --db or DSVDESK_DB."
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


def map_error(exc: sqlite3.Error, path: Path) -> StorageUnavailable | StorageBug:
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
    except sqlite3.Error as exc:
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
        if sqlite3.complete_statement(buffer):
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
    ``victim_key``)."""
    from dsvdesk.store.search import person_key

    conn.create_function("dsvdesk_person_key", 2, person_key, deterministic=True)


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
    before it returns (an acknowledged autosave survives power loss); foreign keys are enforced."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        log.storage.warning("journal_mode WAL not available (got %s); continuing with %s", mode, mode)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA trusted_schema = OFF")


def connect(
    path: Path,
    *,
    create: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate_to: int | None = None,
) -> sqlite3.Connection:
    """Open (or create) the database, refuse one from a newer DSVDesk untouched, set pragmas, migrate.

    The connection is in autocommit mode (``isolation_level=None``): the store opens explicit
    transactions with :func:`transaction`."""
    path = Path(path).expanduser().absolute()
    _check_location(path, create=create)
    conn: sqlite3.Connection | None = None
    try:
        with translate_errors(path):
            # check_same_thread=False: a Store may be handed to a worker thread and back (SQLite is built
            # serialized), but it is used by one thread at a time — the Store's documented contract.
            conn = sqlite3.connect(
                _uri(path, create=create), uri=True, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            # Read the version before any pragma that writes (journal_mode=WAL changes the file header).
            version = user_version(conn)
            _refuse_foreign(path, conn, version)
            _refuse_too_new(path, version)
            apply_pragmas(conn, busy_timeout_ms=busy_timeout_ms)
            migrate(conn, path, target=migrate_to)
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return conn


@contextmanager
def transaction(
    conn: sqlite3.Connection, path: Path, *, mode: str = "IMMEDIATE"
) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE (take the write lock now, so a stale read cannot be
    followed by a write), COMMIT on success — returning only after the commit is durable — and
    ROLLBACK on any exception. sqlite3 errors are translated."""
    if mode not in ("IMMEDIATE", "EXCLUSIVE", "DEFERRED"):
        raise StorageBug(f"unknown transaction mode {mode}")
    with translate_errors(path):
        conn.execute(f"BEGIN {mode}")
    try:
        yield conn
    except sqlite3.Error as exc:
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
    except sqlite3.Error as rollback_error:  # the original error matters more; keep it
        log.storage.warning("rollback failed on %s: %s", path.name, rollback_error)
