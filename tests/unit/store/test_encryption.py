"""The encrypted store: nothing readable on disk without a DSVDesk password, the key file, sign-in
before the database can be read, re-wrapping, erasure that leaves no text, and the 0.1 conversion."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dsvdesk.store import (
    AuthenticationFailed,
    StorageUnavailable,
    Store,
    WrongPassword,
    convert,
    db,
    keys,
    sealing,
)
from dsvdesk.store.gate import StationGate
from tests.helpers.encrypted import copy_station, decrypted_bytes, decrypted_wal, key_of, occurrences
from tests.unit.store.conftest import ADMIN, PASSWORD, Station

ROOT = Path(__file__).resolve().parents[3]
V01 = ROOT / "tests" / "data" / "v01" / "station.sqlite3"
NAME = "Wilhelmina Quibblethorpe-Ångström"  # distinctive, with a non-ASCII letter


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _log_dir() -> Path:
    return Path(os.environ["DSVDESK_LOG_DIR"])


def _everywhere(*folders: Path) -> dict[str, int]:
    """Occurrences of the victim's name, its surname and first name in every file of the folders."""
    found: dict[str, int] = {}
    for folder in folders:
        for path in _files(folder):
            data = path.read_bytes()
            hits = sum(occurrences(data, word) for word in (NAME, "Quibblethorpe", "Wilhelmina"))
            if hits:
                found[str(path)] = hits
    return found


# --------------------------------------------------------------------------------------- at rest
def test_a_victims_name_is_nowhere_on_disk_while_open_and_after_close(
    station: Station, tmp_path: Path
) -> None:
    store, path = station.store, station.path
    ref = store.create_record(station["off1"], station.spec, {"victim_name": NAME, "cad_ref": "CAD777"})
    version = store.save_answer(station["off1"], ref.id, "suspect_name", "Bob Quibblethorpe", ref.version)
    assert version == 2
    (tmp_path / "backup").mkdir()
    backup = store.backup(tmp_path / "backup" / "b.dsvbackup")
    # the app is still open: the WAL holds the latest pages
    assert Path(f"{path}-wal").stat().st_size > 0
    assert _everywhere(tmp_path, _log_dir()) == {}
    assert [r.victim_name for r in store.list_records(station["off1"], search="quibblethorpe")] == [NAME]
    pragmas = {p: store._conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("temp_store", "secure_delete")}
    assert pragmas == {"temp_store": 2, "secure_delete": 1}  # nothing decrypted goes to a temp file
    wal_plain = decrypted_wal(Path(f"{path}-wal"), key_of(path))
    assert occurrences(wal_plain, ref.id) > 0  # the test's decryption really reads the pages
    assert occurrences(wal_plain, "Quibblethorpe") == 0  # and the name is sealed inside them (issue 15)
    store.close()
    assert _everywhere(tmp_path, _log_dir()) == {}
    decrypted = decrypted_bytes(path, key_of(path))
    assert occurrences(decrypted, ref.id) > 0 and occurrences(decrypted, "Quibblethorpe") == 0
    for name in (path, keys.keyfile_path(path), backup):
        assert oct(name.stat().st_mode & 0o777) == "0o600", name


def test_the_key_file_holds_no_username_and_no_key_in_the_clear(station: Station) -> None:
    text = keys.keyfile_path(station.path).read_text(encoding="utf-8")
    data = json.loads(text)
    assert {"off1", "sup1", ADMIN} & set(text.replace('"', " ").split()) == set()
    assert "off1" not in text and key_of(station.path).hex() not in text
    assert len(data["users"]) == 5 and data["recovery"]["wrapped"]
    assert data["settings"]["station_name"] == "Trial" and data["settings"]["marking"]


# --------------------------------------------------------------------------------------- sign-in
def test_before_sign_in_only_the_key_file_is_read_and_a_password_opens_it(station: Station) -> None:
    station.store.close()
    keys.forget(station.path)  # a new process: nobody has signed in
    with Store.open(station.path) as store:
        assert not store.is_unlocked
        assert store.is_initialised() and store.get_settings().station_name == "Trial"
        with pytest.raises(StorageUnavailable, match="sign in") as info:
            store.verify_audit()
        assert info.value.reason == "signed_out"
        with pytest.raises(AuthenticationFailed, match="username or password is not right"):
            store.login("off1", "not the password")
        with pytest.raises(AuthenticationFailed, match="username or password is not right"):
            store.login("nobody", PASSWORD)
        assert not store.is_unlocked
        session = store.login("off1", PASSWORD)
        assert store.is_unlocked and session.user.username == "off1" and store.verify_audit().ok
    keys.forget(station.path)
    gate = StationGate.open(station.path)
    assert gate.is_initialised() and gate.get_settings().station_name == "Trial"
    assert gate.login("sup1", PASSWORD).user.username == "sup1"
    gate.close()


