"""The Store's side of the key file (``keys``): unlock at sign-in, wrap the database key for each
password set, publish the settings the sign-in window shows, recover an account with the recovery key."""

from __future__ import annotations

from dataclasses import asdict, replace

from dsvdesk import log
from dsvdesk.store import db, keys
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.base import StoreBase
from dsvdesk.store.errors import AuthenticationFailed, StorageBug

BAD_SIGN_IN = "The username or password is not right. Check them and try again."
BAD_RECOVERY_KEY = "The recovery key is not right for this station's database; nothing was changed."


class KeyOps(StoreBase):
    _recovery_to_show: str | None = None

    @property
    def is_unlocked(self) -> bool:
        """True once the database key is known in this process and the database is open."""
        return self._connection is not None

    def _keyfile(self) -> keys.KeyFile:
        keyfile = keys.KeyFile.load(self.path)
        if keyfile is None:
            raise keys.keys_missing(self.path)
        return keyfile

    def _db_key(self) -> bytes:
        key = keys.key_for(self.path)
        if key is None:
            raise StorageBug(f"no database key in memory for the open database {self.path}")
        return key

    def _open_with(self, key: bytes) -> None:
        self._connection = db.connect(self.path, key=key)
        keys.remember(self.path, key)

    # ----------------------------------------------------------------------------------- unlock
    def _unlock_for_sign_in(self, username: str, password: str) -> None:
        """Before anyone has signed in the database cannot be read: unwrap its key with this password.
        A wrong password or unknown user gets the same answer as a failed sign-in (and takes as long).
        Such failures are counted in the key file against the station's lockout settings (its copy of
        them) and written to the audit log at the next successful sign-in."""
        if self._connection is not None:
            return
        with keys.exclusive(self.path):
            self._unlock_for_sign_in_held(username, password)

    def _unlock_for_sign_in_held(self, username: str, password: str) -> None:
        import datetime as dt

        from dsvdesk.store.base import iso

        keyfile = self._keyfile()  # read again under the lock: another process may have counted since
        now = self._now()
        until = keyfile.locked_until(str(username), iso(now))
        if until is not None:
            keyfile.pending_events.append(
                {"at": iso(now), "id": keyfile.entry_id(str(username)), "reason": "locked"}
            )
            keyfile.save(self.path)
            raise self._locked_error(until)  # type: ignore[attr-defined]
        key = keyfile.unwrap_user(str(username), str(password))
        if key is None:
            public = self._public_settings()
            lock = keyfile.note_failure(
                str(username),
                now_iso=iso(now),
                lock_iso=iso(now + dt.timedelta(minutes=public.lockout_minutes)),
                threshold=public.lockout_threshold,
            )
            keyfile.save(self.path)
            log.storage.info("sign-in refused before the database was opened (key not unwrapped)")
            if lock is not None:
                raise self._locked_error(lock)  # type: ignore[attr-defined]
            raise AuthenticationFailed(BAD_SIGN_IN)
        self._open_with(key)
        self._record_pending_events(keyfile, str(username))

    def _record_pending_events(self, keyfile: keys.KeyFile, username: str) -> None:
        """The failed sign-ins kept in the key file become audit events (login_failed, before_open)."""
        from dsvdesk.store import audit

        events = list(keyfile.pending_events)
        if not events and keyfile.locked_until(username, "") is None and not keyfile.has_failures(username):
            return
        if events:
            with self.read() as conn:
                users = conn.execute("SELECT id, username FROM users").fetchall()
            by_entry = {keyfile.entry_id(str(name)): (int(uid), str(name)) for uid, name in users}
            with self.transaction():
                for event in events:
                    who = by_entry.get(event.get("id"))
                    self.audit_event(
                        None,
                        audit.LOGIN_FAILED,
                        user_id=who[0] if who else None,
                        username=who[1] if who else None,
                        detail={
                            "reason": event.get("reason", ""),
                            "before_open": True,
                            "at": event.get("at", ""),
                        },
                    )
        keyfile.pending_events = []
        keyfile.clear_failures(username)
        keyfile.save(self.path)

    def unlock_with_recovery_key(self, recovery_key: str) -> None:
        """Open the database with the station recovery key (``dsvdesk recover``)."""
        key = self._keyfile().unwrap_recovery(recovery_key)
        if key is None:
            raise AuthenticationFailed(BAD_RECOVERY_KEY)
        if self._connection is None:
            self._open_with(key)

    def recover_account(self, recovery_key: str, username: str, new_password: str) -> None:
        """Give ``username`` a new sign-in password with the station recovery key (every password lost).

        The account's signing key (and an admin's copy of the station CA key) stays encrypted under the
        old password — a recovery key cannot bring those back, by design; an admin whose signing
        password is lost gets a new one with ``users reset-password`` by another admin."""
        from dsvdesk.store import audit
        from dsvdesk.store.users import check_new_password, hash_password

        check_new_password(new_password)
        self.unlock_with_recovery_key(recovery_key)
        user = self._user_by_name(username)  # type: ignore[attr-defined]
        with self._tx() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                (hash_password(new_password), user.id),
            )
            self._reset_encryption_keys(conn, user.id, by=None)  # type: ignore[attr-defined]
            self._audit(
                None,
                audit.PASSWORD_RESET,
                user_id=user.id,
                username=user.username,
                detail={"target_user_id": user.id, "by": "recovery_key"},
            )
        self._wrap_for(user.username, new_password)

    # ----------------------------------------------------------------------------------- wraps
    def _create_keyfile(self, settings: settings_mod.Settings) -> str:
        """The key file of a new station (at ``init``): the recovery wrap and the public settings.
        Returns the recovery key text, shown once."""
        keyfile, recovery = keys.KeyFile.create(self._db_key(), settings=asdict(settings))
        keyfile.save(self.path)
        self._recovery_to_show = recovery
        return recovery

    def take_recovery_key(self) -> str | None:
        """The recovery key made by ``init_station`` (once; never stored in the clear)."""
        text, self._recovery_to_show = self._recovery_to_show, None
        return text

    def _wrap_for(self, username: str, password: str) -> None:
        """Wrap the database key under ``username``'s (new) password in the key file."""
        keyfile = self._keyfile()
        keyfile.set_user(username, password, self._db_key())
        keyfile.save(self.path)

    def _unwrap_for(self, username: str) -> None:
        """Remove ``username``'s wrap of the database key from the key file (a disabled account)."""
        keyfile = self._keyfile()
        keyfile.remove_user(username)
        keyfile.save(self.path)

    def _rewrap_if_weak(self, username: str, password: str) -> None:
        """After a sign-in, renew a wrap made with older parameters (a converted 0.1 database)."""
        keyfile = keys.KeyFile.load(self.path)
        if keyfile is not None and keyfile.needs_rewrap(username):
            keyfile.set_user(username, password, self._db_key())
            keyfile.save(self.path)

    def _publish_settings(self, settings: settings_mod.Settings) -> None:
        keyfile = self._keyfile()
        keyfile.settings = asdict(settings)
        keyfile.save(self.path)

    def _publish_demo_accounts(self, accounts: list[dict[str, str]]) -> None:
        keyfile = self._keyfile()
        keyfile.demo_accounts = accounts
        keyfile.save(self.path)

    def _public_settings(self) -> settings_mod.Settings:
        """What the key file says of the station (before anyone has signed in)."""
        keyfile = keys.KeyFile.load(self.path)
        if keyfile is None:
            return settings_mod.Settings()
        known = {k: v for k, v in keyfile.settings.items() if k in settings_mod.SETTING_NAMES}
        try:
            return replace(settings_mod.Settings(), **known)
        except TypeError:
            return settings_mod.Settings()

    def _public_is_initialised(self) -> bool:
        keyfile = keys.KeyFile.load(self.path)
        return keyfile is not None and bool(keyfile.users)
