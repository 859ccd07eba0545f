"""WAL checkpoints on a thread of their own (store/checkpoints.py): the app's store commits without
ever running a checkpoint inside the commit, and what it commits still reaches the database file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsvdesk.store import checkpoints, db, keys
from dsvdesk.store.checkpoints import Checkpointer
from tests.helpers.encrypted import key_of
from tests.unit.store.conftest import Station


def versions_in_the_file_alone(path: Path, record_id: str, tmp: Path) -> int | None:
    """The record's version as the database file holds it without its WAL (a copy of the file alone:
    only what a checkpoint has copied into it), or None when the file does not hold the record."""
    copy = tmp / "file-alone.sqlite3"
    shutil.copyfile(path, copy)
    conn = db.raw_connect(copy, key_of(path))
    try:
        row = conn.execute("SELECT version FROM records WHERE id = ?", (record_id,)).fetchone()
    finally:
        conn.close()
    return None if row is None else int(row[0])


def test_saves_reach_the_file_through_the_background_checkpoint(station: Station, tmp_path: Path) -> None:
    store, off1 = station.store, station["off1"]
    store.checkpoint_in_background()
    with store.read() as conn:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # never inside a commit
    ref = store.create_record(off1, station.spec, {"statement": "One"})
    version = ref.version
    for text in ("One.", "One. Two", "One. Two."):
        version = store.save_answer(off1, ref.id, "statement", text, version)
    checkpointer = store._checkpointer
    assert checkpointer is not None and checkpointer.flush()
    assert versions_in_the_file_alone(station.path, ref.id, tmp_path) == version
    store.checkpoint_in_background()  # a second call changes nothing
    assert store._checkpointer is checkpointer


def test_a_burst_of_commits_is_checkpointed_without_waiting_for_a_pause(
    station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saves one after another never leave a pause: after COMMITS_PER_CHECKPOINT commits the thread
    checkpoints anyway (here the pause it would wait for is an hour)."""
    monkeypatch.setattr(checkpoints, "QUIET_SECONDS", 3600.0)
    monkeypatch.setattr(checkpoints, "COMMITS_PER_CHECKPOINT", 5)
    store, off1 = station.store, station["off1"]
    store.checkpoint_in_background()
    checkpointer = store._checkpointer
    assert checkpointer is not None
    ref = store.create_record(off1, station.spec, {"statement": "Start"})
    version = ref.version
    for n in range(5):
        version = store.save_answer(off1, ref.id, "statement", f"Start {n}", version)
    with checkpointer._done:
        assert checkpointer._done.wait_for(lambda: checkpointer._rounds >= 1, timeout=120)
    found = versions_in_the_file_alone(station.path, ref.id, tmp_path)
    assert found is not None and found >= ref.version


def test_close_stops_the_thread_and_the_last_connection_folds_the_wal(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    store.checkpoint_in_background()
    checkpointer = store._checkpointer
    assert checkpointer is not None and checkpointer.running
    ref = store.create_record(off1, station.spec, {"statement": "Kept"})
    store.close()
    assert not checkpointer.running and store._checkpointer is None
    assert not Path(f"{station.path}-wal").exists()
    conn = db.raw_connect(station.path, key_of(station.path))
    try:
        assert conn.execute("SELECT count(*) FROM records WHERE id = ?", (ref.id,)).fetchone()[0] == 1
    finally:
        conn.close()


def test_a_checkpointer_that_cannot_open_the_file_stops_quietly(
    station: Station, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong key (or a file replaced under it): the thread logs why and ends; the writer's own
    checks report the problem, the checkpointer never raises into the app."""
    checkpointer = Checkpointer(station.path, b"\x00" * 32)
    assert not checkpointer.flush(timeout=120)
    checkpointer.close()
    assert not checkpointer.running
    assert "background checkpoints" in caplog.text
    assert keys.key_for(station.path) is not None  # the store's own key is untouched
