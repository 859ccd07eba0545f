"""The database key: made at ``init``, kept on disk only wrapped, held in memory after sign-in.

The station database is encrypted page by page by SQLCipher under one random 256-bit key. That key
never touches the disk in the clear. The *key file* beside the database (``<database>.keys``, JSON,
owner-only) holds it wrapped (AES-256-GCM):

- once per user, under a key derived from that user's password with scrypt
  (``N=2**15, r=8, p=1``, 32 MiB, a 16-byte random salt; ~0.1 s here) — signing in unwraps it;
- once under the station *recovery key* (160 random bits, printed once at ``init`` for the force's ICT),
  so a station whose every password is lost can still be opened.

Nothing personal is in the key file: a user's entry is found by a salted SHA-256 of the username (not
the username), and beside the wraps it keeps only what the sign-in window shows before anyone signs in
(station name, protective marking) — a copy of the public settings. Every wrap is bound (GCM associated
data) to the station id and to what it wraps, so an entry copied from another station's key file does not
open this one.

After a successful unwrap the raw key is remembered for the database path in this process only
(:func:`remember`), and every connection — the UI's, a worker's — hands it to SQLCipher with
``PRAGMA key = "x'…'"`` (0.2–0.4 ms; a passphrase would run SQLCipher's own PBKDF2, 110–166 ms, on every
open).
"""

from __future__ import annotations

# hashlib, hmac, secrets, base64 and tempfile are imported where they are used: the sign-in window
# reads this key file for the station's name and marking before any key is needed (cold start).
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsvdesk.store.errors import StorageUnavailable

KEY_BYTES = 32
FORMAT = "dsvdesk-keys-1"
KEYFILE_SUFFIX = ".keys"
# Password wraps: scrypt (stdlib hashlib, OpenSSL). 2**15 x r=8 = 32 MiB and ~0.1 s per sign-in here;
# the key file is what an attacker with a copy of the disk would attack, so it is slower than the
# in-database password hash (2**14).
WRAP_N = 2**15
WRAP_R = 8
WRAP_P = 1
_MAXMEM = 128 * 1024 * 1024
RECOVERY_BYTES = 20  # 160 bits, shown as 8 groups of 4 base32 characters
_PUBLIC_SETTINGS = (
    "station_name",
    "station_code",
    "marking",
    "idle_lock_minutes",
    "lockout_threshold",
    "lockout_minutes",
)
MAX_PENDING_EVENTS = 1000


