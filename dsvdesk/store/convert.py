"""Converting a plaintext DSVDesk 0.1 database to the encrypted store, in place and safely.

Opening a 0.1 database (``db.open_station``) runs :func:`encrypt_plaintext`:

1. the file is checked (a DSVDesk database, not from a newer DSVDesk, healthy) and held with a write lock;
2. a new random key is made and ``sqlcipher_export`` copies everything into a new encrypted file beside it;
3. the copy is verified: integrity check, the same row count in every table, the audit chain intact;
4. the key is wrapped for every account without knowing their passwords — under the scrypt digest each
   account's password hash already holds (renewed with today's parameters at that user's next sign-in)
   — and under a new recovery key; the key file is written;
5. an encrypted backup of the converted database (with its key wraps) is written beside it *before* the
   swap: ``<name>.before-encryption.dsvbackup``;
6. the new file replaces the old one atomically; the old plaintext file is overwritten with zeros and
   removed (its -wal/-shm too); the conversion is audited in the new database.

The recovery key exists only in memory until it is shown: :func:`take_notice` gives the message (with the
recovery key) that the CLI prints and the app shows once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, BinaryIO

from dsvdesk import log
from dsvdesk.store import db, keys
from dsvdesk.store.errors import StorageUnavailable

BACKUP_SUFFIX = ".before-encryption.dsvbackup"
_NOTICES: dict[str, str] = {}
_NOTICES_LOCK = threading.Lock()


def take_notice(db_path: Path) -> str | None:
    """The message about a conversion just done for ``db_path`` (once), naming the recovery key."""
    with _NOTICES_LOCK:
        return _NOTICES.pop(str(Path(db_path).expanduser().absolute()), None)


def _notice(db_path: Path, text: str) -> None:
    with _NOTICES_LOCK:
        _NOTICES[str(db_path)] = text


def _refuse(path: Path, message: str, reason: str) -> StorageUnavailable:
    return StorageUnavailable(message, path=str(path), reason=reason)


def _check_plaintext(path: Path, conn: sqlite3.Connection) -> None:
    version = db.user_version(conn)
    has_tables = conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    if not has_tables and version == 0:
        return
    if not db.is_dsvdesk_database(conn):
        raise _refuse(
            path,
            f"{path} is a database of another program, not a DSVDesk database. Nothing in it was changed. "
            "Check the path given with --db or DSVDESK_DB.",
            "not_a_database",
        )
    if version > db.CURRENT_VERSION:
        raise _refuse(
            path,
            f"The database {path} was made by a newer version of DSVDesk (schema {version}; this version "
            f"understands up to {db.CURRENT_VERSION}). It was not changed. Use the newer DSVDesk, or ask IT "
            "to update this PC.",
            "too_new",
        )
    if str(conn.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
        raise _refuse(
            path,
            f"The unencrypted database {path} is damaged, so it was not converted; nothing was changed. "
            "Restore the latest backup, or ask IT for help.",
            "corrupt",
        )


def _tables(conn: sqlite3.Connection, schema: str = "main") -> list[str]:
    rows = conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "  # noqa: S608 - fixed schema names
        "AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _counts(conn: sqlite3.Connection, schema: str = "main") -> dict[str, int]:
    return {
        t: int(conn.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0])  # noqa: S608 - names from the schema
        for t in _tables(conn, schema)
    }


def _zero(handle: BinaryIO) -> None:
    """Overwrite an open file with zeros to its end (best effort on SSDs and copy-on-write disks)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    chunk = b"\0" * (1 << 20)
    left = size
    while left > 0:
        step = min(left, len(chunk))
        handle.write(chunk[:step])
        left -= step
    handle.flush()
    os.fsync(handle.fileno())


