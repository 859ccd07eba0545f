"""A real station database (store, PKI, users) with a small form, for the workflow and CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Session, Store
from tests.helpers.encrypted import copy_station

PASSWORD = "correct horse battery"
OFFICER, SUPERVISOR, ADMIN = "pc1234", "ps4411", "admin"

REVIEW_FORM = """\
id: review_test
version: "1"
title: Review test form
columns:
  victim_name: victim_name
sections:
  - id: main
    title: Incident
    pages:
      - id: people
        title: People
        questions:
          - {id: victim_name, type: text, label: Victim name, required: true}
          - {id: statement, type: longtext, label: Statement}
          - id: officer_grade
            type: choice
            label: Officer's grade
            choices: [{value: standard, label: Standard}, {value: high, label: High}]
  - id: review
    title: Supervisor review
    audience: reviewer
    pages:
      - id: review_page
        title: Supervisor review
        questions:
          - id: supervisor_grade
            type: choice
            label: Supervisor's grade
            required: true
            tags: [{review: grade}]
            choices: [{value: standard, label: Standard}, {value: high, label: High}]
          - id: supervisor_rationale
            type: longtext
            label: Reason for the grade
            tags: [{review: rationale}]
          - {id: qa_dash_complete, type: yesno, label: All DASH questions asked, tags: [qa]}
          - id: marac_decision
            type: choice
            label: MARAC decision
            choices: [{value: referred, label: Referral made (confirmed)}, {value: not_required, label: Referral not required}]
          - {id: supervisor_comments, type: longtext, label: Comments for the officer}
summary:
  - label: Officer's grade
    expression: officer_grade
  - label: Supervisor's grade
    expression: supervisor_grade
"""

UNTAGGED_FORM = (
    REVIEW_FORM.replace("tags: [{review: grade}]", "tags: []")
    .replace("tags: [{review: rationale}]", "tags: []")
    .replace("id: review_test", "id: untagged")
)

GOOD_ANSWERS: dict[str, Any] = {
    "victim_name": "Łucja Wiśniewska <b>",
    "statement": 'She said: "he\'ll kill me" & left at 22:10.',
    "officer_grade": "high",
}


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
def station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("station") / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Aberystwyth", ADMIN, "Ada Admin", PASSWORD)
        admin = store.login(ADMIN, PASSWORD)
        store.add_user(admin, OFFICER, "officer", "Łukasz Żółć", "1234", PASSWORD, PASSWORD)
        store.add_user(admin, SUPERVISOR, "supervisor", "Ann Jones", "4411", PASSWORD, PASSWORD)
    return path


@pytest.fixture
def station(station_template: Path, tmp_path: Path) -> Iterator[Station]:
    path = tmp_path / "station.sqlite3"
    copy_station(station_template, path)
    store = Store.open(path)
    yield Station(store, path, load_form_text(REVIEW_FORM, "review_test.yaml"), {})
    store.close()