@contextmanager
def exclusive(db_path: Path) -> Iterator[None]:
    """Hold ``<key file>.lock`` exclusively: one process at a time reads the key file, checks a password
    and writes the failure count back, so wrong passwords racing from many processes cannot each read the
    same old count (the lockout would otherwise let far more than its threshold through)."""
    lock_path = Path(f"{keyfile_path(db_path)}.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        # A read-only folder: nothing can be counted or written there either, so there is no race to
        # guard, and the sign-in goes on to give its own clear answer about the folder.
        yield
        return
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        os.close(fd)  # on POSIX closing the descriptor releases the flock


def keyfile_path(db_path: Path) -> Path:
    return Path(f"{db_path}{KEYFILE_SUFFIX}")


def keys_missing(db_path: Path) -> StorageUnavailable:
    return StorageUnavailable(
        f"The database {db_path} is encrypted but its key file ({keyfile_path(db_path).name}) is missing, so "
        "it cannot be opened. Nothing was changed. Put the key file back beside it, or restore the latest "
        "backup with `dsvdesk restore FILE`.",
        path=str(db_path),
        reason="keys_missing",
    )


def new_key() -> bytes:
    import secrets

    return secrets.token_bytes(KEY_BYTES)


def new_recovery_key() -> str:
    import base64
    import secrets

    text = base64.b32encode(secrets.token_bytes(RECOVERY_BYTES)).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _recovery_secret(text: str) -> bytes | None:
    import base64

    cleaned = "".join(ch for ch in str(text).upper() if ch.isalnum())
    try:
        raw = base64.b32decode(cleaned)
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == RECOVERY_BYTES else None


# --------------------------------------------------------------------------------------- in memory
_KEYS: dict[str, bytes] = {}
_KEYS_LOCK = threading.Lock()


def _slot(db_path: Path) -> str:
    return str(Path(db_path).expanduser().absolute())


def remember(db_path: Path, key: bytes) -> None:
    """Hold the unwrapped key for ``db_path`` in this process (never written anywhere)."""
    with _KEYS_LOCK:
        _KEYS[_slot(db_path)] = bytes(key)


def key_for(db_path: Path) -> bytes | None:
    with _KEYS_LOCK:
        return _KEYS.get(_slot(db_path))


def forget(db_path: Path) -> None:
    with _KEYS_LOCK:
        _KEYS.pop(_slot(db_path), None)


# --------------------------------------------------------------------------------------- wrapping
def _aead(key: bytes) -> Any:
    # cryptography is imported here, when a key is wrapped or unwrapped, never to paint the sign-in window
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    import hashlib

    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    return _wrapping_key(digest)


def _wrapping_key(secret: bytes) -> bytes:
    import hashlib
    import hmac

    return hmac.new(secret, b"dsvdesk database key wrap v1", hashlib.sha256).digest()


def _seal(wrapping_key: bytes, db_key: bytes, aad: bytes) -> dict[str, str]:
    import secrets

    nonce = secrets.token_bytes(12)
    return {"nonce": nonce.hex(), "wrapped": _aead(wrapping_key).encrypt(nonce, db_key, aad).hex()}


def _open(wrapping_key: bytes, entry: dict[str, Any], aad: bytes) -> bytes | None:
    from cryptography.exceptions import InvalidTag

    try:
        key = _aead(wrapping_key).decrypt(bytes.fromhex(entry["nonce"]), bytes.fromhex(entry["wrapped"]), aad)
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None
    return bytes(key) if len(key) == KEY_BYTES else None


def _user_id(id_salt: bytes, username: str) -> str:
    import hashlib

    return hashlib.sha256(id_salt + str(username).encode("utf-8")).hexdigest()


@dataclass
class KeyFile:
    """The key file's content. ``users`` entries carry no username, only its salted hash."""

    station_id: str
    users: list[dict[str, Any]] = field(default_factory=list)
    recovery: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # A demo database's public demo sign-ins (shown on its sign-in window in demo mode); never a station's.
    demo_accounts: list[dict[str, str]] = field(default_factory=list)
    # Failed sign-ins before the database could be opened (it cannot be read without the key): kept here,
    # without usernames, until the next successful sign-in writes them to the audit log.
    pending_events: list[dict[str, Any]] = field(default_factory=list)

    # ----------------------------------------------------------------------------------- make
    @classmethod
    def create(cls, db_key: bytes, *, settings: dict[str, Any] | None = None) -> tuple[KeyFile, str]:
        """A new key file for ``db_key`` with its recovery wrap; returns it and the recovery key text."""
        import secrets

        keyfile = cls(station_id=secrets.token_hex(16), settings=dict(settings or {}))
        recovery = new_recovery_key()
        keyfile.set_recovery(recovery, db_key)
        return keyfile, recovery

    def _aad(self, purpose: str) -> bytes:
        return f"{FORMAT}|{self.station_id}|{purpose}".encode()

    def set_recovery(self, recovery_text: str, db_key: bytes) -> None:
        secret = _recovery_secret(recovery_text)
        if secret is None:
            raise ValueError("not a recovery key")
        self.recovery = _seal(_wrapping_key(secret), db_key, self._aad("recovery"))

    def _find(self, username: str) -> int | None:
        import hmac

        for index, entry in enumerate(self.users):
            try:
                salt = bytes.fromhex(entry["id_salt"])
            except (KeyError, ValueError, TypeError):
                continue
            if hmac.compare_digest(_user_id(salt, username), str(entry.get("id", ""))):
                return index
        return None

    def has_user(self, username: str) -> bool:
        return self._find(username) is not None

    def set_user(
        self,
        username: str,
        password: str,
        db_key: bytes,
        *,
        salt: bytes | None = None,
        params: tuple[int, int, int] = (WRAP_N, WRAP_R, WRAP_P),
        derived: bytes | None = None,
    ) -> None:
        """Wrap ``db_key`` for ``username`` under their password (replacing any earlier wrap).

        ``derived`` (with its ``salt`` and ``params``) is an scrypt digest of the password already made
        (the in-database password hash, when a 0.1 database is converted without its users' passwords)."""
        import secrets

        salt = salt if salt is not None else secrets.token_bytes(16)
        n, r, p = params
        wrapping = _wrapping_key(derived) if derived is not None else _derive(password, salt, n, r, p)
        id_salt = secrets.token_bytes(16)
        entry: dict[str, Any] = {
            "id_salt": id_salt.hex(),
            "id": _user_id(id_salt, username),
            "kdf": "scrypt",
            "n": n,
            "r": r,
            "p": p,
            "salt": salt.hex(),
        }
        entry.update(_seal(wrapping, db_key, self._aad("user")))
        index = self._find(username)
        if index is None:
            self.users.append(entry)
        else:
            self.users[index] = entry

    def remove_user(self, username: str) -> None:
        index = self._find(username)
        if index is not None:
            del self.users[index]

    # ----------------------------------------------------------------------------------- lockout
    def entry_id(self, username: str) -> str | None:
        """The key file's id of ``username``'s entry (a salted hash), or None for an unknown user."""
        index = self._find(username)
        return None if index is None else str(self.users[index]["id"])

    def locked_until(self, username: str, now_iso: str) -> str | None:
        index = self._find(username)
        until = None if index is None else self.users[index].get("locked_until")
        return str(until) if until and str(until) > now_iso else None

    def note_failure(self, username: str, *, now_iso: str, lock_iso: str, threshold: int) -> str | None:
        """Count a wrong password typed before the database was open; returns the lock's end when this
        failure locks the account (then the count starts again)."""
        index = self._find(username)
        self.pending_events.append(
            {
                "at": now_iso,
                "id": self.entry_id(username),
                "reason": "unknown_user" if index is None else "wrong_password",
            }
        )
        if index is None:
            return None
        entry = self.users[index]
        entry["failed"] = int(entry.get("failed", 0)) + 1
        if entry["failed"] >= max(1, threshold):
            entry["failed"] = 0
            entry["locked_until"] = lock_iso
            return lock_iso
        return None

    def has_failures(self, username: str) -> bool:
        index = self._find(username)
        return index is not None and bool(self.users[index].get("failed"))

    def clear_failures(self, username: str) -> None:
        index = self._find(username)
        if index is not None:
            self.users[index].pop("failed", None)
            self.users[index].pop("locked_until", None)

    def needs_rewrap(self, username: str) -> bool:
        """True when the user's wrap uses weaker parameters than today's (a converted 0.1 database)."""
        index = self._find(username)
        if index is None:
            return True
        entry = self.users[index]
        return (int(entry.get("n", 0)), int(entry.get("r", 0))) != (WRAP_N, WRAP_R)

    # ----------------------------------------------------------------------------------- unwrap
    def unwrap_user(self, username: str, password: str) -> bytes | None:
        """The database key, or None for an unknown user or a wrong password (same cost either way)."""
        index = self._find(username)
        if index is None:
            _derive(str(password), b"\0" * 16, WRAP_N, WRAP_R, WRAP_P)  # no account discovery by timing
            return None
        entry = self.users[index]
        try:
            salt = bytes.fromhex(entry["salt"])
            n, r, p = int(entry["n"]), int(entry["r"]), int(entry["p"])
            wrapping = _derive(str(password), salt, n, r, p)
        except (KeyError, ValueError, TypeError):
            return None
        return _open(wrapping, entry, self._aad("user"))

    def unwrap_recovery(self, recovery_text: str) -> bytes | None:
        secret = _recovery_secret(recovery_text)
        if secret is None or not self.recovery:
            return None
        return _open(_wrapping_key(secret), self.recovery, self._aad("recovery"))

    # ----------------------------------------------------------------------------------- files
    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "station_id": self.station_id,
                "settings": {k: v for k, v in self.settings.items() if k in _PUBLIC_SETTINGS},
                "users": self.users,
                "recovery": self.recovery,
                "demo_accounts": self.demo_accounts,
                "pending_events": self.pending_events[-MAX_PENDING_EVENTS:],
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, *, source: Path) -> KeyFile:
        damaged = StorageUnavailable(
            f"The key file {source} is damaged, so the database beside it cannot be opened. Nothing "
            "was changed. Restore the key file with the latest backup (`dsvdesk restore FILE`).",
            path=str(source),
            reason="keys_damaged",
        )
        try:
            data = json.loads(text)
        except ValueError:
            raise damaged from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise damaged
        try:
            return cls(
                station_id=str(data["station_id"]),
                users=[dict(u) for u in data.get("users", [])],
                recovery=dict(data.get("recovery", {})),
                settings=dict(data.get("settings", {})),
                pending_events=[dict(e) for e in data.get("pending_events", [])],
                demo_accounts=[
                    {str(k): str(v) for k, v in dict(a).items()} for a in data.get("demo_accounts", [])
                ],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise damaged from None

    @classmethod
    def load(cls, db_path: Path) -> KeyFile | None:
        """The key file beside ``db_path``, or None when there is none."""
        path = keyfile_path(db_path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageUnavailable(
                f"The key file {path} cannot be read ({getattr(exc, 'strerror', None) or exc}). "
                "Check that your account may read that folder.",
                path=str(path),
                reason="cannot_open",
            ) from None
        return cls.from_json(text, source=path)

    def save(self, db_path: Path) -> None:
        """Write atomically (temporary file, fsync, rename), owner-only."""
        write_private(keyfile_path(db_path), self.to_json().encode("utf-8"))


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is owner-only (0600) on POSIX."""
    import tempfile

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mkstemp: mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