def _shred(path: Path) -> None:
    """Overwrite a file with zeros, then remove it (best effort on SSDs and copy-on-write disks)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        if size:
            with open(path, "r+b") as handle:
                _zero(handle)
    except OSError as exc:
        log.storage.warning("could not overwrite %s before removing it: %s", path.name, exc)
    path.unlink(missing_ok=True)


def encrypt_plaintext(path: Path) -> bytes:
    """Convert the plaintext DSVDesk database at ``path`` (steps in the module docstring); returns the
    new key (also remembered for ``path`` in this process). On any failure nothing is changed."""
    from dsvdesk.store import audit, backup

    path = Path(path).expanduser().absolute()
    if keys.keyfile_path(path).exists():
        raise _refuse(
            path,
            f"{path} is an unencrypted database, but a key file of an encrypted station is beside it. Nothing "
            "was changed. Check the path given with --db, or restore the latest backup.",
            "plaintext",
        )
    work = path.with_name(f".{path.name}.encrypting")
    backup_path = path.with_name(f"{path.name}{BACKUP_SUFFIX}")
    work.unlink(missing_ok=True)
    key = keys.new_key()
    source = db.driver.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        with db.translate_errors(path):
            source.execute("PRAGMA busy_timeout = 5000")
            _check_plaintext(path, source)
            source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            fd = os.open(work, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            source.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(work),))
            source.execute("BEGIN IMMEDIATE")  # no one writes to the 0.1 file while it is copied
            version = db.user_version(source)
            app_id = int(source.execute("PRAGMA application_id").fetchone()[0])
            before = _counts(source)
            source.execute("SELECT sqlcipher_export('encrypted')")
            source.execute(f"PRAGMA encrypted.user_version = {version:d}")
            source.execute(f"PRAGMA encrypted.application_id = {app_id:d}")
            source.execute("COMMIT")
            source.execute("DETACH DATABASE encrypted")
            data_version = source.execute("PRAGMA data_version").fetchone()[0]
            users = source.execute("SELECT username, password_hash FROM users").fetchall()
            settings_rows = dict(source.execute("SELECT key, value FROM settings").fetchall())
        copy = db.raw_connect(work, key)
        try:
            with db.translate_errors(work):
                ok = str(copy.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"
                same = ok and _counts(copy) == before
                chain = audit.verify(copy) if same and "audit_events" in before else None
            if not same or (chain is not None and not chain.ok):
                raise _refuse(
                    path,
                    f"The encrypted copy of {path} did not match the original, so the database was not "
                    "converted; nothing was changed. Ask IT for help.",
                    "corrupt",
                )
        finally:
            copy.close()
        keyfile, recovery = _keyfile_for(key, users, settings_rows)
        backup.write_container(work, keyfile, backup_path)
        _require_unchanged(source, data_version, path)
        keyfile.save(path)
        old = open(path, "r+b")
        try:
            os.replace(work, path)
            db.owner_only(path)
            source.close()
            _zero(old)
        finally:
            old.close()
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    _shred_leftovers(path)
    keys.remember(path, key)
    _audit_conversion(path, key, backup_path)
    _notice(
        path,
        f"The database {path.name} was converted to the encrypted format; an encrypted backup made first is "
        f"{backup_path.name}. The station's recovery key is:\n\n    {recovery}\n\nWrite it down or print it "
        "and give it to the force's ICT to keep off this PC: it opens the database if every password is lost. "
        "It is not stored anywhere and will not be shown again.",
    )
    log.storage.info("plaintext database %s converted to the encrypted format", path.name)
    return key


def _require_unchanged(source: sqlite3.Connection, data_version: Any, path: Path) -> None:
    if source.execute("PRAGMA data_version").fetchone()[0] != data_version:
        raise _refuse(
            path,
            f"Another program wrote to {path} while it was being encrypted, so it was not converted; nothing "
            "was changed. Close every other DSVDesk and open it again.",
            "locked",
        )


def _shred_leftovers(path: Path) -> None:
    # The old inode was replaced by the rename; its bytes may survive in the old WAL/shm names only.
    for suffix in ("-wal", "-shm", "-journal"):
        _shred(Path(f"{path}{suffix}"))


def _keyfile_for(
    key: bytes, users: list[tuple[str, str]], settings_rows: dict[str, str]
) -> tuple[keys.KeyFile, str]:
    import json

    settings = {}
    for name, value in settings_rows.items():
        try:
            settings[name] = json.loads(value)
        except (TypeError, ValueError):
            continue
    keyfile, recovery = keys.KeyFile.create(key, settings=settings)
    for username, stored in users:
        try:
            scheme, n, r, p, salt_hex, digest_hex = str(stored).split("$")
            if scheme != "scrypt":
                continue
            keyfile.set_user(
                str(username),
                "",
                key,
                salt=bytes.fromhex(salt_hex),
                params=(int(n), int(r), int(p)),
                derived=bytes.fromhex(digest_hex),
            )
        except ValueError:
            log.storage.warning("an account's password hash has an unknown form; it needs a password reset")
    return keyfile, recovery


def _audit_conversion(path: Path, key: bytes, backup_path: Path) -> None:
    from dsvdesk.store import audit
    from dsvdesk.store.base import iso, utc_now

    conn = db.connect(path, key=key)
    try:
        with db.transaction(conn, path):
            audit.append(
                conn,
                at=iso(utc_now()),
                event=audit.ENCRYPTED,
                user_id=None,
                username=None,
                detail={"backup": backup_path.name, "cipher": "SQLCipher 4 (AES-256)"},
            )
    finally:
        conn.close()