def test_wrong_passwords_before_the_database_opens_lock_the_account_and_are_audited(station: Station) -> None:
    import datetime as dt

    from dsvdesk.store import AccountLocked

    station.store.close()
    keys.forget(station.path)
    now = [dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)]
    with Store.open(station.path, clock=lambda: now[0]) as store:
        for _ in range(4):
            with pytest.raises(AuthenticationFailed):
                store.login("off1", "wrong guess")
        with pytest.raises(AccountLocked, match="locked after too many wrong passwords"):
            store.login("off1", "wrong guess")  # the station's threshold (5), from the key file's copy
        with pytest.raises(AccountLocked):
            store.login("off1", PASSWORD)  # even the right password, while locked
        with pytest.raises(AuthenticationFailed):
            store.login("nobody", "x" * 10)
        assert not store.is_unlocked
        now[0] += dt.timedelta(minutes=16)
        session = store.login("off1", PASSWORD)
        rows = store._conn.execute(
            "SELECT username, detail FROM audit_events WHERE event = 'login_failed' ORDER BY id"
        ).fetchall()
        reasons = [(name, json.loads(detail)["reason"]) for name, detail in rows]
        assert reasons == [("off1", "wrong_password")] * 5 + [("off1", "locked"), (None, "unknown_user")]
        assert all(json.loads(detail)["before_open"] for _n, detail in rows)
        assert session.user.username == "off1"
    keyfile = keys.KeyFile.load(station.path)
    assert keyfile is not None and keyfile.pending_events == [] and not keyfile.has_failures("off1")
    assert "off1" not in keys.keyfile_path(station.path).read_text(encoding="utf-8")


def test_password_changes_and_resets_rewrap_the_key(station: Station) -> None:
    store = station.store
    store.change_password(station["off1"], PASSWORD, "a brand new passphrase")
    store.reset_password(station[ADMIN], "off2", "reset by the admin", PASSWORD)
    store.add_user(station[ADMIN], "off3", "officer", "Tess Third", "1003", "third's password", PASSWORD)
    keyfile = keys.KeyFile.load(station.path)
    assert keyfile is not None
    key = key_of(station.path)
    assert keyfile.unwrap_user("off1", PASSWORD) is None
    assert keyfile.unwrap_user("off1", "a brand new passphrase") == key
    assert keyfile.unwrap_user("off2", "reset by the admin") == key
    assert keyfile.unwrap_user("off3", "third's password") == key
    assert keyfile.unwrap_recovery("AAAA-BBBB") is None


