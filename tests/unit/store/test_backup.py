"""Backup with the SQLite backup API (while another connection writes) and restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dsvdesk.store import AuthenticationFailed, InvalidInput, PermissionDenied, Status, Store, restore
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
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    with Store.open(out) as copy:
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
    with pytest.raises(Exception, match="not a DSVDesk database"):
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
    with pytest.raises(InvalidInput, match="not a DSVDesk backup"):
        restore(other, tmp_path / "t.sqlite3", admin_username=ADMIN, admin_password=PASSWORD)
    assert other.read_bytes() == before
