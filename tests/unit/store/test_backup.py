"""Encrypted backups with the SQLite backup API (while another connection writes) and restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dsvdesk.store import (
    AuthenticationFailed,
    InvalidInput,
    PermissionDenied,
    Status,
    StorageUnavailable,
    Store,
    db,
    keys,
    restore,
)
from dsvdesk.store import backup as backup_mod
from tests.helpers.encrypted import copy_station, key_of
from tests.unit.store.conftest import ADMIN, PASSWORD, Station
from tests.unit.store.helpers import prepare


def test_backup_is_a_consistent_single_file(station: Station, tmp_path: Path) -> None:
    ref = prepare(station, "off1", Status.APPROVED)
    writer = Store.open(station.path)
    session = writer.login("off1", PASSWORD)
    draft = writer.create_record(session, station.spec, {"victim_name": "In progress"})
    writer.save_answer(session, draft.id, "statement", "typing...", draft.version)  # left in the WAL
    out = station.store.backup(tmp_path / "backup.sqlite3", session=station[ADMIN])
    writer.close()
    assert not Path(f"{out}-wal").exists()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    inside = tmp_path / "inside.sqlite3"
    keyfile = backup_mod.read_container(out, inside)
    assert keyfile.station_id == keys.KeyFile.load(station.path).station_id  # type: ignore[union-attr]
    assert b"SQLite format 3" not in out.read_bytes()
    conn = db.raw_connect(inside, key_of(station.path))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    copy_path = tmp_path / "copy.sqlite3"
    restore(out, copy_path, admin_username=ADMIN, admin_password=PASSWORD)
    with Store.open(copy_path) as copy:
        off1 = copy.login("off1", PASSWORD)
        assert copy.open_record(off1, ref.id).status is Status.APPROVED
        assert copy.open_record(off1, draft.id).answers["statement"] == "typing..."
        assert copy.verify_audit().ok


def test_backup_refusals(station: Station, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        station.store.backup(tmp_path)
    with pytest.raises(InvalidInput, match="does not exist"):
        station.store.backup(tmp_path / "no" / "b.sqlite3")
    with pytest.raises(InvalidInput, match="over the database itself"):
        station.store.backup(station.path)
    with pytest.raises(PermissionDenied):
        station.store.backup(tmp_path / "b.sqlite3", session=station["off1"])


def test_restore_round_trip_and_newer_target_needs_force(station: Station, tmp_path: Path) -> None:
    kept = prepare(station, "off1", Status.SUBMITTED)
    backup = station.store.backup(tmp_path / "backup.sqlite3")
    later = prepare(station, "off1", Status.DRAFT)  # work done after the backup
    station.store.close()
    with pytest.raises(InvalidInput, match=r"newer activity .* --force"):
        restore(backup, station.path, admin_username=ADMIN, admin_password=PASSWORD)
    with Store.open(station.path) as store:  # untouched
        assert store.count_records(store.login("off1", PASSWORD)) == 2
    with pytest.raises(AuthenticationFailed):
        restore(backup, station.path, admin_username=ADMIN, admin_password="wrong password", force=True)
    with pytest.raises(PermissionDenied, match="Only an admin"):
        restore(backup, station.path, admin_username="off1", admin_password=PASSWORD, force=True)
    restore(backup, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)
    with Store.open(station.path) as store:
        off1 = store.login("off1", PASSWORD)
        assert [r.id for r in store.list_records(off1)] == [kept.id]
        assert later.id not in {r.id for r in store.list_records(off1)}
        assert store.verify_audit().ok
        events = [
            r[0] for r in store._conn.execute("SELECT event FROM audit_events ORDER BY id DESC LIMIT 2")
        ]
        assert "restored" in events


def test_restore_over_missing_or_broken_database(station: Station, tmp_path: Path) -> None:
    backup = station.store.backup(tmp_path / "backup.sqlite3")
    fresh = tmp_path / "fresh.sqlite3"
    restore(backup, fresh, admin_username=ADMIN, admin_password=PASSWORD)
    broken = tmp_path / "broken.sqlite3"
    broken.write_text("not a database")
    restore(backup, broken, admin_username=ADMIN, admin_password=PASSWORD)
    for path in (fresh, broken):
        with Store.open(path) as store:
            assert store.is_initialised()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello")
    with pytest.raises(InvalidInput, match="not a DSVDesk backup"):
        restore(junk, tmp_path / "t.sqlite3", admin_username=ADMIN, admin_password=PASSWORD)
    with pytest.raises(InvalidInput, match="no backup file"):
        restore(
            tmp_path / "missing.sqlite3",
            tmp_path / "t.sqlite3",
            admin_username=ADMIN,
            admin_password=PASSWORD,
        )


def test_restore_never_touches_another_programs_database(station: Station, tmp_path: Path) -> None:
    backup = station.store.backup(tmp_path / "backup.sqlite3")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(InvalidInput, match="another program's database"):
        restore(backup, other, admin_username=ADMIN, admin_password=PASSWORD)
    with pytest.raises(InvalidInput, match="unencrypted database"):
        restore(other, tmp_path / "t.sqlite3", admin_username=ADMIN, admin_password=PASSWORD)
    assert other.read_bytes() == before


def _unchanged(path: Path) -> bytes:
    return path.read_bytes() + keys.keyfile_path(path).read_bytes()


def test_restore_is_refused_while_dsvdesk_has_the_database_open(station: Station, tmp_path: Path) -> None:
    backup = station.store.backup(tmp_path / "backup.dsvbackup")
    station.store.close()
    other_process = Store.open(station.path)  # any open connection holds the lock, here or in another process
    before = _unchanged(station.path)
    with pytest.raises(StorageUnavailable, match="is open in DSVDesk") as info:
        restore(backup, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)
    assert info.value.reason == "in_use" and _unchanged(station.path) == before
    other_process.close()
    restore(backup, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)


def test_a_replaced_database_stops_saving_and_says_so(station: Station, tmp_path: Path) -> None:
    ref = prepare(station, "off1", Status.DRAFT)
    version = station.store.open_record(station["off1"], ref.id).version
    twin = copy_station(station.path, tmp_path / "twin.sqlite3")
    twin.replace(station.path)  # what a copy over the file, or an old DSVDesk's restore, does
    with pytest.raises(StorageUnavailable, match="was replaced while DSVDesk had it open") as info:
        station.store.save_answer(station["off1"], ref.id, "statement", "typed after", version)
    assert info.value.reason == "replaced"


def test_bad_backups_give_one_sentence_and_change_nothing(station: Station, tmp_path: Path) -> None:
    backup = station.store.backup(tmp_path / "backup.dsvbackup")
    station.store.close()
    before = _unchanged(station.path)
    data = backup.read_bytes()
    truncated = tmp_path / "truncated.dsvbackup"
    truncated.write_bytes(data[: len(data) // 2])
    cut_header = tmp_path / "cut.dsvbackup"
    cut_header.write_bytes(data[:20])
    flipped = bytearray(data)
    flipped[-3000] ^= 0xFF
    corrupt = tmp_path / "corrupt.dsvbackup"
    corrupt.write_bytes(bytes(flipped))
    for bad in (truncated, corrupt):
        with pytest.raises(StorageUnavailable, match="damaged"):
            restore(bad, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)
    with pytest.raises(InvalidInput, match="cut short"):
        restore(cut_header, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)
    with pytest.raises(AuthenticationFailed, match="recovery key is not right"):
        restore(
            backup,
            station.path,
            admin_username=ADMIN,
            admin_password=None,
            recovery_key="AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
            force=True,
        )
    assert _unchanged(station.path) == before


def test_a_backup_of_another_station_is_refused(station: Station, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite3"
    with Store.open(elsewhere, create=True) as store:
        store.init_station("Elsewhere", ADMIN, "Ada Admin", PASSWORD)
        theirs = store.backup(tmp_path / "theirs.dsvbackup")
    station.store.close()
    before = _unchanged(station.path)
    with pytest.raises(InvalidInput, match="another station"):
        restore(theirs, station.path, admin_username=ADMIN, admin_password=PASSWORD, force=True)
    assert _unchanged(station.path) == before


def test_the_recovery_key_opens_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial", ADMIN, "Ada Admin", PASSWORD)
        recovery = store.take_recovery_key()
        backup = store.backup(tmp_path / "b.dsvbackup")
    assert recovery and store.take_recovery_key() is None
    target = tmp_path / "restored.sqlite3"
    restore(backup, target, admin_username="", admin_password=None, recovery_key=recovery.lower())
    keys.forget(target)
    with Store.open(target) as store:
        assert not store.is_unlocked
        store.login(ADMIN, PASSWORD)
        assert store.verify_audit().ok
