"""Tests and the encrypted store: copying a station (database + key file), and opening the file
directly (with its key) where a test tampers with rows or reads raw bytes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dsvdesk.store import db, keys


def copy_station(source: Path, target: Path, *, unlocked: bool = True) -> Path:
    """Copy a closed station database and its key file. ``unlocked``: this process knows the copy's key
    (as if someone had signed in), so ``Store.open(target)`` reads it at once."""
    shutil.copyfile(source, target)
    key_source = keys.keyfile_path(Path(source))
    if key_source.exists():
        shutil.copyfile(key_source, keys.keyfile_path(Path(target)))
    key = keys.key_for(Path(source))
    if unlocked and key is not None:
        keys.remember(Path(target), key)
    return target


def key_of(path: Path) -> bytes:
    key = keys.key_for(Path(path))
    assert key is not None, f"no key in memory for {path}"
    return key


def raw_connect(path: Path | str) -> sqlite3.Connection:
    """An SQLCipher connection to a station database with its key (no store checks): for tampering."""
    return db.raw_connect(Path(path), key_of(Path(path)))


PAGE_SIZE = 4096  # SQLCipher 4 defaults: 4096-byte pages, AES-256-CBC, 16-byte IV + 64-byte HMAC reserved
_RESERVE = 16 + 64


def decrypt_page(page: bytes, key: bytes, *, first: bool) -> bytes:
    """One SQLCipher 4 page decrypted with the raw key (the salt of page 1 is left as it is)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    start = 16 if first else 0
    end = PAGE_SIZE - _RESERVE
    iv = page[end : end + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return page[:start] + decryptor.update(page[start:end]) + decryptor.finalize()


def decrypted_bytes(path: Path, key: bytes) -> bytes:
    """Every page of an SQLCipher database file decrypted — free pages and unused cell space included —
    so a test can grep for text that should no longer be anywhere in the file."""
    data = Path(path).read_bytes()
    pages = [data[i : i + PAGE_SIZE] for i in range(0, len(data) - PAGE_SIZE + 1, PAGE_SIZE)]
    plain = b"".join(decrypt_page(p, key, first=n == 0) for n, p in enumerate(pages))
    assert b"SQLite format 3" not in data and b"CREATE TABLE" in plain, "not decrypted: wrong key or format"
    return plain


def decrypted_wal(path: Path, key: bytes) -> bytes:
    """The pages of a WAL file decrypted (32-byte header, then 24-byte frame header + page per frame)."""
    data = Path(path).read_bytes()
    frames = []
    offset = 32
    while offset + 24 + PAGE_SIZE <= len(data):
        page_number = int.from_bytes(data[offset : offset + 4], "big")
        frames.append(decrypt_page(data[offset + 24 : offset + 24 + PAGE_SIZE], key, first=page_number == 1))
        offset += 24 + PAGE_SIZE
    return b"".join(frames)


def occurrences(data: bytes, text: str | bytes) -> int:
    """How often ``text`` appears in ``data`` as UTF-8, UTF-16 (either byte order) or ASCII-folded
    lower case (the search index folds case and accents); bytes (a search token) as they are."""
    if isinstance(text, bytes):
        return data.count(text)
    needles = {
        text.encode("utf-8"),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
        text.lower().encode("utf-8"),
        text.upper().encode("utf-8"),
    }
    return sum(data.count(n) for n in needles)
