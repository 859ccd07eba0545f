"""Shared store fixtures: a station database made once per session (CA and RSA keys are slow to
make) and copied for each test, with officers off1/off2, supervisors sup1/sup2 and admin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Session, Store
from tests.helpers.encrypted import copy_station
from tests.unit.store.forms import MINI_FORM

PASSWORD = "correct horse battery"
ADMIN = "admin"
USERS = {  # username: (role, full name, collar)
    "off1": ("officer", "Olive Officer", "1001"),
    "off2": ("officer", "Øyvind Ørsted", "1002"),
    "sup1": ("supervisor", "Sam Supervisor", "2001"),
    "sup2": ("supervisor", "Zoë Żółć", "2002"),
}


def fake_pdf(label: str = "report") -> bytes:
    """Bytes that look like a PDF to the store (the store keeps them; signing is the export's job)."""
    return f"%PDF-1.7\n% {label}\n%%EOF\n".encode()


@dataclass
class Station:
    store: Store
    path: Path
    spec: FormSpec
    sessions: dict[str, Session]

    def __getitem__(self, username: str) -> Session:
        if username not in self.sessions:
            self.sessions[username] = self.store.login(username, PASSWORD)
        return self.sessions[username]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "station.sqlite3"
    store = Store.open(path, create=True)
    store.init_station("Trial", ADMIN, "Ada Admin", PASSWORD)
    admin = store.login(ADMIN, PASSWORD)
    for username, (role, name, collar) in USERS.items():
        store.add_user(admin, username, role, name, collar, PASSWORD, PASSWORD)
    store.close()  # last connection closed: WAL checkpointed into the one file
    return path


@pytest.fixture
def mini_spec() -> FormSpec:
    return load_form_text(MINI_FORM, "mini.yaml")


@pytest.fixture
def station_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    copy_station(template_db, path)
    return path


@pytest.fixture
def station(station_path: Path, mini_spec: FormSpec) -> Iterator[Station]:
    store = Store.open(station_path)
    yield Station(store, station_path, mini_spec, {})
    store.close()
