"""Encrypted backups (made with the SQLite backup API, safe while the app is running) and restore.

A backup is ONE file: a short header, the station's key file (the database key wrapped per user and
under the recovery key — nothing in the clear), then the encrypted database (SQLCipher, the station's
key, journal mode DELETE). It opens only with a DSVDesk password of an account in it, or the station's
recovery key:

    b"DSVDESK-BACKUP\n1\n" | 8-byte big-endian length | key file JSON | encrypted database

Restore refuses, changing nothing: a file that is not such a backup (a truncated or damaged one, an
unencrypted 0.1 file), a wrong password or recovery key, a backup of another station (a different
station id in the key file), a database that a running DSVDesk has open (``db.in_use``: a real lock),
and — unless ``force`` — a database with newer activity than the backup.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dsvdesk import log
from dsvdesk.store import db, keys
from dsvdesk.store.errors import AuthenticationFailed, InvalidInput, PermissionDenied, StorageUnavailable

MAGIC = b"DSVDESK-BACKUP\n1\n"
_LENGTH = struct.Struct(">Q")
MAX_KEYFILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DatabaseSummary:
    schema_version: int
    last_event_id: int
    last_event_at: str


def copy_database(source: sqlite3.Connection, source_path: Path, out: Path) -> Path:
    """Copy a live database to ``out`` as an encrypted backup file (see the module docstring),
    atomically replacing it."""
    out = Path(out).expanduser().absolute()
    if out.is_dir():
        raise InvalidInput(
            f"{out} is a folder; give a file name for the backup, e.g. {out / 'dsvdesk-backup.dsvbackup'}."
        )
    if not out.parent.is_dir():
        raise InvalidInput(
            f"The folder {out.parent} does not exist; create it or choose another place for the backup."
        )
    if out.exists() and out.resolve() == Path(source_path).resolve():
        raise InvalidInput("The backup cannot be written over the database itself; choose another file.")
    keyfile = keys.KeyFile.load(Path(source_path))
    key = keys.key_for(Path(source_path))
    if keyfile is None or key is None:
        raise keys.keys_missing(Path(source_path))
    problem = "The backup could not be written in {folder}: {error}. Choose a folder you can write to."
    tmp = _temp_file_beside(out, ".dsvdesk-backup-", problem)
    try:
        check = _copy_into(source, tmp, key, quick_check=True)
        _require_ok(check, out)
        write_container(tmp, keyfile, out)
    finally:
        tmp.unlink(missing_ok=True)
    log.storage.info("encrypted backup written to %s", out.name)
    return out


def write_container(database: Path, keyfile: keys.KeyFile, out: Path) -> None:
    """Write the backup file ``out`` from an encrypted database file and its key file (atomic, 0600)."""
    header = keyfile.to_json().encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(prefix=".dsvdesk-backup-", suffix=".part", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle, open(database, "rb") as data:
            handle.write(MAGIC + _LENGTH.pack(len(header)) + header)
            while chunk := data.read(1 << 20):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageUnavailable(
            f"The backup could not be written to {out}: {exc.strerror or exc}. Choose a folder you can write to.",
            path=str(out),
            reason="io",
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _not_a_backup(path: Path, why: str = "") -> InvalidInput:
    return InvalidInput(
        f"{path} is not a DSVDesk backup{why}; nothing was restored. Check the file name, or try an older backup."
    )


def read_container(path: Path, database_out: Path) -> keys.KeyFile:
    """Split a backup file: its key file, and its encrypted database written to ``database_out``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC))
            if head != MAGIC:
                if head.startswith(db.SQLITE_HEADER[: len(head)]) and len(head) == len(MAGIC):
                    raise InvalidInput(
                        f"{path} is an unencrypted database (a DSVDesk 0.1 backup or another program's file), "
                        "not an encrypted DSVDesk backup; nothing was restored. To bring a 0.1 backup back, ask "
                        "IT to put it in place of the database and open DSVDesk, which encrypts it."
                    )
                raise _not_a_backup(path)
            size_bytes = handle.read(_LENGTH.size)
            if len(size_bytes) != _LENGTH.size:
                raise _not_a_backup(path, " (it is cut short)")
            (size,) = _LENGTH.unpack(size_bytes)
            if size > MAX_KEYFILE_BYTES:
                raise _not_a_backup(path, " (it is damaged)")
            header = handle.read(size)
            if len(header) != size:
                raise _not_a_backup(path, " (it is cut short)")
            try:
                keyfile = keys.KeyFile.from_json(header.decode("utf-8"), source=path)
            except (StorageUnavailable, UnicodeDecodeError):
                raise _not_a_backup(path, " (it is damaged)") from None
            with open(database_out, "wb") as out:
                while chunk := handle.read(1 << 20):
                    out.write(chunk)
    except OSError as exc:
        raise InvalidInput(f"The backup {path} cannot be read: {exc.strerror or exc}.") from None
    return keyfile


