"""Accounts, sign-in, lockout, roles and the signing PKI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dsvdesk.store import (
    AccountLocked,
    AuthenticationFailed,
    InvalidInput,
    PermissionDenied,
    Role,
    Store,
    WrongPassword,
    pki,
)
from tests.unit.store.conftest import ADMIN, PASSWORD, Station


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_new_database_is_not_initialised_until_init_station(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.sqlite3", create=True) as store:
        assert not store.is_initialised()
        assert store.station_ca_pem() is None
        admin = store.init_station("Trial Police Station", "boss", "Ada Admin", PASSWORD)
        assert store.is_initialised()
        assert admin.role is Role.ADMIN and admin.station == "Trial Police Station"
        assert store.get_settings().station_name == "Trial Police Station"
        with pytest.raises(InvalidInput, match="already set up"):
            store.init_station("Other", "boss2", "B", PASSWORD)


def test_login_gives_session_and_wrong_password_is_refused(station: Station) -> None:
    session = station.store.login("off1", PASSWORD)
    assert session.user.username == "off1" and session.user.role is Role.OFFICER
    assert session.user.full_name == "Olive Officer" and session.user.collar == "1001"
    with pytest.raises(AuthenticationFailed, match="username or password is not right"):
        station.store.login("off1", "wrong password!")
    with pytest.raises(AuthenticationFailed, match="username or password is not right"):
        station.store.login("nobody", PASSWORD)


def test_username_is_case_insensitive(station: Station) -> None:
    assert station.store.login("OFF1", PASSWORD).user.username == "off1"


def test_five_failures_lock_for_fifteen_minutes_then_unlock(station_path: Path) -> None:
    clock = FakeClock()
    with Store.open(station_path, clock=clock) as store:
        for _ in range(4):
            with pytest.raises(AuthenticationFailed):
                store.login("off1", "not the password")
        with pytest.raises(AccountLocked, match=r"locked .* Try again in 15 minutes"):
            store.login("off1", "not the password")
        # even the right password is refused while locked
        with pytest.raises(AccountLocked):
            store.login("off1", PASSWORD)
        clock.now += dt.timedelta(minutes=14)
        with pytest.raises(AccountLocked, match="1 minute"):
            store.login("off1", PASSWORD)
        clock.now += dt.timedelta(minutes=1, seconds=1)
        assert store.login("off1", PASSWORD).user.username == "off1"


def test_lockout_threshold_and_minutes_are_settings(station_path: Path) -> None:
    clock = FakeClock()
    with Store.open(station_path, clock=clock) as store:
        admin = store.login(ADMIN, PASSWORD)
        store.update_settings(admin, lockout_threshold=2, lockout_minutes=3)
        with pytest.raises(AuthenticationFailed):
            store.login("off2", "nope nope nope")
        with pytest.raises(AccountLocked, match="3 minutes"):
            store.login("off2", "nope nope nope")
        store.unlock_user(admin, "off2")
        assert store.login("off2", PASSWORD).user.username == "off2"


def test_add_user_requires_admin_and_valid_input(station: Station) -> None:
    admin = station[ADMIN]
    with pytest.raises(PermissionDenied, match="Only an admin can add users"):
        station.store.add_user(station["sup1"], "new1", "officer", "New One", "9", PASSWORD, PASSWORD)
    with pytest.raises(InvalidInput, match="already a user"):
        station.store.add_user(admin, "off1", "officer", "Dup", "", PASSWORD, PASSWORD)
    with pytest.raises(InvalidInput, match="Unknown role"):
        station.store.add_user(admin, "x1", "chief", "X", "", PASSWORD, PASSWORD)
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        station.store.add_user(admin, "x1", "officer", "X", "", "short", PASSWORD)
    with pytest.raises(InvalidInput, match="cannot be used"):
        station.store.add_user(admin, "../etc", "officer", "X", "", PASSWORD, PASSWORD)
    with pytest.raises(WrongPassword, match="nothing was changed"):
        station.store.add_user(admin, "x1", "officer", "X", "", PASSWORD, "not the admin password")
    assert "x1" not in {u.username for u in station.store.list_users(admin)}


def test_list_users(station: Station) -> None:
    users = station.store.list_users(station[ADMIN])
    assert [u.username for u in users] == ["admin", "off1", "off2", "sup1", "sup2"]
    with pytest.raises(PermissionDenied):
        station.store.list_users(station["off1"])


def test_user_certificate_profile(station: Station) -> None:
    identity = station.store.unlock_signing_identity(station["sup2"], PASSWORD)
    cert = identity.certificate
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Zoë Żółć"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "2002"
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "supervisor"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Trial"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ca = identity.ca_certificate
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest
    for ext_cls in (x509.AuthorityInformationAccess, x509.CRLDistributionPoints):
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_class(ext_cls)
    # CA profile
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign
    assert ca.public_key().key_size == 3072  # type: ignore[union-attr]
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
    cert.verify_directly_issued_by(ca)
    assert identity.chain == (ca,)
    assert station.store.station_ca_pem() == pki.cert_pem(ca)
    # the key signs and the certificate verifies it
    signature = identity.private_key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    cert.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg,arg-type]


def test_unlock_signing_identity_wrong_password(station: Station) -> None:
    with pytest.raises(WrongPassword, match=r"The password is not right; nothing was signed\."):
        station.store.unlock_signing_identity(station["off1"], "wrong password")


def test_reset_password_issues_new_key(station: Station) -> None:
    store = station.store
    old = store.unlock_signing_identity(station["off1"], PASSWORD)
    store.reset_password(station[ADMIN], "off1", "brand new password", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        store.login("off1", PASSWORD)
    session = store.login("off1", "brand new password")
    new = store.unlock_signing_identity(session, "brand new password")
    assert new.certificate.serial_number != old.certificate.serial_number
    assert new.private_key.public_key().public_numbers() != old.private_key.public_key().public_numbers()
    with pytest.raises(PermissionDenied):
        store.reset_password(station["sup1"], "off2", "another password", PASSWORD)


def test_reset_admin_password_keeps_ca_usable(station: Station) -> None:
    store = station.store
    admin = station[ADMIN]
    store.add_user(admin, "admin2", "admin", "Second Admin", "", PASSWORD, PASSWORD)
    store.reset_password(admin, "admin2", "admin two password", PASSWORD)
    admin2 = store.login("admin2", "admin two password")
    user = store.add_user(admin2, "new2", "officer", "New Two", "77", PASSWORD, "admin two password")
    assert user.role is Role.OFFICER


def test_change_own_password_keeps_key(station: Station) -> None:
    store = station.store
    before = store.unlock_signing_identity(station["off2"], PASSWORD)
    store.change_password(station["off2"], PASSWORD, "my own new password")
    session = store.login("off2", "my own new password")
    after = store.unlock_signing_identity(session, "my own new password")
    assert after.certificate == before.certificate
    with pytest.raises(WrongPassword):
        store.change_password(session, "wrong old password", "whatever password")


def test_set_role_reissues_certificate_and_old_sessions_stop(station: Station) -> None:
    store = station.store
    off2 = station["off2"]
    user = store.set_role(station[ADMIN], "off2", "supervisor", PASSWORD)
    assert user.role is Role.SUPERVISOR
    with pytest.raises(PermissionDenied, match="changed since you signed in"):
        store.list_records(off2)
    fresh = store.login("off2", PASSWORD)
    cert = store.unlock_signing_identity(fresh, PASSWORD).certificate
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "supervisor"
    with pytest.raises(InvalidInput, match="cannot be promoted to admin"):
        store.set_role(station[ADMIN], "off1", "admin", PASSWORD)
    with pytest.raises(PermissionDenied, match="own role"):
        store.set_role(station[ADMIN], ADMIN, "officer", PASSWORD)
    events = [e for e in _events(store) if e[0] == "role_change"]
    assert len(events) == 1


def test_import_pkcs12(station: Station, tmp_path: Path) -> None:
    store = station.store
    ca_key, ca_cert = pki.create_ca("Elsewhere")
    key, cert = pki.issue_user_certificate(
        ca_key,
        ca_cert,
        full_name="Olive Officer",
        username="off1",
        collar="1001",
        role="officer",
        station="Elsewhere",
    )
    p12 = pki.pkcs12_bytes("off1", key, cert, (ca_cert,), "p12 pass")
    with pytest.raises(InvalidInput, match="password is not right or it is not a"):
        store.import_pkcs12(station[ADMIN], "off1", p12, "wrong", "imported password")
    with pytest.raises(InvalidInput, match="PKCS#12"):
        store.import_pkcs12(station[ADMIN], "off1", b"not a p12 at all", "p12 pass", "imported password")
    with pytest.raises(PermissionDenied):
        store.import_pkcs12(station["sup1"], "off1", p12, "p12 pass", "imported password")
    store.import_pkcs12(station[ADMIN], "off1", p12, "p12 pass", "imported password")
    session = store.login("off1", "imported password")
    identity = store.unlock_signing_identity(session, "imported password")
    assert identity.certificate == cert
    assert identity.ca_certificate == ca_cert and identity.chain == (ca_cert,)


def test_settings_are_validated(station: Station) -> None:
    store = station.store
    admin = station[ADMIN]
    assert store.get_settings().urn_format == "{station}-{yyyy}-{seq:05d}"
    assert store.get_settings().idle_lock_minutes == 10
    with pytest.raises(InvalidInput, match="must contain \\{seq\\}"):
        store.update_settings(admin, urn_format="{station}-{yyyy}")
    with pytest.raises(InvalidInput, match="does not know"):
        store.update_settings(admin, urn_format="{station}-{name}-{seq}-{yyyy}")
    with pytest.raises(InvalidInput, match="whole number"):
        store.update_settings(admin, idle_lock_minutes="soon")
    with pytest.raises(InvalidInput, match="Unknown setting"):
        store.update_settings(admin, colour="blue")
    with pytest.raises(PermissionDenied):
        store.update_settings(station["sup1"], marking="RESTRICTED")
    updated = store.update_settings(admin, marking="RESTRICTED", idle_lock_minutes="5")
    assert updated.marking == "RESTRICTED" and updated.idle_lock_minutes == 5


def test_sign_in_events_are_audited_without_passwords(station: Station) -> None:
    store = station.store
    store.login("off1", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        store.login("off1", "secret typo 123")
    with pytest.raises(AuthenticationFailed):
        store.login("someone", "secret typo 123")
    events = _events(store)
    signs_in = [e[0] for e in events if e[0].startswith("login")]  # (keys_rewrapped may follow a sign-in)
    assert signs_in[-3:] == ["login", "login_failed", "login_failed"]
    dump = "\n".join(repr(row) for row in store._conn.execute("SELECT * FROM audit_events"))
    assert "secret typo" not in dump and PASSWORD not in dump and "someone" not in dump


def _events(store: Store) -> list[tuple[str, str | None]]:
    return [
        (str(r[0]), r[1]) for r in store._conn.execute("SELECT event, username FROM audit_events ORDER BY id")
    ]


def test_a_sign_in_derives_from_the_password_once_more_than_the_unwrap(
    station_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a sign-in unwraps the database key (one scrypt) and checks the password with the
    secret that also opens the user's keys (one more), not a second derivation for those keys. The
    first sign-in makes the stored hash keyed; wrong passwords, password changes and the idle re-check
    still work with it."""
    import hashlib

    from dsvdesk.store import keys
    from dsvdesk.store.users import KEYED
    from tests.helpers.encrypted import raw_connect

    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(int(kwargs["n"]))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)

    def sign_in(password: str = PASSWORD) -> list[int]:
        calls.clear()
        keys.forget(station_path)  # as in a fresh process: the password unwraps the key
        with Store.open(station_path) as store:
            store.login("off1", password)
        return list(calls)

    assert sign_in() == [keys.WRAP_N, pki.SCRYPT_N, pki.SCRYPT_N]  # the hash is made keyed here
    assert sign_in() == [keys.WRAP_N, pki.SCRYPT_N]
    with raw_connect(station_path) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE username = 'off1'").fetchone()
    assert stored.startswith(f"{KEYED}$")
    with Store.open(station_path) as store:
        with pytest.raises(AuthenticationFailed):
            store.login("off1", "not the password at all")
        session = store.login("off1", PASSWORD)
        assert store.unlock_signing_identity(session, PASSWORD) is not None  # the keys open
        store.login("off1", PASSWORD, hold_key=False)  # the idle lock's re-check
        store.change_password(session, PASSWORD, "another long password")
    assert sign_in("another long password")[:2] == [keys.WRAP_N, pki.SCRYPT_N]
    assert sign_in("another long password") == [keys.WRAP_N, pki.SCRYPT_N]