def test_the_recovery_key_gives_an_admin_a_new_password(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial", ADMIN, "Ada Admin", PASSWORD)
        recovery = store.take_recovery_key()
    assert recovery is not None and len(recovery.replace("-", "")) == 32
    keys.forget(path)
    with Store.open(path) as store:
        with pytest.raises(AuthenticationFailed, match="recovery key is not right"):
            store.recover_account("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", ADMIN, "new admin password")
        assert not store.is_unlocked
        store.recover_account(recovery, ADMIN, "new admin password")
    keys.forget(path)
    with Store.open(path) as store:
        admin = store.login(ADMIN, "new admin password")
        assert store.verify_audit().ok
        with pytest.raises(WrongPassword):  # the signing key stays under the lost password, by design
            store.unlock_signing_identity(admin, "new admin password")


# --------------------------------------------------------------------------------------- bad input
def test_bad_files_give_one_sentence_and_stay_unchanged(station: Station, tmp_path: Path) -> None:
    station.store.close()
    no_keys = tmp_path / "no-keys.sqlite3"
    shutil.copyfile(station.path, no_keys)  # an encrypted database without its key file
    with pytest.raises(StorageUnavailable, match="key file") as info:
        Store.open(no_keys)
    assert info.value.reason == "not_a_database"
    truncated = copy_station(station.path, tmp_path / "truncated.sqlite3", unlocked=False)
    whole = truncated.read_bytes()
    truncated.write_bytes(whole[: len(whole) // 3])
    before = truncated.read_bytes()
    with Store.open(truncated) as store, pytest.raises(StorageUnavailable) as info:
        store.login("off1", PASSWORD)
    assert (
        info.value.reason in {"corrupt", "not_a_database", "wrong_key"} and truncated.read_bytes() == before
    )
    swapped = copy_station(station.path, tmp_path / "swapped.sqlite3", unlocked=False)
    other = tmp_path / "other.sqlite3"
    with Store.open(other, create=True) as store:
        store.init_station("Elsewhere", "off1", "Olive Officer", PASSWORD)
    shutil.copyfile(keys.keyfile_path(other), keys.keyfile_path(swapped))  # another station's key file
    before = swapped.read_bytes()
    with Store.open(swapped) as store, pytest.raises(StorageUnavailable, match="cannot be decrypted") as info:
        store.login("off1", PASSWORD)
    assert info.value.reason == "wrong_key" and swapped.read_bytes() == before
    broken_keys = copy_station(station.path, tmp_path / "broken-keys.sqlite3", unlocked=False)
    keys.keyfile_path(broken_keys).write_text("{not json", encoding="utf-8")
    with Store.open(broken_keys) as store, pytest.raises(StorageUnavailable, match=r"key file .* is damaged"):
        store.login("off1", PASSWORD)


# --------------------------------------------------------------------------------------- erasure
def test_a_deleted_draft_leaves_no_text_in_the_decrypted_file(station: Station) -> None:
    store = station.store
    keep = store.create_record(station["off2"], station.spec, {"victim_name": "Kept Person"})
    ref = store.create_record(station["off1"], station.spec, {"victim_name": NAME, "cad_ref": "CAD-ERASE-1"})
    version = store.save_answer(station["off1"], ref.id, "statement", "Quibblethorpe said so", ref.version)
    renamed = store.create_record(station["off1"], station.spec, {"victim_name": "Zebedee Oldname"})
    store.save_answer(station["off1"], renamed.id, "victim_name", "Zebedee Newname", renamed.version)
    assert version == 2 and store.list_records(station["off1"], search="quibblethorpe")
    store.delete_draft(station["off1"], ref.id)
    assert store.list_records(station["off1"], search="quibblethorpe") == []
    with store.read() as conn:  # the search index holds keyed tokens (issue 15): look for those too
        found = store._user_index_key(conn, station["off1"], station["off1"].user.id)
    assert found is not None
    (erased_token,) = sealing.query_tokens(found[1], "quibblethorpe")
    (old_token,) = sealing.query_tokens(found[1], "oldname")
    (new_token,) = sealing.query_tokens(found[1], "newname")
    store.close()
    plain = decrypted_bytes(station.path, key_of(station.path))
    assert occurrences(plain, "Quibblethorpe") == 0 and occurrences(plain, erased_token) == 0
    assert occurrences(plain, "Wilhelmina") == 0 and occurrences(plain, "CAD-ERASE-1") == 0
    assert occurrences(plain, old_token) == 0  # a changed name leaves the search index too
    assert occurrences(plain, new_token) > 0 and occurrences(plain, keep.id) > 0  # the decryption reads pages
    assert occurrences(plain, "Kept Person") == 0  # sealed


# --------------------------------------------------------------------------------------- 0.1 conversion
def test_a_01_database_is_converted_and_everything_still_verifies(tmp_path: Path) -> None:
    from dsvdesk.export.verify import verify_pdf
    from dsvdesk.store import pki

    path = tmp_path / "station.sqlite3"
    shutil.copyfile(V01, path)
    original = path.read_bytes()
    assert original.startswith(db.SQLITE_HEADER) and b"Quibblethorpe" in original
    with Store.open(path) as store:
        notice = convert.take_notice(path)
        assert notice is not None and "recovery key" in notice
        assert store.is_unlocked
    keys.forget(path)  # as the next process: the passwords of 0.1 open it
    assert db.file_kind(path) == "encrypted"
    assert _everywhere(tmp_path, _log_dir()) == {}
    assert not any(p.name.endswith(".encrypting") for p in tmp_path.iterdir())
    backup = path.with_name(path.name + convert.BACKUP_SUFFIX)
    assert backup.exists() and b"Quibblethorpe" not in backup.read_bytes()
    with Store.open(path) as store:
        officer = store.login("pc1", "correct horse battery")
        supervisor = store.login("ps1", "correct horse battery")
        admin = store.login("admin", "correct horse battery")
        rows = store.list_records(officer)
        assert len(rows) == 2
        names = {r.victim_name for r in rows}
        assert any("Quibblethorpe" in n for n in names) and any("Keepsworth" in n for n in names)
        verification = store.verify_audit()
        assert verification.ok and verification.checked > 160
        last = store._conn.execute("SELECT event FROM audit_events ORDER BY id DESC LIMIT 5").fetchall()
        assert ("database_encrypted",) in last
        ca = pki.load_cert(store.station_ca_pem() or b"")
        approved = next(r for r in rows if r.status.value == "approved")
        record = store.open_record(officer, approved.id)
        pdf = store.signed_pdf(officer, approved.id, record.revision)
        assert pdf is not None
        checked = verify_pdf(pdf, [ca])
        assert checked.all_good and len(checked.signatures) == 2
        for session in (officer, supervisor, admin):
            store.unlock_signing_identity(session, "correct horse battery")  # signing keys intact
    keyfile = keys.KeyFile.load(path)
    assert keyfile is not None and not keyfile.needs_rewrap("pc1")  # renewed at that sign-in
    assert path.read_bytes() != original


def test_a_foreign_or_newer_plaintext_file_is_not_converted(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.sqlite3"
    shutil.copyfile(V01, path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.CURRENT_VERSION + 5}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageUnavailable, match="newer version") as info:
        Store.open(path)
    assert info.value.reason == "too_new" and path.read_bytes() == before
    assert not keys.keyfile_path(path).exists()
