"""Accounts, sign-in with lockout, the station CA and each user's signing key."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
import os
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from dsvdesk import log
from dsvdesk.store import audit, pki
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.base import USER_COLUMNS, iso, user_from_row
from dsvdesk.store.errors import (
    AccountLocked,
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WrongPassword,
)
from dsvdesk.store.keyring import KeyringOps
from dsvdesk.store.keywraps import KeyOps
from dsvdesk.store.models import Role, Session, SigningIdentity, User

if TYPE_CHECKING:
    import sqlite3

    # Annotations only: cryptography is imported where keys are made or read (see pki.py), so
    # opening the store and signing in never pay for it.
    from cryptography.hazmat.primitives.asymmetric import rsa

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_BAD_SIGN_IN = "The username or password is not right. Check them and try again."


def _escrow_key(value: bytes | None) -> bytes | None:
    """The raw escrow public key from raw bytes or a PEM; ``InvalidInput`` for anything else."""
    from dsvdesk.store import sealing

    if value is None:
        return None
    data = bytes(value)
    if len(data) == sealing.KEY_BYTES:
        return data
    try:
        return sealing.load_public_pem(data)
    except ValueError:
        raise InvalidInput(
            "The escrow key file is not an X25519 public key in PEM form; give the escrow_public.pem "
            "made by `dsvdesk ca escrow-init`."
        ) from None


def _reset_notice_text(stored: str | None) -> str | None:
    """What the user is told at sign-in after someone else set their password."""
    if not stored:
        return None
    try:
        notice = json.loads(stored)
        at = dt.datetime.fromisoformat(str(notice["at"]))
    except (ValueError, KeyError, TypeError):
        return "Your password was reset by someone else since you last signed in."
    who = str(notice.get("by") or "an administrator")
    if notice.get("by_username"):
        who = f"{who} ({notice['by_username']})"
    return (
        f"Your password was reset by {who} on {at:%d/%m/%Y at %H:%M} UTC. Records you could read before "
        "open again once a supervisor has signed in; if you did not ask for this reset, tell your supervisor."
    )


# --------------------------------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = pki.derive(password, salt)
    return f"scrypt${pki.SCRYPT_N}${pki.SCRYPT_R}${pki.SCRYPT_P}${salt.hex()}${digest.hex()}"


class PasswordCheck(NamedTuple):
    """What checking a password against a stored hash found: ``ok``; for a keyed hash (``KEYED``) also
    the scrypt secret it was checked with and its salt (the user's ``key_salt`` when it was made)."""

    ok: bool
    secret: bytes | None = None
    salt: bytes | None = None


# A keyed hash (issue 22: one scrypt per sign-in, not two): HMAC-SHA256 of a fixed label under the scrypt
# secret of the password and the user's ``key_salt`` — the very secret that opens the user's keys
# (``pki.derive(password, key_salt)``), which sign-in derives anyway. The secret cannot be recovered from
# it; guessing a password costs the same scrypt as the plain hash. Written at a sign-in (``login``).
KEYED = "keyed"
_KEYED_LABEL = b"dsvdesk password check"


def keyed_password_hash(secret: bytes, salt: bytes) -> str:
    """The stored hash of a password whose scrypt secret under ``salt`` (the user's ``key_salt``) is
    ``secret``."""
    check = hmac.new(secret, _KEYED_LABEL, "sha256").hexdigest()
    return f"{KEYED}${pki.SCRYPT_N}${pki.SCRYPT_R}${pki.SCRYPT_P}${salt.hex()}${check}"


def verify_password(password: str, stored: str) -> PasswordCheck:
    """``password`` against a stored hash (``scrypt$…``: the scrypt digest itself; ``keyed$…``: see
    ``keyed_password_hash``); one scrypt either way."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
        params = {"n": int(n), "r": int(r), "p": int(p)}
    except ValueError:
        return PasswordCheck(False)
    if scheme not in ("scrypt", KEYED):
        return PasswordCheck(False)
    digest = pki.derive(password, salt, **params)
    if scheme == "scrypt":
        return PasswordCheck(hmac.compare_digest(digest, expected))
    ok = hmac.compare_digest(hmac.new(digest, _KEYED_LABEL, "sha256").digest(), expected)
    return PasswordCheck(ok, digest if ok else None, salt)


def check_password(password: str, stored: str) -> bool:
    return verify_password(password, stored).ok


# A hash to check unknown usernames against, so a failed sign-in takes as long whether or not the
# username exists (no account discovery by timing).
_DUMMY_HASH = f"scrypt${pki.SCRYPT_N}${pki.SCRYPT_R}${pki.SCRYPT_P}${'00' * 16}${'00' * 32}"


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password can have at most {MAX_PASSWORD_LENGTH} characters.")
    if password.strip() != password:
        raise InvalidInput("A password cannot start or end with a space.")


def check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            f"The username {username!r} cannot be used: use 1 to 64 letters, digits, dots, dashes or "
            "underscores, starting with a letter or digit (for example pc1234 or j.smith)."
        )
    return username


def check_full_name(full_name: str) -> str:
    name = " ".join(str(full_name).split())
    if not name:
        raise InvalidInput("A full name is needed (it is printed under the user's signature).")
    if len(name) > 200:
        raise InvalidInput("A full name can have at most 200 characters.")
    return name


def check_role(role: str | Role) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown role {role!r}: use officer, supervisor or admin.") from None


def check_collar(collar: str | int | None) -> str:
    text = "" if collar is None else str(collar).strip()
    if len(text) > 32 or any(ch.isspace() for ch in text):
        raise InvalidInput(f"The collar number {text!r} is not valid (at most 32 characters, no spaces).")
    return text


class UserOps(KeyringOps, KeyOps):
    # ----------------------------------------------------------------------------------- station
    def is_initialised(self) -> bool:
        """True once `init_station` has made the first admin and the station CA."""
        from dsvdesk.store.gate import station_is_set_up

        if not self.is_unlocked:
            return self._public_is_initialised()

        with self._read() as conn:
            return station_is_set_up(conn)

    def init_station(
        self,
        station: str,
        admin_username: str,
        admin_full_name: str,
        admin_password: str,
        *,
        force_root_fingerprint: str | None = None,
        escrow_public: bytes | None = None,
    ) -> User:
        """Create the first admin and the station signing CA (its key encrypted under the admin password).
        ``force_root_fingerprint`` pins the force root whose certificate the station will install.
        ``escrow_public`` is the force's escrow public key (raw X25519 or its PEM, from `dsvdesk ca
        escrow-init`) every record key is wrapped for; without it (demo and test stations) a pair is
        made here and its private part is handed out once by ``take_escrow_private``."""
        from dsvdesk.store import forceca

        pin = forceca.normalise_fingerprint(force_root_fingerprint) if force_root_fingerprint else None
        escrow = _escrow_key(escrow_public)
        station = " ".join(str(station).split())
        if not station or len(station) > 64:
            raise InvalidInput("A station name of 1 to 64 characters is needed, e.g. 'Trial Police Station'.")
        check_username(admin_username)
        full_name = check_full_name(admin_full_name)
        check_new_password(admin_password)
        if self.is_initialised():
            raise InvalidInput(
                f"The database {self.path} is already set up for a station; nothing was changed."
            )
        ca_key, ca_cert = pki.create_ca(station, now=self._now())
        user_key, user_cert = pki.issue_user_certificate(
            ca_key,
            ca_cert,
            full_name=full_name,
            username=admin_username,
            collar="",
            role=Role.ADMIN.value,
            station=station,
            now=self._now(),
        )
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO station_ca (id, certificate_pem, created_at) VALUES (1, ?, ?)",
                (pki.cert_pem(ca_cert), self._stamp()),
            )
            settings_mod.write(conn, {"station_name": station})
            user_id = self._insert_user(
                username=admin_username,
                full_name=full_name,
                role=Role.ADMIN,
                collar="",
                station=station,
                password=admin_password,
                key=user_key,
                cert=user_cert,
                chain_pem=b"",
            )
            self._store_ca_copy(user_id, ca_key, admin_password)
            self._install_escrow(conn, escrow)
            self._audit(None, audit.STATION_INITIALISED, user_id=user_id, username=admin_username)
            self._audit(
                None, audit.USER_CREATED, user_id=user_id, username=admin_username, detail={"role": "admin"}
            )
            if pin is not None:
                conn.execute("INSERT INTO force_trust (id, pinned_fingerprint) VALUES (1, ?)", (pin,))
                self._audit(
                    None,
                    audit.TRUST_CHANGED,
                    user_id=user_id,
                    username=admin_username,
                    detail={"pinned": pin},
                )
        self._create_keyfile(self._settings())
        self._wrap_for(admin_username, admin_password)
        log.storage.info("station initialised with admin user id %d", user_id)
        return self._user_by_id(user_id)

    def station_ca_pem(self) -> bytes | None:
        with self._read() as conn:
            row = conn.execute("SELECT certificate_pem FROM station_ca WHERE id = 1").fetchone()
        return bytes(row[0]) if row else None

    # ----------------------------------------------------------------------------------- sign-in
    def login(self, username: str, password: str, *, hold_key: bool = True) -> Session:
        """Check a password. Raises AuthenticationFailed, or AccountLocked after too many failures.
        ``hold_key=False`` (re-checking the password of a session already open, e.g. to unlock an idle
        lock) keeps no signing key for the new session.

        The lock state is read, the password checked and the failure count written in ONE write
        transaction (BEGIN IMMEDIATE), so sign-ins racing from several processes are counted one after
        another: no more than ``lockout_threshold`` wrong passwords are ever tried before the lock.
        Before anyone has signed in (in this process) the database cannot be read: the password first
        unwraps the database key from the key file (``keywraps``)."""
        from dsvdesk.store import session_keys

        self._unlock_for_sign_in(username, password)
        settings = self._settings()
        outcome: AuthenticationFailed | AccountLocked | None = None
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id, password_hash, failed_logins, locked_until, key_salt, private_key_pem, reset_notice, "
                "disabled_at FROM users WHERE username = ?",
                (str(username),),
            ).fetchone()
            now = self._now()
            if row is None:
                check_password(str(password), _DUMMY_HASH)
                self._audit(None, audit.LOGIN_FAILED, detail={"reason": "unknown_user"})
                outcome = AuthenticationFailed(_BAD_SIGN_IN)
            elif (locked_until := row[3]) and dt.datetime.fromisoformat(locked_until) > now:
                user_id = int(row[0])
                self._audit(
                    None, audit.LOGIN_FAILED, user_id=user_id, username=username, detail={"reason": "locked"}
                )
                outcome = self._locked_error(locked_until)
            elif (
                row[7] is not None
            ):  # disabled: refused like a wrong password, and said so once the password is right
                self._audit(
                    None,
                    audit.LOGIN_FAILED,
                    user_id=int(row[0]),
                    username=username,
                    detail={"reason": "disabled"},
                )
                outcome = AuthenticationFailed(
                    _BAD_SIGN_IN
                    if not check_password(str(password), str(row[1]))
                    else "This account is disabled. Ask an administrator."
                )
            elif not (checked := verify_password(str(password), str(row[1]))).ok:
                user_id, failed = int(row[0]), int(row[2])
                failed += 1
                lock: str | None = None
                if failed >= settings.lockout_threshold:
                    lock = iso(now + dt.timedelta(minutes=settings.lockout_minutes))
                    failed = 0
                conn.execute(
                    "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                    (failed, lock, user_id),
                )
                self._audit(
                    None,
                    audit.LOGIN_FAILED,
                    user_id=user_id,
                    username=username,
                    detail={"reason": "wrong_password", "locked": lock is not None},
                )
                if lock:
                    log.storage.info("account %d locked after repeated failed sign-ins", user_id)
                    outcome = self._locked_error(lock)
                else:
                    outcome = AuthenticationFailed(_BAD_SIGN_IN)
            else:
                conn.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL, reset_notice = NULL WHERE id = ?",
                    (int(row[0]),),
                )
                if hold_key:
                    secret = self._key_secret(conn, int(row[0]), str(password), bytes(row[4]), checked)
                user = self._user_by_id(int(row[0]))
                self._audit(None, audit.LOGIN, user_id=user.id, username=user.username)
        if outcome is not None or row is None:  # raised after the commit: the failure is kept
            raise outcome or AuthenticationFailed(_BAD_SIGN_IN)
        self._rewrap_if_weak(user.username, str(password))
        session = Session(user=user, started_at=self._stamp(), notice=_reset_notice_text(row[6]))
        if hold_key:
            session_keys.remember(self.path, session, bytes(row[5]), secret.hex().encode("ascii"))
            self._hold_keys_at_sign_in(session, secret)
            self._after_sign_in(session)
        return session

    @staticmethod
    def _key_secret(
        conn: sqlite3.Connection, user_id: int, password: str, key_salt: bytes, checked: PasswordCheck
    ) -> bytes:
        """The scrypt secret that opens the user's keys: the one the password was just checked with
        (a keyed hash made under the same ``key_salt``), else derived now and the stored hash made
        keyed, so the next sign-in derives once (inside the sign-in's transaction)."""
        if checked.secret is not None and checked.salt == key_salt:
            return checked.secret
        secret = pki.derive(password, key_salt)
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            (keyed_password_hash(secret, key_salt), user_id),
        )
        return secret

    def logout(self, session: Session) -> None:
        """Sign out: the audit head is signed with the user's key (a checkpoint), then the key is forgotten."""
        from dsvdesk.store import keyring, session_keys

        try:
            with self._tx():
                self._audit(session, audit.LOGOUT)
                self._checkpoint(session, "sign-out")
        finally:
            session_keys.forget(self.path, session)
            keyring.forget(self.path, session)

    def _locked_error(self, until_iso: str) -> AccountLocked:
        until = dt.datetime.fromisoformat(until_iso)
        minutes = max(1, math.ceil((until - self._now()).total_seconds() / 60))
        return AccountLocked(
            f"This account is locked after too many wrong passwords. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}, or ask an administrator to unlock it.",
            until=until_iso,
        )

    # ----------------------------------------------------------------------------------- accounts
    def add_user(  # noqa: PLR0917 - the agreed signature, positional as the UI and CLI call it
        self,
        session: Session,
        username: str,
        role: str | Role,
        full_name: str,
        collar: str | None,
        password: str,
        acting_password: str,
    ) -> User:
        """Create an account (admin only). The acting admin's password unlocks the CA key that
        issues the new user's signing certificate."""
        acting = self._require(session, Role.ADMIN, action="add users")
        check_username(username)
        role = check_role(role)
        full_name = check_full_name(full_name)
        collar = check_collar(collar)
        check_new_password(password)
        with self._read() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise InvalidInput(f"There is already a user called {username!r}; choose another username.")
        ca_key, ca_cert = self._unlock_ca(acting, acting_password)
        station = self._settings().station_name
        key, cert = pki.issue_user_certificate(
            ca_key,
            ca_cert,
            full_name=full_name,
            username=username,
            collar=collar,
            role=role.value,
            station=station,
            now=self._now(),
        )
        with self._tx():
            user_id = self._insert_user(
                username=username,
                full_name=full_name,
                role=role,
                collar=collar,
                station=station,
                password=password,
                key=key,
                cert=cert,
                chain_pem=b"",
            )
            if role is Role.ADMIN:
                self._store_ca_copy(user_id, ca_key, password)
            self._audit(session, audit.USER_CREATED, detail={"new_user_id": user_id, "role": role.value})
        self._wrap_for(username, password)
        log.storage.info("user id %d (%s) added by user id %d", user_id, role.value, acting.id)
        return self._user_by_id(user_id)

    def list_users(self, session: Session) -> list[User]:
        self._require(session, Role.ADMIN, Role.SUPERVISOR, action="list users")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {USER_COLUMNS} FROM users WHERE home_station_id = 1 "  # noqa: S608
                "ORDER BY username COLLATE NOCASE"  # people of other stations (transfer) have no account here
            ).fetchall()
        return [user_from_row(r) for r in rows]

    def get_user(self, session: Session, username: str) -> User:
        if session.user.username.lower() != str(username).lower():
            self._require(session, Role.ADMIN, Role.SUPERVISOR, action="look up other users")
        return self._user_by_name(username)

    def reset_password(
        self, session: Session, username: str, new_password: str, acting_password: str
    ) -> None:
        """Set a new password (admin only). A new key pair and certificate are issued: the old key was
        encrypted under the old password and cannot be recovered. The user's encryption key pair is
        retired (its private part deleted, its wraps dropped): the reset gives access to nothing the
        user could read; a new pair is made at their next sign-in, where they are told who reset the
        password and when, and a supervisor's next sign-in wraps their records for it again."""
        acting = self._require(session, Role.ADMIN, action="reset passwords")
        check_new_password(new_password)
        target = self._user_by_name(username)
        ca_key, ca_cert = self._unlock_ca(acting, acting_password)
        key, cert = pki.issue_user_certificate(
            ca_key,
            ca_cert,
            full_name=target.full_name,
            username=target.username,
            collar=target.collar,
            role=target.role.value,
            station=target.station,
            now=self._now(),
        )
        encrypted = pki.encrypt_key(key, new_password)
        with self._tx() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, key_salt = ?, private_key_pem = ?, certificate_pem = ?, "
                "chain_pem = X'', failed_logins = 0, locked_until = NULL, disabled_at = NULL WHERE id = ?",
                (hash_password(new_password), encrypted.salt, encrypted.pem, pki.cert_pem(cert), target.id),
            )
            if target.role is Role.ADMIN:
                conn.execute("DELETE FROM ca_key_copies WHERE user_id = ?", (target.id,))
                self._store_ca_copy(target.id, ca_key, new_password)
            self._reset_encryption_keys(conn, target.id, by=acting)
            self._provision_user(conn, target.id, target.role, pki.derive(new_password, encrypted.salt))
            self._audit(session, audit.PASSWORD_RESET, detail={"target_user_id": target.id})
        self._wrap_for(target.username, new_password)

    def change_password(self, session: Session, old_password: str, new_password: str) -> None:
        """A user changes their own password; their keys are re-encrypted, so signatures keep working."""
        user = self._current_user(session)
        check_new_password(new_password)
        with self._read() as conn:
            row = conn.execute(
                "SELECT password_hash, key_salt, private_key_pem FROM users WHERE id = ?", (user.id,)
            ).fetchone()
            ca_row = conn.execute(
                "SELECT key_salt, private_key_pem FROM ca_key_copies WHERE user_id = ?", (user.id,)
            ).fetchone()
        if not check_password(old_password, str(row[0])):
            raise WrongPassword("The current password is not right; the password was not changed.")
        key = pki.decrypt_key(pki.EncryptedKey(bytes(row[1]), bytes(row[2])), old_password)
        encrypted = pki.encrypt_key(key, new_password)
        with self._tx() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, key_salt = ?, private_key_pem = ? WHERE id = ?",
                (hash_password(new_password), encrypted.salt, encrypted.pem, user.id),
            )
            self._reseal_private(
                conn,
                user.id,
                pki.derive(old_password, bytes(row[1])),
                pki.derive(new_password, encrypted.salt),
            )
            if ca_row is not None:
                ca_key = pki.decrypt_key(pki.EncryptedKey(bytes(ca_row[0]), bytes(ca_row[1])), old_password)
                conn.execute("DELETE FROM ca_key_copies WHERE user_id = ?", (user.id,))
                self._store_ca_copy(user.id, ca_key, new_password)
            self._audit(session, audit.PASSWORD_RESET, detail={"target_user_id": user.id, "by": "self"})
        self._wrap_for(user.username, new_password)

    def set_role(self, session: Session, username: str, role: str | Role, acting_password: str) -> User:
        """Change a user's role (admin only); their certificate is re-issued for the same key with the
        new role in its subject. Admin accounts are created, not promoted: each needs its own copy of
        the station key, encrypted under a password only they know."""
        acting = self._require(session, Role.ADMIN, action="change roles")
        new_role = check_role(role)
        target = self._user_by_name(username)
        if target.id == acting.id:
            raise PermissionDenied("You cannot change your own role; ask another administrator.")
        if new_role is Role.ADMIN and target.role is not Role.ADMIN:
            raise InvalidInput(
                "An account cannot be promoted to admin (each admin needs their own copy of the station key). "
                "Create a separate admin account with `dsvdesk users add USERNAME --role admin`."
            )
        if new_role is target.role:
            return target
        ca_key, ca_cert = self._unlock_ca(acting, acting_password)
        with self._read() as conn:
            cert_row = conn.execute("SELECT certificate_pem FROM users WHERE id = ?", (target.id,)).fetchone()
        from cryptography.hazmat.primitives.asymmetric import rsa

        public_key = pki.load_cert(bytes(cert_row[0])).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidInput("This user's certificate has no RSA key; reset their password first.")
        cert = pki.reissue_certificate(
            ca_key,
            ca_cert,
            public_key,
            full_name=target.full_name,
            username=target.username,
            collar=target.collar,
            role=new_role.value,
            station=target.station,
            now=self._now(),
        )
        with self._tx() as conn:
            conn.execute(
                "UPDATE users SET role = ?, certificate_pem = ?, chain_pem = X'' WHERE id = ?",
                (new_role.value, pki.cert_pem(cert), target.id),
            )
            conn.execute("DELETE FROM ca_key_copies WHERE user_id = ?", (target.id,))
            self._audit(
                session,
                audit.ROLE_CHANGE,
                detail={"target_user_id": target.id, "from": target.role.value, "to": new_role.value},
            )
        return self._user_by_id(target.id)

    def disable_user(self, session: Session, username: str) -> None:
        """Disable an account (admin only; someone who left): it cannot sign in, its wrap of the database
        key leaves the key file and its encryption key pair is retired, so its password opens nothing;
        its records lose nothing (they stay wrapped for the supervisors and escrow). A password reset
        enables it again, with new keys."""
        acting = self._require(session, Role.ADMIN, action="disable accounts")
        target = self._user_by_name(username)
        if target.id == acting.id:
            raise PermissionDenied("You cannot disable your own account; ask another administrator.")
        with self._tx() as conn:
            conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (self._stamp(), target.id))
            self._retire_key_pair(conn, target.id)
            self._audit(session, audit.ACCOUNT_DISABLED, detail={"target_user_id": target.id})
        self._unwrap_for(target.username)
        log.storage.info("user id %d disabled by user id %d", target.id, acting.id)

    def unlock_user(self, session: Session, username: str) -> None:
        self._require(session, Role.ADMIN, action="unlock accounts")
        target = self._user_by_name(username)
        with self._tx() as conn:
            conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (target.id,))
            self._audit(session, audit.ACCOUNT_UNLOCKED, detail={"target_user_id": target.id})

    def import_pkcs12(
        self, session: Session, username: str, p12_bytes: bytes, p12_password: str, new_password: str
    ) -> None:
        """Give a user a certificate issued elsewhere (admin only). The key is re-encrypted under
        ``new_password``, which becomes the user's password."""
        self._require(session, Role.ADMIN, action="import certificates")
        target = self._user_by_name(username)
        check_new_password(new_password)
        key, cert, extra = pki.read_pkcs12(bytes(p12_bytes), p12_password)
        encrypted = pki.encrypt_key(key, new_password)
        chain = b"".join(pki.cert_pem(c) for c in extra)
        with self._tx() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, key_salt = ?, private_key_pem = ?, certificate_pem = ?, "
                "chain_pem = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                (
                    hash_password(new_password),
                    encrypted.salt,
                    encrypted.pem,
                    pki.cert_pem(cert),
                    chain,
                    target.id,
                ),
            )
            if target.role is Role.ADMIN:
                conn.execute("DELETE FROM ca_key_copies WHERE user_id = ?", (target.id,))
            self._reset_encryption_keys(conn, target.id, by=self._current_user(session))
            self._provision_user(conn, target.id, target.role, pki.derive(new_password, encrypted.salt))
            self._audit(session, audit.CERTIFICATE_IMPORTED, detail={"target_user_id": target.id})
        self._wrap_for(target.username, new_password)

    # ----------------------------------------------------------------------------------- signing
    def unlock_signing_identity(self, session: Session, password: str) -> SigningIdentity:
        """The signed-in user's key, certificate and chain. Raises WrongPassword."""
        user = self._current_user(session)
        with self._read() as conn:
            row = conn.execute(
                "SELECT password_hash, key_salt, private_key_pem, certificate_pem, chain_pem FROM users WHERE id = ?",
                (user.id,),
            ).fetchone()
        if not check_password(str(password), str(row[0])):
            with self._tx():
                self._audit(session, audit.SIGNING_PASSWORD_FAILED)
            raise WrongPassword()
        key = pki.decrypt_key(pki.EncryptedKey(bytes(row[1]), bytes(row[2])), str(password))
        cert = pki.load_cert(bytes(row[3]))
        extra = pki.load_certs(bytes(row[4]))
        ca_pem = self.station_ca_pem()
        station_ca = pki.load_cert(ca_pem) if ca_pem else None
        if extra:  # an imported certificate: its own chain, the last being its root
            ca_cert = extra[-1]
            chain = extra
        else:
            if station_ca is None:
                raise InvalidInput("This database has no station CA; run `dsvdesk init` first.")
            ca_cert = station_ca
            chain = (station_ca,)
            root_pem = self._force_root()
            if root_pem:  # the station CA is certified by the force: the verifier's path ends at its root
                chain = (station_ca, pki.load_cert(root_pem))
        self._refuse_revoked(cert, *chain)
        return SigningIdentity(private_key=key, certificate=cert, ca_certificate=ca_cert, chain=chain)

    def _force_root(self) -> bytes | None:
        with self._read() as conn:
            row = conn.execute("SELECT root_pem FROM force_trust WHERE id = 1").fetchone()
        return bytes(row[0]) if row and row[0] else None

    def _refuse_revoked(self, *certs: Any) -> None:
        """A certificate the force's revocation list names cannot sign (its key may be in other hands)."""
        from dsvdesk.store import forceca

        with self._read() as conn:
            row = conn.execute("SELECT crl_der FROM revocation_list WHERE id = 1").fetchone()
        if row is None:
            return
        entries = forceca.revocations(forceca.load_crl(bytes(row[0])))
        for cert in certs:
            entry = forceca.revoked_entry(cert, entries)
            if entry is not None:
                raise PermissionDenied(
                    f"This signing certificate was revoked by force ICT on {entry.revoked_at:%d/%m/%Y}, so it "
                    "cannot sign. Ask an administrator to reset your password: that issues a new certificate."
                )

    # ----------------------------------------------------------------------------------- settings
    def get_settings(self) -> settings_mod.Settings:
        """Settings are readable without signing in (the login screen shows the marking): before
        anyone has signed in, the key file's copy of them."""
        if not self.is_unlocked:
            return self._public_settings()
        return self._settings()

    def update_settings(self, session: Session, **changes: Any) -> settings_mod.Settings:
        self._require(session, Role.ADMIN, action="change settings")
        checked = settings_mod.validate(changes)
        with self._tx() as conn:
            settings_mod.write(conn, checked)
            self._audit(session, audit.SETTINGS_CHANGED, detail={"changed": sorted(checked)})
        settings = self._settings()
        self._publish_settings(settings)
        return settings

    # ----------------------------------------------------------------------------------- helpers
    def _reset_encryption_keys(self, conn: Any, user_id: int, *, by: User | None) -> None:
        """A password set by someone else: the user's encryption key pair is retired (nothing wrapped
        for it opens any more) and they are told at their next sign-in who did it and when."""
        self._retire_key_pair(conn, user_id)
        notice = {"at": self._stamp(), "by": by.full_name if by else "the station recovery key"}
        if by is not None:
            notice["by_username"] = by.username
        conn.execute("UPDATE users SET reset_notice = ? WHERE id = ?", (json.dumps(notice), user_id))

    def _user_by_id(self, user_id: int) -> User:
        with self._read() as conn:
            row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()  # noqa: S608
        if row is None:
            raise NotFound(f"There is no user with id {user_id}.")
        return user_from_row(row)

    def _user_by_name(self, username: str) -> User:
        with self._read() as conn:
            # accounts of this PC only: people of other stations named by imported records cannot sign in,
            # so they cannot be given a password, a role or a certificate here either
            sql = f"SELECT {USER_COLUMNS} FROM users WHERE username = ? AND home_station_id = 1"  # noqa: S608
            row = conn.execute(sql, (str(username),)).fetchone()
        if row is None:
            raise NotFound(f"There is no user called {username!r}. `dsvdesk users list` shows who there is.")
        return user_from_row(row)

    def _insert_user(
        self,
        *,
        username: str,
        full_name: str,
        role: Role,
        collar: str,
        station: str,
        password: str,
        key: rsa.RSAPrivateKey,
        cert: Any,
        chain_pem: bytes,
    ) -> int:
        encrypted = pki.encrypt_key(key, password)
        conn = self._conn
        cursor = conn.execute(
            "INSERT INTO users (username, full_name, role, collar, station, password_hash, created_at, "
            "key_salt, private_key_pem, certificate_pem, chain_pem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                username,
                full_name,
                role.value,
                collar,
                station,
                hash_password(password),
                self._stamp(),
                encrypted.salt,
                encrypted.pem,
                pki.cert_pem(cert),
                chain_pem,
            ),
        )
        assert cursor.lastrowid is not None
        user_id = int(cursor.lastrowid)
        if role is not Role.ADMIN:  # the encryption key pair, so records are wrapped for them at once
            self._provision_user(conn, user_id, role, pki.derive(password, encrypted.salt))
        return user_id

    def _store_ca_copy(self, user_id: int, ca_key: rsa.RSAPrivateKey, password: str) -> None:
        encrypted = pki.encrypt_key(ca_key, password)
        self._conn.execute(
            "INSERT INTO ca_key_copies (user_id, key_salt, private_key_pem) VALUES (?, ?, ?)",
            (user_id, encrypted.salt, encrypted.pem),
        )

    def _unlock_ca(self, acting: User, password: str) -> tuple[rsa.RSAPrivateKey, Any]:
        with self._read() as conn:
            row = conn.execute(
                "SELECT key_salt, private_key_pem FROM ca_key_copies WHERE user_id = ?", (acting.id,)
            ).fetchone()
            ca_row = conn.execute("SELECT certificate_pem FROM station_ca WHERE id = 1").fetchone()
        if row is None or ca_row is None:
            raise PermissionDenied(
                "Your account holds no copy of the station signing key, so it cannot issue certificates. "
                "Ask the administrator who set up the station."
            )
        try:
            key = pki.decrypt_key(pki.EncryptedKey(bytes(row[0]), bytes(row[1])), str(password))
        except WrongPassword:
            raise WrongPassword("Your password is not right; nothing was changed.") from None
        return key, pki.load_cert(bytes(ca_row[0]))
