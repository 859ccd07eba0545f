"""Three units made once per session (keys are slow to make): stations Holloway and Islington and their
borough's CSU, each with its own admin, officers and supervisors and a transfer key, registered with
each other by fingerprint (no force root). Each test gets fresh copies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Session, Store
from tests.helpers.encrypted import copy_station
from tests.unit.store.forms import MINI_FORM

PASSWORD = "correct horse battery"
UNITS = {  # name: (code, {username: (role, full name, collar)})
    "Holloway": ("HOL", {"pc1": ("officer", "Ann Smith", "1001"), "ps1": ("supervisor", "Sam Sup", "2001")}),
    "Islington": (
        "ISL",
        {"pc1": ("officer", "Łucja Nowak", "3001"), "ps1": ("supervisor", "Ida Sup", "4001")},
    ),
    "Borough CSU": (
        "CSU",
        {"csu1": ("supervisor", "Cass Unit", "5001"), "csu2": ("supervisor", "Cal Unit", "5002")},
    ),
}


def fake_pdf(label: str) -> bytes:
    return f"%PDF-1.7\n% {label}\n%%EOF\n".encode()


@dataclass
class Unit:
    name: str
    path: Path
    store: Store
    sessions: dict[str, Session] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Session:
        if username not in self.sessions:
            self.sessions[username] = self.store.login(username, PASSWORD)
        return self.sessions[username]


@pytest.fixture(scope="session")
def unit_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("units")
    paths: dict[str, Path] = {}
    published: dict[str, tuple[bytes, str]] = {}
    for name, (code, users) in UNITS.items():
        path = folder / f"{code}.sqlite3"
        store = Store.open(path, create=True)
        store.init_station(name, "admin", "Ada Admin", PASSWORD)
        escrow = store.take_escrow_private()  # a test station's own escrow pair: kept for escrow tests
        assert escrow is not None
        path.with_suffix(".escrow").write_bytes(escrow)
        admin = store.login("admin", PASSWORD)
        store.update_settings(admin, station_code=code)
        for username, (role, full, collar) in users.items():
            store.add_user(admin, username, role, full, collar, PASSWORD, PASSWORD)
        published[name] = (store.create_transfer_unit(admin, PASSWORD), store.transfer_unit_fingerprint())
        store.close()
        paths[name] = path
    for name, path in paths.items():
        store = Store.open(path)
        admin = store.login("admin", PASSWORD)
        for other, (data, fp) in published.items():
            if other == name:
                continue
            kind = "csu" if UNITS[other][0] == "CSU" else "station"
            if kind == "station" and UNITS[name][0] != "CSU":
                continue  # stations exchange bundles with the CSU only
            store.add_transfer_peer(admin, data, kind=kind, fingerprint=fp)
        store.close()
    return paths


@pytest.fixture
def units(unit_templates: dict[str, Path], tmp_path: Path) -> Iterator[dict[str, Unit]]:
    opened: dict[str, Unit] = {}
    for name, template in unit_templates.items():
        path = tmp_path / template.name
        copy_station(template, path)
        opened[UNITS[name][0]] = Unit(name, path, Store.open(path))
    yield opened
    for unit in opened.values():
        unit.store.close()


@pytest.fixture
def mini_spec() -> FormSpec:
    return load_form_text(MINI_FORM, "mini.yaml")
