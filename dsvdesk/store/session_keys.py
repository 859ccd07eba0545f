"""The signed-in users' signing keys, held in memory for their session so that the audit chain can be
signed at every signature event and at sign-out (store/anchor.py) without asking for the password
again. Sign-in keeps only the scrypt-derived passphrase of the user's encrypted key; the key itself is
decrypted at the session's first checkpoint. Sign-out forgets both. Process-wide, so a worker
thread's second ``Store`` on the same file signs for the same session.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsvdesk import log
from dsvdesk.store.models import Session


@dataclass(slots=True)
class _Held:
    pem: bytes
    passphrase: bytes
    key: Any = None  # the decrypted RSA key, once needed


_HELD: dict[tuple[str, int, str], _Held] = {}
_LOCK = threading.Lock()


def _slot(path: Path, session: Session) -> tuple[str, int, str]:
    return (str(path), session.user.id, session.started_at)


def remember(path: Path, session: Session, pem: bytes, passphrase: bytes) -> None:
    with _LOCK:
        _HELD[_slot(path, session)] = _Held(pem, passphrase)


def forget(path: Path, session: Session) -> None:
    with _LOCK:
        _HELD.pop(_slot(path, session), None)


def held_key(path: Path, session: Session) -> Any:
    """The session user's private key, held since sign-in (None when this process holds none)."""
    return _key(path, session)


def _key(path: Path, session: Session) -> Any:
    from cryptography.hazmat.primitives import serialization

    with _LOCK:
        held = _HELD.get(_slot(path, session))
    if held is None:
        return None
    if held.key is None:
        try:
            held.key = serialization.load_pem_private_key(held.pem, password=held.passphrase)
        except (ValueError, TypeError):  # the key was replaced since sign-in (password reset)
            return None
    return held.key


def checkpoint(
    conn: sqlite3.Connection, path: Path, session: Session | None, reason: str, *, at: str
) -> bool:
    """Sign the audit head as the session's user, inside the caller's write transaction. False (and a
    log line) when this process holds no key for the session (signed in elsewhere)."""
    from dsvdesk.store import anchor, pki

    if session is None:
        return False
    key = _key(path, session)
    row = conn.execute(
        "SELECT certificate_pem, private_key_pem FROM users WHERE id = ?", (session.user.id,)
    ).fetchone()
    if key is None or row is None:
        log.storage.info("no audit checkpoint for %s: no signing key held for this session", reason)
        return False
    cert = pki.load_cert(bytes(row[0]))
    if cert.public_key() != key.public_key():
        log.storage.info("no audit checkpoint for %s: the user's certificate changed", reason)
        return False
    if _revoked(conn, cert):  # the force revoked it: it vouches for nothing from now on
        log.storage.info("no audit checkpoint for %s: the user's certificate is revoked", reason)
        return False
    anchor.append_checkpoint(
        conn,
        at=at,
        user_id=session.user.id,
        username=session.user.username,
        reason=reason,
        key=key,
        certificate=cert,
    )
    return True


def _revoked(conn: sqlite3.Connection, cert: Any) -> bool:
    from dsvdesk.store import forceca

    row = conn.execute("SELECT crl_der FROM revocation_list WHERE id = 1").fetchone()
    if row is None:
        return False
    return forceca.revoked_entry(cert, forceca.revocations(forceca.load_crl(bytes(row[0])))) is not None
