"""Consistent copies with the SQLite backup API (safe while the app is running) and restore."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dsvdesk import log
from dsvdesk.store import db
from dsvdesk.store.errors import AuthenticationFailed, InvalidInput, PermissionDenied, StorageUnavailable


@dataclass(frozen=True, slots=True)
class DatabaseSummary:
    schema_version: int
    last_event_id: int
    last_event_at: str


def copy_database(source: sqlite3.Connection, source_path: Path, out: Path) -> Path:
    """Copy a live database to ``out`` (a single self-contained file), atomically replacing it."""
    out = Path(out).expanduser().absolute()
    if out.is_dir():
        raise InvalidInput(
            f"{out} is a folder; give a file name for the backup, e.g. {out / 'dsvdesk-backup.sqlite3'}."
        )
    if not out.parent.is_dir():
        raise InvalidInput(
            f"The folder {out.parent} does not exist; create it or choose another place for the backup."
        )
    if out.exists() and out.resolve() == Path(source_path).resolve():
        raise InvalidInput("The backup cannot be written over the database itself; choose another file.")
    tmp = _temp_file_beside(
        out,
        ".dsvdesk-backup-",
        "The backup could not be written in {folder}: {error}. Choose a folder you can write to.",
    )
    try:
        check = _copy_into(source, tmp, quick_check=True)
        _require_ok(check, out)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.storage.info("backup written to %s", out.name)
    return out


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


def _copy_into(source: sqlite3.Connection, tmp: Path, *, quick_check: bool) -> str | None:
    """Copy ``source`` into the file ``tmp`` with the SQLite backup API; with ``quick_check``, the copy's
    check result ("ok" when healthy)."""
    with db.translate_errors(tmp):
        destination = sqlite3.connect(tmp, isolation_level=None)
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


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)


def restore_database(
    backup_file: Path,
    target: Path,
    *,
    force: bool,
    admin_username: str,
    admin_password: str,
) -> DatabaseSummary:
    """Replace ``target`` with ``backup_file``. The backup must be a healthy DSVDesk database, the
    person restoring must be an admin in it, and a target with newer activity is kept unless ``force``."""
    from dsvdesk.store.users import check_password

    backup_file = Path(backup_file).expanduser().absolute()
    target = Path(target).expanduser().absolute()
    if not backup_file.is_file():
        raise InvalidInput(f"There is no backup file at {backup_file}.")
    if target.exists() and target.resolve() == backup_file.resolve():
        raise InvalidInput("The backup and the database are the same file; nothing to restore.")
    with db.translate_errors(backup_file):
        source = _open_readonly(backup_file)
        try:
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
            row = source.execute(
                "SELECT password_hash, role FROM users WHERE username = ?", (admin_username,)
            ).fetchone()
            if row is None or not check_password(admin_password, str(row[0])):
                raise AuthenticationFailed(
                    "The username or password is not right for the backup being restored."
                )
            if row[1] != "admin":
                raise PermissionDenied("Only an admin of the backed-up station can restore it.")
            if target.exists() and not force:
                _refuse_if_newer(target, summary)
            if not target.parent.is_dir():
                raise InvalidInput(f"The folder {target.parent} does not exist; create it first.")
            _replace_with_copy(source, target)
        finally:
            source.close()
    log.storage.info("database %s restored from a backup", target.name)
    return summary


def _replace_with_copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy into a temporary file beside ``target``, then swap it in. The old -wal/-shm files go too:
    SQLite would otherwise replay the old database's journal into the restored one."""
    tmp = _temp_file_beside(
        target, ".dsvdesk-restore-", "Cannot write in {folder}: {error}. Nothing was restored."
    )
    try:
        _copy_into(source, tmp, quick_check=False)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageUnavailable(
            f"The database {target} could not be replaced: {exc.strerror or exc}. Close DSVDesk and try again.",
            path=str(target),
            reason="io",
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _refuse_if_newer(target: Path, backup: DatabaseSummary) -> None:
    try:
        conn = _open_readonly(target)
        try:
            if (
                not db.is_dsvdesk_database(conn)
                and conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
            ):
                raise InvalidInput(
                    f"{target} is another program's database, so the backup was not restored over it. "
                    "Give the DSVDesk database's path with --db."
                )
            current = summarise(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return  # the target is not a usable database (the usual reason to restore): replace it
    if current.last_event_at > backup.last_event_at or current.schema_version > backup.schema_version:
        raise InvalidInput(
            f"The database {target} has newer activity ({current.last_event_at or 'unknown'}) than the backup "
            f"({backup.last_event_at or 'empty'}); restoring would lose that work, so nothing was changed. "
            "If you are sure, run restore again with --force."
        )
