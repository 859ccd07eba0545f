"""QA fixtures: a station (two officers, two supervisors, an admin) made once and copied per test, a
clock the test moves by hand, and helpers that walk a record through its lifecycle at chosen times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import RecordRef, Session, Store
from tests.helpers.encrypted import copy_station
from tests.unit.qa.forms import OTHER_FORM, QA_FORM

PASSWORD = "correct horse battery"
USERS = {  # username: (role, full name, collar)
    "off1": ("officer", "Olive Officer", "1001"),
    "off2": ("officer", "Øyvind Ørsted", "1002"),
    "sup1": ("supervisor", "Sam Supervisor", "2001"),
    "sup2": ("supervisor", "Zoë Żółć", "2002"),
}


def fake_pdf(label: str = "report") -> bytes:
    return f"%PDF-1.7\n% {label}\n%%EOF\n".encode()


class Clock:
    """The store's "now", set by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, text: str) -> Clock:
        self.now = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        return self


@pytest.fixture(scope="session")
def qa_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qa") / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial Station", "admin", "Ada Admin", PASSWORD)
        admin = store.login("admin", PASSWORD)
        for username, (role, name, collar) in USERS.items():
            store.add_user(admin, username, role, name, collar, PASSWORD, PASSWORD)
    return path


@dataclass
class QaStation:
    store: Store
    path: Path
    clock: Clock
    spec: FormSpec
    other: FormSpec
    sessions: dict[str, Session] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Session:
        if username not in self.sessions:
            self.sessions[username] = self.store.login(username, PASSWORD)
        return self.sessions[username]

    def at(self, when: str) -> QaStation:
        self.clock.at(when)
        return self

    # --- lifecycle helpers (the store's own calls; fake PDFs, signing is tested elsewhere) -------
    def create(self, owner: str, when: str, **answers: Any) -> RecordRef:
        self.at(when)
        return self.store.create_record(self[owner], self.spec, {"officer_grade": "standard", **answers})

    def submit(self, owner: str, ref: RecordRef, when: str) -> RecordRef:
        self.at(when)
        version = self.store.open_record(self[owner], ref.id).version
        return self.store.submit(self[owner], ref.id, version, fake_pdf("officer"))

    def give_back(
        self, reviewer: str, ref: RecordRef, when: str, comments: dict[str, str] | None = None
    ) -> RecordRef:
        self.at(when)
        record = self.store.open_record(self[reviewer], ref.id, justification="Supervisor review")
        return self.store.return_record(
            self[reviewer], ref.id, comments or {"victim_name": "Spell it out"}, record.version
        )

    def regrade(
        self, reviewer: str, ref: RecordRef, when: str, grade: str, rationale: str = "Raised on review"
    ) -> None:
        self.at(when)
        record = self.store.open_record(self[reviewer], ref.id, justification="Supervisor review")
        self.store.save_answers(
            self[reviewer],
            ref.id,
            {"supervisor_grade": grade, "supervisor_rationale": rationale},
            record.version,
        )

    def approve(self, reviewer: str, ref: RecordRef, when: str) -> str:
        self.at(when)
        record = self.store.open_record(self[reviewer], ref.id, justification="Supervisor review")
        return self.store.approve(
            self[reviewer], ref.id, record.version, lambda urn: fake_pdf(f"approved {urn}")
        )


@pytest.fixture
def qa(qa_template: Path, tmp_path: Path) -> Iterator[QaStation]:
    path = tmp_path / "station.sqlite3"
    copy_station(qa_template, path)
    clock = Clock(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    store = Store.open(path, clock=clock)
    yield QaStation(
        store, path, clock, load_form_text(QA_FORM, "qa.yaml"), load_form_text(OTHER_FORM, "other.yaml")
    )
    store.close()
