"""The sign-in window's view of the database: open, set up or not, settings, and signing in through the
full store on the same connection, without importing the record store first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dsvdesk.store import StorageUnavailable, Store, keys
from dsvdesk.store.gate import StationGate

PASSWORD = "correct horse battery"


def test_a_new_database_is_not_set_up_and_the_first_run_gets_the_store(tmp_path: Path) -> None:
    gate = StationGate.open(tmp_path / "new.sqlite3", create=True)
    assert gate.is_initialised() is False
    store = gate.store()
    assert isinstance(store, Store) and gate.store() is store  # one store, made once
    store.init_station("Islington", "admin", "Ada Admin", PASSWORD)
    assert gate.is_initialised() is True
    assert gate.get_settings().station_name == "Islington"
    gate.close()


def test_signing_in_through_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Hillingdon", "admin", "Ada Admin", PASSWORD)
    gate = StationGate.open(path)
    assert gate.is_initialised() and gate.get_settings().station_name == "Hillingdon"
    assert gate.station_name() == "Hillingdon"
    session = gate.login("admin", PASSWORD)
    assert session.user.username == "admin"
    assert gate.store()._conn is gate._conn  # the sign-in and the app share the connection
    gate.close()


def test_a_locked_database_names_its_station_from_the_key_file(tmp_path: Path) -> None:
    """Before anyone signs in the database cannot be read: the name comes from the key file's copy, as
    ``get_settings`` has it, with or without the settings module (the sign-in window: without)."""
    path = tmp_path / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Hillingdon", "admin", "Ada Admin", PASSWORD)
    keys.forget(path)  # as in a new process: the database is locked until someone signs in
    gate = StationGate.open(path)
    assert gate._conn is None  # locked
    assert gate.station_name() == gate.get_settings().station_name == "Hillingdon"
    gate.close()


def test_the_gate_refuses_what_the_store_refuses(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.sqlite3"
    not_a_database.write_text("shopping list", encoding="utf-8")
    with pytest.raises(StorageUnavailable):
        StationGate.open(not_a_database)
    with pytest.raises(StorageUnavailable):
        StationGate.open(tmp_path / "missing.sqlite3")  # not created without create=True


def test_the_gate_does_not_import_the_record_store(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Hillingdon", "admin", "Ada Admin", PASSWORD)
    code = (
        "import sys\nfrom dsvdesk.store.gate import StationGate\n"
        f"gate = StationGate.open({str(path)!r})\nassert gate.is_initialised()\ngate.station_name()\n"
        "print(sorted(m for m in sys.modules if m.startswith('dsvdesk.store.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = result.stdout
    for heavy in (
        "dsvdesk.store.store",
        "dsvdesk.store.records",
        "dsvdesk.store.lifecycle",
        "dsvdesk.store.users",
        "dsvdesk.store.audit",
        "dsvdesk.store.settings",  # the station's name is read from the key file
    ):
        assert f"'{heavy}'" not in loaded, loaded