def _temp_file_beside(target: Path, prefix: str, problem: str) -> Path:
    """A new empty file in ``target``'s folder, so that renaming it over ``target`` is atomic.
    ``problem`` ({folder}, {error}) says what could not be done when the folder cannot be written."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".sqlite3", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise StorageUnavailable(
            problem.format(folder=target.parent, error=exc.strerror or exc),
            path=str(target),
            reason="readonly",
        ) from exc
    return Path(tmp_name)


def _copy_into(source: sqlite3.Connection, tmp: Path, key: bytes, *, quick_check: bool) -> str | None:
    """Copy ``source`` into the file ``tmp`` (encrypted under ``key``) with the SQLite backup API; with
    ``quick_check``, the copy's check result ("ok" when healthy)."""
    with db.translate_errors(tmp):
        destination = db.raw_connect(tmp, key)
        try:
            source.backup(destination)
            # a copy is one file: leave WAL mode so no -wal/-shm files are needed beside it
            destination.execute("PRAGMA journal_mode = DELETE")
            return str(destination.execute("PRAGMA quick_check").fetchone()[0]) if quick_check else None
        finally:
            destination.close()


def _require_ok(check: str | None, out: Path) -> None:
    if check != "ok":
        raise StorageUnavailable(
            f"The backup copy failed its check ({check}); nothing was written to {out}.",
            path=str(out),
            reason="corrupt",
        )


def summarise(conn: sqlite3.Connection) -> DatabaseSummary:
    version = db.user_version(conn)
    row = conn.execute("SELECT id, at FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    return DatabaseSummary(version, int(row[0]) if row else 0, str(row[1]) if row else "")


def _open_readonly(path: Path, key: bytes) -> sqlite3.Connection:
    return db.raw_connect(path, key, uri=f"{path.as_uri()}?mode=ro")


def restore_database(
    backup_file: Path,
    target: Path,
    *,
    force: bool,
    admin_username: str,
    admin_password: str | None,
    recovery_key: str | None = None,
) -> DatabaseSummary:
    """Replace ``target`` (and its key file) with ``backup_file``. The backup must be a healthy DSVDesk
    backup that the admin's password (or the station's recovery key) opens, of this station; a database
    that DSVDesk has open is never replaced, and one with newer activity is kept unless ``force``."""
    backup_file = Path(backup_file).expanduser().absolute()
    target = Path(target).expanduser().absolute()
    if not backup_file.is_file():
        raise InvalidInput(f"There is no backup file at {backup_file}.")
    if target.exists() and target.resolve() == backup_file.resolve():
        raise InvalidInput("The backup and the database are the same file; nothing to restore.")
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist; create it first.")
    if db.in_use(target):
        raise StorageUnavailable(
            f"The database {target} is open in DSVDesk (on this PC, by this or another account). Close every "
            "DSVDesk window using it, then run restore again; nothing was changed.",
            path=str(target),
            reason="in_use",
        )
    work = _temp_file_beside(
        target, ".dsvdesk-restore-", "Cannot write in {folder}: {error}. Nothing was restored."
    )
    try:
        keyfile = read_container(backup_file, work)
        key = _unwrap(keyfile, backup_file, admin_username, admin_password, recovery_key)
        _refuse_other_station(target, keyfile)
        with db.translate_errors(backup_file):
            source = _open_readonly(work, key)
            try:
                summary = _check_backup(source, backup_file, admin_username, admin_password, recovery_key)
                if target.exists() and not force:
                    _refuse_if_newer(target, key, summary)
            except db.Errors as exc:
                raise StorageUnavailable(
                    f"The backup {backup_file} is damaged ({exc}); it was not restored. Try an older backup.",
                    path=str(backup_file),
                    reason="corrupt",
                ) from None
            finally:
                source.close()
        _swap_in(work, keyfile, target)
    finally:
        work.unlink(missing_ok=True)
    keys.remember(target, key)
    log.storage.info("database %s restored from a backup", target.name)
    return summary


def _unwrap(
    keyfile: keys.KeyFile,
    backup_file: Path,
    admin_username: str,
    admin_password: str | None,
    recovery_key: str | None,
) -> bytes:
    if recovery_key is not None:
        key = keyfile.unwrap_recovery(recovery_key)
        if key is None:
            raise AuthenticationFailed(
                "The recovery key is not right for this backup (it may be another station's); nothing was restored."
            )
        return key
    key = keyfile.unwrap_user(admin_username, str(admin_password or ""))
    if key is None:
        raise AuthenticationFailed("The username or password is not right for the backup being restored.")
    return key


def _refuse_other_station(target: Path, backup_keys: keys.KeyFile) -> None:
    try:
        current = keys.KeyFile.load(target)
    except StorageUnavailable:
        return  # a damaged key file beside the target: restoring is the cure
    if current is not None and current.station_id != backup_keys.station_id and target.exists():
        raise InvalidInput(
            f"The backup is of another station's database, not of the one at {target}; nothing was restored. "
            "To look at it, restore it to a new file with --db NEW_FILE."
        )


def _check_backup(
    source: sqlite3.Connection,
    backup_file: Path,
    admin_username: str,
    admin_password: str | None,
    recovery_key: str | None,
) -> DatabaseSummary:
    from dsvdesk.store.users import check_password

    if not db.is_dsvdesk_database(source):
        raise InvalidInput(f"{backup_file} is not a DSVDesk backup; nothing was restored.")
    summary = summarise(source)
    if summary.schema_version > db.CURRENT_VERSION:
        raise StorageUnavailable(
            f"The backup {backup_file} was made by a newer DSVDesk (schema {summary.schema_version}); "
            "restore it with that version.",
            path=str(backup_file),
            reason="too_new",
        )
    if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise StorageUnavailable(
            f"The backup {backup_file} is damaged; it was not restored. Try an older backup.",
            path=str(backup_file),
            reason="corrupt",
        )
    if recovery_key is not None:
        return summary
    row = source.execute(
        "SELECT password_hash, role FROM users WHERE username = ?", (admin_username,)
    ).fetchone()
    if row is None or not check_password(str(admin_password or ""), str(row[0])):
        raise AuthenticationFailed("The username or password is not right for the backup being restored.")
    if row[1] != "admin":
        raise PermissionDenied("Only an admin of the backed-up station can restore it.")
    return summary


def _swap_in(work: Path, keyfile: keys.KeyFile, target: Path) -> None:
    """The restored database (already in a temporary file beside ``target``) and its key file take the
    old ones' places. The old -wal/-shm files go too: SQLite would otherwise replay the old database's
    journal into the restored one. The database key of a station never changes, so the key file and the
    database match at every moment of the swap."""
    try:
        keyfile.save(target)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        work.replace(target)
    except OSError as exc:
        raise StorageUnavailable(
            f"The database {target} could not be replaced: {exc.strerror or exc}. Close DSVDesk and try again.",
            path=str(target),
            reason="io",
        ) from exc


def _refuse_if_newer(target: Path, key: bytes, backup: DatabaseSummary) -> None:
    kind = db.file_kind(target)
    if kind in ("missing", "empty"):
        return
    if kind == "plaintext":
        raise InvalidInput(
            f"{target} is an unencrypted database (another program's database, or DSVDesk 0.1's), so the backup "
            "was not restored over it. Give the DSVDesk database's path with --db, or open it in DSVDesk first."
        )
    try:
        conn = _open_readonly(target, key)
        try:
            if not db.is_dsvdesk_database(conn):
                raise InvalidInput(
                    f"{target} is another program's database, so the backup was not restored over it. "
                    "Give the DSVDesk database's path with --db."
                )
            current = summarise(conn)
        finally:
            conn.close()
    except db.Errors:
        return  # the target is not a usable database (the usual reason to restore): replace it
    if current.last_event_at > backup.last_event_at or current.schema_version > backup.schema_version:
        raise InvalidInput(
            f"The database {target} has newer activity ({current.last_event_at or 'unknown'}) than the backup "
            f"({backup.last_event_at or 'empty'}); restoring would lose that work, so nothing was changed. "
            "If you are sure, run restore again with --force."
        )


def read_head(
    backup_file: Path,
    db_path: Path,
    *,
    username: str = "",
    password: str | None = None,
    recovery_key: str | None = None,
) -> tuple[int, str]:
    """The audit head (last event id, hash) an encrypted backup of the station at ``db_path`` was made
    at, for `audit verify --against`. The backup is only read: its database is copied (still encrypted)
    to a temporary folder and opened read-only. It opens with the station's key when this process holds
    it (a signed-in user: a station's key never changes), else ``username``'s password in the backup or
    the station's ``recovery_key``. A backup of another station, a damaged one, or credentials that do
    not open it are refused with one sentence."""
    backup_file = Path(backup_file)
    name = backup_file.name
    with tempfile.TemporaryDirectory(prefix="dsvdesk-head-") as folder:
        work = Path(folder) / "backup.sqlite3"
        try:
            keyfile = read_container(backup_file, work)
        except InvalidInput:
            raise InvalidInput(
                f"{name} is not a whole DSVDesk backup (it is damaged or cut short), so its audit head cannot "
                "be read. Give another copy of it."
            ) from None
        current = keys.KeyFile.load(Path(db_path))
        if current is not None and current.station_id != keyfile.station_id:
            raise InvalidInput(
                f"{name} is a backup of another station's database, so its audit head says nothing about "
                "this station's log. Check it at the station it came from."
            )
        key = _head_key(
            keyfile, db_path, name, username=username, password=password, recovery_key=recovery_key
        )
        with db.translate_errors(backup_file):
            conn = _open_readonly(work, key)
            try:
                if not db.is_dsvdesk_database(conn):
                    raise InvalidInput(f"{name} is not a DSVDesk backup, so it carries no audit head.")
                row = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
            except db.Errors:
                raise InvalidInput(
                    f"{name} cannot be opened with this station's key (it is damaged), so its audit head "
                    "cannot be read. Give another copy of it."
                ) from None
            finally:
                conn.close()
    if row is None:
        raise InvalidInput(f"{name} holds no audit log, so it carries no audit head.")
    return int(row[0]), str(row[1])


def _head_key(
    keyfile: keys.KeyFile,
    db_path: Path,
    name: str,
    *,
    username: str,
    password: str | None,
    recovery_key: str | None,
) -> bytes:
    held = keys.key_for(Path(db_path))
    if held is not None and recovery_key is None:
        return held
    if recovery_key is not None:
        key = keyfile.unwrap_recovery(recovery_key)
        if key is None:
            raise AuthenticationFailed(
                f"The recovery key is not right for {name}; its audit head was not read."
            )
        return key
    key = keyfile.unwrap_user(username, str(password or "")) if username else None
    if key is None:
        raise AuthenticationFailed(
            f"The password does not open {name} (the account may be newer than the backup, or its password "
            "was different then). Give the station's recovery key instead."
        )
    return key
